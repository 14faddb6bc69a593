"""Turn a chunk's raw fields into typed unified columns, following a file's mapping, and say which
values could not be read. Parsing only: checking the values is the validation step's job.
"""

from dataclasses import dataclass

import pandas as pd

from flows.sources.csv_coin import FileCoin
from flows.sources.csv_formats import Mapping
from flows.sources.csv_period import POINT_IN_TIME, Timing, observed_at
from flows.sources.csv_quote import KNOWN_QUOTES, USD_QUOTES
from flows.sources.csv_values import Failure, is_missing, parse_dates, parse_numbers

NUMBER_COLUMNS = ("price_usd", "market_cap_usd", "volume_24h_usd")
_GLUED = "|".join(KNOWN_QUOTES)
_PAIR = rf"^\s*(?P<base>[A-Za-z0-9.]+?)\s*(?:[/\-_:]\s*(?P<quote>[A-Za-z]+)|(?P<glued>(?i:{_GLUED})))\s*$"


@dataclass(frozen=True)
class ReadPlan:
    """Everything needed to read one file's rows: mapping, coin, and the per-file value conventions."""

    mapping: Mapping
    coin: FileCoin | None  # None when a symbol column names each row's coin
    decimal: str | None = None  # None: not decided yet (read as ".")
    day_first: bool | None = None
    quote: str | None = None  # the file's quote currency (USD or a stablecoin); None: USD by default
    timing: Timing = POINT_IN_TIME  # point in time unless the file's prices are candle closes


@dataclass(frozen=True)
class TypedRows:
    """Unified columns, typed (NaN/NaT/None where missing or unreadable), and each row's read failures."""

    frame: pd.DataFrame
    failures: dict[int, list[tuple[str, Failure]]]
    sources: dict[str, str]  # unified column -> the file's column it came from


def type_rows(rows: pd.DataFrame, plan: ReadPlan) -> TypedRows:
    """Read ``rows`` (the file's columns, all strings) into the unified columns of ``plan``."""
    columns = plan.mapping.columns
    frame = pd.DataFrame(index=rows.index)
    failed: list[pd.Series] = []
    frame["symbol"], frame["name"], frame["quote_currency"] = _coin_columns(rows, plan, failed)
    dates = parse_dates(rows[columns["timestamp"]], plan.day_first, plan.mapping.date_format)
    frame["timestamp"] = observed_at(dates.values, plan.timing)
    failed.append(dates.failures.rename("timestamp"))
    for column in NUMBER_COLUMNS:
        if column in columns:
            numbers = parse_numbers(rows[columns[column]], plan.decimal or ".")
            frame[column] = numbers.values
            failed.append(numbers.failures.rename(column))
    failures: dict[int, list[tuple[str, Failure]]] = {}
    for series in failed:
        for number, failure in series.dropna().items():
            failures.setdefault(int(str(number)), []).append((str(series.name), Failure(failure)))
    return TypedRows(frame, failures, dict(columns))


def _coin_columns(
    rows: pd.DataFrame, plan: ReadPlan, failed: list[pd.Series]
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(symbol, name, quote currency) per row: the file's coin, or the symbol column (a pair's base)."""
    quote = pd.Series(plan.quote or "USD", index=rows.index, dtype=object)
    if plan.coin is not None:
        return (
            pd.Series(plan.coin.symbol, index=rows.index, dtype=object),
            pd.Series(plan.coin.name, index=rows.index, dtype=object),
            quote,
        )
    columns = plan.mapping.columns
    symbol = _text(rows[columns["symbol"]])
    if plan.mapping.symbol_is_pair:
        pair = symbol.fillna("").str.extract(_PAIR)
        quote = pair["quote"].fillna(pair["glued"]).str.upper()
        not_usd = symbol.notna() & ~quote.isin(USD_QUOTES)
        failed.append(pd.Series(Failure.not_usd, index=rows.index, dtype=object).where(not_usd).rename("symbol"))
        symbol = pair["base"].where(~not_usd, symbol)
    symbol = symbol.str.upper()
    name = _text(rows[columns["name"]]) if "name" in columns else symbol
    return symbol, name, quote.astype(object)


def _text(raw: pd.Series) -> pd.Series:
    """Stripped text, None where missing (object dtype), without a Python call per value."""
    return raw.astype("str").str.strip().astype(object).where(~is_missing(raw), None)
