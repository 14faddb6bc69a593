"""Writing quarantined rows: one row per (source, record, reasons), however often the record is refused.

A refused file ingested three times, or a bad page fetched again, must not triple the quarantine:
``rejected_records`` is unique on (source, ``quarantine_key``), the SHA-256 of the record's stream,
natural key and its reasons (the failing checks with their values), and a row already there is
kept as it is (``ON CONFLICT DO NOTHING``: the first run that refused the record stays its run). The
run's own ``rejected`` count still says how many rows that run refused.
"""

import hashlib
import json
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from models.raw import RejectedRecord


def quarantine_key(stream: str, natural_key: str, reasons: Any) -> str:
    """Hex SHA-256 of (stream, natural key, reasons as canonical JSON): the same refusal, the same key."""
    canonical = json.dumps([stream, natural_key, reasons], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def insert_rejected(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Quarantine ``rows`` (``rejected_records`` columns without the key) in the caller's transaction.

    Returns:
        How many rows were new (a refusal already quarantined is not written again).
    """
    if not rows:
        return 0
    keyed = [
        {**row, "quarantine_key": quarantine_key(row["stream"], row["natural_key"], row["reasons"])} for row in rows
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(RejectedRecord).on_conflict_do_nothing(index_elements=["source", "quarantine_key"])
    return int(conn.execute(statement, keyed).rowcount or 0)
