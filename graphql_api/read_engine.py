"""The API's database engine: the read-only URL when configured, else the pipeline's."""

from sqlalchemy import Engine

from models.db import make_engine
from models.settings import Settings


def make_read_engine(settings: Settings) -> Engine:
    """An engine for the API (pool sized for a threadpool of request handlers)."""
    url = settings.api_database_url.get_secret_value() if settings.api_database_url else settings.database_url
    if url.startswith("postgresql"):
        return make_engine(url, pool_size=10, max_overflow=20)
    return make_engine(url)
