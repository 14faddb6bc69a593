"""Scalars and enums shared by the schema's domains: enums serialize as their SCREAMING_CASE names."""

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
    """Sources the pipeline ingests (stored values: ``graphql_api.sources.KNOWN_SOURCES``)."""

    _value_: str  # what `.value` is at run time (strawberry.enum_value only carries the description)

    COINGECKO = strawberry.enum_value("coingecko", description="The CoinGecko API.")
    COINPAPRIKA = strawberry.enum_value("coinpaprika", description="The CoinPaprika API.")
    CSV = strawberry.enum_value("csv", description="A CSV file (coinflow's own layout or a detected export).")


@strawberry.enum(description="State of a run.")
class RunStatus(Enum):
    """Run states (``etl_runs.status``, written by ``models/run_log.py``)."""

    _value_: str

    RUNNING = strawberry.enum_value("running", description="Started and not finished (or its process died unseen).")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Finished; every batch committed.")
    FAILED = strawberry.enum_value("failed", description="Stopped by an error, recorded in `error`.")
    CRASHED = strawberry.enum_value(
        "crashed", description="Its process died mid-run; closed by the next run (flows/stale_runs.py)."
    )
    SKIPPED = strawberry.enum_value(
        "skipped", description="Another run held its stream; it did nothing (flows/stream_claim.py)."
    )


@strawberry.enum(description="Which identity rule mapped a source's coin id to its canonical coin (flows/identity.py).")
class MatchMethod(Enum):
    """``coin_sources.match_method`` values, rules in the order they are tried."""

    _value_: str

    OVERRIDE = strawberry.enum_value("override", description="The maintained overrides file said so.")
    CONTRACT = strawberry.enum_value("contract", description="The same contract address on the same platform.")
    SYMBOL_NAME = strawberry.enum_value(
        "symbol+name", description="The same normalized (symbol, name) pair, unique on both sides."
    )
    SLUG = strawberry.enum_value(
        "slug",
        description="The name slug of one source's id equals the other source's id, unique on both sides, backed "
        "by the symbol or the name.",
    )
    NAME_SYMBOL = strawberry.enum_value(
        "name+symbol",
        description="The same symbol and the same name once case, punctuation, spacing and suffixes such as "
        "Token/Coin/Network are set aside; unique on both sides.",
    )
    MARKET = strawberry.enum_value(
        "market",
        description="After prices: the only candidate sharing a symbol, slug or name whose price and market cap "
        "agreed within the identity tolerances at close observation times.",
    )
    AMBIGUOUS = strawberry.enum_value(
        "ambiguous", description="Several candidates tied: never guessed, the coin stays its own."
    )
    SOURCE_ID = strawberry.enum_value("source-id", description="No match: an API source's coin founded its own coin.")
    CSV_DECLARED = strawberry.enum_value(
        "csv-declared", description="No match: a CSV file's coin founded its own coin."
    )


@strawberry.enum(description="How a payload field drifted from what its source sent before.")
class DriftKind(Enum):
    """``schema_drift.kind`` values (validation/drift.py)."""

    _value_: str

    ADDED = strawberry.enum_value("added", description="A field not seen before appeared.")
    MISSING = strawberry.enum_value("missing", description="A field seen before is absent.")
    TYPE_CHANGED = strawberry.enum_value("type_changed", description="A field's value changed type.")


@strawberry.enum(description="Bucket width of a series: every observation, or an average per hour or day.")
class SeriesInterval(Enum):
    """Series bucket widths (mirrors ``queries.prices.Interval``)."""

    _value_: str

    RAW = strawberry.enum_value(Interval.RAW.value, description="Every observation.")
    HOUR = strawberry.enum_value(Interval.HOUR.value, description="The average of each UTC hour.")
    DAY = strawberry.enum_value(Interval.DAY.value, description="The average of each UTC day.")


def source_value(source: Source | None) -> str | None:
    """The stored source name."""
    return source.value if source is not None else None
