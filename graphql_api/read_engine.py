"""The API's database engine: the read-only URL when configured, else the pipeline's."""

from sqlalchemy import Engine, create_engine

from models.db import make_engine
from models.settings import Settings

# What an operator sees for the API's connections in pg_stat_activity.
APPLICATION_NAME = "coinflow-api"


def make_read_engine(settings: Settings) -> Engine:
    """An engine for the API's request handlers.

    PostgreSQL: ``api_db_pool_size`` connections, kept open, and no overflow: a burst waits for a
    pooled connection (up to ``pool_timeout``, 30 s; then a 503, ``graphql_api.db_unavailable``) instead
    of opening and closing a connection, a server process, per request. Measured with the series case of
    ``bench/api/run.py`` (32 concurrent clients, 2 cores): 108-120 req/s with 10 pooled + 20 overflow
    connections, 159-164 req/s with 10 and no overflow. Connections are named ``coinflow-api`` in
    ``pg_stat_activity``. Autocommit (each SELECT is its own snapshot, and a connection goes back to the
    pool without a ROLLBACK round trip) and no pre-ping (another round trip per checkout; a GraphQL
    request checks out up to four connections). A connection dropped by a database restart fails one
    request, which makes SQLAlchemy invalidate the whole pool; ``pool_recycle`` retires idle ones. Every
    session runs with ``statement_timeout`` = ``api_statement_timeout_ms``, so no request holds a
    connection and a core for longer (the cancel surfaces as ``QueryCanceled``, an ``OperationalError``:
    a 503 with ``Retry-After``, see ``graphql_api.db_unavailable``).
    """
    url = settings.api_database_url.get_secret_value() if settings.api_database_url else settings.database_url
    if url.startswith("postgresql"):
        return create_engine(
            url,
            pool_size=settings.api_db_pool_size,
            max_overflow=0,
            isolation_level="AUTOCOMMIT",
            pool_recycle=600,
            connect_args={
                "options": f"-c statement_timeout={settings.api_statement_timeout_ms}",
                "application_name": APPLICATION_NAME,
            },
        )
    return make_engine(url)
