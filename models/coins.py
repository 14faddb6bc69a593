"""Coin rows and source-id mappings: storage primitives for identity resolution (flows/identity.py).

Everything here works on whole batches: one query reads the mappings, one executemany creates coins.
"""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Select, and_, func, insert, select, update
from sqlmodel import col

from models.columns import as_utc
from models.market import Coin, CoinIdentityChange, CoinSource, Price


class MatchMethods:
    """The ``coin_sources.match_method`` values, defined once (rules: flows/identity_rules.py,
    flows/identity_market.py); graphql_api/gql/scalars.py ``MatchMethod`` exposes the same values.

    Plain strings, not an Enum: they are stored as text and a driver may write an Enum member's name.
    """

    OVERRIDE: Final = "override"
    CONTRACT: Final = "contract"
    SYMBOL_NAME: Final = "symbol+name"
    SLUG: Final = "slug"
    NAME_SYMBOL: Final = "name+symbol"
    MARKET: Final = "market"
    AMBIGUOUS: Final = "ambiguous"
    SOURCE_ID: Final = "source-id"  # an API source's coin founded its own coin
    CSV_DECLARED: Final = "csv-declared"  # a CSV file's coin founded its own coin


# Methods by which a source id joined a coin another source founded (see flows/identity.py);
# any other method (csv-declared, source-id, ambiguous) means the source id founded its own coin.
CROSS_SOURCE_METHODS = (
    MatchMethods.OVERRIDE,
    MatchMethods.CONTRACT,
    MatchMethods.SYMBOL_NAME,
    MatchMethods.SLUG,
    MatchMethods.NAME_SYMBOL,
    MatchMethods.MARKET,
)
_IN_LIST_MAX = 5000  # ids per IN list: well under SQLite's bound on parameters
T = TypeVar("T")


def _in_lists(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in consecutive parts of at most ``_IN_LIST_MAX``, one IN list each."""
    for start in range(0, len(values), _IN_LIST_MAX):
        yield values[start : start + _IN_LIST_MAX]


@dataclass(frozen=True)
class DeclaredCoin:
    """A coin as a source names it: its own id, symbol and name, and contracts where it gives them."""

    source_coin_id: str
    symbol: str
    name: str
    platforms: dict[str, str] | None = None  # platform -> contract address
    canonical_hint: str | None = None  # a readable id the source suggests (CoinGecko's own ids are slugs)


@dataclass(frozen=True)
class CoinMapping:
    """One existing (source, source coin id) -> coin mapping, with what identifies it."""

    source: str
    source_coin_id: str
    coin_id: int
    canonical_id: str
    symbol: str
    name: str
    platforms: dict[str, str] | None
    match_method: str


@dataclass(frozen=True)
class Quote:
    """A coin's latest reading from one source: USD price and market cap at ``observed_at``."""

    coin_id: int
    source: str
    observed_at: datetime
    price_usd: float
    market_cap_usd: float | None


def slugify(text: str) -> str:
    """A readable ASCII slug: ``"Bitcoin Cash"`` -> ``"bitcoin-cash"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "coin"


def _mapping_query() -> Select[Any]:
    """The columns of a :class:`CoinMapping`, in its order: a mapping with its coin's canonical id."""
    return select(
        col(CoinSource.source),
        col(CoinSource.source_coin_id),
        col(CoinSource.coin_id),
        col(Coin.canonical_id),
        col(CoinSource.symbol),
        col(CoinSource.name),
        CoinSource.__table__.c.platforms,  # type: ignore[attr-defined]
        col(CoinSource.match_method),
    ).join(Coin, col(Coin.id) == col(CoinSource.coin_id))


def read_mappings(
    conn: Connection, source: str | None = None, source_coin_ids: list[str] | None = None
) -> list[CoinMapping]:
    """Every source-id mapping with its coin's canonical id (one query), or only ``source``'s ``source_coin_ids``."""
    query = _mapping_query()
    if source is None:
        return [CoinMapping(*row) for row in conn.execute(query)]
    mappings: list[CoinMapping] = []
    wanted = sorted(set(source_coin_ids or ()))
    for part in _in_lists(wanted):  # on the (source, source id) key
        rows = conn.execute(query.where(col(CoinSource.source) == source, col(CoinSource.source_coin_id).in_(part)))
        mappings.extend(CoinMapping(*row) for row in rows)
    return mappings


def read_mappings_of_coins(conn: Connection, coin_ids: set[int]) -> list[CoinMapping]:
    """Every source-id mapping of the coins ``coin_ids`` (bounded IN lists on ``coin_sources.coin_id``)."""
    query = _mapping_query()
    mappings: list[CoinMapping] = []
    wanted = sorted(coin_ids)
    for part in _in_lists(wanted):
        rows = conn.execute(query.where(col(CoinSource.coin_id).in_(part)))
        mappings.extend(CoinMapping(*row) for row in rows)
    return mappings


def read_canonical_ids(conn: Connection) -> dict[str, int]:
    """canonical id -> coin id, for every coin ever created (ids are never reused)."""
    return {row.canonical_id: row.id for row in conn.execute(select(col(Coin.canonical_id), col(Coin.id)))}


def create_coins(conn: Connection, coins: list[dict[str, str]]) -> dict[str, int]:
    """Insert coins (canonical_id, symbol, name) in one executemany; returns their ids by canonical id."""
    if not coins:
        return {}
    conn.execute(insert(Coin), coins)
    wanted = [coin["canonical_id"] for coin in coins]
    ids: dict[str, int] = {}
    for part in _in_lists(wanted):
        ids.update(
            {
                row.canonical_id: row.id
                for row in conn.execute(
                    select(col(Coin.canonical_id), col(Coin.id)).where(col(Coin.canonical_id).in_(part))
                )
            }
        )
    return ids


def add_mappings(conn: Connection, mappings: list[dict[str, Any]]) -> None:
    """Insert coin_sources rows in one executemany."""
    if mappings:
        conn.execute(insert(CoinSource), mappings)


def move_mapping(
    conn: Connection,
    mapping: CoinMapping,
    to_coin_id: int,
    to_canonical_id: str,
    reason: str,
    method: str = MatchMethods.OVERRIDE,
    evidence: str | None = None,
) -> None:
    """Point an existing mapping (and its source's prices) at another coin, and record the change.

    ``method`` is the rule that moved it (an override, or market evidence for a coin that was
    unmatched or tied), recorded on the mapping with its ``evidence``.
    """
    conn.execute(
        update(CoinSource)
        .where(col(CoinSource.source) == mapping.source, col(CoinSource.source_coin_id) == mapping.source_coin_id)
        .values(coin_id=to_coin_id, match_method=method, candidates=None, evidence=evidence)
    )
    conn.execute(
        update(Price)
        .where(col(Price.coin_id) == mapping.coin_id, col(Price.source) == mapping.source)
        .values(coin_id=to_coin_id)
    )
    conn.execute(
        insert(CoinIdentityChange).values(
            source=mapping.source,
            source_coin_id=mapping.source_coin_id,
            from_canonical_id=mapping.canonical_id,
            to_canonical_id=to_canonical_id,
            reason=reason,
        )
    )


def latest_quotes(conn: Connection, coin_ids: list[int]) -> list[Quote]:
    """Each of ``coin_ids``' latest price per source (one query per 5,000 ids, on the prices key)."""
    quotes: list[Quote] = []
    wanted = sorted(set(coin_ids))
    for part in _in_lists(wanted):
        latest = (
            select(col(Price.coin_id), col(Price.source), func.max(Price.observed_at).label("at"))
            .where(col(Price.coin_id).in_(part))
            .group_by(col(Price.coin_id), col(Price.source))
            .subquery()
        )
        rows = conn.execute(
            select(
                col(Price.coin_id), col(Price.source), col(Price.observed_at), col(Price.price_usd),
                col(Price.market_cap_usd),
            ).join(
                latest,
                and_(
                    col(Price.coin_id) == latest.c.coin_id, col(Price.source) == latest.c.source,
                    col(Price.observed_at) == latest.c.at,
                ),
            )
        )  # fmt: skip
        quotes.extend(Quote(r[0], r[1], as_utc(r[2]), float(r[3]), r[4]) for r in rows)
    return quotes


def priced_coin_ids(conn: Connection) -> set[int]:
    """Every coin with at least one price (one pass over the prices key's leading column)."""
    return {row[0] for row in conn.execute(select(col(Price.coin_id)).distinct())}
