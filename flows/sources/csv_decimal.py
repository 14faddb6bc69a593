"""Decide a CSV file's decimal mark (``.`` or ``,``) from all of its number fields, or refuse to guess.

Evidence, per value (every readable row of the file, one vectorised pass per chunk):

- a value that reads only one way is a vote for that mark: ``1,234.5`` and ``1,234,567`` only with a
  decimal point; ``0,617`` (a thousands group never starts with 0), ``2480,1`` (a group after a
  separator that is not 3 digits cannot be thousands) and ``1.234.567`` only with a decimal comma;
- a value that reads two ways (``1,234``: 1234 or 1.234) is settled by magnitude when the column's
  plain values (``987``, which read the same either way) put one reading within 10x of their median
  and the other 100x or more away; otherwise it stays ambiguous.

Votes for both marks, or ambiguous values with no vote at all, refuse the file with a reason that
names rows and the ``--decimal`` option. A declared mark (``--decimal``, ``[values] decimal``) wins.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flows.sources.csv_values import parse_numbers

_EXAMPLES = 3
BLOCK_ROWS = 5_000  # rows whose plain values settle a two-way value by magnitude (the chunk size it was tuned at)


class DecimalError(ValueError):
    """The file's decimal mark cannot be decided from its values."""


@dataclass
class DecimalEvidence:
    """Row numbers (a few) and counts of the values that decide the mark, and of those that cannot."""

    counts: dict[str, int] = field(default_factory=lambda: {".": 0, ",": 0, "?": 0})
    examples: dict[str, list[str]] = field(default_factory=lambda: {".": [], ",": [], "?": []})

    def add(self, columns: pd.DataFrame) -> None:
        """Count the evidence of ``columns`` (a chunk's number columns, as strings, indexed by row).

        The magnitude rule compares a value with the plain values near it: blocks of BLOCK_ROWS rows,
        whatever the chunk size, so the decision does not depend on ``COINFLOW_CSV_CHUNK_ROWS``.
        """
        for start in range(0, len(columns), BLOCK_ROWS):
            self._add_block(columns.iloc[start : start + BLOCK_ROWS])

    def _add_block(self, columns: pd.DataFrame) -> None:
        for name in columns.columns:
            votes = _votes(columns[name])
            for mark in (".", ",", "?"):
                rows = votes.index[votes == mark]
                self.counts[mark] += len(rows)
                found = [f"row {row} {columns.at[row, name]!r}" for row in rows[:_EXAMPLES]]
                self.examples[mark] = (self.examples[mark] + found)[:_EXAMPLES]

    def decide(self) -> str:
        """The mark the evidence settles; ``"."`` when no value has a separator.

        Raises:
            DecimalError: votes for both marks, or only values that read two ways.
        """
        point, comma, unsure = self.counts["."], self.counts[","], self.counts["?"]
        if point and comma:
            raise DecimalError(
                "decimal mark contradicts itself: some numbers read only with a decimal point "
                f"({', '.join(self.examples['.'])}), others only with a decimal comma "
                f"({', '.join(self.examples[','])}); declare it with --decimal . or --decimal ,"
            )
        if point or comma:
            return "." if point else ","
        if unsure:
            raise DecimalError(
                "ambiguous decimal mark: every number with a separator reads both ways "
                f"({', '.join(self.examples['?'])}: thousands or decimals); declare it with --decimal . "
                "or --decimal , (or [values] decimal in a --mapping file)"
            )
        return "."


# The common shapes, settled by one regex each before the full two-way parse (which costs ~10x more):
_INTEGER = r"[+-]?\d+"  # reads the same either way: no vote, but a magnitude reference
_PLAIN_POINT = r"[+-]?(?:\d+\.(?:\d{1,2}|\d{4,})|0\.\d+)"  # 42000.5, 0.617: a point, never a group


def _votes(raw: pd.Series) -> pd.Series:
    """Per value: ``"."`` or ``","`` when it reads only (or plausibly only) that way, ``"?"`` when it
    reads two ways, None when it says nothing (missing, unreadable, or the same either way)."""
    text = raw.astype("str").str.strip()
    integer = text.str.fullmatch(_INTEGER)
    votes = pd.Series(None, index=raw.index, dtype=object)
    votes[text.str.fullmatch(_PLAIN_POINT)] = "."
    rest = raw[votes.isna() & ~integer]
    if rest.empty:
        return votes
    point, comma = parse_numbers(rest, "."), parse_numbers(rest, ",")
    point_ok, comma_ok = point.values.notna(), comma.values.notna()
    votes[rest.index[point_ok & ~comma_ok]] = "."
    votes[rest.index[comma_ok & ~point_ok]] = ","
    two_ways = point_ok & comma_ok & (point.values != comma.values)
    votes[rest.index[two_ways]] = "?"
    plain = pd.to_numeric(text[integer], errors="coerce").abs()
    plain = pd.concat([plain, point.values[point_ok & comma_ok & ~two_ways].abs()])
    plain = plain[plain > 0]
    if two_ways.any() and len(plain):
        median = float(plain.median())
        off_point = np.log10(point.values[two_ways].abs() / median).abs()
        off_comma = np.log10(comma.values[two_ways].abs() / median).abs()
        votes[off_point.index[(off_point <= 1) & (off_comma >= 2)]] = "."
        votes[off_comma.index[(off_comma <= 1) & (off_point >= 2)]] = ","
    return votes
