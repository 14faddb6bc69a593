"""Hostile input against the query service over loopback: schemathesis over /openapi.json and a GraphQL abuse corpus.

``python -m reliability.hostile_input [--quick] [--database-url URL] [--cases N]`` serves the real app
with uvicorn on 127.0.0.1 (a small seeded SQLite database by default), runs schemathesis' positive
and negative cases of every operation in ``/openapi.json`` (≥ 1,000 in full, ~100 with ``--quick``)
and the corpus of ``reliability.abuse_corpus``, and prints ONE line::

    hostile input: 1,234 REST cases (schemathesis), 96 abuse cases (76 GraphQL, 20 REST): 0 server errors, 0 hangs

A server error is any 5xx; a hang is a request without an answer within ``HANG_S``. Each failing
case is printed to stderr. Exit status 0 when both counts are 0, else 1.
"""

import argparse
import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests  # schemathesis' transport: Case.call takes a requests.Session
import schemathesis
from hypothesis import Verbosity, given
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode

from deployments.source_server.runner import serve_app_in_thread
from graphql_api.app import create_app
from graphql_api.json_logging import LOGGER_NAME
from models.db import make_engine
from models.migrate import upgrade
from models.settings import Settings
from reliability.abuse_corpus import corpus, send_corpus
from reliability.probe_settings import probe_settings

HANG_S = 10.0
FULL_CASES, QUICK_CASES = 1_000, 100
MAX_PASSES = 6


@dataclass
class Tally:
    """What the REST cases got: how many were sent, which answered 5xx, which hung."""

    cases: int = 0
    server_errors: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    """Run both parts against a served app; print the figures line; 0 when nothing broke."""
    parser = argparse.ArgumentParser(prog="python -m reliability.hostile_input", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"~{QUICK_CASES} REST cases instead of {FULL_CASES:,}")
    parser.add_argument("--cases", type=int, help="REST cases to send at least (overrides --quick)")
    parser.add_argument("--database-url", help="a migrated database to serve (default: a seeded temporary SQLite)")
    args = parser.parse_args(argv)
    target = args.cases or (QUICK_CASES if args.quick else FULL_CASES)
    with _database(args.database_url) as url, _served(url) as base_url:
        rest = _schemathesis(base_url, target)
        cases = corpus()
        abuse = send_corpus(base_url, cases, HANG_S)
    abuse_errors = [name for name, status in abuse.items() if status is not None and status >= 500]
    abuse_hangs = [name for name, status in abuse.items() if status is None]
    on_graphql = sum(case.path == "/graphql" for case in cases)
    for label, names in (("server error", rest.server_errors + abuse_errors), ("hang", rest.hangs + abuse_hangs)):
        for name in names:
            print(f"{label}: {name}", file=sys.stderr)
    errors, hangs = len(rest.server_errors) + len(abuse_errors), len(rest.hangs) + len(abuse_hangs)
    print(
        f"hostile input: {rest.cases:,} REST cases (schemathesis), {len(abuse):,} abuse cases "
        f"({on_graphql} GraphQL, {len(abuse) - on_graphql} REST): "
        f"{errors} server errors, {hangs} hangs"
    )
    return 0 if errors == hangs == 0 else 1


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="coinflow-hostile-") as folder:
        url = f"sqlite:///{Path(folder) / 'coinflow.db'}"
        upgrade(url)
        from tests.api.market_fixture import load_market  # the API tests' small market, loaded by the pipeline's writes

        engine = make_engine(url)
        load_market(engine)
        engine.dispose()
        yield url


@contextmanager
def _served(database_url: str) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, stopped on exit."""
    app = create_app(Settings(database_url=database_url))
    logging.getLogger(LOGGER_NAME).setLevel(logging.WARNING)  # no access line per case; errors still show
    try:
        with serve_app_in_thread(app, lifespan="on", start_timeout_s=30) as url:
            yield url
    finally:
        app.state.engine.dispose()


def _schemathesis(base_url: str, target: int) -> Tally:
    """Positive and negative cases of every operation until at least ``target`` were sent."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # our own schema does not parse: that is a failure of its own
            raise RuntimeError(f"/openapi.json: {result.err()}")
        operations.append(result.ok())
    tally = Tally()
    session = requests.Session()
    per_strategy = max(1, target // (2 * len(operations)))
    for _ in range(MAX_PASSES):  # operations without parameters yield one case a pass: go round again
        for operation in operations:
            modes = [GenerationMode.POSITIVE]
            if _has_inputs(operation):  # without parameters or body, no invalid request can be drawn
                modes.append(GenerationMode.NEGATIVE)
            for mode in modes:
                _probe(operation.as_strategy(generation_mode=mode), per_strategy, base_url, session, tally)
        if tally.cases >= target:
            break
    return tally


def _has_inputs(operation: Any) -> bool:
    return any(len(part) for part in (operation.path_parameters, operation.query, operation.headers, operation.body))


def _probe(
    strategy: SearchStrategy[Any], examples: int, base_url: str, session: requests.Session, tally: Tally
) -> None:
    @probe_settings(examples, verbosity=Verbosity.quiet)
    @given(case=strategy)
    def send(case: schemathesis.Case) -> None:
        tally.cases += 1
        label = f"{case.method} {case.formatted_path} {case.query or ''}"
        try:
            response = case.call(base_url=base_url, session=session, timeout=HANG_S)
        except requests.Timeout:
            tally.hangs.append(label)
            return
        if response.status_code >= 500:
            tally.server_errors.append(f"{label} -> {response.status_code}")

    with suppress(Unsatisfiable):  # some operations admit no invalid request of a kind
        send()


if __name__ == "__main__":
    sys.exit(main())
