"""Run history and per-source checkpoints: what ran, what it did, and what is already loaded."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.columns import JsonPayload, UtcDateTime, utcnow

RUN_COUNTERS = ("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")


class EtlRun(SQLModel, table=True):
    """One run of one source: its Prefect flow run, status, timings, counts and checkpoints."""

    __tablename__ = "etl_runs"
    __table_args__ = (Index("ix_etl_runs_source_id", "source", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    flow_run_id: str | None = Field(default=None, max_length=64, index=True)
    source: str = Field(max_length=32)
    stream: str = Field(max_length=500)
    status: str = Field(max_length=16, index=True)  # running | succeeded | failed | crashed
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    read: int = 0
    landed: int = 0
    valid: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str | None = None
    checkpoint_before: Any = Field(default=None, sa_column=Column(JsonPayload, nullable=True))
    checkpoint_after: Any = Field(default=None, sa_column=Column(JsonPayload, nullable=True))


class Checkpoint(SQLModel, table=True):
    """The cursor of one stream of one source; only ever advanced inside a load transaction."""

    __tablename__ = "checkpoints"

    source: str = Field(max_length=32, primary_key=True)
    stream: str = Field(max_length=500, primary_key=True)
    state: Any = Field(sa_column=Column(JsonPayload, nullable=False))
    run_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DataVersion(SQLModel, table=True):
    """A single counter bumped in every transaction that changes served data (caches key on it)."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
