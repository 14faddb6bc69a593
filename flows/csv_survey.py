"""The first pass over a CSV file's new rows, before anything is loaded: does its structure hold,
how many rows cannot be read, and which day/month order its dates use.

It reads a bounded sample of the new rows (``COINFLOW_CSV_SAMPLE_ROWS``, and on while a convention is
still undecided), keeping only counters, so its cost does not grow with the file. Its verdict decides
whether the file is loaded (bad rows quarantined) or refused whole. Rows past the sample are checked
chunk by chunk as they load (:func:`contradiction`): a chunk whose values contradict a convention
decided from the sample fails the run there, never stores a value read the wrong way.
"""

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from flows.csv_consistency import SampledDecisions
from flows.sources.csv_coin import FileCoin
from flows.sources.csv_decimal import DecimalError, DecimalEvidence
from flows.sources.csv_file import CsvFile, CsvInputError, CsvPosition, read_chunks
from flows.sources.csv_formats import ROW_HEADER_NAMES, Mapping, looks_like_header
from flows.sources.csv_period import PeriodError, PeriodEvidence, Timing
from flows.sources.csv_records import record_fields
from flows.sources.csv_rows import NUMBER_COLUMNS, ReadPlan, type_rows
from flows.sources.csv_values import day_month_evidence, has_numeric_dates

MISSHAPEN_RUN = 3  # this many consecutive rows with another field count: the file's structure broke
_EXAMPLES = 5


@dataclass
class Survey:
    """What the first pass found in the rows after the checkpoint."""

    rows: int = 0
    unreadable: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})  # by day_first
    examples: dict[bool, list[int]] = field(default_factory=lambda: {True: [], False: []})
    numeric_dates: bool = False
    day_first_seen: bool = False  # a first part > 12: 13/01/2020
    month_first_seen: bool = False  # a second part > 12: 01/13/2020
    structure_error: str | None = None
    periods: dict[bool, PeriodEvidence] = field(default_factory=lambda: {o: PeriodEvidence() for o in (True, False)})
    complete: bool = True  # every new row was surveyed (False: a sample of the first rows)
    misshapen_run: int = 0  # rows with another field count at the end of the rows surveyed so far
    misshapen_start: int = 0  # the row that run began at
    decisions: SampledDecisions = field(default_factory=SampledDecisions)  # checked on later chunks


def survey_file(
    csv_file: CsvFile, start: CsvPosition | None, plan: ReadPlan, chunk_rows: int, sample_rows: int
) -> Survey:
    """Read the rows after ``start`` (the first ``sample_rows``, more while the day/month order or the
    candle period is undecided), counting what cannot be read under ``plan``."""
    survey = Survey()
    orders = [plan.day_first] if plan.day_first is not None else [True, False]
    for chunk in read_chunks(csv_file, start, min(chunk_rows, sample_rows)):
        if survey.rows >= sample_rows and _settled(survey, plan):
            survey.complete = False
            break
        _survey_chunk(survey, csv_file, chunk.rows, plan, orders)
        del chunk  # released before the next chunk is read: one chunk in memory at a time
    return survey


def _survey_chunk(survey: Survey, csv_file: CsvFile, rows: pd.DataFrame, plan: ReadPlan, orders: list[bool]) -> None:
    """Add one chunk's ``rows`` (as read) to ``survey``: structure, day/month evidence, unreadable rows
    under each candidate order, candle gaps."""
    survey.rows += len(rows)
    survey.structure_error = survey.structure_error or structure_error(csv_file, rows, survey)
    readable = rows.loc[rows["_width_ok"], csv_file.header]
    dates = readable[plan.mapping.columns["timestamp"]]
    if plan.mapping.date_format is None and has_numeric_dates(dates):  # a declared pattern settles the order
        survey.numeric_dates = True
        first, second = day_month_evidence(dates)
        survey.day_first_seen |= first
        survey.month_first_seen |= second
    misshapen = set(rows.index[~rows["_width_ok"]])
    as_stamped = replace(plan, day_first=orders[0], timing=Timing())  # the file's own timestamps
    typed_first = type_rows(readable, as_stamped)
    for order in orders:
        typed = typed_first
        if order != orders[0] and has_numeric_dates(dates):
            typed = type_rows(readable, replace(as_stamped, day_first=order))
        failed = misshapen | set(typed.failures)
        if plan.mapping.price_is_close:
            survey.periods[bool(order)].add(typed.frame["timestamp"], dates)
        survey.unreadable[bool(order)] += len(failed)
        survey.examples[bool(order)] = (survey.examples[bool(order)] + sorted(failed))[:_EXAMPLES]


def structure_error(csv_file: CsvFile, rows: pd.DataFrame, survey: Survey) -> str | None:
    """Where ``rows`` (a chunk after the survey's earlier ones) break the file's structure, or None:
    MISSHAPEN_RUN rows in a row with another field count, or a row that is another header."""
    ok = rows["_width_ok"].to_numpy()
    counts, numbers = rows["_count"].to_numpy(), rows.index.to_numpy()
    position = np.arange(len(ok))
    last_ok = np.maximum.accumulate(np.where(ok, position, -1)) if len(ok) else position
    carried = np.where(last_ok < 0, survey.misshapen_run, 0)
    run = np.where(ok, 0, position - last_ok + carried)
    header = header_rows(rows.loc[ok, csv_file.header]).reindex(rows.index, fill_value=False).to_numpy(copy=True)
    for misshapen in np.flatnonzero(~ok):
        header[misshapen] = looks_like_header(record_fields(csv_file.delimiter, rows["_line"].iloc[misshapen]))
    starts = np.where(last_ok < 0, -1, last_ok + 1)  # -1: the run began in an earlier chunk
    broken = np.flatnonzero((run == MISSHAPEN_RUN) | header)
    if len(ok):
        survey.misshapen_run = int(run[-1])
        if run[-1] and starts[-1] >= 0:
            survey.misshapen_start = int(numbers[starts[-1]])
    if not len(broken):
        return None
    at = int(broken[0])
    if int(run[at]) == MISSHAPEN_RUN:
        start = int(numbers[starts[at]]) if starts[at] >= 0 else int(survey.misshapen_start)
        return (
            f"the field count breaks at row {start}: {MISSHAPEN_RUN} rows in a row have "
            f"{counts[at]} fields, the header has {len(csv_file.header)}"
        )
    fields = record_fields(csv_file.delimiter, rows["_line"].iloc[at])
    return f"row {numbers[at]} is another header ({','.join(fields)[:120]})"


def header_rows(rows: pd.DataFrame) -> pd.Series:
    """:func:`looks_like_header` for every row of ``rows`` (string columns) at once, vectorised."""
    known = pd.Series(0, index=rows.index)
    filled = pd.Series(0, index=rows.index)
    for column in range(rows.shape[1]):
        values = rows.iloc[:, column]
        known += values.str.lower().str.replace(r"[^a-z0-9]", "", regex=True).isin(ROW_HEADER_NAMES).astype(int)
        filled += (values.str.strip() != "").astype(int)
    return (known >= 2) & (known * 2 >= filled)


def decide_day_first(survey: Survey, declared: bool | None) -> bool | None:
    """The file's day/month order: declared, else settled by a part > 12; refuse the file if unsure.

    Raises:
        CsvInputError: the dates are ambiguous (every part <= 12) or contradict each other.
    """
    if declared is not None or not survey.numeric_dates:
        return declared
    if survey.day_first_seen and survey.month_first_seen:
        raise CsvInputError(
            "dates contradict each other: some read as day/month (13/01), others as month/day (01/13); "
            "declare the order with a mapping file ([values] day_first = true or false, or date_format)"
        )
    if not (survey.day_first_seen or survey.month_first_seen):
        raise CsvInputError(
            "ambiguous dates: every date like 05/09/2017 reads both as day/month and month/day; declare the "
            'order with --mapping FILE.toml ([values] day_first = true, or date_format = "%d/%m/%Y")'
        )
    return survey.day_first_seen


def decide_timing(survey: Survey, plan: ReadPlan, day_first: bool | None) -> Timing:
    """Point in time, or the candle period of a file of close prices (see ``flows.sources.csv_period``).

    Raises:
        CsvInputError: the period cannot be told from the timestamps.
    """
    if not plan.mapping.price_is_close:
        return Timing()
    try:
        return survey.periods[True if day_first is None else day_first].decide()
    except PeriodError as error:
        raise CsvInputError(str(error)) from None


def refusal(survey: Survey, day_first: bool | None, max_ratio: float) -> str | None:
    """Why the whole file must be refused (broken structure, too many unreadable rows), or None."""
    if survey.structure_error:
        return f"file refused whole, nothing loaded: {survey.structure_error}"
    order = True if day_first is None else day_first
    unreadable = survey.unreadable[order]
    if survey.rows and unreadable / survey.rows > max_ratio:
        rows = ", ".join(map(str, survey.examples[order]))
        return (
            f"file refused whole, nothing loaded: {unreadable} of {survey.rows} rows cannot be read (field count, "
            f"number, date or a non-USD quote), more than COINFLOW_CSV_MAX_UNREADABLE_RATIO={max_ratio:g}; "
            f"first bad rows: {rows}"
        )
    return None


def decide_decimal(
    csv_file: CsvFile, start: CsvPosition | None, plan: ReadPlan, chunk_rows: int, sample_rows: int
) -> str:
    """The file's decimal mark: declared (``plan.decimal`` set), else decided from the number fields of
    the first ``sample_rows`` rows after ``start`` (on while they do not settle it; see
    :mod:`flows.sources.csv_decimal`).

    Raises:
        CsvInputError: the values do not settle it (the message names rows and ``--decimal``).
    """
    if plan.decimal is not None:
        return plan.decimal
    columns = [plan.mapping.columns[c] for c in NUMBER_COLUMNS if c in plan.mapping.columns]
    evidence, seen = DecimalEvidence(), 0
    for chunk in read_chunks(csv_file, start, min(chunk_rows, sample_rows)):
        if seen >= sample_rows and _decides(evidence):
            break
        evidence.add(chunk.rows.loc[chunk.rows["_width_ok"], columns])
        seen += len(chunk.rows)
        del chunk  # released before the next chunk is read
    try:
        return evidence.decide()
    except DecimalError as error:
        raise CsvInputError(str(error)) from None


def _decides(evidence: DecimalEvidence) -> bool:
    try:
        evidence.decide()
    except DecimalError:
        return False
    return True


def _settled(survey: Survey, plan: ReadPlan) -> bool:
    """True once the sample decides what the file's values leave open: day/month order, candle period."""
    if plan.day_first is None and survey.numeric_dates and not (survey.day_first_seen or survey.month_first_seen):
        return False
    if plan.mapping.price_is_close:
        try:
            survey.periods[survey.day_first_seen if plan.day_first is None else plan.day_first].decide()
        except PeriodError:
            return False
    return True


def plan_file(
    csv_file: CsvFile,
    mapping: Mapping,
    coin: FileCoin | None,
    quote: str | None,
    declared_decimal: str | None,
    resumed: dict[str, Any],
    start: CsvPosition | None,
    chunk_rows: int,
    sample_rows: int,
) -> tuple[ReadPlan, Survey]:
    """How to read the rows after ``start``, and the first pass's survey of them.

    Declared conventions win (``--decimal``, the mapping file); appended rows (``resumed``: the
    checkpoint of the file's loaded prefix) are read as the prefix was; the rest is decided from the
    values: decimal mark, day/month order, candle period.

    Raises:
        CsvInputError: a convention the values do not settle.
    """
    day_first = mapping.day_first if mapping.day_first is not None else resumed.get("day_first")
    decimal = declared_decimal or mapping.decimal or resumed.get("decimal")
    plan = ReadPlan(mapping, coin, decimal, day_first, quote)
    plan = replace(plan, decimal=decide_decimal(csv_file, start, plan, chunk_rows, sample_rows))
    survey = survey_file(csv_file, start, plan, chunk_rows, sample_rows)
    plan = replace(plan, day_first=decide_day_first(survey, plan.day_first))
    resumed_timing = "period_s" in resumed and mapping.price_is_close
    if resumed_timing:
        timing = Timing(resumed["period_s"], bool(resumed.get("end_stamped")))
    else:
        timing = decide_timing(survey, plan, plan.day_first)
    if not survey.complete:
        survey.decisions = SampledDecisions(
            decimal=decimal is None,
            day_first=day_first is None and plan.day_first is not None,
            end_stamped=not resumed_timing and timing.end_stamped,
            sample_rows=survey.rows,
        )
    return replace(plan, timing=timing), survey
