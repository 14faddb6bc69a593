"""The pull step of ``prefect.yaml``: start a deployment run in the folder that holds ``flows/``."""

import os
from pathlib import Path

from models.settings import get_settings


def enter_home(directory: str | None = None) -> dict[str, str]:
    """Prefect pull step: change to ``directory``, default ``COINFLOW_HOME`` (this checkout or package).

    Replaces a fixed ``set_working_directory: /app``, which only exists in the image: a worker
    started from a checkout runs the checkout's code, one in the image runs ``/app``'s.

    Returns:
        ``{"directory": <the folder entered>}`` (a pull step's outputs are a dict).

    Raises:
        FileNotFoundError: the folder does not exist.
    """
    target = Path(directory) if directory else get_settings().home
    os.chdir(target)
    return {"directory": str(target)}
