"""Prefect as every coinflow entry point wants it: no telemetry, a start-up timeout that fits a slow
machine, and a console that shows what a run did rather than one line per task run.

``configure_prefect`` must run before ``prefect`` is first imported (Prefect reads its settings from
the environment once, at import); ``start_prefect_api`` then starts the temporary server itself, with
the coinflow timeout, so a server that cannot start is one clear error instead of a traceback.
"""

import logging
import os

from models.settings import Settings

# Prefect's task-run state lines ("Finished in state Completed()"), one per task run: the Prefect UI
# keeps them, the console drops them.
_TASK_RUN_LOGGER = "prefect.task_runs"
_QUIET_PREFIXES = ("Finished in state Completed", "Created task run")
_RUN_LOGGERS = (_TASK_RUN_LOGGER, "prefect.flow_runs")


class PrefectUnavailableError(RuntimeError):
    """Prefect's temporary server did not start (and no PREFECT_API_URL names a running one)."""


def configure_prefect(settings: Settings) -> None:
    """Turn Prefect telemetry off and give its temporary server ``prefect_startup_timeout_s`` to start.

    Values the user set in the environment win (``setdefault``).
    """
    defaults = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(settings.prefect_startup_timeout_s),
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)  # noqa: TID251 - Prefect is configured through its environment


def start_prefect_api(settings: Settings) -> str:
    """The API URL runs will report to: PREFECT_API_URL, or Prefect's temporary server, started here.

    Raises:
        PrefectUnavailableError: the temporary server did not answer within ``prefect_startup_timeout_s``.
    """
    from prefect.settings import PREFECT_API_URL

    if url := PREFECT_API_URL.value():
        return str(url)
    # Prefect's server package (FastAPI app, database layer, background services) costs seconds to
    # import: only a run that starts the temporary server itself pays for it.
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    try:
        server.start(timeout=settings.prefect_startup_timeout_s)
    except RuntimeError as error:
        server.stop()
        raise PrefectUnavailableError(
            f"Prefect's temporary server did not start within {settings.prefect_startup_timeout_s} s "
            f"({str(error).split('.')[0]}); raise COINFLOW_PREFECT_STARTUP_TIMEOUT_S, or start a server "
            "(uv run prefect server start) and set PREFECT_API_URL=http://127.0.0.1:4200/api"
        ) from None
    return server.api_url


class _QuietTaskStates(logging.Filter):
    """Console only: drops task runs' routine state lines, and shows run errors without their traceback.

    Run loggers hand each record to Prefect's API handler before it propagates to the console, so
    the Prefect UI keeps both the state lines and the full traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in _RUN_LOGGERS and record.exc_info:
            record.exc_info, record.exc_text = None, None
        if record.name != _TASK_RUN_LOGGER or record.levelno > logging.INFO:
            return True
        return not str(record.msg).startswith(_QUIET_PREFIXES)


def quiet_console() -> None:
    """Keep task runs' routine state lines off the console (they still reach the Prefect API)."""
    quiet = _QuietTaskStates()
    for name in ("", "prefect", _TASK_RUN_LOGGER, "prefect.flow_runs"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and not any(
                isinstance(f, _QuietTaskStates) for f in handler.filters
            ):
                handler.addFilter(quiet)
