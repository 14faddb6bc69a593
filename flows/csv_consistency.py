"""Rows past the first pass's sample keep the conventions decided from it, or the run stops there.

The first pass (:mod:`flows.csv_survey`) decides a file's decimal mark, day/month order and candle
stamp convention from a bounded sample of its rows. Each later chunk is checked against those
decisions before it loads: a value that reads only with the other decimal mark, a date whose day or
month part proves the other order, or a candle stamp off the last second of its period would have
changed the decision. Such a chunk fails the run with a one-line reason; the chunks before it are
committed under conventions their own values agree with, and no value is ever read the wrong way.
"""

from dataclasses import dataclass

import pandas as pd

from flows.sources.csv_rows import NUMBER_COLUMNS, ReadPlan
from flows.sources.csv_values import (
    PLAIN_NUMBER,
    day_month_evidence,
    has_numeric_dates,
    is_missing,
    parse_dates,
    parse_numbers,
)


@dataclass(frozen=True)
class SampledDecisions:
    """Which of a file's conventions the sample's values decided (declared or resumed ones are not)."""

    decimal: bool = False
    day_first: bool = False
    end_stamped: bool = False
    sample_rows: int = 0  # rows the decisions were made from


def contradiction(rows: pd.DataFrame, header: list[str], plan: ReadPlan, decided: SampledDecisions) -> str | None:
    """Why ``rows`` (a chunk past the sample, as read) contradict ``plan``'s sampled decisions, or None."""
    if not (decided.decimal or decided.day_first or decided.end_stamped):
        return None
    readable = rows.loc[rows["_width_ok"], header]
    if readable.empty:
        return None
    first, last = int(readable.index[0]), int(readable.index[-1])
    where = f"rows {first}-{last} contradict what the first {decided.sample_rows} rows decided"
    advice = "declare it (--decimal, or a --mapping file) and load the file again"
    if decided.decimal and (found := _other_mark(readable, plan)):
        return f"{where}: decimal mark {plan.decimal!r}, but {found} reads only with the other; {advice}"
    dates = readable[plan.mapping.columns["timestamp"]]
    if decided.day_first and has_numeric_dates(dates):
        day_first_seen, month_first_seen = day_month_evidence(dates)
        if month_first_seen if plan.day_first else day_first_seen:
            order = "day/month" if plan.day_first else "month/day"
            return f"{where}: dates read {order}, but some only read the other way; {advice}"
    if decided.end_stamped:
        stamps = parse_dates(dates, plan.day_first, plan.mapping.date_format).values.dropna()
        if not bool((stamps.dt.second == 59).all()):
            return f"{where}: candle stamps at the last second of each period, but some are not; {advice}"
    return None


def _other_mark(readable: pd.DataFrame, plan: ReadPlan) -> str | None:
    """The first value (``row N 'value'``) of the number columns that reads only with the other
    decimal mark, or None. Plain numbers under the file's mark are passed over at once."""
    mark = plan.decimal or "."
    other = "," if mark == "." else "."
    for name in [plan.mapping.columns[c] for c in NUMBER_COLUMNS if c in plan.mapping.columns]:
        text = readable[name].astype("str").str.strip()
        candidates = readable[name][~text.str.fullmatch(PLAIN_NUMBER[mark]) & ~is_missing(readable[name])]
        if candidates.empty:
            continue
        only_other = parse_numbers(candidates, other).values.notna() & parse_numbers(candidates, mark).values.isna()
        if only_other.any():
            row = int(only_other[only_other].index[0])
            return f"row {row} {candidates.loc[row]!r}"
    return None
