"""CoinPaprika's run: coin list (identity, refreshed daily), the tickers snapshot, then history per
coin from its cursor, page by page (``/tickers/{id}/historical`` or ``/coins/{id}/ohlcv/historical``).
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
from flows.http_client import COINPAPRIKA, PayloadError, SourceClient, make_client
from flows.run_summary import RunSummary
from flows.sources import coinpaprika as cp
from models.checkpoints import read_checkpoint
from models.coins import DeclaredCoin
from models.market_ranks import history_coin_ids
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


def stream_names(settings: Settings) -> tuple[str, ...]:
    """The checkpoint streams of CoinPaprika under these settings, in run order."""
    return (cp.COINS.name, cp.TICKERS.name, cp.HISTORY_STREAMS[settings.coinpaprika_history_endpoint].name)


def ingest_coinpaprika(
    engine: Engine, settings: Settings, flow_run_id: str | None, streams: list[str] | None = None
) -> RunSummary:
    """Run CoinPaprika's streams once, in order: coins, tickers, history; returns the run's summary.

    Args:
        streams: the stream names to run (``coins``, ``tickers``, and the history stream of
            ``COINFLOW_COINPAPRIKA_HISTORY_ENDPOINT``: ``tickers_historical`` or ``ohlcv_historical``);
            ``None`` runs all of them. A coin list named explicitly is fetched even when fresh.

    Raises:
        ValueError: an unknown stream name (the message lists the valid ones); failures of the run
            itself are recorded on its ``etl_runs`` row and returned as a failed summary.
    """
    chosen = select_streams(cp.SOURCE, stream_names(settings), streams)
    refresh_hours = 0.0 if streams is not None else settings.coins_list_refresh_hours
    return run_source(engine, cp.SOURCE, chosen, flow_run_id, partial(_run, engine, settings, chosen, refresh_hours))


def _run(engine: Engine, settings: Settings, chosen: tuple[str, ...], refresh_hours: float, run_id: int) -> None:
    client = make_client(COINPAPRIKA, settings)
    counter = CommitCounter(settings)
    steps: dict[str, Callable[[Engine, Settings, SourceClient, int, CommitCounter], None]] = {
        cp.COINS.name: partial(_coins, refresh_hours=refresh_hours),
        cp.TICKERS.name: _tickers,
        cp.HISTORY_STREAMS[settings.coinpaprika_history_endpoint].name: _history,
    }
    try:
        for name in chosen:
            steps[name](engine, settings, client, run_id, counter)
    finally:
        client.close()


def _coins(
    engine: Engine, settings: Settings, client: SourceClient, run_id: int, counter: CommitCounter, refresh_hours: float
) -> None:
    stream = cp.COINS.name
    before = read_checkpoint(engine, cp.SOURCE, stream) or {}
    if is_fresh(before, refresh_hours):
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
    coin_ids = history_coin_ids(
        engine, cp.SOURCE, settings.coinpaprika_history_coins, settings.coinpaprika_history_top_n
    )
    identities = latest_payloads(engine, cp.SOURCE, cp.COINS.name, coin_ids)
    for coin_id in coin_ids:
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
