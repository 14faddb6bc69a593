"""Coin identity: map each source's coin ids to one canonical coin per real asset.

Rules, in order, each recorded as the mapping's match method:
  1. ``override``: the maintained overrides file (source, source coin id -> canonical id) wins;
  2. ``contract``: the same contract address on the same platform as another source's coin;
  3. ``symbol+name``: the exact normalized (symbol, name) pair, unique on both sides;
  4. otherwise the coin founds its own canonical coin (the caller's method, e.g. ``source-id``),
     or, when rule 2 or 3 found several candidates, ``ambiguous`` with the candidates listed.
A symbol alone never merges two coins. Existing mappings never change, except by an override
(the move is recorded in ``coin_identity_changes``). Everything is dict look-ups over one read of
the mappings: no query per coin.
"""

import csv
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from models.coins import (
    CoinMapping,
    DeclaredCoin,
    add_mappings,
    create_coins,
    move_mapping,
    read_canonical_ids,
    read_mappings,
    slugify,
)
from models.run_log import bump_data_version
from models.settings import get_settings

AMBIGUOUS = "ambiguous"
# Platform names differ between sources; contracts compare on one spelling.
_PLATFORM_ALIASES = {
    "eth-ethereum": "ethereum",
    "ethereum": "ethereum",
    "binance-smart-chain": "bsc",
    "bnb-bnb": "bsc",
    "bsc": "bsc",
    "polygon-pos": "polygon",
    "matic-polygon": "polygon",
    "solana": "solana",
    "sol-solana": "solana",
}


@dataclass(frozen=True)
class Decision:
    """Where one declared coin goes: an existing coin or a new one, and why."""

    coin: DeclaredCoin
    canonical_id: str | None  # an existing coin's canonical id, or None to found a new coin
    method: str
    candidates: tuple[str, ...] = ()


def identity_key(symbol: str, name: str) -> tuple[str, str]:
    """The normalized (symbol, name) pair: Unicode-normalized, case-folded, whitespace collapsed."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return norm(symbol), norm(name)


def contract_keys(platforms: dict[str, str] | None) -> set[tuple[str, str]]:
    """(platform, address) pairs on one spelling; empty addresses (native coins) carry no identity."""
    return {
        (_PLATFORM_ALIASES.get(platform.strip().lower(), platform.strip().lower()), address.strip().lower())
        for platform, address in (platforms or {}).items()
        if platform and address and address.strip()
    }


def read_overrides(path: Path) -> dict[tuple[str, str], str]:
    """(source, source coin id) -> canonical id from the overrides CSV (missing file: none)."""
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    return {(row["source"].strip(), row["source_coin_id"].strip()): row["canonical_id"].strip() for row in rows}


def decide(
    source: str,
    declared: Iterable[DeclaredCoin],
    mappings: list[CoinMapping],
    overrides: dict[tuple[str, str], str],
    new_method: str,
) -> list[Decision]:
    """Pure rules: a decision for every declared coin not yet mapped (and for overridden ones)."""
    known = {(m.source, m.source_coin_id): m for m in mappings}
    by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_contract: dict[tuple[str, str], set[str]] = defaultdict(set)
    own_keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in mappings:
        if m.source == source:
            own_keys[identity_key(m.symbol, m.name)].add(m.source_coin_id)
            continue
        by_key[identity_key(m.symbol, m.name)].add(m.canonical_id)
        for pair in contract_keys(m.platforms):
            by_contract[pair].add(m.canonical_id)
    coins = list({coin.source_coin_id: coin for coin in declared}.values())
    for coin in coins:
        if (source, coin.source_coin_id) not in known:
            own_keys[identity_key(coin.symbol, coin.name)].add(coin.source_coin_id)

    decisions = []
    for coin in coins:
        override = overrides.get((source, coin.source_coin_id))
        existing = known.get((source, coin.source_coin_id))
        if existing is not None:
            if override and override != existing.canonical_id:
                decisions.append(Decision(coin, override, "override"))
            continue
        if override:
            decisions.append(Decision(coin, override, "override"))
            continue
        by_address = set().union(*(by_contract[pair] for pair in contract_keys(coin.platforms)))
        if len(by_address) == 1:
            decisions.append(Decision(coin, next(iter(by_address)), "contract"))
            continue
        key = identity_key(coin.symbol, coin.name)
        by_name = by_key.get(key, set())
        candidates = by_address if len(by_address) > 1 else by_name
        if len(by_address) <= 1 and len(by_name) == 1 and len(own_keys[key]) == 1:
            decisions.append(Decision(coin, next(iter(by_name)), "symbol+name"))
        elif len(candidates) > 1 or (candidates and len(own_keys[key]) > 1):
            decisions.append(Decision(coin, None, AMBIGUOUS, tuple(sorted(candidates))))
        else:
            decisions.append(Decision(coin, None, new_method))
    return decisions


def resolve_coins(engine: Engine, source: str, declared: Iterable[DeclaredCoin], new_method: str) -> dict[str, int]:
    """Map every declared coin of ``source`` to a coin id, creating or matching as the rules say.

    One transaction: when every declared coin is already mapped and no override moves one, only
    their own mappings are read (by key); otherwise read all mappings once, decide in memory, create
    the new coins and mappings with executemany, apply override moves. Returns source coin id -> coin
    id for all declared coins.
    """
    declared = list(declared)
    overrides = read_overrides(get_settings().coin_overrides_file)
    with engine.begin() as conn:
        settled = _settled(conn, source, declared, overrides)
        if settled is not None:
            return settled
        mappings = read_mappings(conn)
        decisions = decide(source, declared, mappings, overrides, new_method)
        if decisions:
            _apply(conn, source, decisions, mappings)
            bump_data_version(conn)
            mappings = read_mappings(conn)
    current = {m.source_coin_id: m.coin_id for m in mappings if m.source == source}
    return {coin.source_coin_id: current[coin.source_coin_id] for coin in declared}


def _settled(
    conn: Connection, source: str, declared: list[DeclaredCoin], overrides: dict[tuple[str, str], str]
) -> dict[str, int] | None:
    """The coin ids when every declared coin is already mapped and no override moves one, else None.

    The rules decide nothing for such coins (see :func:`decide`), so reading only their own mappings
    by key answers the same as reading them all: the common case of every run after the first.
    """
    ids = [coin.source_coin_id for coin in declared]
    known = {m.source_coin_id: m for m in read_mappings(conn, source, ids)}
    for coin_id in ids:
        mapping = known.get(coin_id)
        override = overrides.get((source, coin_id))
        if mapping is None or (override and override != mapping.canonical_id):
            return None
    return {coin_id: known[coin_id].coin_id for coin_id in ids}


def _apply(conn: Connection, source: str, decisions: list[Decision], mappings: list[CoinMapping]) -> None:
    ids = read_canonical_ids(conn)
    taken = set(ids)
    placed: list[tuple[Decision, str]] = []
    new_coins: dict[str, dict[str, str]] = {}
    for decision in decisions:
        canonical_id = decision.canonical_id or _free_canonical_id(decision.coin, taken)
        taken.add(canonical_id)
        if canonical_id not in ids and canonical_id not in new_coins:  # founds a coin (or an override names a new one)
            new_coins[canonical_id] = {
                "canonical_id": canonical_id,
                "symbol": decision.coin.symbol,
                "name": decision.coin.name,
            }
        placed.append((decision, canonical_id))
    ids.update(create_coins(conn, list(new_coins.values())))
    known = {(m.source, m.source_coin_id): m for m in mappings}
    rows = []
    for decision, canonical_id in placed:
        existing = known.get((source, decision.coin.source_coin_id))
        if existing is not None:
            reason = f"override: {source}/{decision.coin.source_coin_id} -> {canonical_id}"
            move_mapping(conn, existing, ids[canonical_id], canonical_id, reason)
            continue
        rows.append(
            {
                "source": source,
                "source_coin_id": decision.coin.source_coin_id,
                "coin_id": ids[canonical_id],
                "symbol": decision.coin.symbol,
                "name": decision.coin.name,
                "match_method": decision.method,
                "platforms": decision.coin.platforms or None,
                "candidates": list(decision.candidates) or None,
            }
        )
    add_mappings(conn, rows)


def _free_canonical_id(coin: DeclaredCoin, taken: set[str]) -> str:
    """A readable slug no other asset holds: the source's hint, the name, name-symbol, then numbered."""
    base = slugify(coin.canonical_hint or coin.name)
    for candidate in (base, slugify(coin.name), f"{slugify(coin.name)}-{slugify(coin.symbol)}"):
        if candidate not in taken:
            return candidate
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
