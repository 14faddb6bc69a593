"""The unified model: canonical coins, which source ids map to them, and prices as time series."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import BigId, JsonPayload, UtcDateTime, utcnow


class Coin(SQLModel, table=True):
    """One real-world asset. ``canonical_id`` is a stable readable slug, never reused."""

    __tablename__ = "coins"

    id: int | None = Field(default=None, primary_key=True)
    canonical_id: str = Field(max_length=200, unique=True)
    symbol: str = Field(max_length=64, index=True)
    name: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CoinSource(SQLModel, table=True):
    """A source's own id for a coin, mapped to the canonical coin, with how it was matched."""

    __tablename__ = "coin_sources"
    __table_args__ = (UniqueConstraint("source", "source_coin_id", name="uq_coin_sources_source_coin"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    source_coin_id: str = Field(max_length=300)
    coin_id: int = Field(foreign_key="coins.id", index=True)
    symbol: str = Field(max_length=64)
    name: str = Field(max_length=300)
    # how this source id reached its coin: override | contract | symbol+name | slug | name+symbol |
    # market (matched to another source's coin: flows/identity_rules.py, flows/identity_market.py),
    # ambiguous (a tie: kept as its own coin, candidates listed), or the source's
    # own method (csv-declared, source-id) when it founded the coin itself.
    match_method: str = Field(max_length=32)
    platforms: Any = Field(default=None, sa_column=Column(JsonPayload, nullable=True))  # {platform: contract}
    candidates: Any = Field(default=None, sa_column=Column(JsonPayload, nullable=True))  # canonical ids of a tie
    evidence: str | None = Field(default=None, max_length=1000)  # what the match method saw (flows/identity_rules.py)
    matched_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CoinIdentityChange(SQLModel, table=True):
    """An existing source-id mapping moved to another coin (an override, or market evidence for a lone coin)."""

    __tablename__ = "coin_identity_changes"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    source_coin_id: str = Field(max_length=300)
    from_canonical_id: str = Field(max_length=200)
    to_canonical_id: str = Field(max_length=200)
    reason: str = Field(max_length=500)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Price(SQLModel, table=True):
    """One observation of a coin by a source at an instant; the key is (coin, source, observed_at).

    ``coin_id`` has no FOREIGN KEY constraint on purpose: PostgreSQL checks one per row with a
    trigger, which cost 40% of the load's throughput here. The load step (the only writer of this
    table) checks every batch's coin ids set-based instead, in the same transaction.
    """

    __tablename__ = "prices"
    # SQLite: the table is its primary key's B-tree, each key stored once (migration 0008).
    __table_args__ = {"sqlite_with_rowid": False}

    coin_id: int = Field(primary_key=True)
    source: str = Field(max_length=32, primary_key=True)
    observed_at: datetime = Field(sa_type=UtcDateTime, primary_key=True)
    price_usd: float
    market_cap_usd: float | None = None
    volume_24h_usd: float | None = None
    change_24h_pct: float | None = None
    rank: int | None = None
    raw_record_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    run_id: int | None = None
