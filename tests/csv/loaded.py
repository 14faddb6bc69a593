"""Run the real ``ingest`` flow on a CSV fixture and read back what reached the database."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from flows.run_summary import RunSummary

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RunCsv = Callable[..., list[RunSummary]]


def prices(engine: Engine) -> list[tuple[str, str, str, float, float | None, float | None]]:
    """(canonical id, symbol, observed_at ISO UTC, price, market cap, volume) per loaded price, sorted."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.canonical_id, c.symbol, p.observed_at, p.price_usd, p.market_cap_usd, p.volume_24h_usd "
                "FROM prices p JOIN coins c ON c.id = p.coin_id"
            )
        ).all()
    return sorted((r[0], r[1], _iso(r[2]), r[3], r[4], r[5]) for r in rows)


def reasons(engine: Engine) -> dict[int, list[tuple[str, str, str]]]:
    """Rejected rows by data-row number: (column, check, value) per reason."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT natural_key, reasons FROM rejected_records")).all()
    return {
        int(key.rsplit(":", 1)[1]): [(r["column"], r["check"], r["value"]) for r in _json(value)] for key, value in rows
    }


def _iso(value: Any) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
    return stamp.isoformat()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
