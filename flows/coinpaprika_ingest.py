"""CoinPaprika's run: coin list (identity, refreshed daily), the tickers snapshot, then history per
coin from its cursor, page by page (``/tickers/{id}/historical`` or ``/coins/{id}/ohlcv/historical``).
"""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from flows.api_fetch import fetch
from flows.api_normalize import history_prices, listed_coins, snapshot_prices
from flows.api_pipeline import Page, process_page, reject_unusable
from flows.api_run import CommitCounter, history_bounds, is_fresh, run_source
from flows.http_client import COINPAPRIKA, PayloadError, SourceClient, make_client
from flows.run_summary import RunSummary
from flows.sources import coinpaprika as cp
from models.checkpoints import read_checkpoint
from models.coins import DeclaredCoin
from models.raw_payloads import latest_payloads
from models.settings import Settings
from validation import coinpaprika as contracts

_TICKER_COLUMNS = {
    "observed_at": "last_updated",
    "price_usd": "price",
    "market_cap_usd": "market_cap",
    "volume_24h_usd": "volume_24h",
    "change_24h_pct": "percent_change_24h",
    "rank": "rank",
}
_HISTORY_COLUMNS = {
    "observed_at": "timestamp",
    "price_usd": "price",
    "market_cap_usd": "market_cap",
    "volume_24h_usd": "volume_24h",
}


def checkpoint_streams(settings: Settings) -> tuple[str, ...]:
    """The checkpoint streams a run of these settings touches."""
    return (cp.COINS.name, cp.TICKERS.name, cp.HISTORY_STREAMS[settings.coinpaprika_history_endpoint].name)


def ingest_coinpaprika(
    engine: Engine, settings: Settings, flow_run_id: str | None, streams: list[str] | None = None
) -> RunSummary:
    """Run every CoinPaprika stream once; returns the run's summary (failed runs included).

    ``streams`` (stream names, None: all) is the ``ingest`` flow's filter; not applied yet.
    """
    del streams
    return run_source(engine, cp.SOURCE, checkpoint_streams(settings), flow_run_id, partial(_run, engine, settings))


def _run(engine: Engine, settings: Settings, run_id: int) -> None:
    client = make_client(COINPAPRIKA, settings)
    try:
        _streams(engine, settings, client, run_id)
    finally:
        client.close()


def _streams(engine: Engine, settings: Settings, client: SourceClient, run_id: int) -> None:
    counter = CommitCounter(settings)
    _coins(engine, settings, client, run_id, counter)
    _tickers(engine, settings, client, run_id, counter)
    _history(engine, settings, client, run_id, counter)


def _coins(engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter) -> None:
    stream = cp.COINS.name
    before = read_checkpoint(engine, cp.SOURCE, stream) or {}
    if is_fresh(before, settings.coins_list_refresh_hours):
        return
    label = "coinpaprika coins"
    rows = _fetch_or_reject(engine, settings, run_id, stream, label, before, partial(cp.fetch_coins, client))
    state = {"fetched_at": datetime.now(UTC).isoformat(), "count": len(rows)}
    page = Page(
        cp.SOURCE,
        stream,
        label,
        cp.snapshot_records(rows),
        rows,
        rows,
        contracts.COINS,
        lambda valid, raw_ids: listed_coins(engine, cp.SOURCE, valid),  # identity before prices, no prices
        lambda valid: state,
        before,
    )
    counter.add(process_page(engine, run_id, page, settings.coinpaprika_drift_policy).read)


def _tickers(engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter) -> None:
    stream = cp.TICKERS.name
    before = read_checkpoint(engine, cp.SOURCE, stream) or {}
    label = "coinpaprika tickers"
    quote = settings.vs_currency.upper()
    rows = _fetch_or_reject(engine, settings, run_id, stream, label, before, partial(cp.fetch_tickers, client, quote))
    state = {"fetched_at": datetime.now(UTC).isoformat(), "count": len(rows)}
    page = Page(
        cp.SOURCE,
        stream,
        label,
        cp.snapshot_records(rows),
        rows,
        rows,
        contracts.tickers_contract(quote),
        partial(_ticker_prices, engine, run_id),
        lambda valid: state,
        before,
    )
    counter.add(process_page(engine, run_id, page, settings.coinpaprika_drift_policy).read)


def _history(engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter) -> None:
    endpoint = settings.coinpaprika_history_endpoint
    stream = cp.HISTORY_STREAMS[endpoint].name
    state = read_checkpoint(engine, cp.SOURCE, stream) or {"coins": {}}
    first_start, end = history_bounds(settings)
    lookback = timedelta(hours=settings.history_lookback_hours)
    limit = cp.page_limit(endpoint, settings.coinpaprika_history_limit)
    identities = latest_payloads(engine, cp.SOURCE, cp.COINS.name, settings.coinpaprika_history_coins)
    for coin_id in settings.coinpaprika_history_coins:
        if coin_id not in identities:
            raise ValueError(f"coinpaprika history: {coin_id!r} is not in the coin list (/coins)")
        identity = identities[coin_id]
        coin = DeclaredCoin(coin_id, str(identity["symbol"]).upper(), str(identity["name"]).strip())
        start, stop = cp.history_window(state["coins"].get(coin_id), lookback, first_start, end)
        while start <= stop:
            label = f"coinpaprika {endpoint} {coin_id} from {start:%Y-%m-%d}"
            call = partial(cp.fetch_history_page, client, endpoint, coin_id, start, stop, limit, settings.vs_currency)
            rows = _fetch_or_reject(engine, settings, run_id, stream, label, state, call)
            page = Page(
                cp.SOURCE,
                stream,
                label,
                cp.history_records(coin_id, rows, endpoint),
                rows,
                rows,
                contracts.HISTORY[endpoint],
                partial(_history_prices, engine, run_id, coin),
                partial(_advance, state, coin_id),
                state,
            )
            outcome = process_page(engine, run_id, page, settings.coinpaprika_drift_policy)
            counter.add(outcome.read)
            state = outcome.checkpoint
            following = cp.next_page_start(rows, endpoint)
            if len(rows) < limit or following is None:
                break
            start = following


def _advance(state: dict[str, Any], coin_id: str, valid: pd.DataFrame) -> dict[str, Any]:
    """The history cursor with ``coin_id`` moved to its newest valid row (never backwards)."""
    coins = dict(state["coins"])
    if len(valid):
        newest = valid["timestamp"].max().to_pydatetime()
        current = cp.parse_time(coins.get(coin_id))
        coins[coin_id] = max(newest, current).isoformat() if current else newest.isoformat()
    return {"coins": coins}


def _ticker_prices(engine: Engine, run_id: int, valid: pd.DataFrame, raw_ids: pd.Series) -> pd.DataFrame:
    return snapshot_prices(engine, cp.SOURCE, valid, raw_ids, run_id, _TICKER_COLUMNS)


def _history_prices(
    engine: Engine, run_id: int, coin: DeclaredCoin, valid: pd.DataFrame, raw_ids: pd.Series
) -> pd.DataFrame:
    return history_prices(engine, cp.SOURCE, coin, valid, raw_ids, run_id, _HISTORY_COLUMNS)


def _fetch_or_reject(
    engine: Engine, settings: Settings, run_id: int, stream: str, label: str, before: dict[str, Any], call: Any
) -> Any:
    """Fetch with retries; a payload that is not JSON is landed and quarantined, then the run fails."""
    try:
        return fetch(settings, call, label)
    except PayloadError as error:
        reject_unusable(engine, run_id, cp.SOURCE, stream, label, error, before)
        raise
