"""Record detected schema drift (one ``schema_drift`` row per drifted field and payload)."""

from collections.abc import Iterable

from sqlalchemy import Engine, insert

from models.columns import utcnow
from models.raw import SchemaDrift


def record_drift(
    engine: Engine, run_id: int, source: str, stream: str, drifts: Iterable[tuple[str, str, str | None]]
) -> int:
    """Insert (field, kind, example value) rows for one payload in one statement; returns how many."""
    now = utcnow()
    rows = [
        {
            "run_id": run_id,
            "source": source,
            "stream": stream,
            "field": field[:200],
            "kind": kind,
            "example_value": example,
            "detected_at": now,
        }
        for field, kind, example in drifts
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(SchemaDrift), rows)
    return len(rows)
