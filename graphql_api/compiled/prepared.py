"""Compiled statements as server-side prepared statements: PREPARE once per pooled connection, then EXECUTE.

A compiled statement is long (kilobytes of SQL) and PostgreSQL parses, analyses and plans it on every
execution; prepared, it does that once per connection and reuses the plan (PostgreSQL's plan cache:
custom plans for the first five executions, then a generic one when it is estimated no worse). Measured
on the bench's data (`bench/api/run.py` fixture, a loaded 2-core machine, A/B in turn, 32 connections):
the series query 113-127 -> 141-168 req/s; the relay query 83 -> 83 req/s.

The values are still sent as parameters (``EXECUTE name (%(p)s, ...)``, quoted by the driver as before),
never spliced into the prepared text. Each parameter's SQL type comes from its Python value (the plan,
and so its values' types, is fixed per variables); a statement PostgreSQL cannot prepare with those types
runs unprepared from then on, as before. Each connection keeps at most ``PREPARED_PER_CONNECTION``
statements (least recently used are deallocated); a connection replaced by the pool starts empty.
"""

import itertools
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import ProgrammingError

PREPARED_PER_CONNECTION = 32
_INFO_KEY = "coinflow_prepared_statements"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_NUMBERS = itertools.count(1)


@dataclass
class PreparedForm:
    """A compiled statement in PREPARE form: ``$n`` placeholders in the order of ``names``."""

    name: str
    sql: str
    names: tuple[str, ...]
    execute: str  # ``EXECUTE name (%(p)s, ...)``, the values as the driver's parameters
    refused: bool = field(default=False)  # PostgreSQL could not prepare it: run the plain statement


def prepared_form(sql: str) -> PreparedForm:
    """``sql`` (pyformat placeholders, ``%%`` for a literal percent) as a statement to PREPARE."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    name = f"coinflow_compiled_{next(_NUMBERS)}"
    prepared_sql = _PLACEHOLDER.sub(number, sql)
    arguments = ", ".join(f"%({parameter})s" for parameter in names)
    execute = f"EXECUTE {name} ({arguments})" if arguments else f"EXECUTE {name}"
    return PreparedForm(name, prepared_sql, tuple(names), execute)


def execute_prepared(conn: Connection, form: PreparedForm, sql: str, parameters: dict[str, Any]) -> Any:
    """The single value of the statement, run as ``form`` prepared on ``conn`` (prepared now if need be).

    ``sql``/``parameters``: the plain statement, run instead when PostgreSQL refused to prepare it.
    Errors of the execution itself propagate as those of the plain statement would.
    """
    if form.refused:
        return conn.exec_driver_sql(sql, parameters).scalar_one()
    prepared: OrderedDict[str, None] = conn.connection.info.setdefault(_INFO_KEY, OrderedDict())
    values = [parameters[name] for name in form.names]
    if form.name in prepared:
        prepared.move_to_end(form.name)
    else:
        types = ", ".join(_sql_type(value) for value in values)
        try:
            conn.exec_driver_sql(
                f"PREPARE {form.name} ({types}) AS {form.sql}" if types else f"PREPARE {form.name} AS {form.sql}", {}
            )
        except ProgrammingError:  # a parameter type PostgreSQL cannot fit: never try this statement again
            form.refused = True
            return conn.exec_driver_sql(sql, parameters).scalar_one()
        prepared[form.name] = None
        while len(prepared) > PREPARED_PER_CONNECTION:
            evicted, _ = prepared.popitem(last=False)
            conn.exec_driver_sql(f"DEALLOCATE {evicted}")
    return conn.exec_driver_sql(form.execute, parameters).scalar_one()


def _sql_type(value: Any) -> str:
    """The SQL type a parameter of this Python value is declared with."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if -(2**31) <= value < 2**31 else "bigint"
    if isinstance(value, float):
        return "double precision"
    if isinstance(value, Decimal):
        return "numeric"
    if isinstance(value, datetime):
        return "timestamptz" if value.tzinfo is not None else "timestamp"
    if isinstance(value, timedelta):
        return "interval"
    return "text"
