"""The compiled path answers exactly as the resolvers do, for every compiled field and argument.

Each operation of the corpus is asked of an app compiling queries and of one running the resolvers,
on the same data (tests/api/compiled_market.py); the answers must be the same JSON — keys in the same
order, numbers written the same way, the same nulls and cursors. On PostgreSQL the compiled app must
have compiled it (the ``x-coinflow-execution`` header); on SQLite it must have used the resolvers.
"""

from typing import Any

import pytest
from fastapi import FastAPI

from graphql_api.app import create_app
from models.settings import Settings
from tests.api.compiled_paths import ask, seeded_paths, strict
from tests.api.conftest import ApiClient

__all__ = ["seeded_paths"]  # the module-scoped fixture, used by name

COIN_SCALARS = "id canonicalId symbol name __typename"
PRICE_SCALARS = "source observedAt priceUsd marketCapUsd volume24hUsd change24hPct rank runId __typename"
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }"

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
    ('{ coin(canonicalId: "bitcoin") { spread { sources } } }', {}),
    ('{ coin(canonicalId: "bitcoin") { latestPrice { coin { symbol } lineage { id } } } }', {}),
    ('{ coin(canonicalId: "bitcoin") { series(source: CSV, interval: HOUR) { points } } }', {}),
    ("{ coins(first: 501) { nodes { symbol } } }", {}),
    ("{ coins(first: 2, last: 2) { nodes { symbol } } }", {}),
    ('{ coins(after: "not-a-cursor") { nodes { symbol } } }', {}),
    ('{ coin(canonicalId: "bitcoin") { prices(before: "WyJwIl0") { nodes { rank } } } }', {}),
    ('{ coin(canonicalId: "bitcoin") { series(source: CSV, last: 0) { points } } }', {}),
    ("{ runs { nodes { runId } } }", {}),
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
