"""A stand-in upstream over loopback HTTP: a request handler base that answers in one call, served in a thread.

Used where a test needs an origin that misbehaves on purpose (redirects elsewhere, echoes the key it got):
``tests/sources/test_http_redirects.py`` and the secrets part of ``make reliability``.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubHandler(BaseHTTPRequestHandler):
    """Subclass and write ``do_GET``; answer with :meth:`answer`. Logs nothing (tests read what they record)."""

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        """Send ``status`` with ``headers`` (plus ``Content-Length``) and ``body``."""
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free 127.0.0.1 port in a daemon thread; yields ``http://127.0.0.1:PORT``; stops after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
