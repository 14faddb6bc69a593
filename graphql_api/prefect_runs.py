"""On-demand runs: ask the Prefect server for flow runs of coinflow's deployments.

The API never runs the ETL and never writes the tables: it finds the deployments on the Prefect
server (``PREFECT_API_URL``) by their tags (``coinflow``, the source, ``stream:<name>``, set by
``deployments/definitions.py``) and creates one flow run of each; a worker or ``coinflow up``'s
served deployments run them, one at a time per stream.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags
from prefect.settings import PREFECT_API_URL

SOURCES = ("csv", "coingecko", "coinpaprika")
STREAM_TAG = "stream:"


class TriggerInputError(ValueError):
    """An unknown source or stream; the message lists the valid ones (HTTP 422)."""


class PrefectUnavailableError(RuntimeError):
    """The Prefect server did not answer (HTTP 503)."""


@dataclass(frozen=True)
class TriggeredRun:
    """A flow run created for one stream's deployment."""

    flow_run_id: UUID
    deployment: str
    stream: str


async def trigger_runs(source: str, streams: list[str] | None, timeout_s: float) -> list[TriggeredRun]:
    """Create one flow run per stream of ``source`` (every deployed stream when ``streams`` is None).

    Raises:
        TriggerInputError: ``source`` is not a source, or a stream has no deployment.
        PrefectUnavailableError: the Prefect server cannot be reached within ``timeout_s``.
    """
    if source not in SOURCES:
        raise TriggerInputError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    try:
        async with get_client(httpx_settings={"timeout": timeout_s}) as client:
            tags = DeploymentFilterTags(all_=["coinflow", source])
            deployed = await client.read_deployments(deployment_filter=DeploymentFilter(tags=tags))
            by_stream = {_stream(d.tags): d for d in deployed if _stream(d.tags)}
            chosen = _choose(source, by_stream.keys(), streams)
            created = []
            for stream in chosen:
                run = await client.create_flow_run_from_deployment(by_stream[stream].id, tags=["on-demand"])
                created.append(TriggeredRun(run.id, by_stream[stream].name, stream))
            return created
    except TriggerInputError:
        raise
    except Exception as error:
        raise PrefectUnavailableError(
            f"the Prefect server at {PREFECT_API_URL.value()} did not answer ({type(error).__name__}); "
            "no run was created"
        ) from error


def _stream(tags: list[str]) -> str:
    return next((tag.removeprefix(STREAM_TAG) for tag in tags if tag.startswith(STREAM_TAG)), "")


def _choose(source: str, deployed: Iterable[str], streams: list[str] | None) -> list[str]:
    available = sorted(deployed)
    if not available:
        raise TriggerInputError(f"no deployment of {source} on the Prefect server (run `prefect deploy --all`)")
    if streams is None:
        return available
    unknown = [s for s in streams if s not in available]
    if unknown or not streams:
        raise TriggerInputError(f"unknown {source} stream(s) {unknown}; expected some of {', '.join(available)}")
    return list(dict.fromkeys(streams))
