"""Query-service benchmark: `uv run python -m bench.api.run` (PostgreSQL at COINFLOW_BENCH_POSTGRES_URL).

Loads 500 coins x 2 sources x 1,000 hourly timestamps (1,000,000 prices) into a scratch database
through the pipeline's load step, serves it with `coinflow api` (uvicorn) three times — response
cache off with GraphQL compilation on ("cold", graphql_api/compiled), cache off with compilation off
("resolvers": COINFLOW_API_COMPILE_GRAPHQL=false) and cache on ("warm") — and drives each case with
wrk on loopback (32 connections, 10 s). Prints req/s, p50/p99 under load, single-client median
latency and SQL statements per request; `--json PATH` also writes them as
{"cases": [{"case", "server", "cache", "workers", "req_s", "p50_ms", "p99_ms", "single_client_ms",
"statements_per_request"}], "versions": {...}} (what `make bench` reads).
With PostGraphile installed (`cd bench/api/postgraphile && npm ci`, pinned by package-lock.json), it is
measured on the same database and queries (bench-only computed columns in functions.sql) and the ratios
are printed.
The scratch database is dropped at the end.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx
import orjson
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench.api.load_fixture import load, since
from graphql_api.app import create_app
from graphql_api.paging import encode_cursor
from graphql_api.queries.prices import PRICE_CURSOR
from models.db import make_engine
from models.migrate import upgrade
from models.settings import Settings

REPO = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("COINFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")

# Both servers sort coins by symbol (PostGraphile has no notion of our cross-source rank).
RELAY = """{ coins(first: 50, orderBy: {field: SYMBOL}) { edges { cursor node { canonicalId symbol
  latestPrice { priceUsd observedAt }
  prices(last: 20) { edges { cursor node { priceUsd marketCapUsd volume24hUsd observedAt } } }
} } } }"""
SERIES = """query($from: DateTime) { coins(first: 50, orderBy: {field: SYMBOL}) { edges { cursor node {
  canonicalId symbol
  latestPrice { priceUsd observedAt }
  series(source: CSV, from: $from) { timestamps priceUsd marketCapUsd volume24hUsd }
} } } }"""


PG_RELAY = """{ allCoins(first: 50, orderBy: SYMBOL_ASC) { edges { cursor node { canonicalId symbol
  latestPrice { priceUsd observedAt }
  pricesByCoinId(last: 20) { edges { cursor node { priceUsd marketCapUsd volume24HUsd observedAt } } }
} } } }"""
PG_SERIES = """query($since: Datetime) { allCoins(first: 50, orderBy: SYMBOL_ASC) { edges { cursor node {
  canonicalId symbol
  latestPrice { priceUsd observedAt }
  series(src: "csv", since: $since) { timestamps priceUsd marketCapUsd volume24HUsd }
} } } }"""
POSTGRAPHILE_DIR = Path(__file__).resolve().parent / "postgraphile"
POSTGRAPHILE_BIN = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"


@contextmanager
def scratch_database() -> Iterator[str]:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"coinflow_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(database_url: str, cache_size: int, workers: int = 1, compile_graphql: bool = True) -> Iterator[str]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "COINFLOW_DATABASE_URL": database_url,
        "COINFLOW_API_RESPONSE_CACHE_SIZE": str(cache_size),
        "COINFLOW_API_COMPILE_GRAPHQL": "true" if compile_graphql else "false",
        # SERIES costs 50,050 (50 coins x the 1,000 hours a `from` without `to` may span) against the
        # default limit of 50,000: the bench raises the limit rather than change the operation.
        "COINFLOW_API_MAX_COST": "100000",
    }
    command = [sys.executable, "-m", "deployments.cli", "api", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # one JSON log line per request would cost more than the request
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextmanager
def postgraphile(database_url: str) -> Iterator[str]:
    """PostGraphile (one node process) on the same database, with the bench's computed columns."""
    raw = make_engine(database_url).raw_connection()
    try:
        with closing(raw.cursor()) as cursor:
            cursor.execute((POSTGRAPHILE_DIR / "functions.sql").read_text())
        raw.commit()
    finally:
        raw.close()
    url = make_url(database_url)
    port = free_port()
    process = subprocess.Popen(
        [
            str(POSTGRAPHILE_BIN),
            "-c",
            f"postgres://{url.username}@{url.host}:{url.port or 5432}/{url.database}",
            "--schema",
            "public",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--disable-query-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def graphql_body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def wrk(url: str, body: bytes | None, connections: int, duration: int) -> dict[str, float]:
    """req/s, p50 and p99 (ms) of wrk against ``url`` (POST ``body`` when given)."""
    with tempfile.TemporaryDirectory() as folder:
        args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
        if body is not None:
            script = Path(folder) / "post.lua"
            script.write_text(
                'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {_lua_string(body.decode())}\n"
            )
            args += ["-s", str(script)]
        output = subprocess.run([*args, url], capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


def _lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def single_client_ms(url: str, body: bytes | None, repeats: int = 30) -> float:
    """Median latency of sequential requests from one client.

    Uncompressed, as wrk asks: httpx asks for gzip by default, which coinflow serves (GZipMiddleware,
    ~3 ms for the series answer's 72 KB) and PostGraphile does not, so the two would not do the same work.
    """
    timings = []
    with httpx.Client(timeout=30, headers={"accept-encoding": "identity"}) as http:
        for _ in range(repeats + 3):
            started = time.perf_counter()
            response = (
                http.post(url, content=body, headers={"content-type": "application/json"}) if body else http.get(url)
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:500]
            if body is not None:
                assert "errors" not in response.json(), response.text[:500]
    return statistics.median(timings[3:])


def statements_per_request(database_url: str, path: str, body: bytes | None, compile_graphql: bool = True) -> int:
    """SQL statements a repeated request issues (in-process app, response cache off, one pooled connection).

    The request is sent twice and the second counted: the first on a connection also PREPAREs a
    compiled statement (``graphql_api.compiled.prepared``), once per connection.
    """
    app = create_app(
        Settings(
            database_url=database_url,
            api_response_cache_size=0,
            api_compile_graphql=compile_graphql,
            api_max_cost=100_000,
            api_db_pool_size=1,
        )
    )
    statements: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    async def send() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            if body is None:
                await client.get(path)
            else:
                await client.post(path, content=body, headers={"content-type": "application/json"})

    anyio.run(send)
    statements.clear()
    anyio.run(send)
    app.state.engine.dispose()
    return len(statements)


def ratio(a: float, b: float) -> str:
    """``a / b`` as ``1.23x``, or n/a when nothing completed."""
    return f"{a / b:.2f}x" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coins", type=int, default=500)
    parser.add_argument("--timestamps", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=1, help="coinflow api worker processes (PostGraphile: one)")
    parser.add_argument(
        "--postgraphile",
        action=argparse.BooleanOptionalAction,
        default=POSTGRAPHILE_BIN.exists(),
        help="also measure PostGraphile (default: when `npm ci` was run in bench/api/postgraphile)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")

    with scratch_database() as url:
        upgrade(url)
        engine = make_engine(url)
        seconds = load(engine, args.coins, args.timestamps)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM prices")).scalar_one()
            deep = conn.execute(
                text("SELECT coin_id, source, observed_at FROM prices ORDER BY 1, 2, 3 OFFSET :n LIMIT 1"),
                {"n": min(900_000, rows - 100) - 1},
            ).one()
        engine.dispose()
        print(f"loaded {rows:,} prices in {seconds:.1f} s")

        series_body = graphql_body(SERIES, {"from": since(20, args.timestamps).isoformat()})
        relay_body = graphql_body(RELAY)
        first_page = "/data?" + urlencode({"limit": 50})
        deep_page = "/data?" + urlencode({"limit": 50, "cursor": encode_cursor(PRICE_CURSOR, tuple(deep))})
        cases = [
            ("relay coins(50) x prices(last 20), cold", "cold", "/graphql", relay_body),
            ("series coins(50) x series(20 pts), cold", "cold", "/graphql", series_body),
            ("relay, cold, resolvers (compilation off)", "resolvers", "/graphql", relay_body),
            ("series, cold, resolvers (compilation off)", "resolvers", "/graphql", series_body),
            ("relay, warm response cache", "warm", "/graphql", relay_body),
            ("series, warm response cache", "warm", "/graphql", series_body),
            ("GET /data?limit=50 (first page)", "cold", first_page, None),
            ("GET /data?limit=50&cursor=<row 900,000>", "cold", deep_page, None),
        ]
        pg_since = {"since": since(20, args.timestamps).isoformat()}
        if args.postgraphile:
            cases += [
                ("PostGraphile relay (same data)", "postgraphile", "/graphql", graphql_body(PG_RELAY)),
                ("PostGraphile series (same data)", "postgraphile", "/graphql", graphql_body(PG_SERIES, pg_since)),
            ]
        results = []
        with (
            server(url, cache_size=0, workers=args.workers) as cold,
            server(url, cache_size=0, workers=args.workers, compile_graphql=False) as resolvers,
            server(url, cache_size=512, workers=args.workers) as warm,
            postgraphile(url) if args.postgraphile else nullcontext("") as pgl,
        ):
            bases = {"cold": cold, "resolvers": resolvers, "warm": warm, "postgraphile": pgl}
            for label, which, path, body in cases:
                target = bases[which] + path
                single = single_client_ms(target, body)
                loaded = wrk(target, body, args.connections, args.duration)
                statements = (
                    statements_per_request(url, path, body, compile_graphql=which == "cold")
                    if which in ("cold", "resolvers")
                    else (1 if which == "warm" else 0)
                )
                results.append((label, loaded, single, statements))
                print(f"  done: {label}", flush=True)
        if args.json:
            write_json(args.json, cases, results, args.workers)

    print()
    print(
        f"{args.connections} connections, {args.duration} s per case, wrk -t2, loopback, "
        f"coinflow api --workers {args.workers}, PostGraphile one node process"
    )
    print("SQL/req: statements a repeated request issues (0 = not measured, PostGraphile); a compiled query's first")
    print("         request on a connection also PREPAREs it")
    header = f"{'case':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'1-client ms':>12} {'SQL/req':>8} {'non-2xx':>8}"
    print(header)
    print("-" * len(header))
    for label, loaded, single, statements in results:
        print(
            f"{label:<44} {loaded['rps']:>8.1f} {loaded['p50']:>8.2f} {loaded['p99']:>8.2f} "
            f"{single:>12.2f} {statements:>8} {int(loaded['non2xx']):>8}"
        )
    by_label = {label: (loaded, single) for label, loaded, single, _ in results}
    cold_relay, warm_relay = by_label[cases[0][0]], by_label[cases[4][0]]
    first, deep_result = by_label[cases[6][0]], by_label[cases[7][0]]
    print()
    print(f"warm / cold relay throughput: {ratio(warm_relay[0]['rps'], cold_relay[0]['rps'])}")
    print(f"series / relay cold throughput: {ratio(by_label[cases[1][0]][0]['rps'], cold_relay[0]['rps'])}")
    print(f"keyset page at row 900,000 / first page, single client: {ratio(deep_result[1], first[1])}")
    resolver_relay, resolver_series = by_label[cases[2][0]], by_label[cases[3][0]]
    print(f"compiled / resolvers cold relay throughput: {ratio(cold_relay[0]['rps'], resolver_relay[0]['rps'])}")
    if args.postgraphile:
        pg_relay, pg_series = by_label["PostGraphile relay (same data)"], by_label["PostGraphile series (same data)"]
        series_cold = by_label[cases[1][0]]
        for path, relay, series in (
            ("compiled", cold_relay, series_cold),
            ("resolvers", resolver_relay, resolver_series),
        ):
            print(f"cold relay ({path}) vs PostGraphile relay, req/s: {ratio(relay[0]['rps'], pg_relay[0]['rps'])}")
            print(f"cold series ({path}) vs PostGraphile series, req/s: {ratio(series[0]['rps'], pg_series[0]['rps'])}")
        print("targets (issue 14, compiled): relay >= 1.0x, series >= 1.5x")
        print(f"single client p50, relay compiled / PostGraphile: {ratio(cold_relay[1], pg_relay[1])} (target <= 1x)")
        series_p50 = ratio(series_cold[1], pg_series[1])
        print(f"single client p50, series compiled / PostGraphile: {series_p50} (target <= 1x)")
        warm_ratio = ratio(warm_relay[0]["rps"], pg_relay[0]["rps"])
        print(f"warm relay vs PostGraphile relay, req/s: {warm_ratio} (target >= 5x)")


SERVERS = {
    "cold": ("coinflow-compiled", "cold"),
    "resolvers": ("coinflow-resolvers", "cold"),
    "warm": ("coinflow-compiled", "warm"),
    "postgraphile": ("postgraphile", "cold"),
}


def write_json(path: Path, cases: list[tuple[str, str, str, Any]], results: list[Any], workers: int) -> None:
    """The results as {"cases": [...], "versions": {...}} (the shape `make bench` reads)."""
    rows = []
    for (label, which, _, _), (_, loaded, single, statements) in zip(cases, results, strict=True):
        server_name, cache = SERVERS[which]
        rows.append(
            {
                "case": label,
                "server": server_name,
                "cache": cache,
                "workers": 1 if which == "postgraphile" else workers,
                "req_s": loaded["rps"],
                "p50_ms": loaded["p50"],
                "p99_ms": loaded["p99"],
                "single_client_ms": single,
                "statements_per_request": float(statements) if which != "postgraphile" else None,
            }
        )
    path.write_text(orjson.dumps({"cases": rows, "versions": versions()}, option=orjson.OPT_INDENT_2).decode())


def versions() -> dict[str, str]:
    """What was measured: Python, PostgreSQL, wrk and PostGraphile versions."""
    found = {"python": sys.version.split()[0]}
    try:
        with closing(create_engine(ADMIN_URL).connect()) as conn:
            found["postgresql"] = str(conn.execute(text("SHOW server_version")).scalar_one())
    except Exception as error:  # noqa: BLE001 - a version is informative, never a reason to fail
        found["postgresql"] = f"unknown ({type(error).__name__})"
    wrk_banner = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found["wrk"] = (wrk_banner.stdout or wrk_banner.stderr).split("\n")[0].strip()
    package = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "package.json"
    if package.exists():
        found["postgraphile"] = str(orjson.loads(package.read_bytes())["version"])
    return found


if __name__ == "__main__":
    main()
