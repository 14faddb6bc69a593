"""Turn a chunk's raw fields into typed unified columns, following a file's mapping, and say which
values could not be read. Parsing only: checking the values is the validation step's job.
"""

from dataclasses import dataclass

import pandas as pd

from flows.sources.csv_coin import FileCoin
from flows.sources.csv_formats import USD_QUOTES, Mapping
from flows.sources.csv_values import Failure, is_missing, parse_dates, parse_numbers

NUMBER_COLUMNS = ("price_usd", "market_cap_usd", "volume_24h_usd")
_PAIR = r"^\s*(?P<base>[A-Za-z0-9.]+?)\s*(?:[/\-_:]\s*(?P<quote>[A-Za-z]+)|(?P<glued>USDT|USDC|BUSD|USD))\s*$"


@dataclass(frozen=True)
class ReadPlan:
    """Everything needed to read one file's rows: mapping, coin, and the per-file value conventions."""

    mapping: Mapping
    coin: FileCoin | None  # None when a symbol column names each row's coin
    decimal: str = "."
    day_first: bool | None = None


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
    frame["symbol"], frame["name"] = _coin_columns(rows, plan, failed)
    dates = parse_dates(rows[columns["timestamp"]], plan.day_first, plan.mapping.date_format)
    frame["timestamp"] = dates.values
    failed.append(dates.failures.rename("timestamp"))
    for column in NUMBER_COLUMNS:
        if column in columns:
            numbers = parse_numbers(rows[columns[column]], plan.decimal)
            frame[column] = numbers.values
            failed.append(numbers.failures.rename(column))
    failures: dict[int, list[tuple[str, Failure]]] = {}
    for series in failed:
        for number, failure in series.dropna().items():
            failures.setdefault(int(str(number)), []).append((str(series.name), Failure(failure)))
    return TypedRows(frame, failures, dict(columns))


def _coin_columns(rows: pd.DataFrame, plan: ReadPlan, failed: list[pd.Series]) -> tuple[pd.Series, pd.Series]:
    if plan.coin is not None:
        return (
            pd.Series(plan.coin.symbol, index=rows.index, dtype=object),
            pd.Series(plan.coin.name, index=rows.index, dtype=object),
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
    return symbol, name


def _text(raw: pd.Series) -> pd.Series:
    return raw.astype(object).where(~is_missing(raw), None).map(lambda value: value if value is None else value.strip())
