"""The load step: one transaction per batch upserts prices, quarantines rejects, advances the
checkpoint and adds the batch's counts to the run. Nothing here works row by row.

PostgreSQL: COPY into a temp stage, then one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` that only
touches rows whose values changed (``xmax = 0`` tells inserts from updates).
SQLite: executemany into a temp stage, one anti-join count for inserts, one upsert.
"""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from models.checkpoints import write_checkpoint
from models.quarantine import insert_rejected
from models.run_log import add_counts, bump_data_version
from models.staging import drop_stage, stage_frame

PRICE_KEY = ("coin_id", "source", "observed_at")
PRICE_VALUES = ("price_usd", "market_cap_usd", "volume_24h_usd", "change_24h_pct", "rank")
PRICE_LINEAGE = ("raw_record_id", "run_id")
PRICE_COLUMNS = PRICE_KEY + PRICE_VALUES + PRICE_LINEAGE
_STAGE = "_stage_prices"


@dataclass(frozen=True)
class Batch:
    """One unit of work for the load step; everything in it commits together or not at all."""

    run_id: int
    source: str
    stream: str
    prices: pd.DataFrame  # PRICE_COLUMNS, at most one row per key
    checkpoint: dict[str, Any]  # the stream's cursor once this batch is in
    rejected: list[dict[str, Any]] = field(default_factory=list)  # rejected_records rows
    counts: dict[str, int] = field(default_factory=dict)  # read / landed / valid / rejected


@dataclass(frozen=True)
class LoadResult:
    """What the upsert did to ``prices``."""

    inserted: int
    updated: int
    unchanged: int


def load_batch(engine: Engine, batch: Batch) -> LoadResult:
    """Commit ``batch`` atomically and return how many prices were inserted, updated or unchanged."""
    with engine.begin() as conn:
        insert_rejected(conn, batch.rejected)  # idempotent per (source, record, reasons)
        inserted, updated = upsert_prices(conn, batch.prices) if len(batch.prices) else (0, 0)
        result = LoadResult(inserted, updated, len(batch.prices) - inserted - updated)
        if inserted or updated:
            bump_data_version(conn)
        write_checkpoint(conn, batch.source, batch.stream, batch.checkpoint, batch.run_id)
        add_counts(
            conn,
            batch.run_id,
            {**batch.counts, "inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged},
            checkpoint_after=batch.checkpoint,
        )
    return result


class UnknownCoinError(ValueError):
    """A batch refers to coin ids that do not exist (the set-based foreign key check failed)."""


def upsert_prices(conn: Any, prices: pd.DataFrame) -> tuple[int, int]:
    """Upsert ``prices`` inside the caller's transaction; returns (inserted, updated)."""
    stage_frame(conn, "prices", _STAGE, prices.loc[:, list(PRICE_COLUMNS)])
    try:
        _check_coins_exist(conn)
        return _upsert_postgres(conn) if conn.dialect.name == "postgresql" else _upsert_sqlite(conn)
    finally:
        drop_stage(conn, _STAGE)


def _check_coins_exist(conn: Any) -> None:
    """The foreign key on prices.coin_id, checked for the whole batch in one anti-join."""
    orphans = (
        conn.exec_driver_sql(
            f"SELECT DISTINCT s.coin_id FROM {_STAGE} s LEFT JOIN coins c ON c.id = s.coin_id "
            "WHERE c.id IS NULL LIMIT 5"
        )
        .scalars()
        .all()
    )
    if orphans:
        raise UnknownCoinError(f"foreign key check failed: prices refer to unknown coin ids {sorted(orphans)}")


_COLUMNS = ", ".join(PRICE_COLUMNS)
_SET = ", ".join(f"{c} = excluded.{c}" for c in PRICE_VALUES + PRICE_LINEAGE)
_CONFLICT = f"ON CONFLICT ({', '.join(PRICE_KEY)}) DO UPDATE SET {_SET}"


def _upsert_postgres(conn: Any) -> tuple[int, int]:
    current = ", ".join(f"prices.{c}" for c in PRICE_VALUES)
    incoming = ", ".join(f"excluded.{c}" for c in PRICE_VALUES)
    row = conn.exec_driver_sql(
        f"""
        WITH upserted AS (
            INSERT INTO prices ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE}
            {_CONFLICT} WHERE ({current}) IS DISTINCT FROM ({incoming})
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
        """
    ).one()
    return int(row[0]), int(row[1])


def _upsert_sqlite(conn: Any) -> tuple[int, int]:
    key_match = " AND ".join(f"p.{c} = s.{c}" for c in PRICE_KEY)
    inserted = conn.exec_driver_sql(
        f"SELECT count(*) FROM {_STAGE} s WHERE NOT EXISTS (SELECT 1 FROM prices p WHERE {key_match})"
    ).scalar_one()
    changed_values = " OR ".join(f"prices.{c} IS NOT excluded.{c}" for c in PRICE_VALUES)
    # "WHERE true" resolves SQLite's parsing ambiguity between a join's ON and the upsert's ON.
    changed = conn.exec_driver_sql(
        f"INSERT INTO prices ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE} WHERE true {_CONFLICT} WHERE {changed_values}"
    ).rowcount
    return int(inserted), int(changed) - int(inserted)
