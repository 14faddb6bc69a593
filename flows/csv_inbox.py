"""The ``csv-inbox`` flow: load every new or appended ``*.csv`` of the inbox folder (``COINFLOW_CSV_INBOX``).

Each file is its own run and checkpoint (byte offset + SHA-256 of the loaded prefix), so a file seen
before loads only its appended rows and an unchanged one reads nothing. An empty inbox is a normal,
successful run with nothing to do.
"""

from pathlib import Path

from prefect import State, flow, get_run_logger

from flows.ingest import settle
from flows.run_summary import RunSummary
from flows.source_run import run_name, run_source
from models.settings import get_settings


def inbox_files(folder: Path) -> list[Path]:
    """The ``*.csv`` files of ``folder``, sorted by name; the folder is created when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    return sorted(child for child in folder.iterdir() if child.is_file() and child.suffix.lower() == ".csv")


def _flow_run_name() -> str:
    return run_name("csv-inbox", get_settings().csv_inbox.name)


@flow(name="csv-inbox", flow_run_name=_flow_run_name, log_prints=True)
def csv_inbox(folder: str | None = None) -> list[RunSummary] | State:
    """Load the new rows of every CSV file in the inbox folder.

    Args:
        folder: the inbox; defaults to ``COINFLOW_CSV_INBOX`` (``data/inbox/``).

    Returns:
        One summary per file (none for an empty inbox), each file run its own subflow run with its
        artifacts; if a file's run failed, a Failed state naming it (see ``flows.ingest.settle``).
    """
    settings = get_settings()
    inbox = Path(folder) if folder else settings.csv_inbox
    paths = inbox_files(inbox)
    logger = get_run_logger()
    if not paths:
        logger.info("inbox %s holds no *.csv file: nothing to load", inbox)
        return []
    outcomes = [run_source("csv", path.name, file=str(path)) for path in paths]
    return settle(outcomes)
