"""The 200 bodies of the REST routes as pydantic models: ``response_model`` of each route, so
/openapi.json gives typed clients (openapi-typescript, orval) real shapes instead of ``object``.

Timestamps stay the ISO 8601 UTC strings ``serialize`` writes (``+00:00``), typed ``date-time``.
Row models (a run, a price) allow extra keys: a column added to a table shows up rather than being
silently dropped; envelopes are closed.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="ISO 8601, UTC.")]


class Closed(BaseModel):
    """A body whose keys are all listed."""

    model_config = ConfigDict(extra="forbid")


class Row(BaseModel):
    """A table row: its listed columns, plus any newer one."""

    model_config = ConfigDict(extra="allow")


class Meta(Closed):
    """Request facts of a list response."""

    request_id: str = Field(description="The X-Request-ID of this response.")
    api_latency_ms: float = Field(description="Time spent in the API before the body was written, in ms.")


class Health(Closed):
    """Liveness."""

    status: Literal["ok"]


class ReadinessCheck(Closed):
    """One readiness check: the database, or a source's last successful run."""

    check: str = Field(description="`database` or `source:<name>`.")
    ok: bool
    detail: str | None = None
    last_success_at: Timestamp | None = None
    age_s: float | None = Field(default=None, description="Seconds since the last successful run.")
    max_age_s: int | None = Field(default=None, description="The oldest acceptable age (COINFLOW_API_READY_MAX_AGE_S).")


class Readiness(Closed):
    """Readiness: 200 when every check passes, 503 otherwise (same body)."""

    status: Literal["ready", "unready"]
    checks: list[ReadinessCheck]
    failing: list[ReadinessCheck]


class Price(Row):
    """One observation of a coin's price by one source (USD)."""

    coin_id: int
    source: str
    observed_at: Timestamp
    price_usd: float
    market_cap_usd: float | None
    volume_24h_usd: float | None
    change_24h_pct: float | None = Field(description="Change over 24 h in percent, as the source reports it.")
    rank: int | None
    raw_record_id: int | None = Field(description="The landed payload this row was loaded from.")
    run_id: int | None


class PriceOfCoin(Price):
    """A price with its coin's canonical id and ticker."""

    canonical_id: str
    symbol: str


class DataPage(Closed):
    """A page of /data."""

    data: list[PriceOfCoin]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")
    meta: Meta


class CoinSource(Closed):
    """A source's id for the coin and how it was matched."""

    source: str
    source_coin_id: str
    symbol: str
    name: str
    match_method: str = Field(
        description="override, contract, symbol+name, slug, name+symbol, market, ambiguous, source-id, csv-declared"
    )
    matched_at: Timestamp


class CoinDetail(Closed):
    """A canonical coin, its source ids and the latest price of each source."""

    canonical_id: str
    symbol: str
    name: str
    sources: list[CoinSource]
    latest_prices: list[Price]


class SourceStats(Closed):
    """ETL figures of one source."""

    source: str
    runs: int
    last_run_id: int | None
    last_run_status: str | None
    last_run_started_at: Timestamp | None
    last_success_at: Timestamp | None
    price_rows: int
    rejected: int
    drift_events: int
    avg_duration_s: float | None
    max_duration_s: float | None


class Mover(Closed):
    """A coin among the top gainers or losers over 24 h (its latest price)."""

    canonical_id: str
    symbol: str
    name: str
    source: str
    price_usd: float
    change_24h_pct: float
    observed_at: Timestamp


class MarketSummary(Closed):
    """Statistics over each coin's latest price."""

    coin_count: int
    total_market_cap_usd: float
    top_gainers: list[Mover]
    top_losers: list[Mover]


class Stats(Closed):
    """/stats: per-source ETL figures and the market summary."""

    data: list[SourceStats]
    market: MarketSummary
    meta: Meta


class Run(Row):
    """One ETL run of one source."""

    id: int
    flow_run_id: str | None
    source: str
    stream: str
    status: Literal["running", "succeeded", "failed", "crashed", "skipped"]
    started_at: Timestamp
    finished_at: Timestamp | None
    read: int
    landed: int
    valid: int
    rejected: int
    inserted: int
    updated: int
    unchanged: int
    error: str | None
    checkpoint_before: Any = Field(description="The stream's checkpoint (JSON) when the run started.")
    checkpoint_after: Any = Field(description="The checkpoint (JSON) the run committed.")
    duration_s: float | None = Field(description="Seconds from start to finish; null while running.")
    prefect_url: str | None = Field(description="The flow run in the Prefect UI, when COINFLOW_PREFECT_UI_URL is set.")


class RunPage(Closed):
    """A page of /runs, newest first."""

    data: list[Run]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")
    meta: Meta


class CountDelta(Closed):
    """One count of two runs and b - a."""

    a: int
    b: int
    delta: int


class RunComparison(Closed):
    """How run b differs from run a."""

    a: Run
    b: Run
    counts: dict[str, CountDelta] = Field(description="Per count (read, landed, valid, ...).")
    duration_delta_s: float | None
    status_changed: bool
