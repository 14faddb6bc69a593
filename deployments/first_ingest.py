"""``coinflow up``'s first ingest: one run of every deployment, through the Prefect server.

The runs go in three waves, each waiting for the one before: coin lists (identity before prices),
then snapshots and the CSV inbox, then histories (whose top-N coins come from the snapshot).
"""

import time
from collections.abc import Callable
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import FlowRun

from deployments.definitions import StreamDeployment

POLL_S = 1.0


def waves(deployments: list[StreamDeployment]) -> list[list[StreamDeployment]]:
    """The deployments grouped by their ``wave``, in order."""
    return [[d for d in deployments if d.wave == wave] for wave in sorted({d.wave for d in deployments})]


def registered(api_url: str, deployments: list[StreamDeployment]) -> Callable[[], bool]:
    """A health check: every deployment is registered on the Prefect server at ``api_url``."""

    def check() -> bool:
        try:
            with SyncPrefectClient(api_url) as client:
                names = {d.name for d in client.read_deployments()}
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False
        return all(d.name in names for d in deployments)

    return check


def run_first_ingest(
    api_url: str, deployments: list[StreamDeployment], timeout_s: float, report: Callable[[str], None]
) -> list[FlowRun]:
    """Create a run of each deployment, wave by wave, and wait for each wave to end.

    Returns:
        The final state of every run (``report`` gets one line per finished run).

    Raises:
        TimeoutError: a wave did not finish within ``timeout_s`` from the start.
    """
    deadline = time.monotonic() + timeout_s
    finished: list[FlowRun] = []
    with SyncPrefectClient(api_url) as client:
        for wave in waves(deployments):
            ids = [
                client.create_flow_run_from_deployment(client.read_deployment_by_name(d.full_name).id).id for d in wave
            ]
            finished += _wait(client, ids, deadline, report)
    return finished


def _wait(client: SyncPrefectClient, ids: list[UUID], deadline: float, report: Callable[[str], None]) -> list[FlowRun]:
    pending, done = list(ids), []
    while pending:
        for run_id in list(pending):
            run = client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                pending.remove(run_id)
                done.append(run)
                report(f"  {run.name}: {run.state.name}")
        if pending and time.monotonic() > deadline:
            raise TimeoutError(f"first ingest: {len(pending)} run(s) not finished in time")
        time.sleep(POLL_S if pending else 0)
    return done
