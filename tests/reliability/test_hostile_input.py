"""The hostile-input harness, short: schemathesis and the abuse corpus over loopback find no 5xx and no hang."""

import pytest
from sqlalchemy import Engine

from reliability.abuse_corpus import corpus
from reliability.hostile_input import main
from tests.api.market_fixture import load_market


def test_hostile_input_finds_no_server_error_and_no_hang(
    database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    load_market(engine)
    assert main(["--cases", "30", "--database-url", database_url]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    cases = corpus()
    on_graphql = sum(case.path == "/graphql" for case in cases)
    assert line.startswith("hostile input: ") and " REST cases (schemathesis), " in line
    assert line.endswith(
        f"{len(cases)} abuse cases ({on_graphql} GraphQL, {len(cases) - on_graphql} REST): 0 server errors, 0 hangs"
    )
    sent = int(line.removeprefix("hostile input: ").split(" REST")[0].replace(",", ""))
    assert sent >= 30


def test_the_corpus_holds_the_issue_13_cases() -> None:
    names = {case.name for case in corpus()}
    for wanted in (
        "body null",
        "body 42",
        "body []",
        "body not UTF-8",
        "variables nested 100,000 deep",
        "100,000 unique variables",
        "series of 490 coins",
        "NUL variable",
        "GET /runs/9223372036854775808",
        "GET /data?from=9999-12-31T23:59:59-05:00",
    ):
        assert wanted in names
