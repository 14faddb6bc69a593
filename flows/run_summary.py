"""What a run reports back to the CLI and to the flow's result."""

from dataclasses import asdict, dataclass

from models.runs import EtlRun


class InjectedFailureError(RuntimeError):
    """Raised on purpose by ``COINFLOW_FAIL_AFTER_N_RECORDS``."""


@dataclass(frozen=True)
class RunSummary:
    """One source run's outcome, as ``coinflow ingest --json`` prints it."""

    source: str
    stream: str
    status: str
    read: int
    landed: int
    valid: int
    rejected: int
    inserted: int
    updated: int
    unchanged: int
    run_id: int
    flow_run_id: str | None
    error: str | None
    input_error: bool = False

    def as_json(self) -> dict[str, object]:
        """The JSON object of this run (without the internal ``input_error`` flag)."""
        data = asdict(self)
        data.pop("input_error")
        return data


def summarize(run: EtlRun, input_error: bool = False) -> RunSummary:
    """The summary of a finished ``etl_runs`` row."""
    assert run.id is not None
    return RunSummary(
        source=run.source,
        stream=run.stream,
        status=run.status,
        read=run.read,
        landed=run.landed,
        valid=run.valid,
        rejected=run.rejected,
        inserted=run.inserted,
        updated=run.updated,
        unchanged=run.unchanged,
        run_id=run.id,
        flow_run_id=run.flow_run_id,
        error=run.error,
        input_error=input_error,
    )
