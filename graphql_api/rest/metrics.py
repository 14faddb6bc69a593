"""Prometheus scrape endpoint."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from graphql_api.problems import problem_responses

router = APIRouter(tags=["metrics"], responses=problem_responses(500))


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
def metrics(request: Request) -> Response:
    """HTTP, GraphQL, response-cache and ETL metrics in the Prometheus text format."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
