"""Held-out scoring of the identity rules: CoinPaprika coins whose CoinGecko id an independent list gives.

The list (data/identity_eval/, provenance in its README) maps CoinPaprika ids to CoinGecko ids. A
pair is scored only when it is usable: the CoinPaprika id has the ``symbol-slug`` shape, neither id
is listed twice with different partners, the CoinGecko id is in the recorded 17,892-coin list, and
the coin is not in the recorded CoinPaprika lists the rules and overrides were written against.
The list gives no CoinPaprika name, so each coin is declared with what its id holds: the symbol
(upper-cased head) and the name slug's words; every name rule compares names without case or
punctuation, so the slug's words are what they would see of the real name.
"""

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from flows.identity_rules import Decision, decide
from models.coins import CoinMapping, DeclaredCoin, slugify

EVAL = Path(__file__).resolve().parents[1] / "data" / "identity_eval"
PAIRS = EVAL / "coinpaprika_coingecko_ccpw_2022.csv"  # looked at while the rules were written: a dev set
TEST_PAIRS = EVAL / "coinpaprika_coingecko_komodo_2025.csv"  # scored only after: a test set


@dataclass(frozen=True)
class HeldOut:
    """The scored pairs, the ones set aside with why, and the rules' decisions."""

    truth: dict[str, str]  # CoinPaprika id -> CoinGecko id
    excluded: Counter[str]
    decisions: list[Decision]


def read_pairs(path: Path = PAIRS) -> list[tuple[str, str]]:
    """(CoinPaprika id, CoinGecko id) in the list's order, duplicates included."""
    with path.open(newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [(row["coinpaprika_id"], row["coingecko_id"]) for row in rows]


def usable_pairs(
    pairs: list[tuple[str, str]], gecko_ids: set[str], tuned_on: set[str]
) -> tuple[dict[str, str], Counter[str]]:
    """The pairs to score and a count of the others by reason."""
    partners: dict[str, set[str]] = defaultdict(set)
    back: dict[str, set[str]] = defaultdict(set)
    for paprika, gecko in pairs:
        partners[paprika].add(gecko)
        back[gecko].add(paprika)
    truth: dict[str, str] = {}
    excluded: Counter[str] = Counter()
    for paprika, gecko in dict(pairs).items():
        if "-" not in paprika.strip("-"):
            excluded["not a CoinPaprika id"] += 1
        elif len(partners[paprika]) > 1 or len(back[gecko]) > 1:
            excluded["listed with two partners"] += 1
        elif gecko not in gecko_ids:
            excluded["CoinGecko id not in the recorded list"] += 1
        elif paprika in tuned_on:
            excluded["in the recorded lists (tuned on)"] += 1
        else:
            truth[paprika] = gecko
    return truth, excluded


def declared_from_id(paprika_id: str) -> DeclaredCoin:
    """A CoinPaprika coin as its id shows it: ``rndr-render-token`` -> (RNDR, "render token")."""
    head, _, slug = paprika_id.partition("-")
    return DeclaredCoin(paprika_id, head.upper(), slug.strip("-").replace("-", " "))


def universe_of(gecko: list[DeclaredCoin]) -> list[CoinMapping]:
    """CoinGecko's list as the mappings another source's coins are matched against."""
    return [CoinMapping("coingecko", c.source_coin_id, i, c.source_coin_id, c.symbol, c.name, c.platforms, "x")
            for i, c in enumerate(gecko)]  # fmt: skip


def partner_absent(gecko: list[DeclaredCoin], every: int = 8) -> list[Decision]:
    """Precision where a coin has no partner: every ``every``-th CoinGecko coin is taken out of the list
    and declared as a CoinPaprika coin (id ``symbol-<its CoinGecko id>``, its real symbol and name).

    Its true partner is gone, so every match the rules make is a merge into another asset (a namesake,
    a bridged or migrated copy), unless CoinGecko lists one asset twice: the decisions, to read.
    """
    held = gecko[::every]
    gone = {c.source_coin_id for c in held}
    declared = [DeclaredCoin(f"{slugify(c.symbol)}-{c.source_coin_id}", c.symbol.upper(), c.name) for c in held]
    return decide("coinpaprika", declared, universe_of([c for c in gecko if c.source_coin_id not in gone]), {}, "")


def partner_absent_report(decisions: list[Decision], show: int = 15) -> list[str]:
    """Lines: how many partnerless coins were merged anyway, by method, and the first ``show`` of them."""
    merged = [d for d in decisions if d.canonical_id]
    lines = [
        f"coins declared with their partner taken out: {len(decisions)}; merged anyway: {len(merged)} "
        f"({100 * len(merged) / len(decisions):.1f}%) {dict(Counter(d.method for d in merged))}"
    ]
    for d in merged[:show]:
        lines.append(f"  {d.method:<12} {d.coin.symbol:<10} {d.coin.name:<30} -> {d.canonical_id} [{d.evidence}]")
    return lines


def score(gecko: list[DeclaredCoin], tuned_on: set[str], pairs_path: Path = PAIRS) -> HeldOut:
    """Run the automatic rules (no overrides) for the usable pairs against CoinGecko's whole list."""
    truth, excluded = usable_pairs(read_pairs(pairs_path), {c.source_coin_id for c in gecko}, tuned_on)
    decisions = decide("coinpaprika", [declared_from_id(p) for p in truth], universe_of(gecko), {}, "source-id")
    return HeldOut(truth, excluded, decisions)


def report(held: HeldOut) -> list[str]:
    """Lines: matched right / false merges / tied / unmatched, by method, then each miss."""
    right = [d for d in held.decisions if d.canonical_id == held.truth[d.coin.source_coin_id]]
    wrong = [d for d in held.decisions if d.canonical_id and d.canonical_id != held.truth[d.coin.source_coin_id]]
    tied = [d for d in held.decisions if d.canonical_id is None and d.candidates]
    alone = [d for d in held.decisions if d.canonical_id is None and not d.candidates]
    total = len(held.decisions)
    lines = [
        f"held-out pairs scored: {total} (set aside: {dict(held.excluded)})",
        f"  matched as the list says: {len(right)} ({100 * len(right) / total:.1f}%) "
        f"{dict(Counter(d.method for d in right))}",
        f"  matched elsewhere (false merge or list error): {len(wrong)}",
        f"  tied: {len(tied)}   unmatched: {len(alone)}",
    ]
    for label, rows in (("matched elsewhere", wrong), ("tied", tied), ("unmatched", alone)):
        for d in sorted(rows, key=lambda d: d.coin.source_coin_id):
            got = d.canonical_id or list(d.candidates)
            lines.append(f"  {label:<17} {d.coin.source_coin_id:<34} list: {held.truth[d.coin.source_coin_id]:<28} "
                         f"rules: {got} ({d.method}; {d.evidence or ''})")  # fmt: skip
    return lines
