"""candle close time and unknown sentinels: repair API prices stored before the rule (data only)

Before this revision a CoinPaprika OHLCV close was stored at the candle's open (a 24 h shift) and
today's unfinished candle was stored as a close; CoinGecko's and CoinPaprika's 0 for an unknown
market cap or volume (and CoinPaprika's rank 0) were stored as 0. docs/columns.md states the rules
this brings stored rows in line with: a close at open + 24 h, an open candle not stored, unknown as
NULL. Raw records are untouched (they hold the payloads as received). No schema change.

Revision ID: 0004_candle_close_time
Revises: 0003
Create Date: 2026-11-30
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004_candle_close_time"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERIOD = timedelta(hours=24)  # the interval coinflow has always asked /ohlcv/historical for
_SECOND = timedelta(seconds=1)
_TIME = sa.DateTime(timezone=True)
_CANDLES = sa.text(
    "SELECT p.coin_id, p.observed_at, r.payload FROM prices p JOIN raw_records r ON r.id = p.raw_record_id "
    "WHERE p.source = 'coinpaprika' AND r.stream = 'ohlcv_historical'"
).columns(sa.column("coin_id"), sa.column("observed_at", _TIME), sa.column("payload"))
_KEY = "coin_id = :coin AND source = 'coinpaprika' AND observed_at = :at"
_MOVE = sa.text(f"UPDATE prices SET observed_at = :to WHERE {_KEY}").bindparams(
    sa.bindparam("to", type_=_TIME), sa.bindparam("at", type_=_TIME)
)
_DELETE = sa.text(f"DELETE FROM prices WHERE {_KEY}").bindparams(sa.bindparam("at", type_=_TIME))
_EXISTS = sa.text(f"SELECT count(*) FROM prices WHERE {_KEY}").bindparams(sa.bindparam("at", type_=_TIME))
_UNKNOWN = (
    "UPDATE prices SET market_cap_usd = NULL WHERE source IN ('coingecko', 'coinpaprika') AND market_cap_usd = 0",
    "UPDATE prices SET volume_24h_usd = NULL WHERE source IN ('coingecko', 'coinpaprika') AND volume_24h_usd = 0",
    "UPDATE prices SET rank = NULL WHERE source = 'coinpaprika' AND rank = 0",
)


def upgrade() -> None:
    repair(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    pass  # the old rows were wrong: nothing to restore


def repair(conn: sa.Connection, now: datetime) -> tuple[int, int]:
    """Move each close stored at its candle's open to the period's end; delete unfinished candles.

    Returns (moved, deleted). Rows already at their period end are left alone (idempotent).
    Newest first, so each target instant is vacated by the next candle before it is filled.
    """
    moves: list[tuple[int, datetime, datetime]] = []
    drops: list[tuple[int, datetime]] = []
    for row in conn.execute(_CANDLES):
        candle = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        opened, closed = _time(candle.get("time_open")), _time(candle.get("time_close"))
        observed = _aware(row.observed_at)
        if opened is None or observed != opened:
            continue
        end = opened + _PERIOD
        if closed is not None and closed + _SECOND == end and end <= now:
            moves.append((row.coin_id, observed, end))
        else:
            drops.append((row.coin_id, observed))
    deleted = 0
    for coin, at in drops:
        deleted += conn.execute(_DELETE, {"coin": coin, "at": at}).rowcount
    for coin, at, end in sorted(moves, key=lambda move: move[1], reverse=True):
        if conn.execute(_EXISTS, {"coin": coin, "at": end}).scalar_one():  # a later run stored it already
            deleted += conn.execute(_DELETE, {"coin": coin, "at": at}).rowcount
        else:
            conn.execute(_MOVE, {"coin": coin, "at": at, "to": end})
    for statement in _UNKNOWN:
        conn.execute(sa.text(statement))
    bump = sa.text("UPDATE data_version SET version = version + 1, updated_at = :now")  # API caches key on it
    conn.execute(bump.bindparams(sa.bindparam("now", type_=_TIME)), {"now": now})
    return len(moves), deleted


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
