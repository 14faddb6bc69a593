"""The crash part of ``make reliability``, short: SIGKILLed multi-source ingests, re-run, identical to a clean run."""

import random

from sqlalchemy import Engine

from reliability.crash import crash_trials
from reliability.stack import Database

# make reliability runs 50 (--runs); a trial is a clean run, a killed one and a re-run: minutes on a busy 2-core box
SHORT_RUNS = 1


def test_killed_and_rerun_multi_source_ingests_equal_a_clean_run(
    database_url: str, prefect_api_url: str, engine: Engine
) -> None:
    backend = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    figures = crash_trials(Database(backend, database_url, engine), prefect_api_url, SHORT_RUNS, random.Random(13))
    assert figures.problems == [], figures.line()
    assert figures.identical == figures.trials == SHORT_RUNS
    assert figures.killed >= 1, figures.line()  # at least one trial really was killed mid-run
