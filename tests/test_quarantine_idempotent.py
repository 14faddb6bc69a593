"""Quarantine rows are idempotent per (source, record, reasons): refusing the same file again adds nothing."""

import json
from pathlib import Path

from sqlalchemy import Engine, text

from flows.ingest import ingest, run_summaries
from models.migrate import downgrade, upgrade
from models.settings import Settings
from tests.csv_files import sample_rows, write_csv

BEFORE_KEY = "0004_candle_close_time"


def _refused_file(path: Path) -> Path:
    """Four readable sample rows and six with a price that is not a number: refused whole (6 of 10 unreadable)."""
    good = sample_rows(0, 4)
    bad = [",".join(line.split(",")[:3]) + ",lots,1,2" for line in sample_rows(4, 10)]
    return write_csv(path, good + bad)


def _quarantine(engine: Engine) -> list[tuple[str, int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT natural_key, run_id, reasons FROM rejected_records ORDER BY id")).all()
    return [
        (r.natural_key, r.run_id, json.dumps(r.reasons if not isinstance(r.reasons, str) else json.loads(r.reasons)))
        for r in rows
    ]


def test_a_refused_file_ingested_three_times_leaves_one_set_of_rows(
    settings: Settings, prefect_api_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = _refused_file(tmp_path / "refused.csv")
    runs = [run_summaries(ingest(source="csv", file=str(path), return_state=True))[0] for _ in range(3)]
    assert [(r.status, r.rejected, r.inserted) for r in runs] == [("failed", 10, 0)] * 3
    assert "file refused whole" in (runs[0].error or "")
    stored = _quarantine(engine)
    assert len(stored) == 10 and len({key for key, _, _ in stored}) == 10
    assert {run_id for _, run_id, _ in stored} == {runs[0].run_id}  # the first refusal stays the record
    price_rows = [reasons for key, _, reasons in stored if key.endswith((":5", ":6"))]
    assert all('"value": "lots"' in reasons for reasons in price_rows), price_rows
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prices")).scalar_one() == 0


def test_the_migration_keeps_the_oldest_of_each_duplicate_set(database_url: str, engine: Engine) -> None:
    downgrade(database_url, BEFORE_KEY)
    try:
        reasons = [{"column": "price_usd", "check": "coerce_dtype('float64')", "value": "lots"}]
        other = [{"column": "price_usd", "check": "greater_than(0)", "value": "-1"}]
        with engine.begin() as conn:
            run_ids = [
                conn.execute(
                    text(
                        "INSERT INTO etl_runs (source, stream, status, started_at, read, landed, valid, rejected, "
                        "inserted, updated, unchanged) VALUES ('csv', 'f.csv', 'failed', CURRENT_TIMESTAMP, "
                        "0, 0, 0, 0, 0, 0, 0) RETURNING id"
                    )
                ).scalar_one()
                for _ in range(3)
            ]
            for run_id in run_ids:
                for key, why in (("f:1", reasons), ("f:2", reasons), ("f:2", other)):
                    conn.execute(
                        text(
                            "INSERT INTO rejected_records (run_id, source, stream, natural_key, payload, reasons, "
                            "rejected_at) VALUES (:run, 'csv', 'f.csv', :key, :payload, :reasons, CURRENT_TIMESTAMP)"
                        ),
                        {"run": run_id, "key": key, "payload": json.dumps({"price": "x"}), "reasons": json.dumps(why)},
                    )
    finally:
        upgrade(database_url)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT natural_key, run_id FROM rejected_records ORDER BY id")).all()
    assert [tuple(row) for row in kept] == [("f:1", run_ids[0]), ("f:2", run_ids[0]), ("f:2", run_ids[0])]
