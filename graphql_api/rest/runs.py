"""GET /runs, /runs/compare and /runs/{id}: run history."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from graphql_api.deps import SessionDep, SettingsDep
from graphql_api.errors import NotFoundError
from graphql_api.paging import DEFAULT_PAGE, encode_cursor, page_request
from graphql_api.problems import problem_responses
from graphql_api.queries.runs import RUN_CURSOR, compare_runs, page_runs, runs_by_ids
from graphql_api.request_context import meta
from graphql_api.rest.params import Cursor, Limit, SourceName
from graphql_api.rest.responses import Run, RunComparison, RunPage
from graphql_api.rest.serialize import run_json

router = APIRouter(prefix="/runs", tags=["runs"], responses=problem_responses(422, 500))
RunStatusName = Annotated[str | None, Query(pattern="^(running|succeeded|failed)$", description="Run state.")]


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
