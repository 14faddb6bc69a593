"""A corpus of hostile requests: malformed /graphql bodies, bombs, bad cursors, NUL, overflows, wrong types, REST kin.

Each case is one HTTP request (method, body, content type, query string). ``send_corpus`` sends them
over real HTTP and reports, per case, the status or that it hung (no answer within the timeout).
A case passes when the answer is not 5xx and not a hang; the expected answers (400, 413, GraphQL
errors with a code) are asserted by the API tests, this corpus only counts what broke.
"""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class AbuseCase:
    """One hostile request."""

    name: str
    body: bytes | None = None
    method: str = "POST"
    content_type: str = "application/json"
    query_string: str = ""
    path: str = "/graphql"


TYPENAME_WITH_V = b'{"query": "{ __typename }", "variables": {"v": '
FRAGMENT_CYCLE = "fragment A on Coin { symbol ...B } fragment B on Coin { name ...A }"
PRICES_OF_IDS = "query($ids: [String!]) { prices(canonicalIds: $ids) { nodes { priceUsd } } }"
PRICES_TO = "query($t: DateTime) { prices(to: $t) { nodes { priceUsd } } }"


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def _gql(name: str, query: object, variables: object = None) -> AbuseCase:
    body: dict[str, object] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return AbuseCase(name, json.dumps(body).encode())  # the stdlib: orjson refuses ints beyond 64 bits


def corpus() -> list[AbuseCase]:
    """Every case, named for what it abuses."""
    coins_after = "query($c: String) { coins(after: $c) { nodes { symbol } } }"
    prices_after = "query($c: String) { prices(after: $c) { nodes { priceUsd } } }"
    runs_after = "query($c: String) { runs(after: $c) { nodes { id } } }"
    deep = TYPENAME_WITH_V + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    series_aliases = " ".join(f"s{i}: series(source: CSV) {{ points }}" for i in range(29))
    cases = [
        *(AbuseCase(f"body {raw.decode()}", raw) for raw in (b"null", b"42", b"[]", b'"query"', b"true", b"{}")),
        AbuseCase("body not UTF-8", b'{"query": "\xff\xfe\xfd"}'),
        AbuseCase("body truncated", b'{"query": "{ coins { nodes'),
        AbuseCase("body empty", b""),
        AbuseCase("variables nested 100,000 deep", deep),
        AbuseCase("variables nested 40 deep", TYPENAME_WITH_V + b"[" * 40 + b"]" * 40 + b"}}"),
        AbuseCase("content type text/plain", b'{"query": "{ __typename }"}', content_type="text/plain"),
        AbuseCase("batch of two", b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]'),
        _gql("body of 2 MB", "{ __typename }", {"p": "x" * 2_000_000}),
        _gql("100,000 unique variables", "{ __typename }", {f"v{i}": i for i in range(100_000)}),
        _gql("200 variables", "{ __typename }", {f"v{i}": i for i in range(200)}),
        *(_gql(f"variables {kind}", "{ __typename }", value) for kind, value in (("7", 7), ("[]", []), ('"x"', "x"))),
        _gql("query is a number", 5),
        _gql("depth bomb", "{ coins { nodes { " + "prices { nodes { coin { " * 6 + "symbol" + " } } }" * 6 + " } } }"),
        _gql("alias bomb", "{ " + " ".join(f"a{i}: coins {{ nodes {{ symbol }} }}" for i in range(500)) + " }"),
        _gql("token bomb", "{ coins { nodes { " + "symbol " * 50_000 + "} } }"),
        _gql("series of 490 coins", "{ coins(first: 490) { nodes { series(source: CSV) { points priceUsd } } } }"),
        _gql("series aliases", "{ coins(first: 50) { nodes { " + series_aliases + " } } }"),
        _gql("fragment cycle", "{ coins { nodes { ...A } } } " + FRAGMENT_CYCLE),
        _gql("introspection deep", "{ __schema { types { fields { type { " + "ofType { " * 4 + "name" + " }" * 9),
        _gql("huge string literal", '{ coin(canonicalId: "' + "b" * 900_000 + '") { symbol } }'),
        _gql("NUL literal", '{ coin(canonicalId: "bit\\u0000coin") { symbol } }'),
        _gql("NUL variable", "query($id: String!) { coin(canonicalId: $id) { symbol } }", {"id": "bit\x00coin"}),
        _gql("NUL in filter", "query($q: String) { coins(filter: {search: $q}) { nodes { symbol } } }", {"q": "\x00"}),
        _gql("NUL in list", PRICES_OF_IDS, {"ids": ["\x00"]}),
        _gql("Int overflow literal", "{ coins(first: 99999999999999999999) { nodes { symbol } } }"),
        _gql("Int overflow variable", "query($n: Int) { coins(first: $n) { nodes { symbol } } }", {"n": 2**63}),
        _gql("run id overflow", "query($id: Int!) { run(id: $id) { id } }", {"id": 2**64}),
        _gql("first wrong type", '{ coins(first: "ten") { nodes { symbol } } }'),
        _gql("from wrong type", "{ prices(from: 5) { nodes { priceUsd } } }"),
        _gql("unknown enum", "{ coins { nodes { series(source: BOGUS) { points } } } }"),
        _gql("enum as string", '{ coins { nodes { series(source: "CSV") { points } } } }'),
        _gql("datetime overflow literal", '{ prices(from: "9999-12-31T23:59:59-05:00") { nodes { priceUsd } } }'),
        _gql("datetime overflow variable", PRICES_TO, {"t": "0001-01-01T00:00:00+05:00"}),
        _gql("datetime garbage", '{ prices(from: "yesterday") { nodes { priceUsd } } }'),
        _gql("unknown operation", "query A { __typename } query B { __typename }"),
        _gql("mutation without token", 'mutation { triggerRun(source: "csv") { source } }'),
        _gql("unknown field", "{ nope }"),
    ]
    bad_cursors = {
        "garbage": "garbage!!",
        "int beyond BIGINT": _cursor("c", 2**63),
        "negative beyond BIGINT": _cursor("r", -(2**63) - 1),
        "datetime overflow": _cursor("p", 1, "csv", "9999-12-31T23:59:59-05:00"),
        "naive datetime": _cursor("p", 1, "csv", "2024-01-01T00:00:00"),
        "NUL text": _cursor("p", 1, "c\x00sv", "2024-01-01T00:00:00+00:00"),
        "nested lists": _cursor("p", [[[1]]], {"a": 1}, None),
        "not base64": "%%%%",
        "huge": _cursor("p", *range(5_000)),
    }
    for label, value in bad_cursors.items():
        for name, query in (("coins", coins_after), ("prices", prices_after), ("runs", runs_after)):
            cases.append(_gql(f"{name} cursor {label}", query, {"c": value}))
    get_cases = {
        "GET variables not JSON": {"query": "{ __typename }", "variables": "{nope"},
        "GET variables a number": {"query": "{ __typename }", "variables": "42"},
        "GET NUL in query": {"query": '{ coin(canonicalId: "\x00") { symbol } }'},
        "GET mutation": {"query": 'mutation { triggerRun(source: "csv") { source } }'},
    }
    for name, params in get_cases.items():
        cases.append(AbuseCase(name, method="GET", query_string=urllib.parse.urlencode(params)))
    return cases + rest_corpus()


def rest_corpus() -> list[AbuseCase]:
    """The REST requests of issue 13 and their kin: ids and cursors beyond BIGINT, UTC overflows, NUL."""
    paths = [
        "/runs/9223372036854775808",
        "/runs/-9223372036854775809",
        "/runs/compare?a=1&b=99999999999999999999",
        "/runs?cursor=WyJyIiw5MjIzMzcyMDM2ODU0Nzc1ODA4XQ",
        "/data?from=9999-12-31T23:59:59-05:00",
        "/data?to=0001-01-01T00:00:00%2B05:00",
        "/data?cursor=" + _cursor("p", 1, "csv", "9999-12-31T23:59:59-05:00"),
        "/data?cursor=" + _cursor("p", 2**63, "csv", "2024-01-01T00:00:00+00:00"),
        "/data?cursor=" + _cursor("p", 1, "c\x00sv", "2024-01-01T00:00:00+00:00"),
        *(f"/data?{name}=a%00b" for name in ("q", "symbol", "canonical_id", "source", "cursor")),
        "/coins/a%00b",
        "/runs?source=csv%00&status=failed%00",
        "/data?limit=99999999999999999999999",
        "/data?from=%00",
    ]
    cases = [AbuseCase(f"GET {p}", method="GET", path=p.split("?")[0], query_string=_query(p)) for p in paths]
    cases.append(AbuseCase("POST /runs body null", b"null", path="/runs"))
    cases.append(AbuseCase("POST /runs not UTF-8", b'{"source": "\xff"}', path="/runs"))
    return cases


def _query(path: str) -> str:
    return path.split("?", 1)[1] if "?" in path else ""


def send_corpus(base_url: str, cases: list[AbuseCase], timeout_s: float) -> dict[str, int | None]:
    """Each case's HTTP status, or None when it got no answer within ``timeout_s`` (a hang)."""
    outcome: dict[str, int | None] = {}
    for case in cases:
        url = f"{base_url}{case.path}" + (f"?{case.query_string}" if case.query_string else "")
        request = urllib.request.Request(url, data=case.body, method=case.method)
        request.add_header("Content-Type", case.content_type)
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                response.read()
                outcome[case.name] = response.status
        except urllib.error.HTTPError as error:
            error.read()
            outcome[case.name] = error.code
        except (TimeoutError, urllib.error.URLError, ConnectionError):
            outcome[case.name] = None
    return outcome
