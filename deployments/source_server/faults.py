"""Faults the local source server can inject, chosen per request path (and optionally query values).

A fault answers instead of (or distorts) the normal response for its next ``times`` matching
requests (``times = -1``: every one). The bodies are the real ones the APIs send.
"""

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = (
    "429",  # rate limited, with Retry-After when ``retry_after`` is set
    "500",
    "502",
    "503",
    "401",  # a bad key: never retried
    "404",
    "slow",  # answers normally after ``delay_s`` (longer than the client's timeout)
    "truncated",  # 200 with the JSON cut in half
    "html",  # 200 with a Cloudflare-style HTML page
    "drift-renamed",  # ``field`` renamed to ``field + "_v2"`` in every item
    "drift-missing",  # ``field`` dropped from every item
    "drift-type",  # ``field`` turned into a non-numeric string in every item
    "empty",  # 200 with an empty list / empty series
)

HTML_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>'
    '<body><div class="main-wrapper" role="main"><h1>api.coingecko.com</h1>'
    "<p>Checking if the site connection is secure</p></div></body></html>"
)


@dataclass
class Fault:
    """One injected fault: where it applies, what it does, and how many more times."""

    path: str
    kind: str
    times: int = 1
    query: dict[str, str] = field(default_factory=dict)
    retry_after: str | None = None
    delay_s: float = 3.0
    field: str | None = None

    def matches(self, path: str, query: dict[str, str]) -> bool:
        """Whether a request to ``path`` with ``query`` is hit by this fault."""
        return self.times != 0 and path == self.path and all(query.get(k) == v for k, v in self.query.items())


class FaultBook:
    """The active faults and the request log, shared by the server's handlers (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []

    def add(self, fault: Fault) -> None:
        """Activate ``fault`` (checked in the order added)."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault and forget every logged request."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    def take(self, path: str, query: dict[str, str]) -> Fault | None:
        """The first fault hitting this request, with one use consumed; None when the request is clean."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, query):
                    if fault.times > 0:
                        fault.times -= 1
                    return Fault(**asdict(fault))
        return None

    def log(self, entry: dict[str, Any]) -> None:
        """Append one served request to the log."""
        with self._lock:
            self.requests.append(entry)


def distort(payload: Any, fault: Fault) -> Any:
    """Apply a drift/empty fault to a JSON payload (a list of objects or a dict of series)."""
    if fault.kind == "empty":
        return [] if isinstance(payload, list) else {key: [] for key in payload}
    name = fault.field or ""
    items = payload if isinstance(payload, list) else [payload]
    for item in items:
        if not isinstance(item, dict) or name not in item:
            continue
        if fault.kind == "drift-renamed":
            item[f"{name}_v2"] = item.pop(name)
        elif fault.kind == "drift-missing":
            del item[name]
        elif fault.kind == "drift-type":
            item[name] = f"n/a:{json.dumps(item[name])[:20]}"
    return payload
