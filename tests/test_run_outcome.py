"""A source run's outcome when Prefect hands back its server's copy of the final state without the value."""

import uuid

from prefect import State
from prefect.states import Completed
from sqlalchemy import Engine

from flows.run_summary import RunSummary
from flows.source_run import run_outcome
from models.run_log import record_skipped_run
from models.settings import Settings


def test_a_final_state_without_its_value_is_read_from_the_run_row(settings: Settings, engine: Engine) -> None:
    flow_run_id = uuid.uuid4()
    row = record_skipped_run(engine, "csv", "/data/prices.csv", str(flow_run_id), "another run holds the stream")
    state: State[None] = Completed()  # what Prefect returns after a retried final-state proposal is rejected: no data
    state.state_details.flow_run_id = flow_run_id
    outcome = run_outcome(state)
    assert isinstance(outcome, RunSummary)
    assert (outcome.run_id, outcome.source, outcome.status, outcome.error) == (
        row.id, "csv", "skipped", "another run holds the stream"
    )  # fmt: skip


def test_without_a_run_row_the_loss_is_an_error_naming_the_flow_run(settings: Settings) -> None:
    flow_run_id = uuid.uuid4()
    state: State[None] = Completed()
    state.state_details.flow_run_id = flow_run_id
    outcome = run_outcome(state)
    assert isinstance(outcome, RuntimeError)
    assert f"Prefect lost the result of flow run {flow_run_id}" in str(outcome)
