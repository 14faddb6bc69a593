"""The crash part of ``make reliability``, short: SIGKILLed multi-source ingests, re-run, identical to a clean run."""

import random

from sqlalchemy import Engine

from reliability.crash import crash_trials
from reliability.stack import Database

# make reliability runs 50 (--runs). A trial is a killed run and a full re-run, ~1.5 clean runs: ~90 s of CPU
# measured (clean run + 2 trials: 244 s user CPU, `python -m reliability.run --parts crash --runs 2`). Each trial
# past the first adds ~3 min of CPU over both backends, ~1.5 min of wall time on 2 cores: 2 fits under the
# 2-minute budget for the suite, 5 would add ~6 min.
SHORT_RUNS = 2


def test_killed_and_rerun_multi_source_ingests_equal_a_clean_run(
    database_url: str, prefect_api_url: str, engine: Engine
) -> None:
    backend = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    figures = crash_trials(Database(backend, database_url, engine), prefect_api_url, SHORT_RUNS, random.Random(13))
    assert figures.problems == [], figures.line()
    assert figures.identical == figures.trials == SHORT_RUNS
    assert figures.killed >= 1, figures.line()  # at least one trial really was killed mid-run
