"""The one settings class of coinflow: every knob comes from a ``COINFLOW_`` environment variable.

It lives in ``models`` because every layer (flows, API, CLI) needs it and ``models`` imports
no other coinflow package: placing it here keeps the import arrows of the design pointing one way.
"""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# The files coinflow ships (sample CSV, replay recordings, coin overrides): ``data/`` of a checkout, or
# ``models/data/`` of an installed wheel (pyproject's wheel ``sources`` rewrite puts them there). Read-only.
_WHEEL_DATA_DIR = Path(__file__).resolve().parent / "data"
INSTALLED = _WHEEL_DATA_DIR.is_dir()
DATA_DIR = _WHEEL_DATA_DIR if INSTALLED else REPO_ROOT / "data"
# Where coinflow writes (the embedded SQLite database): a checkout's own ``data/``; for an installed
# package ``data/`` under the directory it was started in, never site-packages.
LOCAL_DATA_DIR = Path.cwd() / "data" if INSTALLED else REPO_ROOT / "data"
DEFAULT_SQLITE_PATH = LOCAL_DATA_DIR / "coinflow.db"


class Settings(BaseSettings):
    """Runtime configuration, validated on load."""

    model_config = SettingsConfigDict(env_prefix="COINFLOW_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL; sqlite:///path (embedded default) or postgresql+psycopg2://...",
    )
    sample_csv: Path = Field(default=DATA_DIR / "sample_prices.csv")
    csv_chunk_rows: int = Field(default=100_000, ge=1, le=1_000_000, description="Rows per CSV chunk (one task each)")
    csv_sample_rows: int = Field(
        default=100_000,
        ge=1,
        description="Rows the CSV first pass reads to decide a file's conventions (more while undecided)",
    )
    # csv
    csv_max_unreadable_ratio: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Refuse a CSV file whole when more than this share of its rows cannot be read",
    )
    pause_between_batches_s: float = Field(
        default=0.0, ge=0.0, description="Sleep after each committed batch (demos and crash tests)"
    )
    fail_after_n_records: int | None = Field(
        default=None, ge=0, description="Fail a run once this many records have been committed (failure injection)"
    )
    coin_overrides_file: Path = Field(
        default=DATA_DIR / "coin_overrides.csv", description="Maintained coin identity overrides"
    )
    spread_alert_pct: float = Field(
        default=2.0, ge=0, description="Flag a coin when its sources' latest prices spread more than this"
    )
    prefect_ui_url: str | None = Field(default=None, description="Base URL of the Prefect UI for run links")
    coingecko_api_key: SecretStr | None = None
    coinpaprika_api_key: SecretStr | None = None

    # sources: HTTP client
    coingecko_key_plan: Literal["demo", "pro"] = Field(
        default="demo",
        description="CoinGecko plan of the key: demo and pro keys use other headers and hosts",
    )
    coingecko_base_url: str | None = Field(
        default=None, description="CoinGecko API root; default: the public host, or pro-api for a pro key"
    )
    coinpaprika_base_url: str | None = Field(
        default=None, description="CoinPaprika API root; default: the free host, or api-pro when a key is set"
    )
    coinpaprika_auth_scheme: str = Field(default="", description='Prefix of the CoinPaprika key header, e.g. "Bearer"')
    http_timeout_s: float = Field(default=20.0, gt=0, description="Per-request timeout (connect, read, write)")
    http_user_agent: str = "coinflow/0.1 (+https://github.com/coinflow)"
    http_retries: int = Field(default=4, ge=0, le=20, description="Prefect task retries of a retryable fetch failure")
    http_backoff_s: float = Field(default=2.0, ge=0, description="Base of the exponential retry backoff (s)")
    http_retry_jitter: float = Field(default=0.5, ge=0, le=1, description="Prefect retry_jitter_factor")
    http_retry_after_max_s: float = Field(
        default=300.0, ge=0, description="Longest Retry-After wait honoured; a longer one fails the fetch"
    )
    coingecko_requests_per_minute: int | None = Field(
        default=None, ge=1, description="CoinGecko request quota; default 10 keyless, 30 demo, 500 pro"
    )
    request_quota_scope: Literal["process", "prefect"] = Field(
        default="process",
        description="Who shares a source's request quota: this process, or every worker through Prefect "
        "global concurrency limits (needs a Prefect server)",
    )
    coinpaprika_requests_per_second: int = Field(default=10, ge=1, description="CoinPaprika global per-IP cap")
    coinpaprika_requests_per_minute: int = Field(
        default=25, ge=1, description="CoinPaprika pacing (free plan: 20,000 calls a month is about 27/min)"
    )
    # sources: what to fetch
    vs_currency: Literal["usd"] = Field(
        default="usd",
        description="Quote currency asked of the APIs; only usd: the value is stored as price_usd (docs/columns.md)",
    )
    history_start: str | None = Field(
        default=None, description="First day of history (YYYY-MM-DD) on a coin's first run; default: history_days ago"
    )
    history_days: int = Field(default=365, ge=1, description="Days of history on a coin's first run")
    history_end: str | None = Field(
        default=None, description="Last day of history asked for (YYYY-MM-DD); default: now (replays pin it)"
    )
    history_lookback_hours: int = Field(
        default=48, ge=0, description="Re-ask this window before the cursor so late corrections are upserted"
    )
    coingecko_markets_per_page: int = Field(default=250, ge=1, le=250)
    coingecko_markets_max_pages: int = Field(default=4, ge=1)
    coingecko_history_coins: list[str] = Field(default=["bitcoin", "ethereum"])
    coins_list_refresh_hours: float = Field(
        default=24.0, ge=0, description="Fetch a coin list again only when the landed one is older than this"
    )
    coinpaprika_history_endpoint: Literal["tickers", "ohlcv"] = "tickers"
    coinpaprika_history_coins: list[str] = Field(default=["btc-bitcoin", "eth-ethereum"])
    coinpaprika_history_limit: int = Field(default=5000, ge=1, le=5000, description="Rows per historical page")
    coingecko_drift_policy: Literal["evolve", "freeze"] = "evolve"
    coinpaprika_drift_policy: Literal["evolve", "freeze"] = "evolve"
    # query service
    api_database_url: SecretStr | None = Field(
        default=None,
        description="URL the API connects with (a read-only role on PostgreSQL); default: COINFLOW_DATABASE_URL",
    )
    api_introspection: bool = Field(default=True, description="Allow GraphQL introspection (powers GraphiQL)")
    api_max_depth: int = Field(default=8, ge=2, description="Deepest GraphQL selection allowed")
    api_max_aliases: int = Field(default=30, ge=1, description="Most aliases allowed in one GraphQL document")
    api_max_tokens: int = Field(default=2_000, ge=100, description="Most tokens allowed in one GraphQL document")
    api_max_cost: int = Field(
        default=50_000, ge=1, description="Bound on a query's requested rows: list sizes multiplied along each path"
    )
    api_response_cache_size: int = Field(default=512, ge=0, description="GraphQL responses kept (0 turns it off)")
    api_response_cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="Byte budget of the GraphQL response cache (0 turns it off)"
    )
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest request body (bigger: 413)")
    api_compile_graphql: bool = Field(
        default=True, description="Answer compilable GraphQL queries with one SQL statement (PostgreSQL only)"
    )
    api_max_variables: int = Field(default=100, ge=1, description="Most variables in one GraphQL request")
    api_db_pool_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Database connections the API keeps open and never exceeds; a request finding all in use "
        "waits for one (up to 30 s, then 503 with Retry-After)",
    )
    api_statement_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="PostgreSQL cancels an API statement running longer than this (0: no limit); "
        "a cancelled request answers 503 with Retry-After",
    )
    api_metrics_cache_s: float = Field(default=10.0, ge=0.0, description="How long ETL gauges read from the DB live")
    api_gc_gen0_threshold: int = Field(
        default=20_000, ge=0, description="Gen-0 GC threshold of the API server process (0: Python's default)"
    )
    api_ready_max_age_s: dict[str, int] = Field(
        default_factory=dict,
        description='Per source, the oldest acceptable last successful run for /health/ready, e.g. {"csv": 86400}',
    )

    # runs and the CLI (ops-runs)
    prefect_startup_timeout_s: int = Field(
        default=180,
        ge=1,
        description="Seconds to wait for Prefect's temporary server to start (Prefect's own 20 s is too short "
        "on a busy machine); unused when PREFECT_API_URL names a running server",
    )

    # ops-deploy: deployments (one per source stream), the local stack (`coinflow up`), on-demand runs
    home: Path = Field(
        default=REPO_ROOT, description="Folder holding flows/ (a checkout or the installed package): runs start there"
    )
    csv_inbox: Path = Field(default=DATA_DIR / "inbox", description="Folder of CSV files the csv-inbox stream loads")
    schedule_coingecko_markets_s: int = Field(default=300, ge=10, description="CoinGecko markets snapshot interval")
    schedule_coinpaprika_tickers_s: int = Field(default=600, ge=10, description="CoinPaprika tickers interval")
    schedule_history_s: int = Field(default=3_600, ge=10, description="Price history interval (both APIs)")
    schedule_coins_list_s: int = Field(default=21_600, ge=10, description="Coin list interval (both APIs)")
    schedule_csv_inbox_s: int = Field(default=900, ge=10, description="CSV inbox folder interval")
    coingecko_history_top_n: int = Field(
        default=0, ge=0, description="Also load history of the top N coins of the latest markets snapshot"
    )
    coinpaprika_history_top_n: int = Field(
        default=0, ge=0, description="Also load history of the top N coins of the latest tickers snapshot"
    )
    up_dir: Path = Field(
        default=DATA_DIR, description="coinflow up: its Prefect server's home (prefect/) and logs (logs/) go here"
    )
    up_start_timeout_s: float = Field(default=180.0, gt=0, description="coinflow up: wait this long for each part")
    up_first_ingest_timeout_s: float = Field(
        default=900.0, gt=0, description="coinflow up: wait this long for the first ingest runs"
    )
    prefect_request_timeout_s: float = Field(
        default=10.0, gt=0, description="API: how long POST /runs waits for the Prefect server"
    )
    api_trigger_token: SecretStr | None = Field(
        default=None, description="Bearer token for POST /runs and triggerRun; unset: on-demand runs are disabled"
    )

    # values-api: cross-source spread
    spread_window_minutes: float = Field(
        default=15.0,
        gt=0,
        description="Compare only sources whose latest prices are this close in time to the newest one "
        "(docs/columns.md: snapshots refresh every few minutes; a daily close lines up to the second)",
    )

    # query service: browser clients on other origins (api-front)
    api_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser, comma-separated "
        "(https://app.example.com,http://localhost:5173; * for any); none by default",
    )

    # coin identity: market evidence (flows/identity_market.py). Measured on the recorded data (README
    # "Coin identity"): the same asset disagreed by <= 0.95 % in price and market cap with 6-9 h between
    # readings; price-agreeing decoys (USDT/USDC, BTC/WBTC, ETH/stETH, USDS/USDe) by >= 31 % in market cap.
    identity_price_tolerance_pct: float = Field(
        default=2.0, gt=0, le=50, description="Most two sources' prices of one asset may differ (% of the larger)"
    )
    identity_market_cap_tolerance_pct: float = Field(
        default=10.0, gt=0, le=50, description="Most their market caps may differ (% of the larger)"
    )
    identity_market_window_minutes: float = Field(
        default=15.0, gt=0, description="Readings compared as market evidence are at most this far apart in time"
    )
    # query service: HTTP caching and compression (graphql-contract)
    api_http_max_age_s: int = Field(
        default=5,
        ge=0,
        description="Cache-Control max-age of GET data routes and GraphQL GET queries; short, as a load can land "
        "any moment (revalidation with ETag/If-None-Match stays cheap after it)",
    )
    api_gzip_min_bytes: int = Field(default=1_000, ge=0, description="Gzip response bodies at least this long")
    # run-exclusion: one run per stream at a time (models/stream_lock.py)
    stream_lock_wait_s: float = Field(
        default=0.0,
        ge=0,
        le=3_600,
        description="How long a run waits for another run of its stream to finish before it is recorded as skipped",
    )

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            return value
        origins = [str(origin).strip().rstrip("/") for origin in value if str(origin).strip()]
        for origin in origins:
            scheme, _, host = origin.partition("://")
            if origin != "*" and (scheme not in ("http", "https") or not host or "/" in host):
                raise ValueError(f"COINFLOW_API_CORS_ORIGINS: {origin!r} is not an origin like https://host[:port]")
        return origins

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("COINFLOW_DATABASE_URL must be a sqlite:/// or postgresql+psycopg2:// URL")
        return url


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
