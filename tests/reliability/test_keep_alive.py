"""``coinflow api`` keeps an idle keep-alive connection past uvicorn's 5 s default (``--keep-alive-s``, 75 s).

With uvicorn's default, a client whose pool keeps connections 5 s (httpx's default) can send a request
on a connection the server is closing at that instant: the request is reset (``httpx.ReadError``), which
is what the load part of ``make reliability`` saw. The server must be the side that waits longer.
"""

import socket
import time
from urllib.parse import urlsplit

from tests.api.test_served_over_http import serve

REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _ask(sock: socket.socket) -> bytes:
    """Send one request on an open connection; the answer's status line, or b'' if the server had closed it."""
    try:
        sock.sendall(REQUEST)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                return b""
            answer += chunk
    except ConnectionError:
        return b""
    return answer.split(b"\r\n", 1)[0]


def _status_lines_around_idle(base: str, idle_s: float) -> tuple[bytes, bytes]:
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        first = _ask(sock)
        time.sleep(idle_s)
        return first, _ask(sock)


def test_an_idle_connection_is_still_served_after_uvicorns_default_keep_alive(database_url: str) -> None:
    with serve(database_url) as base:
        first, after_idle = _status_lines_around_idle(base, idle_s=6.5)  # > uvicorn's 5 s, < our 75 s
    assert first == b"HTTP/1.1 200 OK"
    assert after_idle == b"HTTP/1.1 200 OK"


def test_keep_alive_s_is_what_the_server_waits(database_url: str) -> None:
    with serve(database_url, "--keep-alive-s", "1") as base:
        first, after_idle = _status_lines_around_idle(base, idle_s=3)
    assert first == b"HTTP/1.1 200 OK"
    assert after_idle == b""  # closed by the server after 1 s idle
