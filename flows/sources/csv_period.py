"""When a CSV row's price was observed. A close price is the price at its period's exclusive end
(``observed_at = open + period``, the lead's rule shared with the API sources); a point-in-time price
(coinflow's own files, CoinGecko's ``snapped_at``) keeps its timestamp.

A candle's period comes from the spacing of the file's timestamps (the most common gap between
distinct ones, which must be a standard candle length); a file of dates alone with a single date is
daily. Timestamps that all fall on the last second of a period (Kaggle's ``2013-12-16 23:59:59``,
Binance's ``close_time`` ``…:59.999``) are inclusive ends: they are rounded up to the period's end
instead of having a period added.
"""

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

# Candle lengths exchanges and data vendors publish: 1, 3, 5, 15, 30 min; 1, 2, 4, 6, 8, 12 h; 1, 3 d; 1 w.
STANDARD_PERIODS_S = frozenset({60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 28800, 43200, 86400, 259200, 604800})
_DAY_S = 86400


class PeriodError(ValueError):
    """The candle period of a file of close prices cannot be told from its timestamps."""


@dataclass(frozen=True)
class Timing:
    """How a file's timestamps become observed_at: ``period_s`` None for point-in-time prices."""

    period_s: int | None = None
    end_stamped: bool = False  # the timestamps are each period's last (milli)second, not its open


POINT_IN_TIME = Timing()


@dataclass
class PeriodEvidence:
    """What the timestamps of a file say about its candles, accumulated chunk by chunk."""

    gaps: Counter[int] = field(default_factory=Counter)
    stamps: int = 0
    end_stamped: bool = True  # every stamp so far at second 59 of its minute
    dates_only: bool = True  # every raw value so far a date without a time of day

    def add(self, stamps: pd.Series, raw: pd.Series) -> None:
        """Count the gaps between the distinct, sorted ``stamps`` (parsed; NaT ignored) of a chunk."""
        stamps = stamps.dropna()
        if stamps.empty:
            return
        self.stamps += len(stamps)
        self.end_stamped &= bool((stamps.dt.second == 59).all())
        self.dates_only &= not bool(raw.astype("str").str.contains(":", regex=False).any())
        distinct = pd.Series(stamps.unique()).sort_values()
        gaps = (distinct.diff().dropna().dt.total_seconds()).round().astype("int64")
        self.gaps.update(gaps[gaps > 0].tolist())

    def decide(self) -> Timing:
        """The candle period and stamp convention of the file.

        Raises:
            PeriodError: no gap to measure (one timestamp with a time of day), or the common gap is
                not a standard candle length.
        """
        if not self.stamps:
            return Timing(_DAY_S, False)
        if not self.gaps:
            if self.dates_only:
                return Timing(_DAY_S, False)
            raise PeriodError(
                "cannot tell the candle period of its close prices from a single timestamp; add rows or load "
                "it as point-in-time prices with a --mapping file ([values] close = false)"
            )
        gap, _ = self.gaps.most_common(1)[0]
        if gap not in STANDARD_PERIODS_S:
            raise PeriodError(
                f"cannot tell the candle period of its close prices: the timestamps are most often {gap} s apart, "
                "not a standard candle length (1 min to 1 week)"
            )
        return Timing(gap, self.end_stamped)


def observed_at(stamps: pd.Series, timing: Timing) -> pd.Series:
    """The instant each price was observed: ``stamps`` for point-in-time prices, the period's end for
    a close (``stamp + period``, or an inclusive end rounded up: 23:59:59 and 23:59:59.999 -> 00:00)."""
    if timing.period_s is None:
        return stamps
    if timing.end_stamped:
        up = stamps.dt.ceil("1s")
        return up.where(up != stamps, stamps + pd.Timedelta(seconds=1))
    return stamps + pd.Timedelta(seconds=timing.period_s)


def unfinished(observed: pd.Series, timing: Timing) -> pd.Series:
    """True where a close's period ends after now (today's daily candle): not a close yet, so the
    row is quarantined (``period_not_closed``), never stored as one."""
    if timing.period_s is None:
        return pd.Series(False, index=observed.index)
    return observed > pd.Timestamp.now(tz="UTC")
