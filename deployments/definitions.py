"""Every deployment of coinflow, declared once: one per source stream.

``prefect.yaml`` is rendered from this (``coinflow deployments yaml``; a test fails when the file is
stale), ``deployments/serve.py`` and ``coinflow up`` serve these same objects, and the API finds them
on the Prefect server by their tags (``coinflow``, the source, ``stream:<name>``).

Schedules are intervals from the settings (``COINFLOW_SCHEDULE_*_S``). Each deployment allows one
run at a time: a run that comes due while the previous one of the same stream still runs is
cancelled (``CANCEL_NEW``): the next interval's run covers it, and two runs of one stream never
overlap.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

from flows.sources import coingecko as cg
from flows.sources import coinpaprika as cp
from models.settings import Settings

INGEST_ENTRYPOINT = "flows/ingest.py:ingest"
INBOX_ENTRYPOINT = "flows/csv_inbox.py:csv_inbox"
WORK_POOL = "coinflow"


@dataclass(frozen=True)
class StreamDeployment:
    """One scheduled deployment: a flow entrypoint, its parameters, and how often it runs."""

    name: str
    source: str
    stream: str
    entrypoint: str
    interval_s: int
    description: str
    wave: int  # first-ingest order: 0 coin lists (identity first), 1 snapshots and CSV, 2 histories (top N)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def flow_name(self) -> str:
        """The name of the flow the entrypoint points at (``ingest`` or ``csv-inbox``)."""
        return "csv-inbox" if self.entrypoint == INBOX_ENTRYPOINT else "ingest"

    @property
    def full_name(self) -> str:
        """``flow/deployment``, as ``prefect deployment run`` takes it."""
        return f"{self.flow_name}/{self.name}"

    @property
    def tags(self) -> list[str]:
        """``coinflow``, the source, and ``stream:<name>``."""
        return ["coinflow", self.source, f"stream:{self.stream}"]


def concurrency_limit() -> ConcurrencyLimitConfig:
    """One run at a time per deployment; a run that comes due during another is cancelled."""
    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def _api(source: str, stream: str, interval_s: int, description: str, wave: int) -> StreamDeployment:
    name = f"{source}-{stream.replace('_', '-')}"
    parameters = {"source": source, "streams": [stream]}
    return StreamDeployment(name, source, stream, INGEST_ENTRYPOINT, interval_s, description, wave, parameters)


def stream_deployments(settings: Settings) -> list[StreamDeployment]:
    """Every deployment, coin lists first (identity before prices), then snapshots, histories, CSV."""
    paprika_history = cp.HISTORY_STREAMS[settings.coinpaprika_history_endpoint].name
    lists, history = settings.schedule_coins_list_s, settings.schedule_history_s
    return [
        _api(cg.SOURCE, cg.COINS_LIST.name, lists, "CoinGecko /coins/list with platforms: coin identity.", 0),
        _api(cp.SOURCE, cp.COINS.name, lists, "CoinPaprika /coins: coin identity.", 0),
        _api(
            cg.SOURCE,
            cg.MARKETS.name,
            settings.schedule_coingecko_markets_s,
            "CoinGecko /coins/markets snapshot, paged (COINFLOW_COINGECKO_MARKETS_MAX_PAGES).",
            1,
        ),
        _api(cp.SOURCE, cp.TICKERS.name, settings.schedule_coinpaprika_tickers_s, "CoinPaprika /tickers snapshot.", 1),
        _api(
            cg.SOURCE,
            cg.MARKET_CHART.name,
            history,
            "CoinGecko price history per coin from its cursor (COINFLOW_COINGECKO_HISTORY_COINS, _TOP_N).",
            2,
        ),
        _api(
            cp.SOURCE,
            paprika_history,
            history,
            "CoinPaprika price history per coin from its cursor (COINFLOW_COINPAPRIKA_HISTORY_COINS, _TOP_N).",
            2,
        ),
        StreamDeployment(
            "csv-inbox",
            "csv",
            "inbox",
            INBOX_ENTRYPOINT,
            settings.schedule_csv_inbox_s,
            "New and appended *.csv files of the inbox folder (COINFLOW_CSV_INBOX).",
            1,
        ),
    ]


def interval(deployment: StreamDeployment) -> timedelta:
    """The deployment's schedule interval."""
    return timedelta(seconds=deployment.interval_s)
