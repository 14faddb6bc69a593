"""The one table of `make bench`: a row per figure, coinflow beside its peer measured in the same run.

A row's ``ratio`` is oriented so that higher is better for coinflow (peer time / coinflow time, or
coinflow rate / peer rate); ``target`` is the least acceptable ratio (or bound) and ``met`` says whether
this run reached it. A figure that could not be measured is a row with ``note`` ("not run: …") and no
values: the bench reports it and goes on (it fails only when it cannot run at all).
"""

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One figure. ``coinflow``/``peer`` are display strings with units; ``ratio`` a plain number."""

    figure: str
    coinflow: str = ""
    peer: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


def not_run(figure: str, reason: str) -> Row:
    """The row for a figure that could not be measured this run."""
    return Row(figure, note=f"not run ({reason})")


def at_least(figure: str, coinflow: str, peer: str, ratio: float, floor: float) -> Row:
    """A row whose target is ``ratio >= floor``."""
    return Row(figure, coinflow, peer, ratio, f">= {floor:g}x", ratio >= floor)


HEADER = ("figure", "coinflow", "peer", "ratio", "target", "met?")


def render(rows: list[Row]) -> str:
    """The rows as a fixed-width text table (one line per row, notes in the coinflow column)."""
    cells = [HEADER] + [
        (
            row.figure,
            row.note or row.coinflow,
            row.peer,
            "" if row.ratio is None else f"{row.ratio:.2f}x",
            row.target,
            {True: "yes", False: "NO", None: ""}[row.met],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def as_json(rows: list[Row], context: dict[str, Any]) -> str:
    """``context`` (versions, cores, date, commit, figures) with the rows under "rows"."""
    return json.dumps({**context, "rows": [asdict(row) for row in rows]}, indent=2, default=str)
