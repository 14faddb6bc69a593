"""The CSV source's path through the pipeline, one Prefect task per step and per chunk.

Each task wraps a plain function of this module (or of ``flows.normalize`` / ``models``), so tests
can call the steps without Prefect.
"""

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from flows.failure_injection import after_commit
from flows.normalize import normalize_csv
from flows.run_summary import RunSummary, summarize
from flows.sources.csv_file import SOURCE, CsvChunk, CsvFile, CsvInputError, open_csv, read_chunks, resume_position
from models.checkpoints import read_checkpoint
from models.landing import land_raw
from models.load import Batch, LoadResult, load_batch
from models.run_log import finish_run, start_run
from models.settings import Settings
from validation.csv_file import csv_prices_schema, missing_columns
from validation.quarantine import split_valid

_WIDTH_CHECK = "field_count"


def land_chunk(engine: Engine, csv_file: CsvFile, chunk: CsvChunk, run_id: int) -> tuple[int, pd.Series]:
    """Land every row of ``chunk`` as received; returns (new raw rows, raw id per row)."""
    rows = chunk.rows
    payloads = [
        dict(zip(csv_file.header, fields, strict=True)) if ok else {"fields": fields}
        for fields, ok in zip(rows["_fields"], rows["_width_ok"], strict=True)
    ]
    records = pd.DataFrame(
        {"natural_key": [csv_file.natural_key(n) for n in rows.index], "payload": payloads}, index=rows.index
    )
    return land_raw(engine, SOURCE, str(csv_file.path), run_id, records)


def validate_chunk(csv_file: CsvFile, chunk: CsvChunk) -> tuple[pd.DataFrame, dict[Any, list[dict[str, str]]]]:
    """Validate ``chunk``: (valid typed rows, reasons per rejected row number)."""
    rows = chunk.rows
    reasons: dict[Any, list[dict[str, str]]] = {
        number: [
            {"column": "*", "check": _WIDTH_CHECK, "value": f"{len(fields)} fields, header has {len(csv_file.header)}"}
        ]
        for number, fields, ok in zip(rows.index, rows["_fields"], rows["_width_ok"], strict=True)
        if not ok
    }
    candidates = rows.loc[rows["_width_ok"], csv_file.header]
    candidates = candidates.mask(candidates.apply(lambda column: column.str.strip() == ""))
    outcome = split_valid(candidates, csv_prices_schema)
    reasons.update(outcome.reasons)
    return outcome.valid, reasons


def rejected_rows(
    csv_file: CsvFile, chunk: CsvChunk, reasons: dict[Any, list[dict[str, str]]], raw_ids: pd.Series, run_id: int
) -> list[dict[str, Any]]:
    """``rejected_records`` rows for the rejected row numbers, each with its raw payload and reasons."""
    rows = chunk.rows
    return [
        {
            "run_id": run_id,
            "source": SOURCE,
            "stream": str(csv_file.path),
            "natural_key": csv_file.natural_key(int(number)),
            "raw_record_id": int(raw_ids.loc[number]),
            "payload": dict(zip(csv_file.header, rows["_fields"].loc[number], strict=False)),
            "reasons": reasons[number],
        }
        for number in sorted(reasons)
    ]


def checkpoint_state(csv_file: CsvFile, chunk: CsvChunk) -> dict[str, Any]:
    """The CSV cursor after ``chunk``: file identity, byte offset, rows, and the prefix's SHA-256."""
    return {
        "file": str(csv_file.path),
        "file_id": csv_file.file_id,
        "offset": chunk.end.offset,
        "rows": chunk.end.rows,
        "prefix_sha256": chunk.end.prefix_sha256,
    }


def _chunk_label(chunk: CsvChunk) -> str:
    rows = chunk.rows.index
    return f"rows {rows.min()}-{rows.max()}" if len(rows) else f"to row {chunk.end.rows}"


@task(name="land-raw", task_run_name="land csv {label}", cache_policy=NO_CACHE)
def land_task(engine: Engine, csv_file: CsvFile, chunk: CsvChunk, run_id: int, label: str) -> tuple[int, pd.Series]:
    """Land a chunk's rows in raw_records."""
    return land_chunk(engine, csv_file, chunk, run_id)


@task(name="validate", task_run_name="validate csv {label}", cache_policy=NO_CACHE)
def validate_task(
    csv_file: CsvFile, chunk: CsvChunk, label: str
) -> tuple[pd.DataFrame, dict[Any, list[dict[str, str]]]]:
    """Validate a chunk with the CSV Pandera schema."""
    return validate_chunk(csv_file, chunk)


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


def ingest_csv(engine: Engine, settings: Settings, path: Path, flow_run_id: str | None) -> RunSummary:
    """Load the new rows of one CSV file; returns the run's summary (failed runs included)."""
    stream = str(path.resolve())
    before = read_checkpoint(engine, SOURCE, stream)
    run_id = start_run(engine, SOURCE, stream, flow_run_id, before)
    try:
        csv_file = open_csv(Path(stream))
        if missing := missing_columns(csv_file.header):
            raise CsvInputError(
                f"not a coinflow price CSV: missing column(s) {', '.join(missing)}; found {', '.join(csv_file.header)}"
            )
        start = resume_position(csv_file, before)
        committed = 0
        for chunk in read_chunks(csv_file, start, settings.csv_chunk_rows):
            label = _chunk_label(chunk)
            landed, raw_ids = land_task(engine, csv_file, chunk, run_id, label)
            valid, reasons = validate_task(csv_file, chunk, label)
            prices = normalize_task(engine, valid, raw_ids, run_id, label)
            batch = Batch(
                run_id=run_id,
                source=SOURCE,
                stream=stream,
                prices=prices,
                checkpoint=checkpoint_state(csv_file, chunk),
                rejected=rejected_rows(csv_file, chunk, reasons, raw_ids, run_id),
                counts={"read": len(chunk.rows), "landed": landed, "valid": len(valid), "rejected": len(reasons)},
            )
            load_task(engine, batch, label)
            committed += len(chunk.rows)
            after_commit(settings, committed)
    except CsvInputError as error:
        return summarize(finish_run(engine, run_id, "failed", str(error)), input_error=True)
    except Exception as error:  # noqa: BLE001 - recorded on the run; the flow fails at its end
        get_run_logger().exception("csv run %d failed", run_id)
        return summarize(finish_run(engine, run_id, "failed", f"{type(error).__name__}: {error}"))
    return summarize(finish_run(engine, run_id, "succeeded"))
