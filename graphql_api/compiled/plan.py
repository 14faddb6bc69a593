"""The root of a compiled operation: one SELECT whose single value is the ``data`` object as JSON text."""

from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, select

from graphql_api.compiled.connection_sql import json_object, typename
from graphql_api.compiled.market_sql import coin_by_canonical_id, coins_connection
from graphql_api.compiled.runs_sql import runs_connection
from graphql_api.compiled.selection import Field, NotCompilableError
from graphql_api.compiled.stats_sql import market_stats_json


def data_statement(fields: tuple[Field, ...], prefect_ui_url: str | None) -> Select[tuple[str]]:
    """``SELECT json_build_object(...)::text`` for the root fields; NotCompilableError outside the compilable set.

    ``prefect_ui_url`` is the setting ``Run.prefectUrl`` is built from (part of the plan cache's key).
    """
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    for field in fields:
        if field.name == "coins":
            pairs.append((field.key, coins_connection(field)))
        elif field.name == "coin":
            pairs.append((field.key, coin_by_canonical_id(field)))
        elif field.name == "marketStats":
            pairs.append((field.key, market_stats_json(field)))
        elif field.name == "runs":
            pairs.append((field.key, runs_connection(field, prefect_ui_url)))
        elif field.name == "__typename":
            pairs.append((field.key, typename("Query")))
        else:
            raise NotCompilableError(f"Query.{field.name}")
    if not pairs:
        raise NotCompilableError("empty selection")
    return select(cast(json_object(pairs), Text))
