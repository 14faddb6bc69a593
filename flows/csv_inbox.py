"""The ``csv-inbox`` flow: load every new or appended ``*.csv`` of the inbox folder (``COINFLOW_CSV_INBOX``).

Each file is its own run and checkpoint (byte offset + SHA-256 of the loaded prefix), so a file seen
before loads only its appended rows and an unchanged one reads nothing. An empty inbox is a normal,
successful run with nothing to do.
"""

from pathlib import Path

from prefect import State, flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed

from flows.csv_ingest import ingest_csv
from flows.run_summary import RunSummary, failure_message
from models.db import make_engine
from models.settings import get_settings


def inbox_files(folder: Path) -> list[Path]:
    """The ``*.csv`` files of ``folder``, sorted by name; the folder is created when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    return sorted(child for child in folder.iterdir() if child.is_file() and child.suffix.lower() == ".csv")


@flow(name="csv-inbox", log_prints=True)
def csv_inbox(folder: str | None = None) -> list[RunSummary] | State:
    """Load the new rows of every CSV file in the inbox folder.

    Args:
        folder: the inbox; defaults to ``COINFLOW_CSV_INBOX`` (``data/inbox/``).

    Returns:
        One summary per file (none for an empty inbox); if a file's run failed, a Failed state
        naming it whose result is still every summary.
    """
    settings = get_settings()
    inbox = Path(folder) if folder else settings.csv_inbox
    paths = inbox_files(inbox)
    logger = get_run_logger()
    if not paths:
        logger.info("inbox %s holds no *.csv file: nothing to load", inbox)
        return []
    engine = make_engine(settings.database_url)
    try:
        summaries = [ingest_csv(engine, settings, path, str(flow_run.id)) for path in paths]
    finally:
        engine.dispose()
    for summary in summaries:
        logger.info("%s: %s, read %d, inserted %d", summary.stream, summary.status, summary.read, summary.inserted)
    if message := failure_message(summaries):
        return Failed(message=message, data=summaries)
    return summaries
