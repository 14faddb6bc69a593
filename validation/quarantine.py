"""Split a frame into the rows that pass a Pandera schema and the rows that fail, with reasons.

Pandera validates lazily and reports every failure case with the check that raised it. A column in
which one value fails coercion cannot run its value checks at all, so rows that failed coercion are
set aside and the rest is validated again: every rejected row carries all the checks it failed.
"""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

_MAX_PASSES = 4


@dataclass
class ValidationOutcome:
    """The rows that passed (coerced to the schema's types) and, per failed row label, why."""

    valid: pd.DataFrame
    reasons: dict[Any, list[dict[str, str]]] = field(default_factory=dict)


class StructureError(ValueError):
    """A failure that no single row explains (a missing column): the whole input is unusable."""


def split_valid(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> ValidationOutcome:
    """Validate ``frame`` lazily; return the coerced valid rows and the reasons for every rejected row."""
    reasons: dict[Any, list[dict[str, str]]] = {}
    uncoercible: set[Any] = set()
    for _ in range(_MAX_PASSES):
        passed, new_uncoercible = _collect(schema, frame.drop(index=list(uncoercible)), reasons)
        if passed is not None and not reasons:
            return ValidationOutcome(passed, reasons)  # every row passed at once: no second validation
        if not new_uncoercible:
            break
        uncoercible |= new_uncoercible
    remaining = frame.drop(index=list(reasons))
    if remaining.empty:  # every row rejected: nothing to type (Pandera cannot type an empty text column)
        return ValidationOutcome(remaining, reasons)
    valid = schema.validate(remaining, lazy=True)
    return ValidationOutcome(valid, reasons)


def _collect(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, reasons: dict[Any, list[dict[str, str]]]
) -> tuple[pd.DataFrame | None, set[Any]]:
    """Validate once, add each row's failures to ``reasons``.

    Returns the validated frame when every row passed (else None) and the rows that failed coercion.
    """
    try:
        return schema.validate(frame, lazy=True), set()
    except SchemaErrors as errors:
        cases = errors.failure_cases
    row_cases = cases[cases["index"].notna()]
    if row_cases.empty:
        raise StructureError(_describe(cases)) from None
    uncoercible = set(row_cases.loc[row_cases["check"].astype(str).str.startswith("coerce_dtype"), "index"])
    for case in row_cases.itertuples(index=False):
        check = str(case.check)
        if check.startswith("dtype(") and case.index in uncoercible:
            continue  # the coercion failure already says it
        row_reasons = reasons.setdefault(case.index, [])
        # a later pass re-reports a row's failure with the coerced value: keep the first (as received)
        if not any(r["column"] == str(case.column) and r["check"] == check for r in row_reasons):
            row_reasons.append({"column": str(case.column), "check": check, "value": _text(case.failure_case)})
    return None, uncoercible


def _describe(cases: pd.DataFrame) -> str:
    return "; ".join(f"{row.column}: {row.check}" for row in cases.itertuples(index=False))


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
