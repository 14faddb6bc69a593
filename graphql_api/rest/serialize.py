"""JSON shapes of rows for the REST routes (timestamps as ISO 8601 UTC)."""

from typing import Any

from graphql_api.queries.runs import duration_s
from models.columns import as_utc


def price_json(row: Any, coin: Any | None = None) -> dict[str, Any]:
    """A price row; with its coin's canonical id and symbol when joined."""
    item = {
        "coin_id": row.coin_id,
        "source": row.source,
        "observed_at": as_utc(row.observed_at).isoformat(),
        "price_usd": row.price_usd,
        "market_cap_usd": row.market_cap_usd,
        "volume_24h_usd": row.volume_24h_usd,
        "change_24h_pct": row.change_24h_pct,
        "rank": row.rank,
        "raw_record_id": row.raw_record_id,
        "run_id": row.run_id,
    }
    if coin is not None:
        item["canonical_id"] = coin.canonical_id
        item["symbol"] = coin.symbol
    return item


def run_json(row: Any, prefect_ui_url: str | None) -> dict[str, Any]:
    """A run row with its duration and Prefect link."""
    item = {column: getattr(row, column) for column in row._fields}
    item["started_at"] = as_utc(row.started_at).isoformat()
    item["finished_at"] = as_utc(row.finished_at).isoformat() if row.finished_at else None
    item["duration_s"] = duration_s(row)
    item["prefect_url"] = (
        f"{prefect_ui_url.rstrip('/')}/runs/flow-run/{row.flow_run_id}" if prefect_ui_url and row.flow_run_id else None
    )
    return item
