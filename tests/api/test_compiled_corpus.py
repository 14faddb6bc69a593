"""The compiled path answers exactly as the resolvers do, for every compiled field and argument.

Each operation of the corpus is asked of an app compiling queries and of one running the resolvers,
on the same data (tests/api/compiled_market.py); the answers must be the same JSON — keys in the same
order, numbers written the same way, the same nulls and cursors. On PostgreSQL the compiled app must
have compiled it (the ``x-coinflow-execution`` header); on SQLite it must have used the resolvers.
"""

import math
import random
import struct
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import (
    ARRAY,
    DateTime,
    Double,
    Engine,
    Integer,
    Text,
    bindparam,
    cast,
    column,
    func,
    select,
    text,
    values,
)
from sqlalchemy.exc import DataError

from graphql_api.app import create_app
from graphql_api.compiled.json_text import FALLBACK_MARKER, float_text
from graphql_api.compiled.runs_sql import seconds_rounded
from graphql_api.paging import encode_cursor
from graphql_api.queries.prices import PRICE_CURSOR
from graphql_api.queries.runs import RUN_CURSOR, duration_s
from models.settings import Settings
from tests.api.compiled_market import T0
from tests.api.compiled_paths import ask, both_paths, seeded_paths, strict
from tests.api.conftest import ApiClient

__all__ = ["seeded_paths"]  # the module-scoped fixture, used by name

SOURCES = ("COINGECKO", "COINPAPRIKA", "CSV")
COIN_SCALARS = "id canonicalId symbol name __typename"
PRICE_SCALARS = "source observedAt priceUsd marketCapUsd volume24hUsd change24hPct rank runId __typename"
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }"
RUN_SCALARS = (
    "id runId flowRunId prefectUrl source stream status startedAt finishedAt durationS read landed valid "
    "rejected inserted updated unchanged error __typename"
)
SPREAD = "sources minUsd maxUsd absUsd pct flagged staleSources __typename"
SERIES = "source interval points timestamps priceUsd marketCapUsd volume24hUsd __typename"
CHECKPOINTS = "checkpointBefore checkpointAfter"
MOVER = "canonicalId symbol name source priceUsd change24hPct observedAt __typename"
STATS = f"source coinCount totalMarketCapUsd topGainers {{ {MOVER} }} topLosers {{ {MOVER} }} __typename"
# The oldest run (id 1) holds compiled_market.FALLBACK_CHECKPOINT: pages selecting checkpoints stop before it.
RUN_10 = encode_cursor(RUN_CURSOR, (10,))
A_PRICE_CURSOR = encode_cursor(PRICE_CURSOR, (1, "csv", "2024-03-01T00:00:00+00:00"))

COMPILED: list[tuple[str, dict[str, Any]]] = [
    # bench/api/run.py's two operations, at this market's scale
    (
        "{ coins(first: 50, orderBy: {field: SYMBOL}) { edges { cursor node { canonicalId symbol "
        "latestPrice { priceUsd observedAt } prices(last: 20) { edges { cursor node "
        "{ priceUsd marketCapUsd volume24hUsd observedAt } } } } } } }",
        {},
    ),
    (
        "query($from: DateTime) { coins(first: 40, orderBy: {field: SYMBOL}) { edges { cursor node { "
        "canonicalId symbol latestPrice { priceUsd observedAt } "
        "series(source: CSV, from: $from) { timestamps priceUsd marketCapUsd volume24hUsd } } } } }",
        {"from": "2024-03-01T02:00:00Z"},
    ),
    (f"{{ coins {{ edges {{ cursor node {{ {COIN_SCALARS} }} }} {PAGE_INFO} totalCount __typename }} }}", {}),
    (f"{{ coins(first: 3) {{ nodes {{ {COIN_SCALARS} }} {PAGE_INFO} totalCount }} }}", {}),
    *(
        (
            f"{{ coins(first: 4, orderBy: {{field: {field}, direction: {direction}}}) "
            f"{{ edges {{ cursor node {{ canonicalId }} }} {PAGE_INFO} }} }}",
            {},
        )
        for field in ("RANK", "MARKET_CAP", "SYMBOL", "NAME")
        for direction in ("ASC", "DESC")
    ),
    ("{ coins(last: 3, orderBy: {field: NAME}) { edges { cursor node { name } } " + PAGE_INFO + " } }", {}),
    (
        "query($f: CoinFilterInput) { coins(filter: $f) { nodes { canonicalId } totalCount } }",
        {"f": {"symbol": "btc"}},
    ),
    ('{ coins(filter: {search: "BIT"}) { nodes { canonicalId } totalCount } }', {}),
    ("{ coins(filter: {source: COINPAPRIKA}) { nodes { canonicalId } totalCount } }", {}),
    ("{ coins(filter: {matched: true}) { nodes { canonicalId } totalCount } }", {}),
    ('{ coins(filter: {matched: false, search: "i"}) { nodes { canonicalId } totalCount } }', {}),
    (f'{{ coin(canonicalId: "bitcoin") {{ {COIN_SCALARS} }} }}', {}),
    ('{ coin(canonicalId: "no-such-coin") { symbol } }', {}),
    (
        "query($id: String!) { coin(canonicalId: $id) { sources { source sourceCoinId symbol name matchMethod "
        "matchedAt __typename } } }",
        {"id": "x" * 70},
    ),
    ('{ coin(canonicalId: "lonely") { sources { source } latestPrices { source } latestPrice { rank } } }', {}),
    ('{ coin(canonicalId: "mapped-no-prices") { latestPrices { source } latestPrice { rank } } }', {}),
    (f'{{ coin(canonicalId: "ether") {{ latestPrices {{ {PRICE_SCALARS} }} }} }}', {}),
    *(
        (f'{{ coin(canonicalId: "doge") {{ latestPrice(source: {source}) {{ {PRICE_SCALARS} }} }} }}', {})
        for source in ("COINGECKO", "COINPAPRIKA", "CSV")
    ),
    (f'{{ coin(canonicalId: "bitcoin") {{ latestPrice {{ {PRICE_SCALARS} }} }} }}', {}),
    (
        f'{{ coin(canonicalId: "bitcoin") {{ prices {{ edges {{ cursor node {{ {PRICE_SCALARS} }} }} '
        f"nodes {{ priceUsd }} {PAGE_INFO} totalCount __typename }} }} }}",
        {},
    ),
    (
        'query($from: DateTime, $to: DateTime) { coin(canonicalId: "bitcoin") { prices(source: CSV, from: $from, '
        "to: $to, first: 2) { edges { cursor node { observedAt } } " + PAGE_INFO + " totalCount } } }",
        {"from": "2024-03-01T01:00:00Z", "to": "2024-03-01T05:00:00+00:00"},
    ),
    ('{ coin(canonicalId: "tie-a") { prices(last: 4) { edges { cursor } ' + PAGE_INFO + " } } }", {}),
    (
        '{ coin(canonicalId: "bitcoin") { series(source: COINGECKO) { source interval points timestamps '
        "priceUsd marketCapUsd volume24hUsd __typename } } }",
        {},
    ),
    (
        '{ coin(canonicalId: "bitcoin") { series(source: CSV, last: 3, to: "2024-03-01T04:00:00Z") { timestamps '
        "priceUsd } } }",
        {},
    ),
    ('{ coin(canonicalId: "lonely") { series(source: CSV) { points timestamps priceUsd } } }', {}),
    # series at every interval: several points per bucket, bucket edges, nulls, empty windows
    *(
        (
            f'{{ coin(canonicalId: "busy") {{ series(source: {source}, interval: {interval}) {{ {SERIES} }} }} }}',
            {},
        )
        for source in SOURCES
        for interval in ("HOUR", "DAY")
    ),
    (
        'query($i: SeriesInterval!, $from: DateTime, $to: DateTime) { coin(canonicalId: "busy") { '
        f"series(source: COINGECKO, interval: $i, from: $from, to: $to) {{ {SERIES} }} }} }}",
        {"i": "HOUR", "from": "2024-02-29T23:00:00.000001Z", "to": "2024-03-01T00:59:59.999999+00:00"},
    ),
    (
        'query($i: SeriesInterval!) { coin(canonicalId: "busy") { a: series(source: COINPAPRIKA, interval: $i, '
        "last: 5) { points timestamps priceUsd } b: series(source: CSV, interval: $i, last: 10000) { ...Cols } "
        "c: series(source: COINGECKO, interval: RAW, last: 2) { ...Cols } } } "
        "fragment Cols on Series { interval points timestamps volume24hUsd marketCapUsd }",
        {"i": "DAY"},
    ),
    (
        '{ coin(canonicalId: "busy") { series(source: CSV, interval: HOUR, from: "2024-03-05T00:00:00Z") '
        f"{{ {SERIES} }} }} }}",
        {},
    ),
    (
        f"{{ coins(first: 12) {{ nodes {{ canonicalId h: series(source: CSV, interval: HOUR) {{ {SERIES} }} "
        f"d: series(source: COINGECKO, interval: DAY, last: 1) {{ {SERIES} }} }} }} }}",
        {},
    ),
    ('{ coin(canonicalId: "lonely") { series(source: CSV, interval: DAY) { points timestamps priceUsd } } }', {}),
    # spread: every field but maxAgeSeconds (the clock's: test_compiled_spread.py), three, two, one and no
    # sources, a stale one, a spread of 3.7e300 percent
    (f"{{ coins(first: 20) {{ nodes {{ canonicalId spread {{ {SPREAD} }} }} }} }}", {}),
    (
        "query($id: String!) { coin(canonicalId: $id) { a: spread { ...S } b: spread { n: sources "
        "... on Spread { stale: staleSources } } latestPrices { source observedAt } "
        "series(source: COINGECKO, interval: HOUR, last: 3) { timestamps priceUsd } } } "
        "fragment S on Spread { pct flagged __typename }",
        {"id": "busy"},
    ),
    *((f'{{ coin(canonicalId: "{c}") {{ spread {{ {SPREAD} }} }} }}', {}) for c in ("lonely", "mapped-no-prices")),
    # runs: every field, filter and paging argument
    (f"{{ runs {{ edges {{ cursor node {{ {RUN_SCALARS} }} }} {PAGE_INFO} totalCount __typename }} }}", {}),
    (f"{{ runs(first: 30) {{ nodes {{ runId {CHECKPOINTS} }} }} }}", {}),
    *((f"{{ runs(source: {source}) {{ nodes {{ runId source }} totalCount }} }}", {}) for source in SOURCES),
    *(
        (f"{{ runs(status: {status}) {{ nodes {{ runId status durationS }} totalCount }} }}", {})
        for status in ("RUNNING", "SUCCEEDED", "FAILED", "CRASHED", "SKIPPED")
    ),
    (
        "query($s: Source, $t: RunStatus) { runs(source: $s, status: $t) { nodes { runId } totalCount } }",
        {"s": "CSV", "t": "SUCCEEDED"},
    ),
    ("query($s: Source, $t: RunStatus) { runs(source: $s, status: $t) { totalCount } }", {"s": None, "t": None}),
    (f"{{ runs(first: 3) {{ edges {{ cursor node {{ runId }} }} {PAGE_INFO} totalCount }} }}", {}),
    (
        f"query($a: String) {{ runs(first: 4, after: $a) {{ edges {{ cursor node {{ runId {CHECKPOINTS} }} }} "
        f"{PAGE_INFO} }} }}",
        {"a": RUN_10},
    ),
    (f'{{ runs(source: COINGECKO, after: "{RUN_10}") {{ nodes {{ runId }} {PAGE_INFO} totalCount }} }}', {}),
    (
        f'{{ runs(after: "{encode_cursor(RUN_CURSOR, (1,))}") {{ edges {{ cursor }} nodes {{ runId }} {PAGE_INFO} '
        "totalCount } }",
        {},
    ),
    (f'{{ runs(first: 2, after: "{encode_cursor(RUN_CURSOR, (10**6,))}") {{ nodes {{ runId }} {PAGE_INFO} }} }}', {}),
    (
        "query($yes: Boolean!) { coins(first: 1) { nodes { symbol } } recent: runs(first: 2) { ...Runs } "
        "failed: runs(status: FAILED, first: 2) { nodes { ... on Run { when: startedAt } "
        "... @include(if: $yes) { error } durationS @skip(if: $yes) } } } "
        "fragment Runs on RunConnection { edges { c: cursor node { ...RunFields } } } "
        "fragment RunFields on Run { n: runId s: status checkpointAfter }",
        {"yes": True},
    ),
    # marketStats: every field, each source, aliases and fragments
    (f"{{ marketStats {{ {STATS} }} }}", {}),
    *((f"{{ marketStats(source: {source}) {{ {STATS} }} }}", {}) for source in SOURCES),
    ("query($s: Source) { marketStats(source: $s) { source coinCount } }", {"s": None}),
    (
        "query($s: Source) { a: marketStats { n: coinCount up: topGainers { symbol } } "
        "b: marketStats(source: $s) { ...Stats } runs(first: 1) { totalCount } } "
        "fragment Stats on MarketStats { total: totalMarketCapUsd topLosers { ... on Mover { id: canonicalId } } }",
        {"s": "CSV"},
    ),
    # aliases, fragments, directives, __typename
    (
        "query($yes: Boolean!, $no: Boolean!) { __typename a: coins(first: 2) { ...Page } "
        "b: coins(first: 2, orderBy: {direction: DESC}) { edges { node { ... on Coin { sym: symbol } "
        "... @include(if: $yes) { name } canonicalId @skip(if: $yes) id @include(if: $no) } } } } "
        "fragment Page on CoinConnection { edges { c: cursor node { ...CoinFields } } } "
        "fragment CoinFields on Coin { canonicalId p: latestPrice { usd: priceUsd } }",
        {"yes": True, "no": False},
    ),
]

FALLBACK: list[tuple[str, dict[str, Any]]] = [
    ('{ coin(canonicalId: "bitcoin") { latestPrice { coin { symbol } lineage { id } } } }', {}),
    ("{ coins(first: 501) { nodes { symbol } } }", {}),
    ("{ coins(first: 2, last: 2) { nodes { symbol } } }", {}),
    ('{ coins(after: "not-a-cursor") { nodes { symbol } } }', {}),
    ('{ coin(canonicalId: "bitcoin") { prices(before: "WyJwIl0") { nodes { rank } } } }', {}),
    ('{ coin(canonicalId: "bitcoin") { series(source: CSV, last: 0) { points } } }', {}),
    ('{ coin(canonicalId: "busy") { series(source: CSV, interval: HOUR, last: 10001) { points } } }', {}),
    ("{ runs { nodes { checkpointAfter } } }", {}),  # the oldest run's checkpoint has a float
    ("{ runs(first: 501) { nodes { runId } } }", {}),
    ('{ runs(after: "not-a-cursor") { nodes { runId } } }', {}),
    (
        f'{{ runs(after: "{A_PRICE_CURSOR}") {{ nodes {{ runId }} }} }}',  # another list's cursor
        {},
    ),
    ("{ run(id: 2) { runId } }", {}),
    ("{ runs(first: 2) { nodes { runId } } schemaDrift { totalCount } }", {}),
    ("{ coins(first: 1) { nodes { symbol } } c: coins(first: 1) { nodes { symbol } } coins { totalCount } }", {}),
    ("{ coins(first: 1) { edges { node { ... on Node { id } } } } }", {}),
    ("query($n: Int) { coins(first: $n) { nodes { symbol } } }", {"n": "three"}),
]


@pytest.mark.parametrize(("query", "variables"), COMPILED)
def test_compiled_answer_is_the_resolvers_answer(
    seeded_paths: tuple[str, FastAPI, FastAPI], query: str, variables: dict[str, Any]
) -> None:
    backend, compiling, resolving = seeded_paths
    path, compiled = ask(compiling, query, variables)
    reference_path, reference = ask(resolving, query, variables)
    assert reference_path == "resolvers"
    assert path == ("compiled" if backend == "postgresql" else "resolvers")
    assert '"errors"' not in reference
    assert strict(compiled) == strict(reference)


@pytest.mark.parametrize(("query", "variables"), FALLBACK)
def test_outside_the_compilable_set_the_resolvers_answer(
    seeded_paths: tuple[str, FastAPI, FastAPI], query: str, variables: dict[str, Any]
) -> None:
    _, compiling, resolving = seeded_paths
    path, compiled = ask(compiling, query, variables)
    _, reference = ask(resolving, query, variables)
    assert path == "resolvers"
    assert strict(compiled) == strict(reference)


def test_compiled_answers_are_cached_and_the_path_is_counted(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    backend, compiling, _ = seeded_paths
    url = compiling.state.engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, api_response_cache_size=16))
    try:
        query, variables = COMPILED[0]
        first_path, first = ask(app, query, variables)
        second_path, second = ask(app, query, variables)
        scrape = ApiClient(app).get("/metrics").text
    finally:
        app.state.engine.dispose()
    expected = "compiled" if backend == "postgresql" else "resolvers"
    assert (first_path, second_path) == (expected, "cache")
    assert second == first
    assert f'coinflow_graphql_execution_total{{path="{expected}"}} 1.0' in scrape
    assert 'coinflow_graphql_execution_total{path="cache"} 1.0' in scrape


def test_compilation_can_be_turned_off(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    _, _, resolving = seeded_paths
    assert ask(resolving, *COMPILED[0])[0] == "resolvers"


def test_run_links_follow_the_prefect_ui_setting(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    backend, compiling, _ = seeded_paths
    url = compiling.state.engine.url.render_as_string(hide_password=False)
    query = "{ runs(first: 12) { nodes { runId flowRunId prefectUrl } } }"
    for ui in ("http://prefect.local/ui/", "http://elsewhere:4200"):  # the same query text: no plan reused
        with both_paths(url, prefect_ui_url=ui) as (on, off):
            path, compiled = ask(on, query)
            _, reference = ask(off, query)
        assert path == ("compiled" if backend == "postgresql" else "resolvers")
        assert ui.rstrip("/") + "/runs/flow-run/" in reference
        assert strict(compiled) == strict(reference)


@pytest.mark.parametrize("seeded_paths", ["postgresql"], indirect=True)  # the SQL only the compiled path runs
def test_durations_round_as_python_does(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    """``seconds_rounded`` against ``queries.runs.duration_s`` on decimal ties (microseconds ending in 500)."""
    _, compiling, _ = seeded_paths
    draw = random.Random(14)
    micros = [k * 1000 + 500 for k in range(1500)] + [0, 400, -400, -500, -62_500, -1_500, 10**12 + 500]
    micros += [draw.randrange(-(10**11), 10**11) // 1000 * 1000 + 500 for _ in range(300)]
    micros += [draw.randrange(-(10**8), 10**8) for _ in range(300)]
    spans = values(
        column("i", Integer), column("s", DateTime(timezone=True)), column("e", DateTime(timezone=True)), name="spans"
    )
    rows = spans.data([(i, T0, T0 + timedelta(microseconds=m)) for i, m in enumerate(micros)])
    with compiling.state.engine.connect() as conn:
        duration = seconds_rounded(rows.c.s, rows.c.e)
        text = select(float_text(duration.c.seconds)).scalar_subquery()
        got = dict(conn.execute(select(rows.c.i, text)).tuples().all())

    class Span:
        def __init__(self, micro: int) -> None:
            self.started_at, self.finished_at = T0, T0 + timedelta(microseconds=micro)

    expected = {i: orjson.dumps(duration_s(Span(m))).decode() for i, m in enumerate(micros)}
    assert got == expected


@pytest.mark.parametrize("seeded_paths", ["postgresql"], indirect=True)  # the SQL only the compiled path runs
def test_floats_are_written_as_orjson_writes_them(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    """``float_text`` against orjson on every notation bound, its neighbours and 9,000 random floats.

    Each float is written as orjson writes it, or makes the statement fail with the fallback marker:
    exactly those PostgreSQL writes with more digits than the shortest (floats of 2^54 to 2^66).
    """
    _, compiling, _ = seeded_paths
    draw = random.Random(15)
    bounds = [1e-5, 1e-4, 1e15, 1e16, 1e21, 1.0, 2.0**53, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    floats = [0.0, -0.0, 0.1, 1 / 3, 3.0, 123456.789, 9999.999999999998, 99999999999999.5, 999999999999999.9]
    for bound in bounds:
        for step in range(-3, 4):
            near = bound
            for _ in range(abs(step)):
                near = math.nextafter(near, math.inf if step > 0 else 0.0)
            floats += [near, -near] if math.isfinite(near) else []
    floats += [draw.choice([1, -1]) * 10.0 ** draw.uniform(-12, 22) for _ in range(3_000)]
    floats += [draw.choice([1, -1]) * 10.0 ** draw.uniform(15, 22) for _ in range(3_000)]  # where float8out differs
    floats += [v for v in (struct.unpack("<d", draw.randbytes(8))[0] for _ in range(3_000)) if math.isfinite(v)]
    numbered = list(enumerate(floats))
    written: dict[int, str | None] = {}
    for start in range(0, len(numbered), 500):
        written |= _float_texts(compiling.state.engine, numbered[start : start + 500])
    fell_back = {i for i, text in written.items() if text is None}
    assert {
        i: (floats[i], text)
        for i, text in written.items()
        if text is not None and text != orjson.dumps(floats[i]).decode()
    } == {}
    with compiling.state.engine.connect() as conn:  # what float8out writes, to name the floats that must fall back
        pg = conn.execute(
            text("SELECT x::float8::text FROM unnest(CAST(:xs AS text[])) AS x"), {"xs": [repr(v) for v in floats]}
        )
        pg_texts = pg.scalars().all()
    too_long = {i for i, v in enumerate(floats) if _significant_digits(pg_texts[i]) > _significant_digits(repr(v))}
    assert fell_back == too_long and len(too_long) > 10


def _float_texts(engine: Engine, floats: list[tuple[int, float]]) -> dict[int, str | None]:
    """``float_text`` of each float (None where the statement falls back), halving a failing batch."""
    numbers = func.unnest(bindparam("xs", type_=ARRAY(Text))).table_valued("x", with_ordinality="n").render_derived()
    statement = select(numbers.c.n, float_text(cast(numbers.c.x, Double)))  # float8in of repr: the same float
    try:
        with engine.connect() as conn:
            got = conn.execute(statement, {"xs": [repr(value) for _, value in floats]}).tuples().all()
        return {floats[n - 1][0]: written for n, written in got}
    except DataError as error:
        assert FALLBACK_MARKER in str(error.orig)
        if len(floats) == 1:
            return {floats[0][0]: None}
        half = len(floats) // 2
        return _float_texts(engine, floats[:half]) | _float_texts(engine, floats[half:])


def _significant_digits(written: str) -> int:
    return len(written.lstrip("-").split("e")[0].replace(".", "").strip("0"))
