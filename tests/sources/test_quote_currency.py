"""A page asked for in USD but quoted in another currency is refused, never stored as USD (both databases).

The real case: a recorded CoinGecko /coins/markets page labelled ``vs_currency=usd`` whose values are
euros (tether 0.9493). Replayed as it is, nothing of it may reach ``prices``: every row is quarantined
with the reason, the run fails saying why, and the stream's checkpoint does not move.
"""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from deployments.source_server.runner import serve_in_thread
from flows.ingest import ingest, run_summaries
from models.settings import Settings, get_settings
from tests.sources.conftest import SOURCE_ENV, count, rows
from validation.quote_currency import USD_PEGGED, usd_quote_doubt

DATA = Path(__file__).resolve().parents[2] / "data" / "sources"
RECORDING = DATA / "recorded" / "coingecko" / "coins_markets__RozanovIgor-monkey_usd_per_page30_2025-03-04.json"
DERIVED = DATA / "recorded" / "coingecko" / "coins_markets__RozanovIgor-monkey_eur-converted-to-usd_2025-03-04.json"


def _doubt(quotes: dict[str, float]) -> str | None:
    return usd_quote_doubt(pd.Series(list(quotes)), pd.Series(list(quotes.values())), USD_PEGGED["coingecko"])


def test_the_recorded_euro_page_is_doubted_and_its_usd_version_is_not() -> None:
    recorded = {row["id"]: row["current_price"] for row in json.loads(RECORDING.read_text())}
    doubt = _doubt(recorded)
    assert doubt is not None
    assert "0.9496" in doubt and "tether 0.949312" in doubt and "1.0531 USD" in doubt
    assert _doubt({row["id"]: row["current_price"] for row in json.loads(DERIVED.read_text())}) is None


@pytest.mark.parametrize(
    "quotes",
    [
        # 2023-03-11, the USDC depeg: usd-coin and dai fell apart from each other, tether held.
        {"tether": 1.01, "usd-coin": 0.877, "dai": 0.897, "bitcoin": 20_600},
        {"usd-coin": 0.877, "dai": 0.897},  # off the peg, but 2.3 % apart: two events, not another unit
        {"tether": 0.95, "bitcoin": 79_847},  # one pegged coin cannot tell a depeg from a currency
        {"tether": 1.004, "usd-coin": 0.9998, "dai": 1.0001},  # on the peg
    ],
)
def test_a_depeg_or_too_little_evidence_is_not_called_another_currency(quotes: dict[str, float]) -> None:
    assert _doubt(quotes) is None


@pytest.fixture(scope="module")
def euro_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("euro-replay")
    for source in ("coingecko", "coinpaprika"):
        shutil.copytree(DATA / source, root / source)
    shutil.copyfile(RECORDING, root / "coingecko" / "coins_markets.json")  # the page as recorded, in EUR
    with serve_in_thread(root) as (url, _book):
        yield url


def test_a_euro_page_labelled_usd_is_quarantined_whole_and_the_run_says_why(
    engine: Engine, settings: Settings, euro_server: str, prefect_api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SOURCE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COINFLOW_COINGECKO_BASE_URL", f"{euro_server}/api/v3")
    get_settings.cache_clear()

    [summary] = run_summaries(ingest(source="coingecko", streams=["markets"], return_state=True))

    assert summary.status == "failed"
    assert "coingecko markets page 1: refused" in (summary.error or "")
    assert "USD-pegged coins all trade at 0.9496" in (summary.error or "")
    assert count(engine, "SELECT count(*) FROM prices") == 0  # not one euro price stored as USD
    refused = rows(engine, "SELECT natural_key, reasons FROM rejected_records WHERE source = 'coingecko'")
    assert len(refused) == 30  # every row of the page, each with the reason
    for _key, reasons in refused:
        checks = [r["check"] for r in (reasons if isinstance(reasons, list) else json.loads(reasons))]
        assert checks == ["usd_quote_currency"]
    assert count(engine, "SELECT count(*) FROM raw_records WHERE source = 'coingecko'") == 30  # landed as received
    states = [s if isinstance(s, dict) else json.loads(s) for (s,) in rows(engine, "SELECT state FROM checkpoints")]
    assert states in ([], [{}])  # the markets checkpoint did not move past the refused page
