"""Read the numbers and dates of real CSV exports strictly: a value is parsed only when its
form is unambiguous, otherwise it is marked failed so the row is rejected with a reason.

Every function works on a whole column (a pandas Series of strings) at once: a chunk of
thousands of rows costs a handful of vectorized passes, never a Python call per value.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_STR = pd.StringDtype("pyarrow", na_value=float("nan"))  # pandas' default "str" dtype: Arrow storage
MISSING = frozenset({"", "-", "\u2013", "\u2014", "n/a", "na", "null", "none", "nan"})

# Prices land in price_usd: a dollar sign (or USD) is read, any other currency refuses the value.
_USD_PREFIX = r"^(?P<sign>[+-]?)\s*(?:US\$|USD|\$)\s*"
_USD_SUFFIX = r"\s*(?:US\$|USD|\$)$"
_OTHER_CURRENCY = r"[€£¥₹₩₽₿]|^(?!USD)[A-Z]{3}\s|\s(?!USD)[A-Z]{3}$"
_EXPONENT = r"(?:[eE][+-]?\d+)?"
# a number no export writes two ways: digits, one decimal mark, an exponent (RE2-compatible: Arrow runs it)
PLAIN_NUMBER = {mark: rf"[+-]?\d+(?:\{mark}\d+)?{_EXPONENT}" for mark in (".", ",")}
# decimal point: 1,234,567.89 (western), 12,34,567.89 (Indian), or no grouping at all. A grouped
# number never starts with a 0 group, so "0,617" is not 617: it reads only as a decimal comma.
_POINT_BODY = rf"^[+-]?(?:[1-9]\d{{0,2}}(?:,\d{{3}})+|[1-9]\d?(?:,\d{{2}})*,\d{{3}}|\d+)?(?:\.\d+)?{_EXPONENT}$"
# decimal comma: 1.234.567,89 or 1 234 567,89 (space, no-break or narrow no-break space)
_COMMA_BODY = rf"^[+-]?(?:[1-9]\d{{0,2}}(?:([.\s\u00a0\u202f])\d{{3}})(?:\1\d{{3}})*|\d+)?(?:,\d+)?{_EXPONENT}$"

# the ISO form coinflow and most exports write (ASCII digits, no space before the zone): matched by Arrow's
# RE2 at C speed. Every value it matches also matches _ISO and reads the same; the rest go through _ISO.
_ISO_PLAIN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?$"
_YMD_SLASH = r"^\d{4}/\d{1,2}/\d{1,2}(?:[T ].*)?$"
_MONTH_NAME = r"^[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}$"  # Sep 05, 2017 / September 5 2017
_DAY_MONTH_NAME = r"^\d{1,2}[\s-][A-Za-z]{3,9}\.?[\s-]\d{4}$"  # 05 Sep 2017 / 05-Sep-2017
_NUMERIC = r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})(?P<time>[T ]\d{1,2}:\d{2}(?::\d{2})?)?$"
# Unix epoch in s, ms, µs or ns (10, 13, 16, 19 digits: 2001-09-09 to 2286-11-20 in each unit), decided
# per value: CryptoDataDownload mixes s and ms in one file, Binance's spot klines moved to µs in 2025.
_EPOCH = r"^\d{10}(?:\d{3}){0,3}(?:\.\d+)?$"
_EPOCH_UNITS: dict[int, Literal["s", "ms", "us", "ns"]] = {10: "s", 13: "ms", 16: "us", 19: "ns"}


class Failure(StrEnum):
    """Why a value could not be read."""

    unreadable = "unreadable"
    not_usd = "not_usd"


@dataclass(frozen=True)
class Parsed:
    """A parsed column: values (NaN/NaT where missing or failed) and the failure per failed row."""

    values: pd.Series
    failures: pd.Series  # Failure or None, same index


def is_missing(raw: pd.Series) -> pd.Series:
    """True where a value stands for "no value": empty, '-', a dash, 'N/A', 'null'..."""
    return raw.isna() | raw.astype("str").str.strip().str.lower().isin(MISSING)


def parse_numbers(raw: pd.Series, decimal: str = ".") -> Parsed:
    """Numbers as exports write them; ``decimal`` is ``"."`` or ``","`` (decided per file).

    Plain numbers (``42000.5``, ``-3``, ``1.5e10``: no grouping, sign of currency) are read at once;
    only the other values go through the full reading of grouped, signed and priced forms.
    """
    text = raw.astype("str").str.strip()
    plain = text.str.fullmatch(PLAIN_NUMBER[decimal])
    if bool(plain.all()):
        canonical = text if decimal == "." else text.str.replace(",", ".", regex=False)
        values = pd.to_numeric(canonical).astype("float64")
        return Parsed(values, pd.Series(None, index=raw.index, dtype=object))
    if bool(plain.any()):
        fast, rest = parse_numbers(raw[plain], decimal), parse_numbers(raw[~plain], decimal)
        failures = pd.concat([fast.failures, rest.failures]).reindex(raw.index)
        return Parsed(pd.concat([fast.values, rest.values]).reindex(raw.index), failures.astype(object))
    return _parse_forms(raw, text, decimal)


def _parse_forms(raw: pd.Series, text: pd.Series, decimal: str) -> Parsed:
    missing = is_missing(raw)
    other_currency = text.str.contains(_OTHER_CURRENCY, regex=True) & ~missing
    bare = text.str.replace(_USD_PREFIX, r"\g<sign>", regex=True).str.replace(_USD_SUFFIX, "", regex=True).str.strip()
    if decimal == ",":
        shaped = bare.str.fullmatch(_COMMA_BODY[1:-1]) & bare.str.contains(r"\d", regex=True)
        canonical = bare.str.replace(r"[.\s\u00a0\u202f]", "", regex=True).str.replace(",", ".", regex=False)
    else:
        shaped = bare.str.fullmatch(_POINT_BODY[1:-1]) & bare.str.contains(r"\d", regex=True)
        canonical = bare.str.replace(",", "", regex=False)
    ok = shaped & ~missing & ~other_currency
    values = pd.to_numeric(canonical.where(ok), errors="coerce").astype("float64")
    failures = pd.Series(None, index=raw.index, dtype=object)
    failures[~missing & ~ok] = Failure.unreadable
    failures[other_currency] = Failure.not_usd
    return Parsed(values, failures)


def day_month_evidence(raw: pd.Series) -> tuple[bool, bool]:
    """For numeric dates like 05/09/2017: (some first part > 12, some second part > 12).

    The first says day-first, the second month-first; both at once means the file contradicts itself.
    """
    parts = raw.astype("str").str.strip().str.extract(_NUMERIC)
    first, second = pd.to_numeric(parts["a"], errors="coerce"), pd.to_numeric(parts["b"], errors="coerce")
    return bool((first > 12).any()), bool((second > 12).any())


def has_numeric_dates(raw: pd.Series) -> bool:
    """True if any value is a day/month date whose order must be known (``05/09/2017``)."""
    return bool(raw.astype("str").str.strip().str.fullmatch(_NUMERIC[1:-1]).any())


def parse_dates(raw: pd.Series, day_first: bool | None = None, date_format: str | None = None) -> Parsed:
    """Timestamps in UTC from the date forms real exports use; naive times are taken as UTC.

    ``date_format`` (a strptime pattern declared in a mapping file) wins over every guess. Numeric
    day/month dates are read only when ``day_first`` is known; otherwise they fail.
    """
    text = raw.astype("str").str.strip()
    missing = is_missing(raw)
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us, UTC]")
    if date_format:
        values = _to_utc(text, date_format)
    else:
        plain = _arrow_fullmatch(text, _ISO_PLAIN) & ~missing
        if plain.any():
            values[plain] = _to_utc(text[plain], "ISO8601")
        for pattern, convert in _date_forms(day_first):
            open_rows = ~missing & values.isna()  # a value a form matched but could not read tries the next forms
            if not open_rows.any():
                break
            candidates = text[open_rows]
            matched = candidates[candidates.str.fullmatch(pattern[1:-1])]
            if len(matched):
                values[matched.index] = convert(matched)
    failures = pd.Series(None, index=raw.index, dtype=object)
    failures[~missing & values.isna()] = Failure.unreadable
    return Parsed(values, failures)


def _arrow_fullmatch(text: pd.Series, pattern: str) -> pd.Series:
    """``text`` (strings, NaN where missing) matched against an anchored RE2 ``pattern`` by Arrow (no Python
    call per value; pandas would fall back to Python's ``re`` for a column that may hold non-ASCII text)."""
    found = pc.match_substring_regex(pa.array(text.astype(_STR).array), pattern)
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=text.index)


_Convert = Callable[[pd.Series], pd.Series]


def _date_forms(day_first: bool | None) -> list[tuple[str, _Convert]]:
    forms: list[tuple[str, _Convert]] = [
        (_ISO, lambda t: _to_utc(t.str.replace(r"\s*UTC$", "Z", regex=True), "ISO8601")),
        (_YMD_SLASH, lambda t: _to_utc(t.str.replace("/", "-", regex=False), "ISO8601")),
        (_MONTH_NAME, _month_name),
        (_DAY_MONTH_NAME, lambda t: _to_utc(t.str.replace(r"[\s-]+", " ", regex=True), "%d %b %Y")),
        (_EPOCH, _epoch),
    ]
    if day_first is not None:
        forms.append((_NUMERIC, lambda t: _numeric(t, day_first)))
    return forms


def _epoch(text: pd.Series) -> pd.Series:
    """Each value in the unit its digit count says (see ``_EPOCH_UNITS``); ns is truncated to µs."""
    digits = text.str.split(".", n=1).str[0].str.len()
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    for length, unit in _EPOCH_UNITS.items():
        rows = digits == length
        if rows.any():
            whole = pd.to_numeric(text[rows].str.split(".", n=1).str[0]) if unit == "ns" else pd.to_numeric(text[rows])
            values[rows] = pd.to_datetime(whole, unit=unit, utc=True).astype("datetime64[us, UTC]")
    return values


def _to_utc(text: pd.Series, date_format: str) -> pd.Series:
    parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
    return parsed.astype("datetime64[us, UTC]")


def _month_name(text: pd.Series) -> pd.Series:
    cleaned = text.str.replace(r"\.|,", "", regex=True).str.replace(r"\s+", " ", regex=True)
    short = _to_utc(cleaned, "%b %d %Y")
    return short.fillna(_to_utc(cleaned, "%B %d %Y"))


def _numeric(text: pd.Series, day_first: bool) -> pd.Series:
    parts = text.str.extract(_NUMERIC)
    day, month = (parts["a"], parts["b"]) if day_first else (parts["b"], parts["a"])
    iso = parts["y"] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts["time"].fillna("")
    return _to_utc(iso, "ISO8601")
