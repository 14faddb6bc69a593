"""Market evidence: the second identity pass, after a run's prices, over coins still unmatched or tied.

A coin that only one source knows (its own coin, or a tie) is the same asset as another source's coin
when (1) they already share a symbol, an id slug or a name key (flows/identity_rules.py: market
evidence never looks further), (2) their latest readings are at most
``COINFLOW_IDENTITY_MARKET_WINDOW_MINUTES`` apart, (3) their USD prices differ by at most
``COINFLOW_IDENTITY_PRICE_TOLERANCE_PCT`` and (4) their market caps by at most
``COINFLOW_IDENTITY_MARKET_CAP_TOLERANCE_PCT`` (% of the larger; both caps known), and exactly one
candidate passes, claimed by no other coin of the pass. Price alone never decides: pegged and wrapped
copies trade at the same price (USDT/USDC, BTC/WBTC), their market caps differ by 31 % and more on the
recorded data. The match moves the coin's mapping and prices as an override does
(``models.coins.move_mapping``, method ``market``), recorded in ``coin_identity_changes``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from flows.identity_rules import AMBIGUOUS, build_index, candidates_sharing_a_key
from models.coins import (
    CoinMapping,
    DeclaredCoin,
    MatchMethods,
    Quote,
    latest_quotes,
    move_mapping,
    priced_coin_ids,
    read_mappings_of_coins,
)
from models.run_log import bump_data_version
from models.settings import Settings, get_settings

MARKET = MatchMethods.MARKET
# Methods of a source id that founded its own coin: the ones market evidence may still move.
_LONE_METHODS = (MatchMethods.SOURCE_ID, AMBIGUOUS)


@dataclass(frozen=True)
class MarketMatch:
    """A lone source id, the coin market evidence says it is, and what was compared."""

    mapping: CoinMapping
    to_coin_id: int
    to_canonical_id: str
    evidence: str


def relative_gap_pct(a: float, b: float) -> float:
    """|a - b| as a percentage of the larger magnitude (0 when both are 0)."""
    larger = max(abs(a), abs(b))
    return 0.0 if larger == 0 else abs(a - b) / larger * 100


def agreement(own: Quote, other: Quote, settings: Settings) -> str | None:
    """The evidence line when two readings agree within the settings' tolerances, else None."""
    apart = abs(own.observed_at - other.observed_at)
    if apart > timedelta(minutes=settings.identity_market_window_minutes):
        return None
    if own.market_cap_usd is None or other.market_cap_usd is None or own.price_usd <= 0 or other.price_usd <= 0:
        return None
    price_gap = relative_gap_pct(own.price_usd, other.price_usd)
    cap_gap = relative_gap_pct(own.market_cap_usd, other.market_cap_usd)
    if price_gap > settings.identity_price_tolerance_pct or cap_gap > settings.identity_market_cap_tolerance_pct:
        return None
    return (
        f"market: {other.source} price {other.price_usd:.6g} vs {own.price_usd:.6g} USD ({price_gap:.2f} %), "
        f"market cap {other.market_cap_usd:.4g} vs {own.market_cap_usd:.4g} ({cap_gap:.2f} %), "
        f"{apart.total_seconds() / 60:.0f} min apart"
    )


def lone_candidates(
    source: str, mappings: list[CoinMapping], priced: set[int]
) -> list[tuple[CoinMapping, dict[str, int]]]:
    """``source``'s ids that founded their own coin (or tied), each with the other sources' coins sharing
    a key with it and holding no ``source`` id yet (canonical id -> coin id); ids without any left out.

    Only coins with a price (``priced``, coin ids) can be evidence, so only they are looked at.
    """
    members: dict[int, int] = defaultdict(int)
    for m in mappings:
        members[m.coin_id] += 1
    taken = {m.coin_id for m in mappings if m.source == source}
    by_canonical = {m.canonical_id: m.coin_id for m in mappings}
    index = build_index(source, [], [m for m in mappings if m.coin_id in priced])
    pending = []
    for m in mappings:
        if m.source != source or m.match_method not in _LONE_METHODS or members[m.coin_id] != 1:
            continue
        if m.coin_id not in priced:
            continue
        shared = candidates_sharing_a_key(index, DeclaredCoin(m.source_coin_id, m.symbol, m.name))
        candidates = {c: by_canonical[c] for c in shared if by_canonical[c] not in taken}
        if candidates:
            pending.append((m, candidates))
    return pending


def market_matches(
    source: str, pending: list[tuple[CoinMapping, dict[str, int]]], quotes: list[Quote], settings: Settings
) -> list[MarketMatch]:
    """Pure: the pending ids of ``source`` that market evidence places on exactly one candidate."""
    latest: dict[int, list[Quote]] = defaultdict(list)
    for quote in quotes:
        latest[quote.coin_id].append(quote)
    found: list[MarketMatch] = []
    for mapping, candidates in pending:
        own = next((q for q in latest[mapping.coin_id] if q.source == source), None)
        if own is None:
            continue
        passing = {}
        for canonical_id, coin_id in candidates.items():
            lines = [line for q in latest[coin_id] if q.source != source and (line := agreement(own, q, settings))]
            if lines:
                passing[canonical_id] = (coin_id, lines[0])
        if len(passing) == 1:
            [(canonical_id, (coin_id, line))] = passing.items()
            found.append(MarketMatch(mapping, coin_id, canonical_id, line))
    claims: dict[int, int] = defaultdict(int)
    for match in found:
        claims[match.to_coin_id] += 1
    return [match for match in found if claims[match.to_coin_id] == 1]  # two ids on one coin: neither placed


def rematch_by_market(engine: Engine, source: str) -> list[MarketMatch]:
    """The second pass for ``source`` after its prices, set-based: one read of the priced coins' mappings
    and one of their latest prices, decided in memory; every match moves its mapping and prices in one
    transaction.

    Only priced coins take part (a lone id needs its own reading, a candidate one to compare), so the
    mappings of the rest (most of CoinGecko's ~18,000 listed coins) are never read: every run of an
    API source pays this pass, a nothing-new one too.
    """
    settings = get_settings()
    with engine.begin() as conn:
        priced = priced_coin_ids(conn)
        mappings = read_mappings_of_coins(conn, priced)
        pending = lone_candidates(source, mappings, priced)
        wanted = {m.coin_id for m, _ in pending} | {c for _, cands in pending for c in cands.values()}
        quotes = latest_quotes(conn, sorted(wanted)) if wanted else []
        matches = [_older_coin_kept(match, mappings) for match in market_matches(source, pending, quotes, settings)]
        for match in matches:
            reason = f"market: {source}/{match.mapping.source_coin_id} -> {match.to_canonical_id}"
            move_mapping(conn, match.mapping, match.to_coin_id, match.to_canonical_id, reason, MARKET, match.evidence)
        if matches:
            bump_data_version(conn)
    return matches


def _older_coin_kept(match: MarketMatch, mappings: list[CoinMapping]) -> MarketMatch:
    """When the matched coin is itself one lone id of a newer coin, move that id instead: the older
    coin (usually the one its own source's list founded first, e.g. a CoinGecko id) keeps its id."""
    members = [m for m in mappings if m.coin_id == match.to_coin_id]
    if len(members) != 1 or members[0].match_method not in _LONE_METHODS or match.to_coin_id < match.mapping.coin_id:
        return match
    return MarketMatch(members[0], match.mapping.coin_id, match.mapping.canonical_id, match.evidence)
