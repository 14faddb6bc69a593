"""Sentinels for "unknown": values a source sends where it has none, which are stored as NULL.

Each source declares its table (column -> the values that mean unknown there) beside its schema;
docs/columns.md shows the same tables with the reason for each. A price column is never in a table:
a price of 0 is not "unknown" but a row that fails ``greater_than(0)`` and is quarantined with that
reason. Raw records keep the value as received.
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd

ZERO = "zero"  # the number 0 (int or float), never the boolean False


def unknown_to_null(frame: pd.DataFrame, table: Mapping[str, frozenset[str]]) -> pd.DataFrame:
    """``frame`` (object columns, as built from payloads) with each table entry's sentinels set to None.

    ``table`` maps a column to the sentinel kinds that mean "unknown" in it (``ZERO``).
    """
    out = frame.copy()
    for column, kinds in table.items():
        if column in out.columns:
            out[column] = [None if _is_sentinel(value, kinds) else value for value in out[column]]
    return out


def _is_sentinel(value: Any, kinds: frozenset[str]) -> bool:
    if ZERO in kinds and isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    return False
