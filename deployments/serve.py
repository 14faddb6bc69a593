"""Serve the ``ingest`` flow from this process (no work pool needed): ``python -m deployments.serve``.

The long-running alternative to a worker for small set-ups; ``prefect.yaml`` holds the same
deployments for work-pool based runs (``prefect deploy --all`` + ``prefect worker start``).
"""

from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from flows.ingest import ingest


def main() -> None:
    """Register the deployments and run their scheduled flow runs until interrupted."""
    # to_deployment is sync-compatible: called from sync code it returns the deployment itself
    csv_sample = cast(
        RunnerDeployment,
        ingest.to_deployment(
            name="csv-sample",
            parameters={"source": "csv"},
            cron="0 * * * *",
            tags=["coinflow", "csv"],
            concurrency_limit=1,  # runs of one stream never overlap (a stale "running" row means a crash)
        ),
    )
    serve(csv_sample)


if __name__ == "__main__":
    main()
