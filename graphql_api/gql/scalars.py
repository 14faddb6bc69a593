"""Scalars and enums shared by the schema's domains."""

from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from graphql import StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from graphql_api.errors import BadValueError
from graphql_api.input_bounds import datetime_problem
from graphql_api.queries.series import Interval

# Whole arrays as ONE scalar: graphql-core then serializes a series in one call instead of
# completing thousands of list items one by one (the point of the columnar series).
FloatColumn = NewType("FloatColumn", list)
IntColumn = NewType("IntColumn", list)


def _identity(value: object) -> object:
    return value


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset; naive is UTC) with a UTC instant, or an error a client can act on.

    graphql-core reports it with the variable's name; Strawberry's default parser would leak the
    underlying parser's exception text (``invalid literal for int() with base 10: b'nope'``).
    """
    parsed = _iso_datetime(value)
    problem = datetime_problem(parsed)
    if problem:
        raise BadValueError(problem)
    return parsed


def parse_datetime_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> datetime:
    """A date-time written in the document; its range is checked by ``argument_bounds``, which names the argument."""
    return _iso_datetime(node.value if isinstance(node, StringValueNode) else None)


def _iso_datetime(value: object) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise BadValueError("expected an ISO 8601 date-time such as 2024-01-01T00:00:00Z")


SCALAR_MAP: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description="An ISO 8601 date-time; without an offset it is taken as UTC.",
        serialize=datetime.isoformat,
        parse_value=parse_datetime,
        parse_literal=parse_datetime_literal,
    ),
    FloatColumn: strawberry.scalar(
        name="FloatColumn",
        description="An array of numbers (null where a value is missing), one per series point.",
        serialize=_identity,
        parse_value=_identity,
    ),
    IntColumn: strawberry.scalar(
        name="IntColumn",
        description="An array of integers, one per series point.",
        serialize=_identity,
        parse_value=_identity,
    ),
}


@strawberry.enum(description="A data source of the pipeline.")
class Source(Enum):
    """Sources the pipeline ingests."""

    COINGECKO = "coingecko"
    COINPAPRIKA = "coinpaprika"
    CSV = "csv"


@strawberry.enum(description="Bucket width of a series: every observation, or an average per hour or day.")
class SeriesInterval(Enum):
    """Series bucket widths (mirrors ``queries.prices.Interval``)."""

    RAW = Interval.RAW.value
    HOUR = Interval.HOUR.value
    DAY = Interval.DAY.value


def source_value(source: Source | None) -> str | None:
    """The stored source name."""
    return source.value if source is not None else None
