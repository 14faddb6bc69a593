"""A run's error text never stores a configured secret, whoever wrote the text (both databases)."""

import pytest
from sqlalchemy import Engine, text

from models.run_log import finish_run, record_failed_run, start_run
from models.settings import get_settings

KEY = "cg-demo-Zq8vK3xW77"


def test_run_errors_are_stored_with_secrets_redacted(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINFLOW_COINGECKO_API_KEY", KEY)
    get_settings.cache_clear()
    try:
        run_id = start_run(engine, "coingecko", "markets", None, None)
        finished = finish_run(engine, run_id, "failed", f"SourceError: HTTP 401: invalid key {KEY}")
        refused = record_failed_run(engine, "coingecko", "markets", f"bad key {KEY}")
    finally:
        get_settings.cache_clear()
    assert finished.error == "SourceError: HTTP 401: invalid key [redacted]"
    assert refused.error == "bad key [redacted]"
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(text("SELECT error FROM etl_runs ORDER BY id"))]
    assert stored == ["SourceError: HTTP 401: invalid key [redacted]", "bad key [redacted]"]
