"""Cross-source comparison: per coin, each source's latest price, the spread and the staleness."""

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, column, text

from models.columns import UtcDateTime, as_utc

# The latest observation of every (coin, source): the prices primary key (coin_id, source,
# observed_at) answers the inner MAX per group from the index.
_LATEST = """
SELECT c.canonical_id, c.symbol, c.name, p.source, p.price_usd, p.observed_at
FROM prices p
JOIN (SELECT coin_id, source, max(observed_at) AS observed_at FROM prices GROUP BY coin_id, source) latest
  ON latest.coin_id = p.coin_id AND latest.source = p.source AND latest.observed_at = p.observed_at
JOIN coins c ON c.id = p.coin_id
"""


@dataclass(frozen=True)
class SourceQuote:
    """One source's latest price of a coin and how old it is."""

    source: str
    price_usd: float
    observed_at: datetime
    age_seconds: float


@dataclass(frozen=True)
class CoinSpread:
    """A coin's latest price per source; spread = (max - min) / median, in percent (None with one source)."""

    canonical_id: str
    symbol: str
    name: str
    quotes: list[SourceQuote]
    spread_pct: float | None
    flagged: bool


def spread_pct(prices: Sequence[float]) -> float | None:
    """(max - min) / median of the sources' latest prices, in percent; None with fewer than two."""
    if len(prices) < 2:
        return None
    return (max(prices) - min(prices)) / statistics.median(prices) * 100


def cross_source_spreads(
    conn: Connection, now: datetime, threshold_pct: float, canonical_ids: list[str] | None = None
) -> list[CoinSpread]:
    """Spreads of every coin (or of ``canonical_ids``), flagged above ``threshold_pct``; widest first."""
    sql, params = _LATEST, {}
    if canonical_ids is not None:
        names = {f"c{i}": value for i, value in enumerate(canonical_ids)}
        sql += f" WHERE c.canonical_id IN ({', '.join(':' + name for name in names) or 'NULL'})"
        params = names
    quotes: dict[tuple[str, str, str], list[SourceQuote]] = defaultdict(list)
    typed = text(sql).columns(
        column("canonical_id"), column("symbol"), column("name"), column("source"), column("price_usd"),
        column("observed_at", UtcDateTime),
    )  # fmt: skip
    for row in conn.execute(typed, params):
        observed = as_utc(row.observed_at)
        quotes[(row.canonical_id, row.symbol, row.name)].append(
            SourceQuote(row.source, row.price_usd, observed, (now - observed).total_seconds())
        )
    spreads = []
    for (canonical_id, symbol, name), coin_quotes in quotes.items():
        spread = spread_pct([q.price_usd for q in coin_quotes])
        coin_quotes.sort(key=lambda q: q.source)
        spreads.append(
            CoinSpread(canonical_id, symbol, name, coin_quotes, spread, spread is not None and spread > threshold_pct)
        )
    return sorted(spreads, key=lambda s: (-(s.spread_pct or -1.0), s.canonical_id))
