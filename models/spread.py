"""Cross-source comparison: per coin, each source's latest price, the spread among those observed
close in time, and the sources left out as stale.

One definition for every reader: ``coinflow coins spread`` and the GraphQL ``Coin.spread`` both call
:func:`compare`. Sources are compared only when their latest observations lie within ``window`` of
the newest one (``COINFLOW_SPREAD_WINDOW_MINUTES``): a price from another day differs by the market's
move, not by the sources' disagreement. Sources outside the window are listed as stale, never
averaged in.
"""

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    """One source's latest price of a coin: how old it is, and whether it is too old to compare."""

    source: str
    price_usd: float
    observed_at: datetime
    age_seconds: float  # now - observed_at
    stale: bool  # more than the window older than the coin's newest observation


@dataclass(frozen=True)
class Comparison:
    """The quotes of one coin (by source) and the spread among the fresh ones (None with fewer than two)."""

    quotes: list[SourceQuote]
    spread_pct: float | None
    flagged: bool

    @property
    def compared(self) -> list[SourceQuote]:
        """The quotes the spread was computed from."""
        return [q for q in self.quotes if not q.stale]


@dataclass(frozen=True)
class CoinSpread:
    """A coin's comparison across sources (see :class:`Comparison`)."""

    canonical_id: str
    symbol: str
    name: str
    quotes: list[SourceQuote]
    spread_pct: float | None
    flagged: bool


def spread_pct(prices: Sequence[float]) -> float | None:
    """(max - min) / median of prices, in percent; None with fewer than two."""
    if len(prices) < 2:
        return None
    return (max(prices) - min(prices)) / statistics.median(prices) * 100


def compare(
    latest: Sequence[tuple[str, float, datetime]], now: datetime, window: timedelta, threshold_pct: float
) -> Comparison:
    """Compare one coin's latest (source, price_usd, observed_at) per source.

    A quote more than ``window`` older than the newest quote is stale: shown, not compared. The
    spread is (max - min) / median of the rest, in percent, flagged above ``threshold_pct``.
    """
    if not latest:
        return Comparison([], None, False)
    newest = max(as_utc(observed) for _, _, observed in latest)
    quotes = sorted(
        (
            SourceQuote(
                source, price, as_utc(observed), (now - as_utc(observed)).total_seconds(),
                newest - as_utc(observed) > window,
            )
            for source, price, observed in latest
        ),
        key=lambda q: q.source,
    )  # fmt: skip
    spread = spread_pct([q.price_usd for q in quotes if not q.stale])
    return Comparison(quotes, spread, spread is not None and spread > threshold_pct)


def cross_source_spreads(
    conn: Connection,
    now: datetime,
    threshold_pct: float,
    window: timedelta,
    canonical_ids: list[str] | None = None,
) -> list[CoinSpread]:
    """Spreads of every coin (or of ``canonical_ids``), flagged above ``threshold_pct``; widest first."""
    sql, params = _LATEST, {}
    if canonical_ids is not None:
        names = {f"c{i}": value for i, value in enumerate(canonical_ids)}
        sql += f" WHERE c.canonical_id IN ({', '.join(':' + name for name in names) or 'NULL'})"
        params = names
    latest: dict[tuple[str, str, str], list[tuple[str, float, datetime]]] = defaultdict(list)
    typed = text(sql).columns(
        column("canonical_id"), column("symbol"), column("name"), column("source"), column("price_usd"),
        column("observed_at", UtcDateTime),
    )  # fmt: skip
    for row in conn.execute(typed, params):
        latest[(row.canonical_id, row.symbol, row.name)].append((row.source, row.price_usd, row.observed_at))
    spreads = []
    for (canonical_id, symbol, name), quotes in latest.items():
        found = compare(quotes, now, window, threshold_pct)
        spreads.append(CoinSpread(canonical_id, symbol, name, found.quotes, found.spread_pct, found.flagged))
    return sorted(spreads, key=_widest_first)


def _widest_first(spread: CoinSpread) -> tuple[bool, float, str]:
    """Compared coins by spread descending (0 % included), then the coins with nothing to compare."""
    return (spread.spread_pct is None, -(spread.spread_pct or 0.0), spread.canonical_id)
