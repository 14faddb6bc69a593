"""Stale runs: ``etl_runs`` rows left ``running`` by a process that died (kill -9, OOM, power loss).

Every ``ingest`` flow run starts by reconciling them. A row whose lease is still held belongs to a
live process (a concurrent run) and is left alone. Any other running row is closed, its counts and
checkpoint untouched, with what Prefect says of its flow run:

- the flow run is CRASHED -> ``crashed``, "flow run <id> is CRASHED: <message>";
- it FAILED or was CANCELLED (the process died after Prefect closed it) -> ``failed``, likewise;
- it is still RUNNING (nothing could tell Prefect of a SIGKILL) -> ``crashed``, "process ended
  before the run finished", and the flow run is set to Crashed so the Prefect UI agrees;
- Prefect has no such flow run, or cannot be reached -> ``crashed``, "process ended before the
  run finished".
"""

import logging
from uuid import UUID

from prefect import get_client
from prefect.exceptions import ObjectNotFound, PrefectException
from prefect.logging import get_run_logger
from prefect.states import Crashed
from sqlalchemy import Engine

from models.run_lease import lease_is_held
from models.run_log import close_stale_run, running_runs

PROCESS_ENDED = "process ended before the run finished"
_FAILED_TYPES = ("FAILED", "CANCELLED", "CANCELLING")


def reconcile_stale_runs(engine: Engine) -> list[tuple[int, str, str]]:
    """Close every ``running`` row whose process is gone; returns (run id, status, reason) of each."""
    closed: list[tuple[int, str, str]] = []
    for run_id, source, stream, flow_run_id in running_runs(engine):
        if lease_is_held(engine, run_id):
            continue
        status, reason = _verdict(flow_run_id)
        if close_stale_run(engine, run_id, status, reason):
            _logger().warning("%s run %d (%s) closed as %s: %s", source, run_id, stream, status, reason)
            closed.append((run_id, status, reason))
    return closed


def _verdict(flow_run_id: str | None) -> tuple[str, str]:
    """(status, reason) for a dead run from the state of its Prefect flow run."""
    if not flow_run_id:
        return "crashed", PROCESS_ENDED
    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(flow_run_id)).state
            if state is None or not state.is_final():
                client.set_flow_run_state(
                    flow_run_id, Crashed(message=f"coinflow: {PROCESS_ENDED} (no live process holds it)"), force=True
                )
                return "crashed", f"{PROCESS_ENDED} (flow run {flow_run_id} was still running in Prefect)"
    except (ObjectNotFound, ValueError):
        return "crashed", PROCESS_ENDED
    except Exception as error:  # noqa: BLE001 - Prefect unreachable (any transport error): still close the row
        _logger().warning("Prefect unreachable while reconciling flow run %s: %s", flow_run_id, error)
        return "crashed", PROCESS_ENDED
    kind = state.type.value
    status = "failed" if kind in _FAILED_TYPES else "crashed"
    return status, f"flow run {flow_run_id} is {kind}: {state.message or 'no message'}"


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except PrefectException:  # outside a flow run
        return logging.getLogger(__name__)
