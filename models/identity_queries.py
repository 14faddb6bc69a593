"""Read-side questions about coin identity, for the review commands and the API."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, column, text

from models.coins import MatchMethods
from models.columns import JsonPayload, UtcDateTime, as_utc


@dataclass(frozen=True)
class MappingView:
    """One source id of a coin and why it maps there."""

    canonical_id: str
    source: str
    source_coin_id: str
    symbol: str
    name: str
    match_method: str
    candidates: list[str]
    matched_at: datetime
    evidence: str | None = None  # what the match method saw (flows/identity_rules.py)


@dataclass(frozen=True)
class ChangeView:
    """A recorded move of a source id from one coin to another."""

    source: str
    source_coin_id: str
    from_canonical_id: str
    to_canonical_id: str
    reason: str
    changed_at: datetime


_MAPPINGS = (
    "SELECT c.canonical_id, cs.source, cs.source_coin_id, cs.symbol, cs.name, cs.match_method, cs.candidates, "
    "cs.matched_at, cs.evidence FROM coin_sources cs JOIN coins c ON c.id = cs.coin_id"
)


def _mappings(sql: str) -> Any:
    """The mapping query with its result types declared (SQLite returns raw text otherwise)."""
    return text(sql).columns(
        column("canonical_id"), column("source"), column("source_coin_id"), column("symbol"), column("name"),
        column("match_method"), column("candidates", JsonPayload), column("matched_at", UtcDateTime),
        column("evidence"),
    )  # fmt: skip


def _view(row: Any) -> MappingView:
    candidates = row.candidates
    return MappingView(
        canonical_id=row.canonical_id,
        source=row.source,
        source_coin_id=row.source_coin_id,
        symbol=row.symbol,
        name=row.name,
        match_method=row.match_method,
        candidates=list(candidates or []),
        matched_at=as_utc(row.matched_at),
        evidence=row.evidence,
    )


def unmatched(conn: Connection, source: str | None = None, limit: int = 50) -> tuple[int, list[MappingView]]:
    """Coins only one source knows, and ties (``ambiguous``) first; returns (total, first ``limit``)."""
    where = (
        "WHERE (cs.match_method = :ambiguous OR cs.coin_id IN "
        "(SELECT coin_id FROM coin_sources GROUP BY coin_id HAVING count(*) = 1))"
    )
    params: dict[str, Any] = {"limit": limit, "ambiguous": MatchMethods.AMBIGUOUS}
    if source:
        where += " AND cs.source = :source"
        params["source"] = source
    total = conn.execute(
        text(f"SELECT count(*) FROM coin_sources cs {where}"), {k: v for k, v in params.items() if k != "limit"}
    ).scalar_one()
    rows = conn.execute(
        _mappings(
            f"{_MAPPINGS} {where} ORDER BY CASE WHEN cs.match_method = :ambiguous THEN 0 ELSE 1 END, "
            "c.canonical_id, cs.source LIMIT :limit"
        ),
        params,
    )
    return int(total), [_view(row) for row in rows]


def explain(conn: Connection, canonical_id: str) -> tuple[list[MappingView], list[ChangeView]] | None:
    """Every source id mapped to ``canonical_id`` and every recorded move to or from it; None if no such coin."""
    exists = conn.execute(text("SELECT 1 FROM coins WHERE canonical_id = :c"), {"c": canonical_id}).first()
    if exists is None:
        return None
    mappings = conn.execute(
        _mappings(f"{_MAPPINGS} WHERE c.canonical_id = :c ORDER BY cs.source, cs.source_coin_id"), {"c": canonical_id}
    )
    changes = conn.execute(
        text(
            "SELECT source, source_coin_id, from_canonical_id, to_canonical_id, reason, changed_at "
            "FROM coin_identity_changes WHERE from_canonical_id = :c OR to_canonical_id = :c ORDER BY id"
        ).columns(
            *(column(n) for n in ("source", "source_coin_id", "from", "to", "reason")), column("at", UtcDateTime)
        ),
        {"c": canonical_id},
    )
    return [_view(row) for row in mappings], [
        ChangeView(row[0], row[1], row[2], row[3], row[4], as_utc(row[5])) for row in changes
    ]
