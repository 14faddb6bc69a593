"""The CSV source's path through the pipeline, one Prefect task per step and per chunk.

Each task wraps a plain function of this module (or of ``flows.normalize`` / ``models``), so tests
can call the steps without Prefect.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from flows.csv_consistency import contradiction
from flows.csv_survey import Survey, plan_file, refusal
from flows.failure_injection import after_commit
from flows.normalize import normalize_csv
from flows.run_summary import RunSummary, summarize
from flows.sources.csv_coin import CoinError, file_coin, file_usd_quote
from flows.sources.csv_file import SOURCE, CsvChunk, CsvFile, CsvInputError, open_csv, read_chunks, resume_position
from flows.sources.csv_formats import LayoutError, resolve_mapping
from flows.sources.csv_lineage import chunk_record
from flows.sources.csv_period import unfinished
from flows.sources.csv_records import record_fields
from flows.sources.csv_rows import ReadPlan, type_rows
from flows.sources.csv_values import Failure
from flows.stream_claim import claim_streams
from models.checkpoints import read_checkpoint
from models.landing import land_bytes
from models.load import Batch, LoadResult, load_batch
from models.run_log import finish_run, start_run
from models.settings import Settings
from validation.csv_file import (
    FILE_REJECTED_CHECK,
    PERIOD_NOT_CLOSED_CHECK,
    USD_CHECK,
    coerce_check,
    csv_prices_schema,
)
from validation.quarantine import split_valid

_WIDTH_CHECK = "field_count"
Reasons = dict[Any, list[dict[str, str]]]


@dataclass(frozen=True)
class CsvOptions:
    """How the user declared a file: ``--format`` layout name, ``--mapping`` TOML file, ``--coin``,
    ``--decimal`` mark (``"."`` or ``","``)."""

    format: str | None = None
    mapping: Path | None = None
    coin: str | None = None
    decimal: str | None = None


def land_chunk(engine: Engine, csv_file: CsvFile, chunk: CsvChunk, run_id: int) -> tuple[int, pd.Series]:
    """Land ``chunk``'s bytes as received (one raw record, see :mod:`flows.sources.csv_lineage`).

    Returns (rows newly landed: the chunk's rows, or 0 if it was landed before; the raw record id
    of each row).
    """
    key, payload, content = chunk_record(csv_file, chunk)
    new, raw_id = land_bytes(engine, SOURCE, str(csv_file.path), run_id, key, payload, content)
    rows = chunk.rows.index
    return (len(rows) if new else 0), pd.Series(raw_id, index=rows, name="raw_record_id", dtype="int64")


def validate_chunk(csv_file: CsvFile, chunk: CsvChunk, plan: ReadPlan) -> tuple[pd.DataFrame, Reasons]:
    """Read and validate ``chunk``: (valid typed unified rows, reasons per rejected row number).

    A reason names the file's column, the check (Pandera's name where Pandera checks it) and the
    value exactly as the file holds it.
    """
    rows = chunk.rows
    reasons: Reasons = {
        number: [{"column": "*", "check": _WIDTH_CHECK, "value": f"{count} fields, header has {len(csv_file.header)}"}]
        for number, count in rows.loc[~rows["_width_ok"], "_count"].items()
    }
    readable = rows.loc[rows["_width_ok"], csv_file.header]
    typed = type_rows(readable, plan)

    def reason(number: Any, column: str, check: str) -> dict[str, str]:
        source = typed.sources.get(column)
        value = readable.at[number, source] if source else None
        return {"column": source or column, "check": check, "value": "" if value is None else str(value)}

    for number, failures in typed.failures.items():
        reasons[number] = [
            reason(number, column, USD_CHECK if kind is Failure.not_usd else coerce_check(column))
            for column, kind in failures
        ]
    open_periods = typed.frame.index[unfinished(typed.frame["timestamp"], plan.timing)]
    for number in open_periods.difference(list(reasons)):
        reasons[number] = [reason(number, "timestamp", PERIOD_NOT_CLOSED_CHECK)]
    candidates = typed.frame.drop(index=list(reasons), errors="ignore")
    if candidates.empty:  # a chunk with no readable row (Pandera cannot type empty text columns)
        return candidates, reasons
    outcome = split_valid(candidates, csv_prices_schema)
    for number, found in outcome.reasons.items():
        reasons[number] = [reason(number, r["column"], r["check"]) for r in found]
    return outcome.valid, reasons


def rejected_rows(
    csv_file: CsvFile, chunk: CsvChunk, reasons: dict[Any, list[dict[str, str]]], raw_ids: pd.Series, run_id: int
) -> list[dict[str, Any]]:
    """``rejected_records`` rows for the rejected row numbers, each with its raw payload and reasons."""
    lines = chunk.rows["_line"]
    return [
        {
            "run_id": run_id,
            "source": SOURCE,
            "stream": str(csv_file.path),
            "natural_key": csv_file.natural_key(int(number)),
            "raw_record_id": int(raw_ids.loc[number]),
            "payload": dict(zip(csv_file.header, record_fields(csv_file.delimiter, lines.loc[number]), strict=False)),
            "reasons": reasons[number],
        }
        for number in sorted(reasons)
    ]


def checkpoint_state(csv_file: CsvFile, chunk: CsvChunk, plan: ReadPlan) -> dict[str, Any]:
    """The CSV cursor after ``chunk``: file identity, byte offset, rows, the prefix's SHA-256, and the
    layout and day/month order decided for the file (appended rows are read the same way).
    """
    return {
        "file": str(csv_file.path),
        "file_id": csv_file.file_id,
        "offset": chunk.end.offset,
        "rows": chunk.end.rows,
        "prefix_sha256": chunk.end.prefix_sha256,
        "layout": plan.mapping.layout,
        "day_first": plan.day_first,
        "decimal": plan.decimal,
        "period_s": plan.timing.period_s,
        "end_stamped": plan.timing.end_stamped,
        "quote_currency": plan.quote or ("per row" if plan.mapping.symbol_is_pair else "USD"),
    }


def _chunk_label(chunk: CsvChunk) -> str:
    rows = chunk.rows.index
    return f"rows {rows.min()}-{rows.max()}" if len(rows) else f"to row {chunk.end.rows}"


@task(name="land-raw", task_run_name="land csv {label}", cache_policy=NO_CACHE)
def land_task(engine: Engine, csv_file: CsvFile, chunk: CsvChunk, run_id: int, label: str) -> tuple[int, pd.Series]:
    """Land a chunk's bytes in raw_records."""
    return land_chunk(engine, csv_file, chunk, run_id)


@task(name="validate", task_run_name="validate csv {label}", cache_policy=NO_CACHE)
def validate_task(csv_file: CsvFile, chunk: CsvChunk, plan: ReadPlan, label: str) -> tuple[pd.DataFrame, Reasons]:
    """Read a chunk's values under the file's plan and validate them with the CSV Pandera schema."""
    return validate_chunk(csv_file, chunk, plan)


@task(name="normalize", task_run_name="normalize csv {label}", cache_policy=NO_CACHE)
def normalize_task(engine: Engine, valid: pd.DataFrame, raw_ids: pd.Series, run_id: int, label: str) -> pd.DataFrame:
    """Map a chunk's valid rows to unified prices."""
    return normalize_csv(engine, valid, raw_ids, run_id)


@task(name="load", task_run_name="load csv {label}", cache_policy=NO_CACHE)
def load_task(engine: Engine, batch: Batch, label: str) -> LoadResult:
    """Commit a chunk: prices, rejects, checkpoint and counts in one transaction."""
    result = load_batch(engine, batch)
    get_run_logger().info(
        "%s: %d inserted, %d updated, %d unchanged, %d rejected",
        label,
        result.inserted,
        result.updated,
        result.unchanged,
        len(batch.rejected),
    )
    return result


def load_chunk(
    engine: Engine,
    csv_file: CsvFile,
    chunk: CsvChunk,
    plan: ReadPlan,
    survey: Survey,
    refused: str | None,
    before: dict[str, Any] | None,
    run_id: int,
) -> int:
    """Land, validate, normalize and commit one chunk (a Prefect task each); returns its row count.

    A file the first pass ``refused`` has every row quarantined and the cursor left at ``before``.

    Raises:
        CsvInputError: the chunk contradicts a convention decided from the first pass's sample.
    """
    label = _chunk_label(chunk)
    if problem := contradiction(chunk.rows, csv_file.header, plan, survey.decisions):
        raise CsvInputError(problem)
    landed, raw_ids = land_task(engine, csv_file, chunk, run_id, label)
    valid, reasons = validate_task(csv_file, chunk, plan, label)
    if refused:  # every row is quarantined, the cursor stays where it was: a re-run tries again
        reasons = {n: reasons.get(n) or [_refused_reason(refused)] for n in chunk.rows.index}
        valid = valid.iloc[0:0]
    prices = normalize_task(engine, valid, raw_ids, run_id, label)
    batch = Batch(
        run_id=run_id,
        source=SOURCE,
        stream=str(csv_file.path),
        prices=prices,
        checkpoint=(before or {}) if refused else checkpoint_state(csv_file, chunk, plan),
        rejected=rejected_rows(csv_file, chunk, reasons, raw_ids, run_id),
        counts={"read": len(chunk.rows), "landed": landed, "valid": len(valid), "rejected": len(reasons)},
    )
    load_task(engine, batch, label)
    return len(chunk.rows)


def ingest_csv(
    engine: Engine, settings: Settings, path: Path, flow_run_id: str | None, options: CsvOptions | None = None
) -> RunSummary:
    """Load the new rows of one CSV file; returns the run's summary (failed runs included).

    A first pass checks the new rows (structure, unreadable share, day/month order) before anything
    is loaded; a file it refuses has every row quarantined with its reasons and nothing in prices.
    """
    options = options or CsvOptions()
    stream = str(path.resolve())
    claim = claim_streams(engine, SOURCE, [stream], flow_run_id, settings.stream_lock_wait_s)
    if isinstance(claim, RunSummary):  # another run holds this file's stream: recorded as skipped
        return claim
    before = read_checkpoint(engine, SOURCE, stream)
    run_id = start_run(engine, SOURCE, stream, flow_run_id, before, claim)
    try:
        csv_file = open_csv(Path(stream))
        mapping = resolve_mapping(csv_file.header, options.format, options.mapping)
        coin = None if "symbol" in mapping.columns else file_coin(path, csv_file.header, options.coin)
        quote = file_usd_quote(path, csv_file.header, coin.symbol if coin else None)
        start = resume_position(csv_file, before)
        resumed = before if start is not None and before else {}
        plan, survey = plan_file(
            csv_file,
            mapping,
            coin,
            quote,
            options.decimal,
            resumed,
            start,
            settings.csv_chunk_rows,
            settings.csv_sample_rows,
        )
        refused = refusal(survey, plan.day_first, settings.csv_max_unreadable_ratio)
        committed = 0
        for chunk in read_chunks(csv_file, start, settings.csv_chunk_rows):
            committed += load_chunk(engine, csv_file, chunk, plan, survey, refused, before, run_id)
            del chunk  # released before the next chunk is read: one chunk in memory at a time
            after_commit(settings, committed)
        if refused:
            raise CsvInputError(refused)
    except (CsvInputError, LayoutError, CoinError) as error:
        return summarize(finish_run(engine, run_id, "failed", str(error)), input_error=True)
    except Exception as error:  # noqa: BLE001 - recorded on the run; the flow fails at its end
        get_run_logger().exception("csv run %d failed", run_id)
        return summarize(finish_run(engine, run_id, "failed", f"{type(error).__name__}: {error}"))
    return summarize(finish_run(engine, run_id, "succeeded"))


def _refused_reason(message: str) -> dict[str, str]:
    return {"column": "*", "check": FILE_REJECTED_CHECK, "value": message}
