"""Compiled statements run as server-side prepared statements, one per connection and plan, bounded."""

import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from graphql_api.compiled import prepared
from tests.api.compiled_paths import ask, both_paths, seeded_paths, strict

__all__ = ["seeded_paths"]  # the module-scoped fixture, used by name

QUERY = "{ coins(first: %d) { nodes { canonicalId latestPrice { priceUsd observedAt } } } }"


def _prepared_names(app: FastAPI) -> list[str]:
    """The compiled statements prepared on the app's one pooled connection (pg_prepared_statements is per session)."""
    with app.state.engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM pg_prepared_statements ORDER BY name")).scalars())


@pytest.mark.parametrize("seeded_paths", ["postgresql"], indirect=True)  # SQLite never compiles
def test_a_repeated_query_is_prepared_once_and_answers_as_the_resolvers(
    seeded_paths: tuple[str, FastAPI, FastAPI],
) -> None:
    _, compiling, resolving = seeded_paths
    url = compiling.state.engine.url.render_as_string(hide_password=False)
    with both_paths(url, api_db_pool_size=1) as (on, _):
        answers = [ask(on, QUERY % 3) for _ in range(3)]
        names = _prepared_names(on)
        statements: list[str] = []
        event.listen(on.state.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        answers += [ask(on, QUERY % 3), ask(on, QUERY % 40)]  # whatever the page size
    _, reference = ask(resolving, QUERY % 3)
    assert [path for path, _ in answers] == ["compiled"] * 5
    assert all(strict(answer) == strict(reference) for _, answer in answers[:4])
    assert strict(answers[4][1]) == strict(ask(resolving, QUERY % 40)[1])
    assert len(names) == 1 and names[0].startswith("coinflow_compiled_")
    # One statement per request: EXECUTE of the prepared plan (the first request of a plan adds its PREPARE).
    assert [statement.split()[0] for statement in statements] == ["EXECUTE", "PREPARE", "EXECUTE"]


@pytest.mark.parametrize("seeded_paths", ["postgresql"], indirect=True)
def test_a_connection_keeps_at_most_the_bound_of_prepared_statements(
    seeded_paths: tuple[str, FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, compiling, resolving = seeded_paths
    monkeypatch.setattr(prepared, "PREPARED_PER_CONNECTION", 2)
    url = compiling.state.engine.url.render_as_string(hide_password=False)
    with both_paths(url, api_db_pool_size=1) as (on, _):
        answers = {first: ask(on, QUERY % first) for first in (1, 2, 3, 4, 1)}
        names = _prepared_names(on)
    assert len(names) == 2  # the least recently used were deallocated
    for first, (path, answer) in answers.items():
        assert path == "compiled" and strict(answer) == strict(ask(resolving, QUERY % first)[1])
