"""``python -m reliability.run [--runs N] [--seed S] [--parts crash,db,...]``: one line of figures per part.

Parts, in order of value: ``crash`` (SIGKILL at seeded random points, both backends), ``db``
(database faults), ``secrets`` (a key-echoing, redirecting upstream; every place searched),
``sources`` (every replay-server fault scenario, on the first backend only), ``load`` (32
connections on GraphQL and /data while an ingest writes, ``--load-s`` seconds),
``hostile`` (``reliability.hostile_input``: schemathesis and an abuse corpus; then, per backend,
``--csv-files`` Hypothesis-generated malformed CSV files, ``reliability.malformed_csv``). Exit
status 0 when every part held, 1 otherwise.
"""

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from reliability.crash import crash_trials
from reliability.db_faults import db_faults
from reliability.load import load_part
from reliability.malformed_csv import malformed_csv_files
from reliability.secrets_leak import secrets_part
from reliability.source_faults import source_faults
from reliability.stack import BACKENDS, Database, database, prefect_server, workdir

PARTS = ("crash", "db", "secrets", "sources", "load", "hostile")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts; print one line each (``part: figures``); 0 when all held."""
    parser = argparse.ArgumentParser(prog="python -m reliability.run", description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="crash trials per backend (default 50)")
    parser.add_argument("--seed", type=int, default=13, help="seed of the kill instants")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--load-s", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--csv-files", type=int, default=50, help="malformed CSV files per backend (default 50)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite, postgresql or both")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := sorted(set(parts) - set(PARTS)) + sorted(set(backends) - set(BACKENDS)):
        parser.error(f"unknown part or backend: {', '.join(unknown)}")
    held = _hostile() if "hostile" in parts else True
    if parts:  # hostile too: its malformed CSV files go through each backend
        with workdir() as folder, prefect_server() as (prefect_url, prefect_db):
            for backend in backends:
                with database(backend, folder) as db:
                    stack = Stack(db, prefect_url, prefect_db, folder)
                    held &= _backend_parts(stack, parts, args, first=backend == backends[0])
    return 0 if held else 1


@dataclass
class Stack:
    """What a part runs against: one database, the Prefect server (and its SQLite file), a scratch folder."""

    db: Database
    prefect_url: str
    prefect_db: Path | None
    folder: Path


def _backend_parts(stack: Stack, parts: list[str], args: argparse.Namespace, first: bool) -> bool:
    """The chosen parts on one backend, one line each; whether all held."""
    held = True
    backend = stack.db.backend
    if "crash" in parts:
        began = time.monotonic()
        figures = crash_trials(stack.db, stack.prefect_url, args.runs, random.Random(args.seed))
        _say(f"crash {figures.line()} [{time.monotonic() - began:.0f} s]")
        held &= not figures.problems
    if "db" in parts:
        faults = db_faults(stack.db, stack.prefect_url, stack.folder)
        _say(f"database faults {faults.line()}")
        held &= not faults.problems
    if "secrets" in parts:
        found = secrets_part(stack.db, stack.prefect_url, stack.prefect_db, stack.folder)
        _say(f"secrets {backend}: {found.line()}")
        held &= not found.hits and not found.leaked_to_other_origin and found.keyed_upstream_requests > 0
    if "sources" in parts and first:  # the source side does not depend on the backend
        scenarios = source_faults(stack.db, stack.prefect_url, stack.folder)
        _say(f"source faults ({backend}): " + "; ".join(s.phrase() for s in scenarios))
        held &= not any(s.traceback or "running" in s.runs for s in scenarios)
        held &= all(s.waits_honoured == s.waits_asked for s in scenarios)
    if "load" in parts:
        load = load_part(stack.db, stack.prefect_url, stack.folder, args.load_s)
        _say(f"load with writes {backend}: 32 connections {args.load_s:.0f} s: {load.line()}")
        held &= load.held()
    if "hostile" in parts:
        stack.db.wipe()  # the files must store nothing: start from no prices
        files = malformed_csv_files(stack.db.engine, stack.db.url, stack.folder, args.csv_files)
        _say(f"hostile CSV files {backend}: {files.line()}")
        held &= not files.problems
    return held


def _hostile() -> bool:
    """Hostile input (``reliability.hostile_input``, imported only when asked for): its own one line."""
    from reliability import hostile_input

    return hostile_input.main([]) == 0


def _say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
