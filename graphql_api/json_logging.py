"""JSON log lines carrying the request id, for the API process."""

import logging

from pythonjsonlogger.json import JsonFormatter

from graphql_api.request_context import request_id_var

LOGGER_NAME = "coinflow.api"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: int = logging.INFO) -> logging.Logger:
    """The API logger, writing one JSON object per line to stderr (idempotent)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(getattr(h, "_coinflow", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler._coinflow = True  # type: ignore[attr-defined]
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{request_id}", style="{", rename_fields={"levelname": "level"}
            )
        )
        logger.addHandler(handler)
        logger.addFilter(_RequestIdFilter())
        logger.propagate = False
    logger.setLevel(level)
    return logger


log = logging.getLogger(LOGGER_NAME)
