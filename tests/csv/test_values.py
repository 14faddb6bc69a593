"""The number and date readers on their own: every supported number style round-trips, and the
forms that could be misread are refused."""

from collections.abc import Callable
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.sources.csv_values import Failure, parse_dates, parse_numbers


def _western(text: str) -> str:
    whole, _, fraction = text.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def _indian(text: str) -> str:
    """12345678.5 -> 1,23,45,678.5: the last three digits, then groups of two."""
    whole, _, fraction = text.partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = [head[max(0, end - 2) : end] for end in range(len(head), 0, -2)][::-1]
    return ",".join([*groups, tail]) + (f".{fraction}" if fraction else "")


def _european(text: str) -> str:
    return _western(text).replace(",", "\u00a0").replace(".", ",")


# (style, decimal separator of the file, how the style writes a plain decimal string)
STYLES: list[tuple[str, str, Callable[[str], str]]] = [
    ("plain", ".", lambda t: t),
    ("thousands", ".", _western),
    ("indian", ".", _indian),
    ("dollar", ".", lambda t: "$" + _western(t)),
    ("usd-suffix", ".", lambda t: f"{t} USD"),
    ("scientific", ".", lambda t: f"{Decimal(t):e}"),
    ("decimal-comma", ",", lambda t: t.replace(".", ",")),
    ("dot-thousands", ",", lambda t: _western(t).replace(",", "_").replace(".", ",").replace("_", ".")),
    ("space-thousands", ",", _european),
]

prices = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("9999999999999"), places=8)


@pytest.mark.parametrize(("style", "decimal", "write"), STYLES, ids=[s[0] for s in STYLES])
@given(price=prices)
def test_every_number_style_round_trips(style: str, decimal: str, write: Callable[[str], str], price: Decimal) -> None:
    plain = format(price.normalize(), "f")
    written = write(plain)
    parsed = parse_numbers(pd.Series([written]), decimal)
    assert parsed.failures.isna().all(), (style, written)
    assert parsed.values.iloc[0] == float(plain), (style, written)


@pytest.mark.parametrize(
    ("text", "decimal", "failure"),
    [
        ("1,23", ".", Failure.unreadable),  # neither thousands nor Indian grouping
        ("1,234,5678", ".", Failure.unreadable),
        ("45.123.75", ".", Failure.unreadable),
        ("1.23", ",", Failure.unreadable),  # a decimal-comma file: 1.23 is neither 1,23 nor 1.230
        ("42k", ".", Failure.unreadable),
        ("€42000", ".", Failure.not_usd),
        ("42000 EUR", ".", Failure.not_usd),
        ("£5", ".", Failure.not_usd),
    ],
)
def test_misreadable_numbers_are_refused_with_a_reason(text: str, decimal: str, failure: Failure) -> None:
    parsed = parse_numbers(pd.Series([text]), decimal)
    assert pd.isna(parsed.values.iloc[0]) and parsed.failures.iloc[0] == failure


@pytest.mark.parametrize("text", ["", "-", "\u2014", "N/A", "null", "  "])
def test_missing_markers_are_missing_not_failures(text: str) -> None:
    parsed = parse_numbers(pd.Series([text]))
    assert pd.isna(parsed.values.iloc[0]) and pd.isna(parsed.failures.iloc[0])


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2024-01-01T00:00:00Z", None, "2024-01-01 00:00:00+00:00"),
        ("2013-04-28 00:00:00 UTC", None, "2013-04-28 00:00:00+00:00"),
        ("2024-01-01T02:00:00+02:00", None, "2024-01-01 00:00:00+00:00"),
        ("2017-09-05", None, "2017-09-05 00:00:00+00:00"),
        ("Sep 05, 2017", None, "2017-09-05 00:00:00+00:00"),
        ("September 5, 2017", None, "2017-09-05 00:00:00+00:00"),
        ("05-Sep-2017", None, "2017-09-05 00:00:00+00:00"),
        ("1704067200", None, "2024-01-01 00:00:00+00:00"),
        ("1704067200000", None, "2024-01-01 00:00:00+00:00"),
        ("1735689600000000", None, "2025-01-01 00:00:00+00:00"),  # Binance spot klines since 2025: µs
        ("1735689600123456789", None, "2025-01-01 00:00:00.123456+00:00"),  # ns, kept to the µs
        ("05/09/2017", True, "2017-09-05 00:00:00+00:00"),
        ("05/09/2017", False, "2017-05-09 00:00:00+00:00"),
    ],
)
def test_date_forms(text: str, day_first: bool | None, expected: str) -> None:
    parsed = parse_dates(pd.Series([text]), day_first)
    assert str(parsed.values.iloc[0]) == expected


@pytest.mark.parametrize(
    ("text", "day_first"), [("05/09/2017", None), ("today", None), ("2024-13-01", None), ("31/02/2024", True)]
)
def test_dates_that_could_be_misread_fail(text: str, day_first: bool | None) -> None:
    parsed = parse_dates(pd.Series([text]), day_first)
    assert pd.isna(parsed.values.iloc[0]) and parsed.failures.iloc[0] == Failure.unreadable
