"""Failure injection and pacing after each committed batch, for demos and crash tests (off by default)."""

import time

from flows.run_summary import InjectedFailureError
from models.settings import Settings


def after_commit(settings: Settings, committed: int) -> None:
    """Fail once ``COINFLOW_FAIL_AFTER_N_RECORDS`` records are committed; sleep the configured pause."""
    if settings.fail_after_n_records is not None and committed >= settings.fail_after_n_records:
        raise InjectedFailureError(
            f"COINFLOW_FAIL_AFTER_N_RECORDS={settings.fail_after_n_records} reached after {committed} records"
        )
    if settings.pause_between_batches_s:
        time.sleep(settings.pause_between_batches_s)
