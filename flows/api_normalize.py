"""Normalize validated CoinGecko / CoinPaprika rows to unified ``prices`` rows.

Coin identity: every source coin id goes through :func:`flows.identity.resolve_coins` (override,
contract, unique symbol+name, else its own coin with match method ``source-id``).
"""

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine

from flows.identity import resolve_coins
from models.coins import DeclaredCoin, MatchMethods
from models.load import PRICE_COLUMNS

MATCH_METHOD = MatchMethods.SOURCE_ID


def coin_ids(engine: Engine, source: str, declared: Mapping[str, DeclaredCoin]) -> dict[str, int]:
    """The coin row of every source coin id in ``declared`` (new coins are resolved or created)."""
    coins = list(declared.values())
    if source == "coingecko":  # CoinGecko's ids are readable slugs: the best canonical id for a new coin
        coins = [replace(coin, canonical_hint=coin.canonical_hint or coin.source_coin_id) for coin in coins]
    return resolve_coins(engine, source, coins, MATCH_METHOD)


def listed_coins(
    engine: Engine, source: str, valid: pd.DataFrame, platforms: Mapping[str, dict[str, str]] | None = None
) -> pd.DataFrame:
    """Resolve every coin of a source's coin list, so identity is settled before any price arrives.

    Returns no prices (a coin list carries none); ``platforms`` gives contracts by coin id where known.
    """
    declared = {
        str(i): DeclaredCoin(str(i), _symbol(s), str(n).strip(), (platforms or {}).get(str(i)))
        for i, s, n in zip(valid["id"], valid["symbol"], valid["name"], strict=True)
    }
    coin_ids(engine, source, declared)
    return pd.DataFrame(columns=list(PRICE_COLUMNS))


def snapshot_prices(
    engine: Engine, source: str, valid: pd.DataFrame, raw_ids: pd.Series, run_id: int, columns: Mapping[str, str]
) -> pd.DataFrame:
    """Prices from a snapshot whose rows name their coin (id, symbol, name).

    ``columns`` maps unified names (observed_at, price_usd, market_cap_usd, volume_24h_usd,
    change_24h_pct, rank) to the validated frame's columns.
    """
    declared = {
        str(i): DeclaredCoin(str(i), _symbol(s), str(n).strip())
        for i, s, n in zip(valid["id"], valid["symbol"], valid["name"], strict=True)
    }
    ids = coin_ids(engine, source, declared)
    return _prices(valid, valid["id"].map(lambda key: ids[str(key)]), source, raw_ids, run_id, columns)


def history_prices(
    engine: Engine,
    source: str,
    coin: DeclaredCoin,
    valid: pd.DataFrame,
    raw_ids: pd.Series,
    run_id: int,
    columns: Mapping[str, str],
) -> pd.DataFrame:
    """Prices from one coin's history rows."""
    coin_id = coin_ids(engine, source, {coin.source_coin_id: coin})[coin.source_coin_id]
    return _prices(valid, pd.Series(coin_id, index=valid.index), source, raw_ids, run_id, columns)


def _symbol(value: object) -> str:
    """A source's ticker symbol, upper case; "" where the source sends none (CoinGecko: arcium, nyla-ai)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).upper()


def _prices(
    valid: pd.DataFrame,
    coin_id: pd.Series,
    source: str,
    raw_ids: pd.Series,
    run_id: int,
    columns: Mapping[str, str],
) -> pd.DataFrame:
    def column(name: str) -> object:
        return valid[columns[name]] if name in columns else float("nan")

    rank = (
        valid[columns["rank"]].astype("Int64")
        if "rank" in columns
        else pd.Series(pd.NA, index=valid.index, dtype="Int64")
    )
    frame = pd.DataFrame(
        {
            "coin_id": coin_id.astype("int64"),
            "source": source,
            "observed_at": valid[columns["observed_at"]],
            "price_usd": valid[columns["price_usd"]],
            "market_cap_usd": column("market_cap_usd"),
            "volume_24h_usd": column("volume_24h_usd"),
            "change_24h_pct": column("change_24h_pct"),
            "rank": rank,
            "raw_record_id": raw_ids.loc[valid.index],
            "run_id": run_id,
        },
        index=valid.index,
    )
    return frame
