"""The coin-identity rules as pure functions: which existing coin a declared coin is, by which signal.

Signals, each a match method recorded with its evidence (``coinflow coins explain``):
  ``contract``     the same contract address on the same platform;
  ``symbol+name``  the exact normalized (symbol, name) pair;
  ``slug``         the name slug in the coin's id equals the other source's id (CoinPaprika
                   ``inj-injective-protocol`` <-> CoinGecko ``injective-protocol``), and the symbol
                   agrees as well, or the name does while no other coin there holds this ticker;
                   failing every other signal, the slug *family* (CoinGecko's ``-N`` of a taken slug
                   set aside: ``apx-apollox-token`` <-> ``apollox-2``) when exactly one coin of the
                   family holds the ticker, neither name carries a note ("[OLD]", "(Wormhole)") and
                   the family is more than the ticker (or the two slugs are the same letters);
  ``name+symbol``  the same symbol and the same name once case, punctuation, spacing, a trailing
                   Token/Coin/Network/Protocol/Chain/Finance and "(prev. X)" notes are set aside
                   (a name that is then only the ticker is no evidence).
Precision first: a symbol never merges alone; every name or slug signal needs its key unique on both
sides; signals naming different coins make a tie (``ambiguous``, candidates listed), never a guess.
Ties stay ties: a bare slug cannot break one (it only says which namesake was listed first). Market evidence
(flows/identity_market.py) is the one signal that needs prices, so it runs after them.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from flows.identity_names import family_key, has_note, id_slug, name_key, previous_names, slug_base, slug_key
from models.coins import CoinMapping, DeclaredCoin, MatchMethods

AMBIGUOUS = MatchMethods.AMBIGUOUS
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
    """Where one declared coin goes: an existing coin or a new one, why, and the evidence."""

    coin: DeclaredCoin
    canonical_id: str | None  # an existing coin's canonical id, or None to found a new coin
    method: str
    candidates: tuple[str, ...] = ()
    evidence: str | None = None


@lru_cache(maxsize=1 << 16)
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


@lru_cache(maxsize=1 << 16)
def symbols(symbol: str, name: str) -> frozenset[str]:
    """The coin's ticker and any earlier one a "(prev. X)" note gives, case-folded."""
    return frozenset({identity_key(s, "")[0] for s in (symbol, *previous_names(name)) if s.strip()})


@lru_cache(maxsize=1 << 16)
def names(name: str, slug: str | None) -> frozenset[str]:
    """The coin's name keys: its name, earlier names, and the slug its id carries."""
    keys = {name_key(n) for n in (name, *previous_names(name))}
    if slug:
        keys.add(slug_key(slug))
    return frozenset(keys - {""})


@dataclass
class SignalIndex:
    """Other sources' coins by each key, and this source's own key counts (for uniqueness)."""

    source: str
    exact: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    contract: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    slug: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    symbol: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    own_exact: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    own_slug: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    own_name: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # slug family -> coins
    own_family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    ids: dict[str, CoinMapping] = field(default_factory=dict)  # canonical id -> one other-source mapping

    def add(self, source: str, coin_id: str, symbol: str, name: str, canonical_id: str | None) -> None:
        """Index one coin: another source's (``canonical_id`` set) or this source's own (None)."""
        raw_slug = id_slug(source, coin_id, symbol)
        slug = _compact(raw_slug)
        family = family_key(source, coin_id, symbol)
        if canonical_id is None:
            self.own_exact[identity_key(symbol, name)].add(coin_id)
            if slug:
                self.own_slug[slug].add(coin_id)
            if family:
                self.own_family[family].add(coin_id)
            for key in names(name, None):
                self.own_name[(identity_key(symbol, "")[0], key)].add(coin_id)
            return
        self.exact[identity_key(symbol, name)].add(canonical_id)
        if slug:
            self.slug[slug].add(canonical_id)
        if family:
            self.family[family].add(canonical_id)
        for key in names(name, None if has_note(name) else raw_slug):  # a noted copy's id is its old name
            self.name[key].add(canonical_id)
        for key in symbols(symbol, name):
            self.symbol[key].add(canonical_id)


def build_index(source: str, declared: list[DeclaredCoin], mappings: list[CoinMapping]) -> SignalIndex:
    """Index every other source's mapping, and this source's own coins, mapped or declared."""
    index = SignalIndex(source)
    if all(m.source == source for m in mappings):  # nothing to match against: skip the keys
        return index
    own = {(m.source_coin_id): m for m in mappings if m.source == source}
    for m in mappings:
        if m.source == source:
            index.add(source, m.source_coin_id, m.symbol, m.name, None)
            continue
        index.add(m.source, m.source_coin_id, m.symbol, m.name, m.canonical_id)
        index.ids.setdefault(m.canonical_id, m)
        for pair in contract_keys(m.platforms):
            index.contract[pair].add(m.canonical_id)
    for coin in declared:
        if coin.source_coin_id not in own:
            index.add(source, coin.source_coin_id, coin.symbol, coin.name, None)
    return index


def candidates_sharing_a_key(index: SignalIndex, coin: DeclaredCoin) -> set[str]:
    """Other sources' coins sharing the symbol, the id's slug or a name key: market evidence's field."""
    raw_slug = id_slug(index.source, coin.source_coin_id, coin.symbol)
    slug = _compact(raw_slug)
    found: set[str] = set()
    for key in symbols(coin.symbol, coin.name):
        found |= index.symbol.get(key, set())
    for key in names(coin.name, raw_slug):
        found |= index.name.get(key, set())
    return found | (index.slug.get(slug, set()) if slug else set())


def match(index: SignalIndex, coin: DeclaredCoin, new_method: str) -> Decision:
    """The decision for one declared coin not yet mapped, from the index alone."""
    if not index.ids:  # no other source's coin yet (a first list): nothing to match
        return Decision(coin, None, new_method)
    by_address = set().union(*(index.contract[pair] for pair in contract_keys(coin.platforms)))
    if len(by_address) == 1:
        return Decision(coin, next(iter(by_address)), MatchMethods.CONTRACT, evidence="same contract address")
    if len(by_address) > 1:
        return Decision(coin, None, AMBIGUOUS, tuple(sorted(by_address)), "contract shared by several coins")
    key = identity_key(coin.symbol, coin.name)
    exact = index.exact.get(key, set())
    exact_unique = len(exact) == 1 and len(index.own_exact[key]) == 1
    picks: dict[str, str] = {}  # method -> the one coin it names
    if exact_unique:
        picks[MatchMethods.SYMBOL_NAME] = next(iter(exact))
    raw_slug = id_slug(index.source, coin.source_coin_id, coin.symbol)
    slug = _compact(raw_slug)
    slug_found = _slug_pick(index, coin, slug, raw_slug)
    contested = slug_found if isinstance(slug_found, tuple) else ()
    slug_pick = slug_found if isinstance(slug_found, str) else None
    if slug_pick:
        picks[MatchMethods.SLUG] = slug_pick
    name_pick = _name_pick(index, coin)
    if name_pick:
        picks[MatchMethods.NAME_SYMBOL] = name_pick
    fallback = None if picks or contested or exact else _family_pick(index, coin)
    if fallback:
        method, target, evidence = fallback
        return Decision(coin, target, method, evidence=evidence)
    named = set(picks.values())
    if contested and (not named or not named <= set(contested)):  # a pick among them wins; else a tie
        evidence = f"slug names {contested[0]!r}, but {', '.join(contested[1:])} hold the ticker or the name"
        return Decision(coin, None, AMBIGUOUS, tuple(sorted(set(contested) | named | exact)), evidence)
    if len(named) > 1:
        return Decision(coin, None, AMBIGUOUS, tuple(sorted(named | exact)), f"signals disagree: {picks}")
    if len(exact) > 1 or (exact and len(index.own_exact[key]) > 1):  # ties stay ties (market evidence may break one)
        return Decision(coin, None, AMBIGUOUS, tuple(sorted(exact)), "several coins share symbol and name")
    for method in (MatchMethods.SYMBOL_NAME, MatchMethods.SLUG, MatchMethods.NAME_SYMBOL):
        if method in picks:
            target = picks[method]
            others = sorted(m for m in picks if m != method)
            evidence = _slug_evidence(index, target, raw_slug) if method == MatchMethods.SLUG else method
            return Decision(coin, target, method, evidence=evidence + (f"; also {', '.join(others)}" if others else ""))
    return Decision(coin, None, new_method)


def decide(
    source: str,
    declared: Iterable[DeclaredCoin],
    mappings: list[CoinMapping],
    overrides: dict[tuple[str, str], str],
    new_method: str,
) -> list[Decision]:
    """Pure rules: a decision for every declared coin not yet mapped (and for overridden ones).

    An existing mapping never changes here except by an override.
    """
    known = {(m.source, m.source_coin_id): m for m in mappings}
    coins = list({coin.source_coin_id: coin for coin in declared}.values())
    index = build_index(source, coins, mappings)
    decisions = []
    for coin in coins:
        override = overrides.get((source, coin.source_coin_id))
        existing = known.get((source, coin.source_coin_id))
        if existing is not None:
            if override and override != existing.canonical_id:
                decisions.append(Decision(coin, override, MatchMethods.OVERRIDE, evidence="data/coin_overrides.csv"))
            continue
        if override:
            decisions.append(Decision(coin, override, MatchMethods.OVERRIDE, evidence="data/coin_overrides.csv"))
            continue
        decisions.append(match(index, coin, new_method))
    return decisions


def _slug_pick(
    index: SignalIndex, coin: DeclaredCoin, slug: str | None, raw_slug: str | None
) -> str | tuple[str, ...] | None:
    """The one coin whose id is this coin's slug, unique on both sides and backed by symbol or name.

    A tuple is a contested pick, never a match: the slug's coin and the coins holding this coin's
    ticker under another name, or going by the slug's name too.
    """
    if not slug or len(index.own_slug.get(slug, ())) != 1 or len(index.slug.get(slug, ())) != 1:
        return None
    target = next(iter(index.slug[slug]))
    other = index.ids[target]
    namesakes = index.name.get(slug_key(raw_slug or slug), set()) - {target}
    if namesakes:  # other coins go by this name: the bare slug only says which was listed first
        return (target, *sorted(namesakes))
    own_symbols = symbols(coin.symbol, coin.name)
    if own_symbols & symbols(other.symbol, other.name):
        return target
    # A ticker change (RNDR -> RENDER) shows as the same name under another symbol; but when the
    # other side still lists a coin under this coin's ticker, the old token may be that one.
    if names(coin.name, raw_slug) & names(other.name, None):
        holders = set().union(*(index.symbol.get(s, set()) for s in own_symbols))
        return target if not holders else (target, *sorted(holders))
    return None


def _name_pick(index: SignalIndex, coin: DeclaredCoin) -> str | None:
    """The one coin with the same symbol and name key, the pair unique on both sides."""
    found: set[str] = set()
    pairs = [(s, k) for s in symbols(coin.symbol, coin.name) for k in names(coin.name, None) - {s}]
    for symbol, key in pairs:  # a name that is only the ticker adds nothing to it
        if key in index.name and symbol in index.symbol:
            found |= index.name[key] & index.symbol[symbol]
    if len(found) != 1 or any(len(index.own_name.get(pair, ())) > 1 for pair in pairs):
        return None
    return next(iter(found))


def _family_pick(index: SignalIndex, coin: DeclaredCoin) -> tuple[str, str, str] | None:
    """The one coin of this coin's slug family (its id's slug, CoinGecko's ``-N`` set aside) holding its
    ticker, the family's only one on this side too: ``apx-apollox-token`` -> ``apollox-2`` (APX).

    Not when either name carries a note ("[OLD]", "(Wormhole)": a migrated or bridged copy), nor when
    the family is only the ticker once suffixes are set aside (``mir-coin`` / ``mir-token``), unless
    the slugs are the same letters (``blocx`` / ``blocx-2``).
    """
    family = family_key(index.source, coin.source_coin_id, coin.symbol)
    if not family or has_note(coin.name) or len(index.own_family.get(family, ())) != 1:
        return None
    own_symbols = symbols(coin.symbol, coin.name)
    own_slug = _compact(id_slug(index.source, coin.source_coin_id, coin.symbol))
    found = set()
    for target in index.family.get(family, ()):
        other = index.ids[target]
        if has_note(other.name) or not own_symbols & symbols(other.symbol, other.name):
            continue
        base = id_slug(other.source, other.source_coin_id, other.symbol)
        base = slug_base(base) or base if base and other.source == "coingecko" else base
        if family in own_symbols and own_slug != _compact(base):
            continue
        found.add(target)
    if len(found) != 1:
        return None
    [target] = found
    other = index.ids[target]
    evidence = (
        f"slug family {family!r} (CoinGecko's -N aside) = {other.source} id {other.source_coin_id!r} "
        f"({other.symbol}, {other.name}), its only coin of the family with this ticker"
    )
    return MatchMethods.SLUG, target, evidence


def _compact(slug: str | None) -> str | None:
    """A slug without hyphens: ``beefyfinance`` and ``beefy-finance`` are one spelling."""
    return slug.replace("-", "") or None if slug else None


def _slug_evidence(index: SignalIndex, target: str, slug: str | None) -> str:
    other = index.ids[target]
    return f"slug {slug!r} = {other.source} id {other.source_coin_id!r} ({other.symbol}, {other.name})"
