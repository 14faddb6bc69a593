"""The one settings class of coinflow: every knob comes from a ``COINFLOW_`` environment variable.

It lives in ``models`` because every layer (flows, API, CLI) needs it and ``models`` imports
no other coinflow package: placing it here keeps the import arrows of the design pointing one way.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "coinflow.db"


class Settings(BaseSettings):
    """Runtime configuration, validated on load."""

    model_config = SettingsConfigDict(env_prefix="COINFLOW_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL; sqlite:///path (embedded default) or postgresql+psycopg2://...",
    )
    sample_csv: Path = Field(default=DATA_DIR / "sample_prices.csv")
    csv_chunk_rows: int = Field(default=5_000, ge=1, le=1_000_000, description="Rows per CSV chunk (one task each)")
    pause_between_batches_s: float = Field(
        default=0.0, ge=0.0, description="Sleep after each committed batch (demos and crash tests)"
    )
    fail_after_n_records: int | None = Field(
        default=None, ge=0, description="Fail a run once this many records have been committed (failure injection)"
    )
    prefect_ui_url: str | None = Field(default=None, description="Base URL of the Prefect UI for run links")
    coingecko_api_key: SecretStr | None = None
    coinpaprika_api_key: SecretStr | None = None

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
    api_metrics_cache_s: float = Field(default=10.0, ge=0.0, description="How long ETL gauges read from the DB live")
    api_gc_gen0_threshold: int = Field(
        default=20_000, ge=0, description="Gen-0 GC threshold of the API server process (0: Python's default)"
    )
    api_ready_max_age_s: dict[str, int] = Field(
        default_factory=dict,
        description='Per source, the oldest acceptable last successful run for /health/ready, e.g. {"csv": 86400}',
    )

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
