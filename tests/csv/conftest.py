"""Fixtures of the CSV tests: the real ``ingest`` flow run on files, on SQLite and PostgreSQL."""

from pathlib import Path

import pytest

from flows.ingest import ingest, run_summaries
from flows.run_summary import RunSummary
from models.settings import Settings
from tests.csv.loaded import RunCsv


@pytest.fixture
def run_csv(settings: Settings, prefect_api_url: str) -> RunCsv:
    """Run the real ``ingest`` flow on a file or folder (with CSV options); returns every run summary."""

    def run(path: Path, **options: str) -> list[RunSummary]:
        state = ingest(source="csv", file=str(path), return_state=True, **options)
        return run_summaries(state)

    return run
