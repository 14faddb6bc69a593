"""Prefect start-up as the CLI does it: a named server is used as is, nothing of the temporary one loads."""

import os
import subprocess
import sys
from pathlib import Path

from tests.cli_process import REPO

_PROBE = """
import sys
from deployments.prefect_setup import start_prefect_api
from models.settings import get_settings
print(start_prefect_api(get_settings()))
print("prefect.server.api.server" in sys.modules)
"""


def test_a_named_prefect_server_is_used_without_loading_the_temporary_one(tmp_path: Path) -> None:
    """With PREFECT_API_URL set, runs report there and Prefect's server package (seconds of imports at
    every ``coinflow ingest``, and what would start a temporary server) is never loaded."""
    url = "http://127.0.0.1:9/api"  # nothing listens: start_prefect_api only names it, it does not call it
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=url, PREFECT_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=True
    )
    assert done.stdout.split() == [url, "False"]
