"""``coinflow ingest --offline``: run the API sources against the replay server, in this process."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from deployments.source_server.runner import serve_in_thread
from models.settings import get_settings

# The replayed histories end on this day (data/sources/generate.py, HISTORY_END); asking for
# "up to now" would find nothing to replay.
REPLAY_HISTORY_END = "2025-03-04"


@contextmanager
def offline_sources() -> Iterator[str]:
    """Start the replay server on a free loopback port and point both API sources at it.

    The settings are environment variables (the flow reads them through ``get_settings``), so this
    sets them for the duration and restores them afterwards. Yields the server's root URL.
    """
    with serve_in_thread() as (url, _book):
        overrides = {
            "COINFLOW_COINGECKO_BASE_URL": f"{url}/api/v3",
            "COINFLOW_COINPAPRIKA_BASE_URL": f"{url}/v1",
            "COINFLOW_HISTORY_END": REPLAY_HISTORY_END,
        }
        saved = {name: os.environ.get(name) for name in overrides}  # noqa: TID251 - settings come from env
        os.environ.update(overrides)  # noqa: TID251
        get_settings.cache_clear()
        try:
            yield url
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)  # noqa: TID251
                else:
                    os.environ[name] = value  # noqa: TID251
            get_settings.cache_clear()
