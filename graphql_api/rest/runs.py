"""GET /runs, /runs/compare and /runs/{id}: run history; POST /runs: an on-demand run through Prefect."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from graphql_api.deps import SessionDep, SettingsDep
from graphql_api.errors import NotFoundError
from graphql_api.paging import DEFAULT_PAGE, encode_cursor, page_request
from graphql_api.prefect_runs import PrefectUnavailableError, TriggerInputError, trigger_runs
from graphql_api.problems import problem_responses
from graphql_api.queries.runs import RUN_CURSOR, compare_runs, page_runs, runs_by_ids
from graphql_api.request_context import meta
from graphql_api.rest.params import Cursor, Limit, SourceName
from graphql_api.rest.responses import Run, RunComparison, RunPage
from graphql_api.rest.serialize import run_json
from graphql_api.trigger_auth import TriggerAuthError, check_trigger_token

router = APIRouter(prefix="/runs", tags=["runs"], responses=problem_responses(422, 500))
RunStatusName = Annotated[
    str | None, Query(pattern="^(running|succeeded|failed|crashed|skipped)$", description="Run state.")
]


@router.get("", response_model=RunPage, responses=problem_responses(400))
def list_runs(
    conn: SessionDep,
    settings: SettingsDep,
    source: SourceName | None = None,
    status: RunStatusName = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Runs newest first, `limit` per page with an opaque `next_cursor`."""
    request = page_request(RUN_CURSOR, (int,), first=limit, after=cursor, after_name="cursor")
    page = page_runs(conn, source.value if source else None, status, request)
    return {
        "data": [run_json(row, settings.prefect_ui_url) for row in page.rows],
        "next_cursor": encode_cursor(RUN_CURSOR, (page.rows[-1].id,)) if page.has_next else None,
        "meta": meta(),
    }


@router.get("/compare", response_model=RunComparison, responses=problem_responses(404))
def compare(
    a: Annotated[int, Query(description="Run id of the baseline.")],
    b: Annotated[int, Query(description="Run id to compare with it.")],
    conn: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """How run `b` differs from run `a`: counts, duration and status."""
    found = runs_by_ids(conn, [a, b])
    for name, run_id in (("a", a), ("b", b)):
        if run_id not in found:
            raise NotFoundError(name, f"no run {run_id}")
    comparison = compare_runs(found[a], found[b])
    return {
        "a": run_json(found[a], settings.prefect_ui_url),
        "b": run_json(found[b], settings.prefect_ui_url),
        "counts": {k: {"a": v[0], "b": v[1], "delta": v[2]} for k, v in comparison.count_deltas.items()},
        "duration_delta_s": comparison.duration_delta_s,
        "status_changed": comparison.status_changed,
    }


@router.get("/{run_id}", response_model=Run, responses=problem_responses(404))
def get_run(run_id: int, conn: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """One run: counts, timings, error, checkpoints and its Prefect flow run."""
    row = runs_by_ids(conn, [run_id]).get(run_id)
    if row is None:
        raise NotFoundError("run_id", f"no run {run_id}")
    return run_json(row, settings.prefect_ui_url)


class TriggerRequest(BaseModel):
    """What to run: a source, and optionally some of its streams (default: every deployed stream)."""

    source: str = Field(description="csv, coingecko or coinpaprika", examples=["coingecko"])
    streams: list[str] | None = Field(default=None, description='e.g. ["markets"]; default: all')


def _trigger_responses() -> dict[int | str, dict[str, Any]]:
    """The problem documents POST /runs answers with, each status described."""
    responses = problem_responses(401, 403, 422, 503)
    responses[401]["description"] = "Missing or wrong bearer token"
    responses[403]["description"] = "On-demand runs are disabled (no COINFLOW_API_TRIGGER_TOKEN)"
    responses[422]["description"] = "Unknown source or stream"
    responses[503]["description"] = "The Prefect server did not answer"
    return responses


@router.post(
    "",
    status_code=202,
    responses=_trigger_responses(),
)
async def trigger_run(
    body: TriggerRequest, settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Create a flow run of each chosen stream's deployment on the Prefect server (bearer token)."""
    try:
        check_trigger_token(settings, authorization)
        created = await trigger_runs(body.source, body.streams, settings.prefect_request_timeout_s)
    except TriggerAuthError as error:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        raise HTTPException(error.status, str(error), headers) from None
    except TriggerInputError as error:
        raise HTTPException(422, str(error)) from None
    except PrefectUnavailableError as error:
        raise HTTPException(503, str(error), {"Retry-After": "30"}) from None
    runs = [{"flow_run_id": str(r.flow_run_id), "deployment": r.deployment, "stream": r.stream} for r in created]
    return JSONResponse(status_code=202, content={"source": body.source, "flow_runs": runs})
