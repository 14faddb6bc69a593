"""SQL expressions that render values exactly as the resolver path's JSON encoder (orjson) does.

PostgreSQL's own ``to_json`` differs from orjson on three things this module settles:

- floats: both print the shortest round-trip digits, but orjson writes ``3.0`` (PostgreSQL ``3``),
  switches to exponent notation below 1e-5 and from 1e16 (PostgreSQL: below 1e-4, from 1e15) and
  writes ``1e-7`` / ``1e+16`` (PostgreSQL ``1e-07``); NaN and infinities, which graphql-core refuses
  to serialize, fall back.
- date-times: Python's ``isoformat`` of an aware UTC datetime, ``2024-01-01T00:00:00+00:00`` with
  ``.ffffff`` only when there are microseconds (PostgreSQL trims trailing zeros and follows the
  session time zone).
- base64: ``encode(…, 'base64')`` wraps lines at 76 characters; cursors are base64url unpadded.

A value the resolvers would refuse (an enum member the schema does not know, an oversized series)
makes the statement fail with ``FALLBACK_MARKER`` in the error, and the operation is answered by the
resolvers instead, so the client gets their error (``execution``).
"""

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Double,
    Integer,
    Numeric,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

FALLBACK_MARKER = "coinflow-compiled-fallback"
_NOT_FINITE = ("NaN", "Infinity", "-Infinity")


def float_text(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A float8 as the text orjson writes for the same Python float (NULL stays NULL).

    PostgreSQL's ``float8out`` writes the shortest round-trip digits, positionally for a decimal
    exponent in [-4, 15) and in exponent notation outside it. The notation and the need for ``.0``
    are decided on the float itself, exactly: 1e-5, 1e-4, 1e15 and 1e16 as float8 are the first values
    of their exponents (a shortest representation round-trips, so it lies on the same side of each
    bound as the float), and a positional float is written without a point exactly when it is
    integral. So ``float8out`` runs once per value: 0.38 us a value in PostgreSQL, against 0.64 us when
    the notation was read from the text (four scans) and 0.27 us for the bare cast (200,000 values).
    """
    text = cast(value, Text)
    magnitude = func.abs(value)
    expanded = cast(cast(text, Numeric), Text)  # exponent 15 or -5: orjson writes these positionally
    return case(
        (value.in_([_float8(name) for name in _NOT_FINITE]), cast(fallback(text), Text)),  # the resolvers' error
        (
            and_(magnitude >= _float8("1e16"), magnitude < _float8("1e21"), _shorter_digits_round_trip(text, value)),
            cast(fallback(text), Text),
        ),
        (and_(magnitude < _float8("1e15"), value == func.trunc(value)), text + ".0"),
        (and_(magnitude >= _float8("1e-4"), magnitude < _float8("1e15")), text),
        (
            or_(
                and_(magnitude >= _float8("1e15"), magnitude < _float8("1e16")),
                and_(magnitude >= _float8("1e-5"), magnitude < _float8("1e-4")),
            ),
            case((func.strpos(expanded, ".") == 0, expanded + ".0"), else_=expanded),
        ),
        else_=func.regexp_replace(text, "e([+-])0", "e\\1"),
    )


def _shorter_digits_round_trip(text: ColumnElement[str], value: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether ``text`` (``float8out`` of ``value``, in exponent notation) has more digits than needed.

    PostgreSQL 15's ``float8out`` writes some floats between 2^54 and 2^66 with more digits than the
    shortest that round-trip (``5.2797439329555296e+16`` where orjson writes ``5.27974393295553e+16``;
    ~1 % of floats there, measured on 100,000). Such a value falls back. With d significant digits
    written, a shorter decimal reads back as ``value`` exactly when the d-1 digit decimal just below or
    just above the written one does (the floats reading back as ``value`` form an interval holding it).
    """
    mantissa = func.split_part(text, "e", 1)
    digits = func.length(func.regexp_replace(mantissa, "[^0-9]", "", "g"))
    exponent = cast(func.split_part(text, "e", 2), Integer)
    step = func.power(cast(literal(10), Numeric), cast(exponent - digits + 2, Numeric))  # numeric: exact
    below = func.trunc(func.abs(cast(text, Numeric)) / step) * step
    return and_(
        digits > 1,
        or_(cast(below, Double) == func.abs(value), cast(below + step, Double) == func.abs(value)),
    )


def _float8(literal_text: str) -> ColumnElement[float]:
    """A float8 constant written in the SQL text (``'1e15'::float8``): exact, and no bind parameter."""
    return literal_column(f"'{literal_text}'::float8", Double)


def json_float(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A float8 as a JSON number written as orjson writes it (SQL NULL: JSON null)."""
    return cast(float_text(value), JSON)


def float_array(values: ColumnElement[Any], order: ColumnElement[Any]) -> ColumnElement[Any]:
    """An aggregate: the group's floats as one JSON array in ``order`` (null items for NULL)."""
    items = func.string_agg(func.coalesce(float_text(values), "null"), aggregate_order_by(literal(","), order))
    return cast("[" + func.coalesce(items, "") + "]", JSON)


def int_array(values: ColumnElement[Any], order: ColumnElement[Any]) -> ColumnElement[Any]:
    """An aggregate: the group's integers as one JSON array in ``order``."""
    items = func.string_agg(cast(values, Text), aggregate_order_by(literal(","), order))
    return cast("[" + func.coalesce(items, "") + "]", JSON)


def iso_datetime(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A timestamptz as Python's ``isoformat()`` of the aware UTC datetime (what the DateTime scalar writes)."""
    utc = func.timezone("UTC", value)
    fraction = case((func.date_trunc("second", utc) == utc, ""), else_="." + func.to_char(utc, "US"))
    return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS') + fraction + "+00:00"


def string_json_text(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A text value as a JSON string literal (quoted and escaped)."""
    return cast(func.to_json(cast(value, Text)), Text)


def base64_text(value: ColumnElement[str], urlsafe: bool) -> ColumnElement[str]:
    """Base64 of the UTF-8 of ``value`` on one line: standard, or base64url without padding."""
    encoded = func.encode(func.convert_to(value, "UTF8"), "base64")
    if urlsafe:
        return func.rtrim(func.translate(encoded, "+/\n", "-_"), "=")
    return func.translate(encoded, "\n", "")


def cursor_text(kind: str, parts: Sequence[ColumnElement[str]]) -> ColumnElement[str]:
    """``graphql_api.paging.encode_cursor(kind, key)``: base64url of the compact JSON ``[kind, *key]``.

    ``parts`` are the key's items already as JSON text (``json_key_int``, ``string_json_text``, ...).
    """
    body: ColumnElement[str] = literal(f'["{kind}"')
    for part in parts:
        body = body + "," + part
    return base64_text(body + "]", urlsafe=True)


def json_key_int(value: ColumnElement[Any]) -> ColumnElement[str]:
    """An integer as JSON text."""
    return cast(value, Text)


def json_key_datetime(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A timestamptz as the JSON string orjson writes for the aware UTC datetime."""
    return '"' + iso_datetime(value) + '"'


def fallback(reason: ColumnElement[str]) -> ColumnElement[Any]:
    """An expression that fails the statement with ``FALLBACK_MARKER`` (evaluated only where reached)."""
    return cast(literal(FALLBACK_MARKER + ":") + reason, Integer)


def enum_name(value: ColumnElement[Any], enum: type[Enum]) -> ColumnElement[str]:
    """A stored enum value as its GraphQL name; a value the enum lacks falls back to the resolvers."""
    return case(
        *((value == member.value, literal(member.name)) for member in enum),
        else_=cast(fallback(cast(value, Text)), Text),
    )


def json_null() -> ColumnElement[Any]:
    """JSON null."""
    return null()
