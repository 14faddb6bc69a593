"""The first pass over a CSV file's new rows, before anything is loaded: does its structure hold,
how many rows cannot be read, and which day/month order its dates use.

It streams the same chunks the load reads and keeps only counters, so memory stays bounded by one
chunk. Its verdict decides whether the file is loaded (bad rows quarantined) or refused whole.
"""

from dataclasses import dataclass, field, replace

import pandas as pd

from flows.sources.csv_file import CsvFile, CsvInputError, CsvPosition, read_chunks
from flows.sources.csv_formats import looks_like_header
from flows.sources.csv_rows import ReadPlan, type_rows
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


def survey_file(csv_file: CsvFile, start: CsvPosition | None, plan: ReadPlan, chunk_rows: int) -> Survey:
    """Read the rows after ``start`` once, counting what cannot be read under ``plan``."""
    survey = Survey()
    run, run_start = 0, 0
    orders = [plan.day_first] if plan.day_first is not None else [True, False]
    for chunk in read_chunks(csv_file, start, chunk_rows):
        rows = chunk.rows
        survey.rows += len(rows)
        for number, fields, ok in zip(rows.index, rows["_fields"], rows["_width_ok"], strict=True):
            run, run_start = (0, 0) if ok else (run + 1, run_start if run else number)
            if survey.structure_error is None and run == MISSHAPEN_RUN:
                survey.structure_error = (
                    f"the field count breaks at row {run_start}: {MISSHAPEN_RUN} rows in a row have "
                    f"{len(fields)} fields, the header has {len(csv_file.header)}"
                )
            if survey.structure_error is None and looks_like_header(fields):
                survey.structure_error = f"row {number} is another header ({','.join(fields)[:120]})"
        readable = rows.loc[rows["_width_ok"], csv_file.header]
        dates = readable[plan.mapping.columns["timestamp"]]
        if plan.mapping.date_format is None and has_numeric_dates(dates):  # a declared pattern settles the order
            survey.numeric_dates = True
            first, second = day_month_evidence(dates)
            survey.day_first_seen |= first
            survey.month_first_seen |= second
        misshapen = set(rows.index[~rows["_width_ok"]])
        failed_first = misshapen | set(type_rows(readable, replace(plan, day_first=orders[0])).failures)
        for order in orders:
            failed = failed_first
            if order != orders[0] and has_numeric_dates(dates):
                failed = misshapen | set(type_rows(readable, replace(plan, day_first=order)).failures)
            survey.unreadable[bool(order)] += len(failed)
            survey.examples[bool(order)] = (survey.examples[bool(order)] + sorted(failed))[:_EXAMPLES]
    return survey


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
            f"number or date), more than COINFLOW_CSV_MAX_UNREADABLE_RATIO={max_ratio:g}; first bad rows: {rows}"
        )
    return None


def detect_decimal(csv_file: CsvFile, plan: ReadPlan, sample_rows: int = 500) -> str:
    """``","`` for a semicolon file whose numbers use a decimal comma (1234,56), else ``"."``."""
    if csv_file.delimiter == "," or plan.mapping.decimal:
        return plan.mapping.decimal or "."
    chunk = next(read_chunks(csv_file, None, sample_rows), None)
    if chunk is None:
        return "."
    numbers = [
        plan.mapping.columns[c] for c in ("price_usd", "market_cap_usd", "volume_24h_usd") if c in plan.mapping.columns
    ]
    values = pd.concat([chunk.rows[c] for c in numbers]).astype("str")
    return "," if values.str.contains(r"\d,\d", regex=True).any() else "."
