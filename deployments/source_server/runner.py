"""Run the source server: in the foreground (the CLI) or in a background thread (tests, bench)."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import uvicorn

from deployments.source_server.app import create_app
from deployments.source_server.faults import FaultBook
from deployments.source_server.scenarios import SCENARIOS
from models.settings import DATA_DIR

DEFAULT_DATA_DIR = DATA_DIR / "sources"


def book_for(scenario: str) -> FaultBook:
    """A fault book preloaded with the faults of a named scenario."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    book = FaultBook()
    for fault in SCENARIOS[scenario]:
        book.add(fault)
    return book


def serve_forever(host: str, port: int, scenario: str = "clean", data_dir: Path = DEFAULT_DATA_DIR) -> None:
    """Serve until interrupted."""
    uvicorn.run(create_app(data_dir, book_for(scenario)), host=host, port=port, log_level="info")


@contextmanager
def serve_in_thread(data_dir: Path = DEFAULT_DATA_DIR, host: str = "127.0.0.1") -> Iterator[tuple[str, FaultBook]]:
    """Serve on a free loopback port in a daemon thread; yields (root URL, fault book)."""
    book = FaultBook()
    with serve_app_in_thread(create_app(data_dir, book), host) as url:
        yield url, book


@contextmanager
def serve_app_in_thread(
    app: Any, host: str = "127.0.0.1", lifespan: Literal["on", "off"] = "off", start_timeout_s: float = 10
) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn on a free port of ``host`` in a daemon thread; yields its root URL.

    The socket is bound here and handed to uvicorn (no race for the port); the server is stopped
    on exit. Raises RuntimeError when it has not started within ``start_timeout_s``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the server on {host} did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
