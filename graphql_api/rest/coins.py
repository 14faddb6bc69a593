"""GET /coins/{canonical_id}: one coin with its source ids and latest prices."""

from typing import Any

from fastapi import APIRouter

from graphql_api.deps import SessionDep
from graphql_api.errors import NotFoundError
from graphql_api.problems import problem_responses
from graphql_api.queries.coins import coins_by_canonical_ids, latest_by_coin, sources_by_coin
from graphql_api.rest.responses import CoinDetail
from graphql_api.rest.serialize import price_json
from models.columns import as_utc

router = APIRouter(prefix="/coins", tags=["coins"], responses=problem_responses(500))


@router.get("/{canonical_id}", response_model=CoinDetail, responses=problem_responses(404, 422))
def get_coin(canonical_id: str, conn: SessionDep) -> dict[str, Any]:
    """A coin by canonical id: its source ids with match methods and the latest price of each source."""
    coin = coins_by_canonical_ids(conn, [canonical_id]).get(canonical_id)
    if coin is None:
        raise NotFoundError("canonical_id", f"no coin {canonical_id!r}")
    sources = sources_by_coin(conn, [coin.id]).get(coin.id, [])
    latest = latest_by_coin(conn, [coin.id]).get(coin.id, [])
    return {
        "canonical_id": coin.canonical_id,
        "symbol": coin.symbol,
        "name": coin.name,
        "sources": [
            {
                "source": s.source,
                "source_coin_id": s.source_coin_id,
                "symbol": s.symbol,
                "name": s.name,
                "match_method": s.match_method,
                "matched_at": as_utc(s.matched_at).isoformat(),
            }
            for s in sources
        ],
        "latest_prices": [price_json(row) for row in latest],
    }
