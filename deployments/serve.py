"""Serve every deployment from this process (no work pool needed): ``python -m deployments.serve``.

The long-running alternative to a worker for small set-ups (``coinflow up`` runs it). The
deployments are the ones of ``deployments/definitions.py``, the same that ``prefect.yaml``
registers for work-pool based runs: on one Prefect server use one or the other, not both (they
share names, and the last to register a name owns it).
"""

from typing import Any, cast

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment

from deployments.definitions import concurrency_limit, interval, stream_deployments
from flows.csv_inbox import csv_inbox
from flows.ingest import ingest
from models.settings import Settings, get_settings

FLOWS: dict[str, Flow[..., Any]] = {"ingest": ingest, "csv-inbox": csv_inbox}


def runner_deployments(settings: Settings) -> list[RunnerDeployment]:
    """One served deployment per definition, with its schedule, tags and concurrency limit."""
    return [
        # to_deployment is sync-compatible: called from sync code it returns the deployment itself
        cast(
            RunnerDeployment,
            FLOWS[d.flow_name].to_deployment(
                name=d.name,
                description=d.description,
                parameters=d.parameters,
                interval=interval(d),
                tags=d.tags,
                concurrency_limit=concurrency_limit(),
            ),
        )
        for d in stream_deployments(settings)
    ]


def run_limit(settings: Settings) -> int | None:
    """Flow runs this process runs at once: one on SQLite, unbounded on PostgreSQL.

    SQLite has one writer, and a transaction that reads before it writes fails at once with
    "database is locked" when another process has written meanwhile (no busy wait applies): two
    streams loading together on SQLite failed that way. Runs beyond the limit wait their turn.
    """
    return 1 if settings.database_url.startswith("sqlite") else None


def main() -> None:
    """Register the deployments and run their scheduled flow runs until interrupted."""
    settings = get_settings()
    serve(*runner_deployments(settings), limit=run_limit(settings), print_starting_message=False)


if __name__ == "__main__":
    main()
