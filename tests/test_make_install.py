"""``make install`` leaves an environment whose dependencies are already compiled to bytecode."""

import subprocess

from tests.cli_process import REPO


def test_make_install_compiles_the_dependencies_to_bytecode() -> None:
    """Without their .pyc (and under PYTHONDONTWRITEBYTECODE=1 none is ever written) every ``coinflow``
    process compiled Prefect, pandas and SQLAlchemy again before doing anything: the sync that
    ``make install`` runs (``make -n``: printed, not run) asks uv to compile them once."""
    recipe = subprocess.run(
        ["make", "-n", "install"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    syncs = [words for line in recipe.splitlines() if "sync" in (words := line.split())]
    assert syncs, recipe
    assert all("--frozen" in words and "--compile-bytecode" in words for words in syncs), syncs
