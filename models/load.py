"""The load step: one transaction per batch upserts prices, quarantines rejects, advances the
checkpoint and adds the batch's counts to the run. Nothing here works row by row.

First one indexed read of what is stored in the batch's key range (models/price_delta.py):
* nothing stored there: the rows go straight into ``prices`` (PostgreSQL: COPY; SQLite: a stage and
  one plain INSERT), inside a savepoint — a key written meanwhile by another stream raises a unique
  violation, and the batch then takes the upsert path below;
* otherwise only the new or changed rows are staged and upserted; identical rows are not written.
PostgreSQL upsert: COPY into a temp stage, then one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` that
only touches rows whose values changed (``xmax = 0`` tells inserts from updates).
SQLite upsert: executemany into a temp stage, one anti-join count for inserts, one upsert.
COPY gets ``observed_at`` as naive UTC text under a transaction-local ``TimeZone = 'UTC'``: Arrow
writes a tz-aware column ~6x slower (issue 17's profile: most of the serialisation time).
"""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from models.checkpoints import write_checkpoint
from models.price_delta import new_or_changed, stored_in_range
from models.quarantine import insert_rejected
from models.run_log import add_counts, bump_data_version
from models.staging import copy_frame, drop_stage, stage_frame

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
    """Upsert ``prices`` inside the caller's transaction; returns (inserted, updated).

    Raises UnknownCoinError when a coin id does not exist (nothing of the batch is written).
    """
    prices = prices.loc[:, list(PRICE_COLUMNS)]
    _check_coins_exist(conn, prices)
    stored = stored_in_range(conn, prices)
    if stored.empty and _inserted_as_new(conn, prices):
        return len(prices), 0
    changed = new_or_changed(prices, stored)
    if changed.empty:
        return 0, 0
    _stage(conn, _STAGE, changed)
    try:
        return _upsert_postgres(conn) if conn.dialect.name == "postgresql" else _upsert_sqlite(conn)
    finally:
        drop_stage(conn, _STAGE)


def _inserted_as_new(conn: Any, prices: pd.DataFrame) -> bool:
    """Write rows whose keys are not stored without conflict handling; False (nothing written) on a clash."""
    integrity_errors = (IntegrityError, conn.dialect.dbapi.IntegrityError)
    try:
        with conn.begin_nested():
            if conn.dialect.name == "postgresql":
                _stage(conn, "prices", prices)  # COPY straight into the table
            else:
                try:
                    # a shallow copy: stage_frame rewrites a SQLite frame's timestamps as text in place
                    stage_frame(conn, "prices", _STAGE, prices.copy(deep=False))
                    conn.exec_driver_sql(f"INSERT INTO prices ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE}")
                finally:
                    drop_stage(conn, _STAGE)
        return True
    except integrity_errors:  # another stream stored one of these keys since the read: upsert instead
        return False


def _stage(conn: Any, table: str, prices: pd.DataFrame) -> None:
    """PostgreSQL: COPY ``prices`` into ``table`` (``_STAGE`` is created first); SQLite: stage it."""
    if conn.dialect.name != "postgresql":
        stage_frame(conn, "prices", _STAGE, prices.copy(deep=False))
        return
    naive = prices.assign(observed_at=prices["observed_at"].dt.tz_convert("UTC").dt.tz_localize(None))
    zone = conn.exec_driver_sql("SELECT current_setting('TimeZone')").scalar_one()
    conn.exec_driver_sql("SELECT set_config('TimeZone', 'UTC', true)")  # naive COPY text is read as UTC
    if table == _STAGE:
        stage_frame(conn, "prices", _STAGE, naive)
    else:
        copy_frame(conn, table, naive)
    # Not in a finally: after a failed COPY the transaction accepts no statement until the rollback (to the
    # savepoint), and that rollback restores the setting itself.
    conn.exec_driver_sql("SELECT set_config('TimeZone', %s, true)", (zone,))


def _check_coins_exist(conn: Any, prices: pd.DataFrame) -> None:
    """The foreign key on prices.coin_id, checked for the whole batch's distinct ids in one query per 900."""
    wanted = sorted({int(c) for c in prices["coin_id"].unique()})
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    found: set[int] = set()
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        sql = f"SELECT id FROM coins WHERE id IN ({', '.join([mark] * len(chunk))})"
        found.update(conn.exec_driver_sql(sql, tuple(chunk)).scalars().all())
    orphans = [c for c in wanted if c not in found]
    if orphans:
        raise UnknownCoinError(f"foreign key check failed: prices refer to unknown coin ids {orphans[:5]}")


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
