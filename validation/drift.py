"""Schema drift: compare the fields of a payload with what a source's contract expects.

Added fields, missing required fields and values whose JSON type the contract does not allow are
reported once per (field, kind) per payload, with an example value. What to do about them is the
caller's policy (``evolve`` or ``freeze``).

``null`` and ``""`` are the absence of a value, not a type: a field the contract knows that arrives
empty is never a type change (CoinGecko sends ``"symbol": ""`` for real coins, CoinPaprika documents
``""`` for missing numbers). Whether a row may lack that value is the Pandera schema's decision.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NUMBER = frozenset({"number"})
STRING = frozenset({"string"})
BOOLEAN = frozenset({"boolean"})
ARRAY = frozenset({"array"})
OBJECT = frozenset({"object"})
NULL = frozenset({"null"})
EMPTY = frozenset({"empty"})  # "" where a number is expected: CoinPaprika's documented "missing"
_ABSENT = NULL | EMPTY  # no value: validation decides whether the row may lack it
_EXAMPLE_CHARS = 200


@dataclass(frozen=True)
class FieldSpec:
    """The JSON types a field may have, and whether every item must carry it."""

    kinds: frozenset[str]
    required: bool = True


@dataclass(frozen=True)
class FieldDrift:
    """One drifted field: ``kind`` is ``added``, ``missing`` or ``type_changed``."""

    field: str
    kind: str
    example: str | None

    def describe(self) -> str:
        """``field (kind)`` for reasons and error texts."""
        return f"{self.field} ({self.kind})"


def json_kind(value: Any) -> str:
    """The JSON type name of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "empty" if value == "" else "string"
    return "array" if isinstance(value, list) else "object"


def flatten(item: Mapping[str, Any], expected: Mapping[str, FieldSpec], prefix: str = "") -> dict[str, Any]:
    """``item`` with nested objects flattened to dotted paths where the contract looks inside them."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and any(name.startswith(f"{path}.") for name in expected):
            out.update(flatten(value, expected, f"{path}."))
        else:
            out[path] = value
    return out


def detect_drift(items: Iterable[Any], expected: Mapping[str, FieldSpec]) -> list[FieldDrift]:
    """Every field that was added, went missing or changed type across ``items`` (objects)."""
    found: dict[tuple[str, str], FieldDrift] = {}
    for item in items:
        if not isinstance(item, Mapping):
            continue
        fields = flatten(item, expected)
        for name, value in fields.items():
            spec = expected.get(name)
            if spec is None:
                _note(found, name, "added", value)
            elif json_kind(value) not in spec.kinds | _ABSENT:
                _note(found, name, "type_changed", value)
        for name, spec in expected.items():
            if spec.required and name not in fields:
                _note(found, name, "missing", None)
    return list(found.values())


def _note(found: dict[tuple[str, str], FieldDrift], name: str, kind: str, value: Any) -> None:
    if (name, kind) not in found:
        example = None if value is None and kind == "missing" else repr(value)[:_EXAMPLE_CHARS]
        found[(name, kind)] = FieldDrift(name, kind, example)
