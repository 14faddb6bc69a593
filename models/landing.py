"""Land raw payloads as received, set-based (or one record of received bytes); re-landing an identical
payload is a no-op."""

import hashlib
import json
from typing import Any, cast

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from models.columns import utcnow
from models.raw import RawRecord
from models.staging import drop_stage, stage_frame

_STAGE = "_stage_raw"


def payload_hash(payload: Any) -> str:
    """SHA-256 of the payload's canonical JSON: equal payloads hash equal whatever their key order."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def land_raw(engine: Engine, source: str, stream: str, run_id: int, records: pd.DataFrame) -> tuple[int, pd.Series]:
    """Land ``records`` (columns ``natural_key``, ``payload``) in one transaction.

    Returns how many were new, and the raw record id of every natural key (new or already there),
    indexed like ``records``, for lineage.
    """
    frame = pd.DataFrame(
        {
            "source": source,
            "stream": stream,
            "natural_key": records["natural_key"].to_numpy(),
            "payload": records["payload"].to_numpy(),
            "payload_hash": records["payload"].map(payload_hash).to_numpy(),
            "run_id": run_id,
            "fetched_at": pd.Timestamp(utcnow()),
        }
    )
    columns = ", ".join(frame.columns)
    with engine.begin() as conn:
        stage_frame(conn, "raw_records", _STAGE, frame)
        landed = conn.exec_driver_sql(
            f"INSERT INTO raw_records ({columns}) SELECT {columns} FROM {_STAGE} WHERE true "
            "ON CONFLICT (source, natural_key, payload_hash) DO NOTHING"
        ).rowcount
        found = conn.exec_driver_sql(
            f"SELECT s.natural_key, r.id FROM {_STAGE} s JOIN raw_records r "
            "ON r.source = s.source AND r.natural_key = s.natural_key AND r.payload_hash = s.payload_hash"
        ).all()
        ids = {str(key): int(raw_id) for key, raw_id in found}
        drop_stage(conn, _STAGE)
    return int(landed), pd.Series(records["natural_key"].map(ids).to_numpy(), index=records.index, name="raw_record_id")


def land_bytes(
    engine: Engine, source: str, stream: str, run_id: int, natural_key: str, payload: dict[str, Any], content: bytes
) -> tuple[bool, int]:
    """Land one record that holds received bytes (``content``, stored as given) described by ``payload``.

    Returns (new, raw record id). The payload should name what makes the bytes unique (a digest):
    landing the same key and payload again is a no-op that returns the existing id.
    """
    digest = payload_hash(payload)
    row = {
        "source": source,
        "stream": stream,
        "natural_key": natural_key,
        "payload": payload,
        "payload_hash": digest,
        "content": content,
        "run_id": run_id,
        "fetched_at": utcnow(),
    }
    dialect_insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.begin() as conn:
        landed = conn.execute(
            dialect_insert(RawRecord)
            .values(row)
            .on_conflict_do_nothing(index_elements=["source", "natural_key", "payload_hash"])
        ).rowcount
        raw_id = conn.execute(
            select(col(RawRecord.id)).where(
                col(RawRecord.source) == source,
                col(RawRecord.natural_key) == natural_key,
                col(RawRecord.payload_hash) == digest,
            )
        ).scalar_one()
    return bool(landed), int(cast(int, raw_id))
