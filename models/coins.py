"""Coin rows and source-id mappings: look up many at once, create the missing ones together."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select
from sqlmodel import col

from models.market import Coin, CoinSource
from models.run_log import bump_data_version


@dataclass(frozen=True)
class DeclaredCoin:
    """A coin as a source names it: its own id plus the symbol and name it gives."""

    source_coin_id: str
    symbol: str
    name: str


def slugify(text: str) -> str:
    """A readable ASCII slug: ``"Bitcoin Cash"`` -> ``"bitcoin-cash"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "coin"


def ensure_declared_coins(
    engine: Engine, source: str, declared: Iterable[DeclaredCoin], match_method: str
) -> dict[str, int]:
    """Map each declared coin to a coin row, creating a new canonical coin for any not seen before.

    Two statements for the whole batch when everything is known; a new coin gets the slug of its
    name as canonical id, or ``<slug>-<symbol>`` (then a number) when that is taken by another asset.
    """
    wanted = {coin.source_coin_id: coin for coin in declared}
    with engine.begin() as conn:
        known: dict[str, int] = {
            row.source_coin_id: row.coin_id
            for row in conn.execute(
                select(col(CoinSource.source_coin_id), col(CoinSource.coin_id)).where(
                    col(CoinSource.source) == source, col(CoinSource.source_coin_id).in_(wanted)
                )
            )
        }
        missing = [coin for key, coin in wanted.items() if key not in known]
        if not missing:
            return known
        taken = set(conn.execute(select(col(Coin.canonical_id))).scalars())
        for coin in missing:
            canonical_id = _free_canonical_id(coin, taken)
            taken.add(canonical_id)
            coin_id = conn.execute(
                insert(Coin).values(canonical_id=canonical_id, symbol=coin.symbol, name=coin.name)
            ).inserted_primary_key[0]  # type: ignore[index]
            conn.execute(
                insert(CoinSource).values(
                    source=source,
                    source_coin_id=coin.source_coin_id,
                    coin_id=coin_id,
                    symbol=coin.symbol,
                    name=coin.name,
                    match_method=match_method,
                )
            )
            known[coin.source_coin_id] = int(coin_id)
        bump_data_version(conn)
    return known


def _free_canonical_id(coin: DeclaredCoin, taken: set[str]) -> str:
    base = slugify(coin.name)
    candidates = [base, f"{base}-{slugify(coin.symbol)}"]
    candidates += [f"{base}-{n}" for n in range(2, len(taken) + 3)]
    return next(candidate for candidate in candidates if candidate not in taken)
