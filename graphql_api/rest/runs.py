"""GET /runs, /runs/compare and /runs/{id}: run history; POST /runs: an on-demand run through Prefect."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from graphql_api.deps import SessionDep, SettingsDep
from graphql_api.paging import DEFAULT_PAGE, encode_cursor, page_request
from graphql_api.prefect_runs import PrefectUnavailableError, TriggerInputError, trigger_runs
from graphql_api.queries.runs import RUN_CURSOR, compare_runs, page_runs, runs_by_ids
from graphql_api.request_context import meta
from graphql_api.rest.params import Cursor, Limit, SourceName
from graphql_api.rest.serialize import run_json
from graphql_api.trigger_auth import TriggerAuthError, check_trigger_token

router = APIRouter(prefix="/runs", tags=["runs"])
RunStatusName = Annotated[str | None, Query(pattern="^(running|succeeded|failed|crashed)$", description="Run state.")]


@router.get("")
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


@router.get("/compare", responses={404: {"description": "A run does not exist"}})
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
            raise HTTPException(404, f"{name}: no run {run_id}")
    comparison = compare_runs(found[a], found[b])
    return {
        "a": run_json(found[a], settings.prefect_ui_url),
        "b": run_json(found[b], settings.prefect_ui_url),
        "counts": {k: {"a": v[0], "b": v[1], "delta": v[2]} for k, v in comparison.count_deltas.items()},
        "duration_delta_s": comparison.duration_delta_s,
        "status_changed": comparison.status_changed,
    }


@router.get("/{run_id}", responses={404: {"description": "No such run"}})
def get_run(run_id: int, conn: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """One run: counts, timings, error, checkpoints and its Prefect flow run."""
    row = runs_by_ids(conn, [run_id]).get(run_id)
    if row is None:
        raise HTTPException(404, f"run_id: no run {run_id}")
    return run_json(row, settings.prefect_ui_url)


class TriggerRequest(BaseModel):
    """What to run: a source, and optionally some of its streams (default: every deployed stream)."""

    source: str = Field(description="csv, coingecko or coinpaprika", examples=["coingecko"])
    streams: list[str] | None = Field(default=None, description='e.g. ["markets"]; default: all')


@router.post(
    "",
    status_code=202,
    responses={
        401: {"description": "Missing or wrong bearer token"},
        403: {"description": "On-demand runs are disabled (no COINFLOW_API_TRIGGER_TOKEN)"},
        422: {"description": "Unknown source or stream"},
        503: {"description": "The Prefect server did not answer"},
    },
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
        return _error(error.status, str(error), headers)
    except TriggerInputError as error:
        return _error(422, str(error))
    except PrefectUnavailableError as error:
        return _error(503, str(error))
    runs = [{"flow_run_id": str(r.flow_run_id), "deployment": r.deployment, "stream": r.stream} for r in created]
    return JSONResponse(status_code=202, content={"source": body.source, "flow_runs": runs})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message}, headers=headers)
