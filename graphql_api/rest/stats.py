"""GET /stats: per-source ETL figures and market statistics."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from graphql_api.deps import SessionDep
from graphql_api.problems import problem_responses
from graphql_api.queries.etl_status import source_statuses
from graphql_api.queries.market import market_stats
from graphql_api.request_context import meta
from graphql_api.rest.responses import Stats
from models.columns import as_utc

router = APIRouter(tags=["stats"], responses=problem_responses(500))


def _mover(row: Any) -> dict[str, Any]:
    return {**row._asdict(), "observed_at": as_utc(row.observed_at).isoformat()}


@router.get("/stats", response_model=Stats)
def stats(conn: SessionDep) -> dict[str, Any]:
    """Per source: runs, last run, stored rows, rejected, drift events, durations; plus market statistics."""
    sources = []
    for status in source_statuses(conn):
        item = asdict(status)
        for key in ("last_run_started_at", "last_success_at"):
            item[key] = item[key].isoformat() if item[key] else None
        sources.append(item)
    market = market_stats(conn, None)
    return {
        "data": sources,
        "market": {
            "coin_count": market.coin_count,
            "total_market_cap_usd": market.total_market_cap_usd,
            "top_gainers": [_mover(row) for row in market.gainers],
            "top_losers": [_mover(row) for row in market.losers],
        },
        "meta": meta(),
    }
