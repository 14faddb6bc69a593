"""A skipped run (another run held its stream) is served as ``skipped`` and is no outcome for alerting."""

from sqlalchemy import Engine

from graphql_api.app import create_app
from graphql_api.queries.etl_outcomes import run_outcomes
from models.run_log import finish_run, record_skipped_run, start_run
from models.settings import Settings
from tests.api.conftest import ApiClient

REASON = "csv prices.csv: another run (run 1, pid 4242@worker-2) holds the stream"


def test_skipped_runs_are_served_and_break_no_failure_streak(engine: Engine, settings: Settings) -> None:
    first = finish_run(engine, start_run(engine, "csv", "/in/prices.csv", None, None), "failed", "boom")
    skipped = record_skipped_run(engine, "csv", "/in/prices.csv", None, REASON)
    second = finish_run(engine, start_run(engine, "csv", "/in/prices.csv", None, None), "failed", "boom again")
    last_skipped = record_skipped_run(engine, "csv", "/in/prices.csv", None, REASON)
    assert (skipped.status, skipped.error, skipped.read, skipped.finished_at is not None) == (
        "skipped",
        REASON,
        0,
        True,
    )
    with engine.connect() as conn:
        outcomes = run_outcomes(conn)
    assert outcomes.consecutive_failures == {"csv": 2}  # the skipped runs neither count nor reset the streak
    assert outcomes.last_finished["csv"].status == "failed"  # the newest run that ran, not the skipped one
    assert outcomes.runs_by_status[("csv", "skipped")] == 2
    app = create_app(settings)
    client = ApiClient(app)
    rest = client.get("/runs", params={"status": "skipped"})
    assert rest.status_code == 200, rest.text
    assert [(r["id"], r["status"], r["error"]) for r in rest.json()["data"]] == [
        (last_skipped.id, "skipped", REASON),
        (skipped.id, "skipped", REASON),
    ]
    query = "{ runs(status: SKIPPED) { nodes { runId status error } } }"
    nodes = client.post("/graphql", json={"query": query}).json()["data"]["runs"]["nodes"]
    app.state.engine.dispose()
    assert {(n["runId"], n["status"], n["error"]) for n in nodes} == {
        (skipped.id, "SKIPPED", REASON),
        (last_skipped.id, "SKIPPED", REASON),
    }
    assert first.id is not None and second.id is not None
