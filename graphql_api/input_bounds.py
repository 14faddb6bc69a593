"""Range checks for every client value that reaches the database: integers, datetimes, text.

One rule per kind, applied at each boundary (REST parameters, GraphQL arguments and variables,
decoded cursors), so a value the database or the driver cannot hold is refused with the name of
the parameter instead of failing inside a query:

- integers must fit the BIGINT columns they are compared with: -2**63 .. 2**63-1 (SQLite and
  PostgreSQL alike; the SQLite driver raises ``OverflowError`` beyond, PostgreSQL an out-of-range error);
- datetimes must have a UTC instant Python can represent (years 1..9999): ``9999-12-31T23:59:59-05:00``
  is in year 10000 in UTC, and ``datetime.astimezone`` raises ``OverflowError``;
- text must not contain NUL (U+0000): PostgreSQL text cannot store it (psycopg2 refuses it), so both
  databases refuse it alike.
"""

from datetime import UTC, datetime

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
NUL = "\x00"


def int_problem(value: int) -> str | None:
    """Why ``value`` cannot be a BIGINT, or None when it can."""
    if not INT64_MIN <= value <= INT64_MAX:
        return f"must be between {INT64_MIN} and {INT64_MAX}"
    return None


def datetime_problem(value: datetime) -> str | None:
    """Why ``value`` has no representable UTC instant, or None when it has (naive values are UTC)."""
    if value.tzinfo is None:
        return None
    try:
        value.astimezone(UTC)
    except OverflowError:
        return "out of range: its UTC time falls outside years 1..9999"
    return None


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored or compared as text, or None when it can."""
    if NUL in value:
        return "must not contain a NUL character (U+0000)"
    return None
