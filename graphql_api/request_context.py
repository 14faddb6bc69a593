"""The request id and start time of the request being served, visible to logs, errors and handlers."""

import re
import time
import uuid
from contextvars import ContextVar

# Accept a caller's id only when it is short and plain (it ends up in logs and headers).
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
started_var: ContextVar[float] = ContextVar("request_started", default=0.0)


def pick_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when well-formed, else a new random id."""
    if incoming and _WELL_FORMED.match(incoming):
        return incoming
    return uuid.uuid4().hex


def latency_ms() -> float:
    """Milliseconds since the current request started."""
    return round((time.perf_counter() - started_var.get()) * 1000, 3)


def meta() -> dict[str, object]:
    """The ``meta`` block of JSON list responses."""
    return {"request_id": request_id_var.get(), "api_latency_ms": latency_ms()}
