"""Generated operations (Hypothesis) answered identically by the compiled path and the resolvers.

Random selections over the compiled fields — subsets in random order, aliases, inline and named
fragments, ``@include``/``@skip`` on variables, ``__typename`` — with random page sizes, directions,
orders, filters and cursors taken from real pages (passed as variables), over ``coins``, ``coin``,
``runs`` and ``marketStats``. Every operation is inside the compilable set, so on PostgreSQL the
compiled path must answer it — unless a limit refuses it or its page holds the one checkpoint the
compiled path leaves to the resolvers (``compiled_market.FALLBACK_CHECKPOINT``); on SQLite the
resolvers do, and the answers must be the same JSON either way (``compiled_paths.strict``).
"""

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.api.compiled_market import BUSY, COINS, FALLBACK_UNIT
from tests.api.compiled_paths import ask, seeded_paths, strict

__all__ = ["seeded_paths"]  # the module-scoped fixture, used by name

Draw = Callable[[st.SearchStrategy[Any]], Any]
PRICE_SCALARS = ["source", "observedAt", "priceUsd", "marketCapUsd", "volume24hUsd", "change24hPct", "rank", "runId"]
SOURCES = ["COINGECKO", "COINPAPRIKA", "CSV"]
INSTANTS = [f"2024-03-01T0{h}:00:00Z" for h in range(8)]
RUN_FIELDS = [
    *("id", "runId", "flowRunId", "prefectUrl", "source", "stream", "status", "startedAt", "finishedAt"),
    *("durationS", "read", "landed", "valid", "rejected", "inserted", "updated", "unchanged", "error"),
    *("checkpointBefore", "checkpointAfter"),
]
SPREAD_FIELDS = ["sources", "minUsd", "maxUsd", "absUsd", "pct", "flagged", "staleSources", "__typename"]
MOVER_FIELDS = ["canonicalId", "symbol", "name", "source", "priceUsd", "change24hPct", "observedAt"]
STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "CRASHED", "SKIPPED"]
Cursors = tuple[dict[str, list[str]], list[str], list[str]]


class Builder:
    """Builds one operation: its text, fragment definitions, variable definitions and values."""

    def __init__(self, draw: Draw, cursors: Cursors) -> None:
        self.draw = draw
        self.coin_cursors, self.price_cursors, self.run_cursors = cursors
        self.fragments: list[str] = []
        self.variables: dict[str, tuple[str, Any]] = {}

    def variable(self, type_name: str, value: Any) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = (type_name, value)
        return f"${name}"

    def key(self, name: str) -> str:
        return (
            f"{name}_{len(self.variables)}{self.draw(st.integers(0, 999))}: {name}"
            if self.draw(st.integers(0, 5)) == 0
            else name
        )

    def selection(self, type_name: str, options: list[Callable[[], str]]) -> str:
        chosen = self.draw(
            st.lists(st.sampled_from(range(len(options))), min_size=1, max_size=len(options), unique=True)
        )
        parts = [self.wrap(type_name, options[index]()) for index in chosen]
        return "{ " + " ".join(parts) + " }"

    def wrap(self, type_name: str, part: str) -> str:
        how = self.draw(st.integers(0, 9))
        if how == 0:
            return f"... on {type_name} {{ {part} }}"
        if how == 1:
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {type_name} {{ {part} }}")
            return f"...{name}"
        if how == 2:
            return f"... @include(if: {self.variable('Boolean!', True)}) {{ {part} }}"
        if how == 3:  # skipped: must vanish from both answers alike
            return f"{part} __typename @skip(if: {self.variable('Boolean!', True)})"
        return part

    def price(self) -> str:
        return self.selection("Price", [partial(self.key, n) for n in [*PRICE_SCALARS, "__typename"]])

    def connection(self, type_name: str, node: Callable[[], str]) -> str:
        def page_info() -> str:
            names = ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename")
            return self.key("pageInfo") + " " + self.selection("PageInfo", [partial(str, n) for n in names])

        def edge() -> str:
            parts = [lambda: self.key("cursor"), lambda: "node " + node(), lambda: "__typename"]
            return self.key("edges") + " " + self.selection(f"{type_name}Edge", parts)

        return self.selection(
            f"{type_name}Connection",
            [edge, lambda: self.key("nodes") + " " + node(), page_info, lambda: "totalCount", lambda: "__typename"],
        )

    def paging(self, cursors: list[str], sized: bool = False) -> list[str]:
        args = []
        size = self.draw(st.integers(1, 12))
        if self.draw(st.booleans()):
            args.append(f"first: {size}")
        elif sized or self.draw(st.booleans()):
            args.append(f"last: {size}")
        for name in ("after", "before"):
            if cursors and self.draw(st.integers(0, 3)) == 0:
                cursor = cursors[self.draw(st.integers(0, len(cursors) - 1))]
                args.append(f"{name}: {self.variable('String', cursor)}")
        return args

    def prices_field(self) -> str:
        args = self.paging(self.price_cursors)
        if self.draw(st.booleans()):
            args.append(f"source: {self.draw(st.sampled_from(SOURCES))}")
        for name in ("from", "to"):
            if self.draw(st.integers(0, 2)) == 0:
                args.append(f"{name}: {self.variable('DateTime', self.draw(st.sampled_from(INSTANTS)))}")
        arguments = f"({', '.join(args)})" if args else ""
        return f"{self.key('prices')}{arguments} " + self.connection("Price", self.price)

    def series_field(self) -> str:
        args = [f"source: {self.draw(st.sampled_from(SOURCES))}"]
        if self.draw(st.booleans()):
            args.append(f"last: {self.draw(st.integers(1, 6))}")
        if self.draw(st.booleans()):
            args.append(f'from: "{self.draw(st.sampled_from(INSTANTS))}"')
        if self.draw(st.booleans()):
            interval = self.draw(st.sampled_from(["RAW", "HOUR", "DAY"]))
            args.append(f"interval: {self.variable('SeriesInterval!', interval)}")
        columns = ["source", "interval", "points", "timestamps", "priceUsd", "marketCapUsd", "volume24hUsd"]
        return f"{self.key('series')}({', '.join(args)}) " + self.selection(
            "Series", [partial(self.key, n) for n in [*columns, "__typename"]]
        )

    def coin(self) -> str:
        sources = "{ source sourceCoinId symbol name matchMethod matchedAt }"
        options: list[Callable[[], str]] = [
            *(partial(self.key, n) for n in ("id", "canonicalId", "symbol", "name", "__typename")),
            lambda: f"{self.key('sources')} {sources}",
            lambda: f"{self.key('latestPrices')} " + self.price(),
            lambda: (
                self.key("latestPrice")
                + (f"(source: {self.draw(st.sampled_from(SOURCES))})" if self.draw(st.booleans()) else "")
                + " "
                + self.price()
            ),
            self.prices_field,
            self.series_field,
            # maxAgeSeconds is the clock's at each request: compared in test_compiled_spread.py
            lambda: f"{self.key('spread')} " + self.selection("Spread", [partial(self.key, n) for n in SPREAD_FIELDS]),
        ]
        return self.selection("Coin", options)

    def coins_field(self) -> str:
        order = (self.draw(st.sampled_from(["RANK", "MARKET_CAP", "SYMBOL", "NAME"])), self.draw(st.booleans()))
        args = self.paging(self.coin_cursors[f"{order[0]}:{order[1]}"], sized=True)  # within the cost limit
        args.append(f"orderBy: {{field: {order[0]}, direction: {'DESC' if order[1] else 'ASC'}}}")
        conditions = []
        if self.draw(st.integers(0, 3)) == 0:
            conditions.append(f"symbol: {self.variable('String', self.draw(st.sampled_from(['btc', 'TIE', 'x'])))}")
        if self.draw(st.integers(0, 3)) == 0:
            conditions.append(f'search: "{self.draw(st.sampled_from(["bit", "A", "ü", "%", "_"]))}"')
        if self.draw(st.integers(0, 3)) == 0:
            conditions.append(f"source: {self.draw(st.sampled_from(SOURCES))}")
        if self.draw(st.integers(0, 3)) == 0:
            conditions.append(f"matched: {str(self.draw(st.booleans())).lower()}")
        if conditions:
            args.append(f"filter: {{{', '.join(conditions)}}}")
        return f"{self.key('coins')}({', '.join(args)}) " + self.connection("Coin", self.coin)

    def coin_field(self) -> str:
        canonical = self.draw(st.sampled_from([c[0] for c in COINS] + [BUSY[0], "absent"]))
        return f"{self.key('coin')}(canonicalId: {self.variable('String!', canonical)}) " + self.coin()

    def runs_field(self) -> str:
        args = []
        if self.draw(st.booleans()):
            args.append(f"first: {self.draw(st.integers(1, 40))}")
        if self.draw(st.integers(0, 2)) == 0:
            args.append(f"after: {self.variable('String', self.draw(st.sampled_from(self.run_cursors)))}")
        if self.draw(st.integers(0, 2)) == 0:
            args.append(f"source: {self.draw(st.sampled_from(SOURCES))}")
        if self.draw(st.integers(0, 2)) == 0:
            args.append(f"status: {self.variable('RunStatus', self.draw(st.sampled_from(STATUSES)))}")
        arguments = f"({', '.join(args)})" if args else ""
        run = partial(self.selection, "Run", [partial(self.key, n) for n in [*RUN_FIELDS, "__typename"]])
        return f"{self.key('runs')}{arguments} " + self.connection("Run", run)

    def market_stats_field(self) -> str:
        source = f"(source: {self.draw(st.sampled_from(SOURCES))})" if self.draw(st.booleans()) else ""
        mover = partial(self.selection, "Mover", [partial(self.key, n) for n in [*MOVER_FIELDS, "__typename"]])
        options: list[Callable[[], str]] = [
            *(partial(self.key, n) for n in ("source", "coinCount", "totalMarketCapUsd", "__typename")),
            lambda: f"{self.key('topGainers')} " + mover(),
            lambda: f"{self.key('topLosers')} " + mover(),
        ]
        return f"{self.key('marketStats')}{source} " + self.selection("MarketStats", options)

    def operation(self) -> tuple[str, dict[str, Any]]:
        roots = {
            "coins": self.coins_field,
            "coin": self.coin_field,
            "runs": self.runs_field,
            "marketStats": self.market_stats_field,
        }
        chosen = self.draw(st.lists(st.sampled_from(list(roots)), min_size=1, max_size=4, unique=True))
        body = " ".join(roots[name]() for name in chosen)
        definitions = ", ".join(f"${name}: {type_name}" for name, (type_name, _) in self.variables.items())
        header = f"query({definitions})" if definitions else "query"
        text = f"{header} {{ {body} }} " + " ".join(self.fragments)
        return text, {name: value for name, (_, value) in self.variables.items()}


_CURSORS: dict[str, Cursors] = {}


def _cursors(app: FastAPI) -> Cursors:
    """Real cursors of every coin ordering, of a coin's prices and of the runs (asked of the resolvers)."""
    coin_cursors = {}
    for field in ("RANK", "MARKET_CAP", "SYMBOL", "NAME"):
        for descending in (False, True):
            direction = "DESC" if descending else "ASC"
            query = (
                f"{{ coins(first: 500, orderBy: {{field: {field}, direction: {direction}}}) {{ edges {{ cursor }} }} }}"
            )
            _, text = ask(app, query)
            edges = _json(text)["data"]["coins"]["edges"]
            coin_cursors[f"{field}:{descending}"] = [edge["cursor"] for edge in edges]
    _, text = ask(app, '{ coin(canonicalId: "bitcoin") { prices(first: 500) { edges { cursor } } } }')
    price_cursors = [edge["cursor"] for edge in _json(text)["data"]["coin"]["prices"]["edges"]]
    _, text = ask(app, "{ runs(first: 500) { edges { cursor } } }")
    run_cursors = [edge["cursor"] for edge in _json(text)["data"]["runs"]["edges"]]
    return coin_cursors, price_cursors, run_cursors


def _json(text: str) -> Any:
    return json.loads(text)


@settings(
    max_examples=30,  # the file runs in well under a minute on a quiet machine
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking these operations takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_operations_answer_alike(seeded_paths: tuple[str, FastAPI, FastAPI], data: st.DataObject) -> None:
    backend, compiling, resolving = seeded_paths
    if backend not in _CURSORS:  # the data is read-only: ask once per backend, not per example
        _CURSORS[backend] = _cursors(resolving)
    query, variables = Builder(data.draw, _CURSORS[backend]).operation()
    path, compiled = ask(compiling, query, variables)
    _, reference = ask(resolving, query, variables)
    # A limit refused it (the resolvers' error, whichever app was asked), or the compiled statement
    # stepped aside for the fallback checkpoint.
    if '"errors"' in reference or FALLBACK_UNIT in reference:
        assert path == "resolvers", query
    else:
        assert path == ("compiled" if backend == "postgresql" else "resolvers"), query
    assert strict(compiled) == strict(reference), query
