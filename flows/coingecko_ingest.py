"""CoinGecko's run: coin list (identity, refreshed daily), the markets snapshot page by page, then
price history per coin from its cursor. One Prefect task per step per page or coin.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from flows.api_fetch import fetch
from flows.api_normalize import history_prices, listed_coins, snapshot_prices
from flows.api_pipeline import Page, process_page, reject_unusable
from flows.api_run import CommitCounter, history_bounds, is_fresh, run_source, select_streams
from flows.http_client import COINGECKO, PayloadError, SourceClient, make_client
from flows.run_summary import RunSummary
from flows.sources import coingecko as cg
from models.checkpoints import read_checkpoint
from models.coins import DeclaredCoin
from models.market_ranks import history_coin_ids
from models.raw_payloads import latest_payloads
from models.settings import Settings
from validation import coingecko as contracts

_MARKETS_COLUMNS = {
    "observed_at": "last_updated",
    "price_usd": "current_price",
    "market_cap_usd": "market_cap",
    "volume_24h_usd": "total_volume",
    "change_24h_pct": "price_change_percentage_24h",
    "rank": "market_cap_rank",
}
_CHART_COLUMNS = {
    "observed_at": "timestamp",
    "price_usd": "price",
    "market_cap_usd": "market_cap",
    "volume_24h_usd": "total_volume",
}
STREAMS = (cg.COINS_LIST.name, cg.MARKETS.name, cg.MARKET_CHART.name)


def ingest_coingecko(
    engine: Engine, settings: Settings, flow_run_id: str | None, streams: list[str] | None = None
) -> RunSummary:
    """Run CoinGecko's streams once, in order: coin list, markets, market chart; returns the run's summary.

    Args:
        streams: the stream names to run (``coins_list``, ``markets``, ``market_chart``); ``None`` runs
            all of them. A coin list named explicitly is fetched even when the landed one is fresh.

    Raises:
        ValueError: an unknown stream name (the message lists the valid ones); failures of the run
            itself are recorded on its ``etl_runs`` row and returned as a failed summary.
    """
    chosen = select_streams(cg.SOURCE, STREAMS, streams)
    refresh_hours = 0.0 if streams is not None else settings.coins_list_refresh_hours
    return run_source(engine, cg.SOURCE, chosen, flow_run_id, partial(_run, engine, settings, chosen, refresh_hours))


def _run(engine: Engine, settings: Settings, chosen: tuple[str, ...], refresh_hours: float, run_id: int) -> None:
    client = make_client(COINGECKO, settings)
    counter = CommitCounter(settings)
    steps: dict[str, Callable[[Engine, Settings, SourceClient, int, CommitCounter], None]] = {
        cg.COINS_LIST.name: partial(_coins_list, refresh_hours=refresh_hours),
        cg.MARKETS.name: _markets,
        cg.MARKET_CHART.name: _history,
    }
    try:
        for name in chosen:
            steps[name](engine, settings, client, run_id, counter)
    finally:
        client.close()


def _coins_list(
    engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter, refresh_hours: float
) -> None:
    stream = cg.COINS_LIST.name
    before = read_checkpoint(engine, cg.SOURCE, stream) or {}
    if is_fresh(before, refresh_hours):
        return
    label = "coingecko coins list"
    rows = _fetch_or_reject(engine, settings, run_id, stream, label, before, partial(cg.fetch_coins_list, client))
    state = {"fetched_at": datetime.now(UTC).isoformat(), "count": len(rows)}
    page = Page(
        cg.SOURCE,
        stream,
        label,
        cg.list_records(rows),
        rows,
        rows,
        contracts.COINS_LIST,
        lambda valid, raw_ids: listed_coins(engine, cg.SOURCE, valid, _platforms(rows)),  # identity, no prices
        lambda valid: state,
        before,
    )
    counter.add(process_page(engine, run_id, page, settings.coingecko_drift_policy).read)


def _platforms(rows: list[Any]) -> dict[str, dict[str, str]]:
    """Contract addresses by coin id, from a list fetched with ``include_platform``."""
    return {
        str(row["id"]): row["platforms"]
        for row in rows
        if isinstance(row, dict) and isinstance(row.get("platforms"), dict) and "id" in row
    }


def _markets(engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter) -> None:
    stream, per_page = cg.MARKETS.name, settings.coingecko_markets_per_page
    before = read_checkpoint(engine, cg.SOURCE, stream) or {}
    resuming = before and not before.get("complete") and before.get("per_page") == per_page
    page_number = int(before["page"]) + 1 if resuming else 1
    while page_number <= settings.coingecko_markets_max_pages:
        label = f"coingecko markets page {page_number}"
        call = partial(cg.fetch_markets_page, client, settings.vs_currency, page_number, per_page)
        rows = _fetch_or_reject(engine, settings, run_id, stream, label, before, call)
        complete = len(rows) < per_page or page_number == settings.coingecko_markets_max_pages
        state = {"page": page_number, "per_page": per_page, "complete": complete}
        page = Page(
            cg.SOURCE,
            stream,
            label,
            cg.markets_records(rows),
            rows,
            rows,
            contracts.MARKETS,
            partial(_markets_prices, engine, run_id),
            lambda valid, state=state: state,  # type: ignore[misc]
            before,
        )
        counter.add(process_page(engine, run_id, page, settings.coingecko_drift_policy).read)
        before = state
        if complete:
            break
        page_number += 1


def _history(engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter) -> None:
    stream = cg.MARKET_CHART.name
    state = read_checkpoint(engine, cg.SOURCE, stream) or {"coins": {}}
    first_start, end = history_bounds(settings)
    lookback = timedelta(hours=settings.history_lookback_hours)
    coin_ids = history_coin_ids(engine, cg.SOURCE, settings.coingecko_history_coins, settings.coingecko_history_top_n)
    identities = latest_payloads(engine, cg.SOURCE, cg.COINS_LIST.name, coin_ids)
    for coin_id in coin_ids:
        if coin_id not in identities:
            raise ValueError(f"coingecko history: {coin_id!r} is not in the coin list (/coins/list)")
        identity = identities[coin_id]
        coin = DeclaredCoin(coin_id, str(identity["symbol"]).upper(), str(identity["name"]).strip())
        cursor = state["coins"].get(coin_id)
        start, stop = cg.chart_window(cursor, lookback, first_start, end)
        label = f"coingecko chart {coin_id} from {start:%Y-%m-%d}"
        call = partial(cg.fetch_market_chart, client, coin_id, settings.vs_currency, start, stop)
        chart = _fetch_or_reject(engine, settings, run_id, stream, label, state, call)
        page = Page(
            cg.SOURCE,
            stream,
            label,
            cg.chart_records(coin_id, chart),
            chart,
            [chart],
            contracts.CHART,
            partial(_chart_prices, engine, run_id, coin),
            partial(_advance, state, coin_id),
            state,
        )
        outcome = process_page(engine, run_id, page, settings.coingecko_drift_policy)
        counter.add(outcome.read)
        state = outcome.checkpoint


def _advance(state: dict[str, Any], coin_id: str, valid: pd.DataFrame) -> dict[str, Any]:
    """The chart cursor with ``coin_id`` moved to its newest valid point (never backwards)."""
    coins = dict(state["coins"])
    if len(valid):
        newest = int(valid["timestamp"].max().timestamp() * 1000)
        coins[coin_id] = max(newest, coins.get(coin_id) or 0)
    return {"coins": coins}


def _markets_prices(engine: Engine, run_id: int, valid: pd.DataFrame, raw_ids: pd.Series) -> pd.DataFrame:
    return snapshot_prices(engine, cg.SOURCE, valid, raw_ids, run_id, _MARKETS_COLUMNS)


def _chart_prices(
    engine: Engine, run_id: int, coin: DeclaredCoin, valid: pd.DataFrame, raw_ids: pd.Series
) -> pd.DataFrame:
    return history_prices(engine, cg.SOURCE, coin, valid, raw_ids, run_id, _CHART_COLUMNS)


def _fetch_or_reject(
    engine: Engine, settings: Settings, run_id: int, stream: str, label: str, before: dict[str, Any], call: Any
) -> Any:
    """Fetch with retries; a payload that is not JSON is landed and quarantined, then the run fails."""
    try:
        return fetch(settings, call, label)
    except PayloadError as error:
        reject_unusable(engine, run_id, cg.SOURCE, stream, label, error, before)
        raise
