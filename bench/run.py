"""`make bench` / `make bench-quick`: every benchmark in one run, ONE table, bench/results/latest.json.

Usage: uv run --group bench python -m bench.run [--quick] [--only load,rerun,validation,csv,orchestration,query]

Rows, in issue 17's order: load (coinflow's load step beside COPY into an unindexed table, session.merge
per row on a sample, dlt merge), re-run of the same rows, Pandera validation, CSV streaming
(bench/csv_ingest.py), orchestration (offline three-source run, Prefect server and ephemeral), query
(bench/api/run.py --json). A figure that cannot be measured is a "not run (why)" row; the command
fails only when it cannot run at all — never because a figure is slow.
"""

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench import orchestration
from bench.dlt_peer import best, dlt_version
from bench.load_prices import LoadFigures
from bench.load_prices import measure as measure_load
from bench.table import Row, as_json, at_least, not_run, render

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "latest.json"


@dataclass(frozen=True)
class Scale:
    """How big each benchmark runs."""

    rows: int
    batch: int
    repeats: int
    merge_sample: int
    validation_rows: int
    csv_rows: int
    ephemeral: bool
    query_args: tuple[str, ...]
    peer_limit_s: float  # each dlt strategy, per backend, is stopped after this long


FULL = Scale(1_000_000, 50_000, 3, 2_000, 1_000_000, 3_022_200, True, (), 900)
QUICK = Scale(
    50_000, 25_000, 1, 300, 100_000, 50_000, False, ("--coins", "50", "--timestamps", "200", "--duration", "3"), 90
)
FLOOR = {"postgresql": 0.9, "sqlite": 0.8}  # issue 17: first load against the backend's own bulk floor


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s"


def load_rows(fig: LoadFigures) -> list[Row]:
    """Rows 1 and 2 of one backend: first load and re-run beside COPY, session.merge and dlt."""
    n, b = fig.rows, fig.backend
    rows = [
        at_least(f"load {b}: first, vs bulk floor", rate(n, fig.first_s), rate(n, fig.floor_s),
                 fig.floor_s / fig.first_s, FLOOR[b]),
        at_least(f"load {b}: first, vs session.merge ({fig.merge_sample:,} rows)", rate(n, fig.first_s),
                 f"{fig.merge_rows_per_s:,.0f} rows/s", n / fig.first_s / fig.merge_rows_per_s, 100),
    ]  # fmt: skip
    peer = best(fig.dlt)
    if peer is None:
        why = "; ".join(f"{r.strategy}: {r.error}" for r in fig.dlt) or "dlt not installed: uv sync --group bench"
        rows.append(not_run(f"load {b}: first, vs dlt merge", why))
    else:
        assert peer.first_s is not None
        rows.append(
            Row(
                f"load {b}: first, vs dlt merge ({peer.strategy}, best)",
                rate(n, fig.first_s),
                rate(n, peer.first_s),
                peer.first_s / fig.first_s,
                "> 1x",
                peer.first_s > fig.first_s,
            )
        )
    written = fig.rerun_counts[0] + fig.rerun_counts[1]
    rows.append(Row(f"re-run {b}: rows written", f"{written:,}", "", None, "0", written == 0))
    rows.append(at_least(f"re-run {b}: time vs bulk floor", f"{fig.rerun_s:.2f} s", f"{fig.floor_s:.2f} s",
                         fig.floor_s / fig.rerun_s, 1.0))  # fmt: skip
    if peer is not None and peer.rerun_s is None:  # stopped: the re-run took at least what was left of the limit
        least = fig.peer_limit_s - (peer.first_s or 0.0)
        label, stopped = f"re-run {b}: vs dlt re-run ({peer.strategy})", f"> {least:.0f} s ({peer.error})"
        rows.append(Row(label, f"{fig.rerun_s:.2f} s", stopped, least / fig.rerun_s, "> 1x", least > fig.rerun_s))
    if peer is not None and peer.rerun_s is not None:
        rows.append(
            Row(
                f"re-run {b}: vs dlt re-run ({peer.strategy})",
                f"{fig.rerun_s:.2f} s",
                f"{peer.rerun_s:.2f} s",
                peer.rerun_s / fig.rerun_s,
                "> 1x",
                peer.rerun_s > fig.rerun_s,
            )
        )
    return rows


def validation_rows(scale: Scale, figures: dict[str, Any]) -> list[Row]:
    out = _python("-m", "bench.validation_rows", "--rows", str(scale.validation_rows))
    fig = json.loads(out.strip().splitlines()[-1])
    figures["validation"] = fig
    return [
        Row(f"validation: Pandera, {fig['rows']:,} rows", f"{fig['rows_per_s']:,.0f} rows/s"),
        Row("validation: peak RSS (process)", f"{fig['peak_rss_mib']:,.0f} MiB"),
    ]


_CSV_GROSS = re.compile(r"^csv ingest\s+(-?[\d.]+) s wall\s+(-?[\d,]+) rows/s", re.M)
_CSV_NET = re.compile(r"csv ingest, net\s+(-?[\d.]+) s wall\s+(-?[\d,]+) rows/s")
_CSV_RSS = re.compile(r"^csv ingest\s.*peak RSS ([\d,]+) MiB", re.M)
_CSV_LOAD = re.compile(r"load step\s+([\d.]+) s wall\s+([\d,]+) rows/s")


def csv_rows(scale: Scale, figures: dict[str, Any]) -> list[Row]:
    """Row 4 from bench/csv_ingest.py's printed figures (it has no machine-readable output)."""
    out = _python("bench/csv_ingest.py", "--rows", str(scale.csv_rows), "--backend", "sqlite")
    gross, net = _CSV_GROSS.search(out), _CSV_NET.search(out)
    rss, load = _CSV_RSS.search(out), _CSV_LOAD.search(out)
    if not (gross and net and rss and load):
        return [not_run("csv streaming", "bench/csv_ingest.py printed no figures this table reads")]
    # net = less the nothing-new run's start-up; at small sizes on a busy machine it can come out <= 0
    kind, rate_text = ("net", net[2]) if float(net[1]) > 0 else ("with start-up", gross[2])
    csv_rate, load_rate, rss_mib = (float(x.replace(",", "")) for x in (rate_text, load[2], rss[1]))
    figures["csv"] = {"rows": scale.csv_rows, "rows_per_s": csv_rate, "rate_kind": kind, "load_rows_per_s": load_rate,
                      "peak_rss_mib": rss_mib, "output": out}  # fmt: skip
    return [
        at_least(f"csv sqlite: ingest {scale.csv_rows:,} rows ({kind}), vs load step", f"{csv_rate:,.0f} rows/s",
                 f"{load_rate:,.0f} rows/s", csv_rate / load_rate, 0.5),
        Row("csv sqlite: ingest peak RSS", f"{rss_mib:,.0f} MiB", "", None, "< 400 MiB", rss_mib < 400),
    ]  # fmt: skip


def orchestration_rows(scale: Scale, figures: dict[str, Any]) -> list[Row]:
    first, again = orchestration.with_server()
    figures["orchestration_server"] = [asdict(first), asdict(again)]
    rows = [
        Row("orchestration: nothing-new 3-source run, Prefect server", f"{again.wall_s:.1f} s", "", None,
            "< 15 s", again.wall_s < 15 and again.exit_code == 0),
        Row("orchestration: first 3-source run, Prefect server", f"{first.wall_s:.1f} s",
            note="" if first.exit_code == 0 else f"exit {first.exit_code}"),
    ]  # fmt: skip
    if not scale.ephemeral:
        return [*rows, not_run("orchestration: ephemeral mode", "quick run; make bench measures it")]
    e_first, e_again = orchestration.ephemeral()
    figures["orchestration_ephemeral"] = [asdict(e_first), asdict(e_again)]
    share = (e_first.wall_s - e_first.flow_s) / e_first.wall_s
    return [
        *rows,
        Row("orchestration: nothing-new 3-source run, ephemeral", f"{e_again.wall_s:.1f} s", f"{again.wall_s:.1f} s",
            again.wall_s / e_again.wall_s),
        Row("orchestration: Prefect start-up/shutdown share of a first run", f"{share:.0%}",
            f"{e_first.wall_s:.1f} s wall, {e_first.flow_s:.1f} s in flows"),
    ]  # fmt: skip


def query_rows(scale: Scale, figures: dict[str, Any]) -> list[Row]:
    """Row 6 from `python -m bench.api.run --json PATH` (its cases: coinflow and PostGraphile)."""
    if "--json" not in _python("-m", "bench.api.run", "--help"):
        return [not_run("query", "needs bench.api.run --json")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "api.json"
        _python("-m", "bench.api.run", "--json", str(path), *scale.query_args)
        cases = json.loads(path.read_text())["cases"]
    figures["query"] = cases
    # bench.api.run names its servers coinflow-compiled, coinflow-resolvers and postgraphile, and its GraphQL
    # cases "relay …" / "series …" ("PostGraphile relay (same data)" for the peer): pair them by that word.
    peers = {c["case"].split()[1]: c for c in cases if c["server"] == "postgraphile"}
    rows = []
    for case in (c for c in cases if c["server"].startswith("coinflow")):
        peer = peers.get(case["case"].split()[0].rstrip(","))
        label = f"query ({case['server']}): {case['case']} ({case['workers']} worker(s))"
        value = f"{case['req_s']:,.0f} req/s, p99 {case['p99_ms']:.0f} ms, {case['statements_per_request']} stmt/req"
        if peer:
            rows.append(
                Row(label, value, f"{peer['server']} {peer['req_s']:,.0f} req/s", case["req_s"] / peer["req_s"])
            )
        else:
            rows.append(Row(label, value))
    return rows


def _python(*args: str) -> str:
    """Run a bench script with this interpreter; its stdout (stderr too when it fails)."""
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def context(figures: dict[str, Any], quick: bool) -> dict[str, Any]:
    """Versions, cores, date and commit: what makes two result files comparable."""
    packages = ("prefect", "pandas", "pyarrow", "pandera", "sqlalchemy", "psycopg2-binary", "dlt")

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return ""

    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit.stdout.strip(),
        "quick": quick,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "versions": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                     **{name: installed(name) for name in packages}},
        "figures": figures,
    }  # fmt: skip


SECTIONS = ("load", "validation", "csv", "orchestration", "query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    scale = QUICK if args.quick else FULL
    chosen = args.only.split(",")
    figures: dict[str, Any] = {}
    rows: list[Row] = []

    def section(name: str, work: Callable[[], list[Row]]) -> None:
        if name not in chosen:
            return
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            rows.extend(work())
        except Exception as error:  # noqa: BLE001 — a figure that cannot be measured is a row, not a crash
            traceback.print_exc(file=sys.stderr)
            rows.append(
                not_run(
                    name,
                    f"{type(error).__name__}: {str(error).splitlines()[0][:100]}"
                    if str(error)
                    else type(error).__name__,
                )
            )

    def load() -> list[Row]:
        out: list[Row] = []
        for backend in ("postgresql", "sqlite"):
            fig = measure_load(
                backend, scale.rows, scale.batch, scale.repeats, scale.merge_sample, bool(dlt_version()),
                scale.peer_limit_s,
            )  # fmt: skip
            figures[f"load_{backend}"] = asdict(fig)
            out += load_rows(fig)
        return out

    section("load", load)
    section("validation", lambda: validation_rows(scale, figures))
    section("csv", lambda: csv_rows(scale, figures))
    section("orchestration", lambda: orchestration_rows(scale, figures))
    section("query", lambda: query_rows(scale, figures))

    print(render(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(as_json(rows, context(figures, args.quick)) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
