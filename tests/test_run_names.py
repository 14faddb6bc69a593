"""The names operators read in the Prefect UI: ``ingest <source> · <what it reads> · <UTC minute>``."""

from datetime import UTC, datetime

from flows.ingest import run_target
from flows.source_run import run_name
from models.settings import get_settings


def test_a_run_is_named_after_what_it_reads() -> None:
    assert run_target("csv", {"file": "/data/inbox/btc-2024.csv"}) == "btc-2024.csv"
    assert run_target("csv", {}) == get_settings().sample_csv.name
    assert run_target("coingecko", {"streams": ["markets", "coins_list"]}) == "markets, coins_list"
    assert run_target("coinpaprika", {"streams": None}) == "all streams"
    assert run_target("all", {}) == "all sources"
    when = datetime(2026, 11, 30, 15, 40, 59, tzinfo=UTC)
    assert run_name("ingest coingecko", "all streams", when) == "ingest coingecko · all streams · 2026-11-30 15:40Z"
