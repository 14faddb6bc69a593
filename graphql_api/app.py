"""The app factory: ``uvicorn --factory graphql_api.app:create_app``. It only wires the parts together."""

from fastapi import FastAPI

from graphql_api.errors import install_error_handlers
from graphql_api.gc_tuning import gc_lifespan
from graphql_api.gql.router import make_graphql_router
from graphql_api.json_logging import configure_logging
from graphql_api.metrics import ApiMetrics
from graphql_api.middleware import RequestIdMiddleware
from graphql_api.read_engine import make_read_engine
from graphql_api.rest import coins, data, health, metrics, runs, stats
from models.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app serving GraphQL on /graphql and the REST routes, reading ``settings``' database."""
    settings = settings or get_settings()
    configure_logging()
    app = FastAPI(
        title="coinflow query service",
        summary="Read-only GraphQL and REST over coinflow's unified market data and run history.",
        lifespan=gc_lifespan(settings.api_gc_gen0_threshold),
    )
    app.state.settings = settings
    app.state.engine = make_read_engine(settings)
    app.state.metrics = ApiMetrics()
    app.state.metrics.watch_etl(app.state.engine, settings.api_metrics_cache_s)
    for module in (health, stats, data, coins, runs, metrics):
        app.include_router(module.router)
    app.include_router(make_graphql_router(settings, app.state.engine, app.state.metrics), prefix="/graphql")
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware, metrics=app.state.metrics)
    return app
