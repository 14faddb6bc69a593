"""``coinflow api`` keeps an idle keep-alive connection past uvicorn's 5 s default (``--keep-alive-s``, 75 s).

With uvicorn's default, a client whose pool keeps connections 5 s (httpx's default) can send a request
on a connection the server is closing at that instant: the request is reset (``httpx.ReadError``), which
is what the load part of ``make reliability`` saw. The server must be the side that waits longer.
"""

import http.client
import time
from urllib.parse import urlsplit

from tests.api.test_served_over_http import serve


def _status_around_idle(base: str, idle_s: float) -> tuple[int, int | None]:
    """Two GET /health on one connection with ``idle_s`` between: (first status, second status or None if the
    server had closed the connection; http.client never reopens a connection behind the caller's back)."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request("GET", "/health")
        first = connection.getresponse()
        first.read()
        time.sleep(idle_s)
        try:
            connection.request("GET", "/health")
            second = connection.getresponse()
            second.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            return first.status, None
        return first.status, second.status
    finally:
        connection.close()


def test_an_idle_connection_is_still_served_after_uvicorns_default_keep_alive(database_url: str) -> None:
    with serve(database_url) as base:
        first, after_idle = _status_around_idle(base, idle_s=6.5)  # > uvicorn's 5 s, < our 75 s
    assert (first, after_idle) == (200, 200)


def test_keep_alive_s_is_what_the_server_waits(database_url: str) -> None:
    with serve(database_url, "--keep-alive-s", "1") as base:
        first, after_idle = _status_around_idle(base, idle_s=3)
    assert (first, after_idle) == (200, None)  # closed by the server after 1 s idle
