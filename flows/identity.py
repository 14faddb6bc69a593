"""Coin identity: map each source's coin ids to one canonical coin per real asset.

The maintained overrides file (source, source coin id -> canonical id) wins (``override``); then the
signals of flows/identity_rules.py (contract, exact symbol+name, id slug, normalized name with the
symbol), each recorded as the match method with its evidence; otherwise the coin founds its own
canonical coin (the caller's method, e.g. ``source-id``), or ``ambiguous`` with the candidates listed
when the signals name several coins. Market evidence retries unmatched and tied coins after prices
(flows/identity_market.py). A symbol alone never merges two coins. Existing mappings never change, except by an override
(the move is recorded in ``coin_identity_changes``). Everything is dict look-ups over one read of
the mappings: no query per coin.
"""

import csv
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, Engine

from flows.identity_rules import Decision, decide
from models.coins import (
    CoinMapping,
    DeclaredCoin,
    MatchMethods,
    add_mappings,
    create_coins,
    move_mapping,
    read_canonical_ids,
    read_mappings,
    slugify,
)
from models.run_log import bump_data_version
from models.settings import get_settings


def read_overrides(path: Path) -> dict[tuple[str, str], str]:
    """(source, source coin id) -> canonical id from the overrides CSV (missing file: none)."""
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    return {(row["source"].strip(), row["source_coin_id"].strip()): row["canonical_id"].strip() for row in rows}


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
            method = MatchMethods.OVERRIDE
            move_mapping(conn, existing, ids[canonical_id], canonical_id, reason, method, decision.evidence)
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
                "evidence": decision.evidence,
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
