"""Normalize: validated source rows -> unified ``prices`` rows, each coin resolved to a canonical coin."""

import pandas as pd
from sqlalchemy import Engine

from flows.identity import resolve_coins
from models.coins import DeclaredCoin, MatchMethods, slugify
from models.load import PRICE_COLUMNS

CSV_MATCH_METHOD = MatchMethods.CSV_DECLARED


def csv_source_coin_id(symbol: str, name: str) -> str:
    """A CSV names a coin by symbol and name together; the pair is its source id (never the symbol alone)."""
    return f"{slugify(name)}:{symbol.strip().lower()}"


def normalize_csv(engine: Engine, valid: pd.DataFrame, raw_ids: pd.Series, run_id: int) -> pd.DataFrame:
    """Map validated CSV rows (see ``validation.csv_file``) to unified price rows."""
    if valid.empty:
        return pd.DataFrame(columns=list(PRICE_COLUMNS))
    pairs = pd.MultiIndex.from_arrays([valid["symbol"], valid["name"]])
    distinct = pairs.unique()  # a chunk holds few coins: one Python call per coin, not per row
    source_ids = [csv_source_coin_id(symbol, name) for symbol, name in distinct]
    declared = {
        key: DeclaredCoin(key, symbol.strip().upper(), name.strip())
        for key, (symbol, name) in zip(source_ids, distinct, strict=True)
    }
    coin_ids = resolve_coins(engine, "csv", declared.values(), CSV_MATCH_METHOD)
    per_pair = pd.Series([coin_ids[key] for key in source_ids], index=distinct)
    return pd.DataFrame(
        {
            "coin_id": per_pair.reindex(pairs).to_numpy(),
            "source": "csv",
            "observed_at": valid["timestamp"],
            "price_usd": valid["price_usd"],
            "market_cap_usd": _optional(valid, "market_cap_usd"),
            "volume_24h_usd": _optional(valid, "volume_24h_usd"),
            "change_24h_pct": float("nan"),
            "rank": pd.Series(pd.NA, index=valid.index, dtype="Int64"),
            "raw_record_id": raw_ids.loc[valid.index],
            "run_id": run_id,
        },
        index=valid.index,
    )


def _optional(frame: pd.DataFrame, column: str) -> object:
    return frame[column] if column in frame else float("nan")
