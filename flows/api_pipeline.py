"""The path of one fetched API page: land raw -> detect drift -> validate -> normalize -> load.

Each step is a Prefect task wrapping a plain function; one page (or one coin's window) is one batch
that commits prices, quarantined rows, the stream's checkpoint and the run's counts together.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote
from sqlalchemy import Engine

from flows.http_client import PayloadError
from models.drift import record_drift
from models.landing import land_raw
from models.load import PRICE_COLUMNS, Batch, LoadResult, load_batch
from validation.contract import Contract
from validation.drift import FieldDrift, detect_drift
from validation.quarantine import split_valid

Reasons = dict[Any, list[dict[str, str]]]
T = TypeVar("T")


class PageRefusedError(RuntimeError):
    """A whole page was refused (every row quarantined with one reason); the run stops on it."""


class DriftFrozenError(PageRefusedError):
    """A payload drifted under the ``freeze`` policy: the batch was rejected."""


class QuoteCurrencyError(PageRefusedError):
    """A page asked for in USD is quoted in another currency (see validation.quote_currency)."""


@dataclass(frozen=True)
class Page:
    """One fetched unit of a stream, with what the pipeline needs to take it to the database."""

    source: str
    stream: str
    label: str
    records: pd.DataFrame  # natural_key, payload: each record as received
    response: Any  # the whole decoded response: drift is judged on it, and it lands when it drifted
    drift_items: list[Any]  # the objects the contract describes (page rows, or [response])
    contract: Contract
    normalize: Callable[[pd.DataFrame, pd.Series], pd.DataFrame]  # (valid rows, raw ids) -> prices
    checkpoint: Callable[[pd.DataFrame], dict[str, Any]]  # valid rows -> the stream's cursor afterwards
    checkpoint_before: dict[str, Any]


@dataclass(frozen=True)
class PageOutcome:
    """What one page did: records read, the load result and the checkpoint it committed."""

    read: int
    result: LoadResult
    checkpoint: dict[str, Any]


@task(name="land-raw", task_run_name="land {label}", cache_policy=NO_CACHE)
def land_task(
    engine: Engine, source: str, stream: str, run_id: int, records: pd.DataFrame, label: str
) -> tuple[int, pd.Series]:
    """Land a page's records in raw_records as received."""
    return land_raw(engine, source, stream, run_id, records)


@task(name="validate", task_run_name="validate {label}", cache_policy=NO_CACHE)
def validate_task(contract: Contract, records: pd.DataFrame, label: str) -> tuple[pd.DataFrame, Reasons]:
    """Validate a page with its source's Pandera schema: (valid typed rows, reasons per rejected row)."""
    outcome = split_valid(contract.to_frame(records["payload"]), contract.schema)
    return outcome.valid, outcome.reasons


@task(name="normalize", task_run_name="normalize {label}", cache_policy=NO_CACHE)
def normalize_task(page: Page, valid: pd.DataFrame, raw_ids: pd.Series, label: str) -> pd.DataFrame:
    """Map a page's valid rows to unified prices."""
    if valid.empty:
        return pd.DataFrame(columns=list(PRICE_COLUMNS))
    return page.normalize(valid, raw_ids)


@task(name="load", task_run_name="load {label}", cache_policy=NO_CACHE)
def load_task(engine: Engine, batch: Batch, label: str) -> LoadResult:
    """Commit a page: prices, rejects, checkpoint and counts in one transaction."""
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


def process_page(engine: Engine, run_id: int, page: Page, drift_policy: str) -> PageOutcome:
    """Take one page through land, drift, validate, normalize and load; raise if frozen drift rejected it."""
    if page.records.empty:  # an empty page: nothing to land, only the checkpoint moves
        landed, raw_ids = 0, pd.Series(dtype="Int64", name="raw_record_id")
    else:
        landed, raw_ids = land_task(engine, page.source, page.stream, run_id, page.records, page.label)
    drifts = detect_drift(page.drift_items, page.contract.expected)
    if drifts:
        landed += _record_drift(engine, run_id, page, drifts)
    if drifts and drift_policy == "freeze":
        named = ", ".join(d.describe() for d in drifts)
        reason = {"column": ", ".join(d.field for d in drifts), "check": "schema_drift(freeze)", "value": named}
        _refuse_page(engine, run_id, page, raw_ids, landed, {key: [reason] for key in page.records.index})
        raise DriftFrozenError(f"{page.label}: schema drift under the freeze policy, batch rejected: {named}")
    valid, reasons = validate_task(page.contract, page.records, page.label)
    doubt = page.contract.page_check(valid) if page.contract.page_check and not valid.empty else None
    if doubt:
        refused = {key: [*reasons.get(key, []), {"column": "*", "check": "usd_quote_currency", "value": doubt}]
                   for key in page.records.index}  # fmt: skip
        _refuse_page(engine, run_id, page, raw_ids, landed, refused)
        raise QuoteCurrencyError(f"{page.label}: refused, {doubt}")
    prices = normalize_task(_untraversed(page), valid, raw_ids, page.label)
    checkpoint = page.checkpoint(valid)
    batch = Batch(
        run_id=run_id,
        source=page.source,
        stream=page.stream,
        prices=prices,
        checkpoint=checkpoint,
        rejected=_rejected(page, reasons, raw_ids, run_id),
        counts={"read": len(page.records), "landed": landed, "valid": len(valid), "rejected": len(reasons)},
    )
    return PageOutcome(len(page.records), _load(engine, batch, page.label), checkpoint)


def _refuse_page(engine: Engine, run_id: int, page: Page, raw_ids: pd.Series, landed: int, reasons: Reasons) -> None:
    """Quarantine every record of ``page`` with its ``reasons``; no price is stored, the checkpoint stays."""
    rejected = _rejected(page, reasons, raw_ids, run_id)
    counts = {"read": len(page.records), "landed": landed, "rejected": len(rejected)}
    empty = pd.DataFrame(columns=list(PRICE_COLUMNS))
    _load(engine, Batch(run_id, page.source, page.stream, empty, page.checkpoint_before, rejected, counts), page.label)


def reject_unusable(
    engine: Engine,
    run_id: int,
    source: str,
    stream: str,
    label: str,
    error: PayloadError,
    checkpoint_before: dict[str, Any],
) -> None:
    """Land a response that is not the promised JSON and quarantine it, leaving the checkpoint where it was."""
    records = pd.DataFrame({"natural_key": [f"{label}:unusable"], "payload": [error.received]})
    landed, raw_ids = land_task(engine, source, stream, run_id, records, label)
    rejected = [
        {
            "run_id": run_id,
            "source": source,
            "stream": stream,
            "natural_key": f"{label}:unusable",
            "raw_record_id": int(raw_ids.iloc[0]),
            "payload": error.received,
            "reasons": [{"column": "*", "check": "payload_not_json", "value": str(error)}],
        }
    ]
    counts = {"read": 1, "landed": landed, "rejected": 1}
    empty = pd.DataFrame(columns=list(PRICE_COLUMNS))
    _load(engine, Batch(run_id, source, stream, empty, checkpoint_before, rejected, counts), label)


def _load(engine: Engine, batch: Batch, label: str) -> LoadResult:
    return load_task(engine, _untraversed(batch), label)


def _untraversed(value: T) -> T:
    """``value`` for a task call, marked so Prefect hands it over without walking through it.

    Prefect visits every element of a task's arguments twice per call (to resolve futures and to
    record inputs); a history cursor of 500 coins inside a page or batch costs ~9 ms a visit.
    """
    return cast(T, quote(value))


def _record_drift(engine: Engine, run_id: int, page: Page, drifts: list[FieldDrift]) -> int:
    """Record and log the drift, and land the whole response so fields the records drop are kept."""
    record_drift(engine, run_id, page.source, page.stream, [(d.field, d.kind, d.example) for d in drifts])
    get_run_logger().warning("%s: schema drift: %s", page.label, ", ".join(d.describe() for d in drifts))
    whole = pd.DataFrame({"natural_key": [f"{page.label}:response"], "payload": [page.response]})
    landed, _ = land_raw(engine, page.source, page.stream, run_id, whole)
    return landed


def _rejected(page: Page, reasons: Reasons, raw_ids: pd.Series, run_id: int) -> list[dict[str, Any]]:
    keys, payloads = page.records["natural_key"], page.records["payload"]
    return [
        {
            "run_id": run_id,
            "source": page.source,
            "stream": page.stream,
            "natural_key": str(keys.loc[label])[:500],
            "raw_record_id": None if pd.isna(raw_ids.loc[label]) else int(raw_ids.loc[label]),
            "payload": payloads.loc[label],
            "reasons": row_reasons,
        }
        for label, row_reasons in reasons.items()
    ]
