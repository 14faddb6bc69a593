"""``make install`` and ``make bench-env`` leave an environment whose dependencies are compiled to bytecode."""

import subprocess

import pytest

from tests.cli_process import REPO


@pytest.mark.parametrize("target", ["install", "bench-env"])
def test_make_compiles_the_dependencies_to_bytecode(target: str) -> None:
    """Without their .pyc (and under PYTHONDONTWRITEBYTECODE=1 none is ever written) every ``coinflow``
    process compiled Prefect, pandas and SQLAlchemy again before doing anything (the benchmark's
    orchestration figure included): the sync the target runs (``make -n``: printed, not run) asks uv
    to compile them once."""
    recipe = subprocess.run(
        ["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    syncs = [words for line in recipe.splitlines() if "sync" in (words := line.split())]
    assert syncs, recipe
    assert all("--frozen" in words and "--compile-bytecode" in words for words in syncs), syncs
