"""The CSV source end to end through real Prefect flow runs, on SQLite and PostgreSQL."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from flows.ingest import ingest, run_summaries
from flows.run_summary import RunSummary
from flows.sources import csv_file
from models.checkpoints import read_checkpoint
from models.settings import Settings
from tests.csv_files import HEADER, SAMPLE, SAMPLE_ROWS, sample_rows, write_csv
from tests.db_snapshot import count, snapshot

RunCsv = Callable[[Path], RunSummary]


@pytest.fixture
def run_csv(settings: Settings, prefect_api_url: str) -> RunCsv:
    """Run the real ``ingest`` flow on one file and return its run summary."""

    def run(path: Path) -> RunSummary:
        state = ingest(source="csv", file=str(path), return_state=True)
        summaries = run_summaries(state)
        return summaries[0]

    return run


def _counts(summary: RunSummary) -> dict[str, int]:
    names = ("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")
    return {name: getattr(summary, name) for name in names}


def test_the_sample_loads_with_expected_counts_and_values(run_csv: RunCsv, engine: Engine) -> None:
    summary = run_csv(SAMPLE)
    assert summary.status == "succeeded"
    assert _counts(summary) == {
        "read": SAMPLE_ROWS, "landed": SAMPLE_ROWS, "valid": SAMPLE_ROWS, "rejected": 0,
        "inserted": SAMPLE_ROWS, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    assert SAMPLE_ROWS == 6619
    assert count(engine, "prices") == SAMPLE_ROWS
    assert count(engine, "coins") == 30
    with engine.connect() as conn:
        btc_first = conn.execute(
            text(
                "SELECT p.price_usd, p.market_cap_usd FROM prices p JOIN coins c ON c.id = p.coin_id "
                "WHERE c.canonical_id = 'bitcoin' ORDER BY p.observed_at LIMIT 1"
            )
        ).one()
        eth_count = conn.execute(
            text("SELECT count(*) FROM prices p JOIN coins c ON c.id = p.coin_id WHERE c.canonical_id = 'ethereum'")
        ).scalar_one()
        run = conn.execute(text("SELECT status, flow_run_id, finished_at FROM etl_runs")).one()
        methods = {row[0] for row in conn.execute(text("SELECT DISTINCT match_method FROM coin_sources"))}
    assert tuple(btc_first) == (135.3, 1500517590.0)
    assert eth_count == 2160
    assert run.status == "succeeded" and run.flow_run_id == summary.flow_run_id and run.finished_at is not None
    assert methods == {"csv-declared"}
    checkpoint = read_checkpoint(engine, "csv", str(SAMPLE.resolve()))
    assert checkpoint is not None
    assert checkpoint["rows"] == SAMPLE_ROWS and checkpoint["offset"] == SAMPLE.stat().st_size


def test_a_second_run_reads_nothing_and_writes_nothing(run_csv: RunCsv, engine: Engine) -> None:
    run_csv(SAMPLE)
    before = snapshot(engine)
    second = run_csv(SAMPLE)
    assert second.status == "succeeded"
    assert _counts(second) == dict.fromkeys(_counts(second), 0)
    assert snapshot(engine) == before


def test_a_nothing_new_rerun_parses_no_chunk(run_csv: RunCsv, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: the re-run of a loaded file checks its fingerprint (the prefix hash) and parses no row."""
    parsed: list[int] = []
    real_parse = csv_file.parse_rows

    def counting_parse(header: list[str], delimiter: str, data: bytes, rows_before: int) -> Any:
        parsed.append(rows_before)
        return real_parse(header, delimiter, data, rows_before)

    monkeypatch.setattr(csv_file, "parse_rows", counting_parse)
    assert run_csv(SAMPLE).status == "succeeded"
    assert parsed  # the spy sees the first run's chunks
    parsed.clear()
    second = run_csv(SAMPLE)
    assert second.status == "succeeded"
    assert parsed == []


def test_appended_rows_load_alone(run_csv: RunCsv, engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", sample_rows(0, 100))
    assert run_csv(path).inserted == 100
    with path.open("a") as handle:
        handle.writelines(sample_rows(100, 120))
    appended = run_csv(path)
    assert _counts(appended) == {
        "read": 20, "landed": 20, "valid": 20, "rejected": 0, "inserted": 20, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    assert count(engine, "prices") == 120
    with engine.connect() as conn:  # the file as received: one raw record per chunk, the appended rows alone
        keys = conn.execute(text("SELECT natural_key FROM raw_records ORDER BY id")).scalars().all()
    assert [key.split(":")[1] for key in keys] == ["1-100", "101-120"]


def test_a_last_line_without_newline_loads_and_later_appends_follow(
    run_csv: RunCsv, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + "".join(sample_rows(0, 3)).rstrip("\n"))
    assert run_csv(path).inserted == 3
    with path.open("a") as handle:
        handle.write("\n" + "".join(sample_rows(3, 5)))
    assert run_csv(path).inserted == 2
    assert count(engine, "prices") == 5


def test_a_different_file_with_the_same_name_is_loaded_as_new(run_csv: RunCsv, engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", sample_rows(0, 50))
    run_csv(path)
    first_id = read_checkpoint(engine, "csv", str(path))["file_id"]  # type: ignore[index]
    write_csv(path, sample_rows(1000, 1060))  # same name, other content, longer than before
    replaced = run_csv(path)
    assert (replaced.read, replaced.inserted) == (60, 60)
    checkpoint = read_checkpoint(engine, "csv", str(path))
    assert checkpoint is not None and checkpoint["file_id"] != first_id and checkpoint["rows"] == 60
    assert count(engine, "prices") == 110


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_load(
    run_csv: RunCsv, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            "BTC,Bitcoin,2024-01-01T00:00:00Z,42000.5,820000000000,1000",  # 1 good
            "BTC,Bitcoin,2024-01-02T00:00:00Z,-5,820000000000,1000",  # 2 negative price
            "ETH,Ethereum,yesterday,2300,,",  # 3 unparseable date
            ",Ethereum,2024-01-03T00:00:00Z,2300,,",  # 4 empty symbol
            "BTC,Bitcoin,2024-01-01T00:00:00Z,42001,820000000000,1000",  # 5 duplicate key of row 1
            "ETH,Ethereum,2024-01-03T00:00:00Z,2301.25,,",  # 6 good, optional fields empty
            "ETH,Ethereum,2024-01-04T00:00:00Z,2302",  # 7 too few fields
        ],
    )
    summary = run_csv(path)
    assert summary.status == "succeeded"
    assert (summary.read, summary.landed, summary.valid, summary.rejected, summary.inserted) == (7, 7, 2, 5, 2)
    with engine.connect() as conn:
        rejected = {
            row.natural_key.split(":")[1]: row.reasons
            for row in conn.execute(text("SELECT natural_key, reasons FROM rejected_records"))
        }
        loaded = conn.execute(text("SELECT price_usd, market_cap_usd FROM prices ORDER BY observed_at")).all()
    reasons = {row: [(r["column"], r["check"], r["value"]) for r in _decoded(value)] for row, value in rejected.items()}
    assert reasons == {
        "2": [("price_usd", "greater_than(0)", "-5")],  # the value as the file holds it
        "3": [("timestamp", "coerce_dtype('datetime64[us, UTC]')", "yesterday")],
        "4": [("symbol", "not_nullable", "")],
        "5": [
            ("symbol", "multiple_fields_uniqueness", "BTC"),
            ("timestamp", "multiple_fields_uniqueness", "2024-01-01T00:00:00Z"),
        ],
        "7": [("*", "field_count", "4 fields, header has 6")],
    }
    assert [tuple(row) for row in loaded] == [(42000.5, 820000000000.0), (2301.25, None)]


def test_a_file_whose_every_row_is_rejected_quarantines_them_all(
    run_csv: RunCsv, engine: Engine, tmp_path: Path
) -> None:
    # Every symbol empty: the valid part of the chunk is empty, and an empty text column has no type for
    # Pandera to check; this once failed the run with a multi-line SchemaErrors (found by make reliability).
    path = write_csv(
        tmp_path / "nosymbols.csv",
        [",Bitcoin,2024-01-01T00:00:00Z,42000.5,820000000000,1000", ",Bitcoin,2024-01-02T00:00:00Z,42001.5,,"],
    )
    summary = run_csv(path)
    assert summary.status == "succeeded", summary.error
    assert (summary.read, summary.valid, summary.rejected, summary.inserted) == (2, 0, 2, 0)
    assert count(engine, "prices") == 0
    with engine.connect() as conn:
        rejected = conn.execute(text("SELECT natural_key, reasons FROM rejected_records ORDER BY natural_key")).all()
    assert [(key.split(":")[1], _decoded(reasons)) for key, reasons in rejected] == [
        ("1", [{"column": "symbol", "check": "not_nullable", "value": ""}]),
        ("2", [{"column": "symbol", "check": "not_nullable", "value": ""}]),
    ]


def _decoded(value: object) -> list[dict[str, str]]:
    import json

    return json.loads(value) if isinstance(value, str) else value  # type: ignore[return-value]
