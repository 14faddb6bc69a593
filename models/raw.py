"""What came in, before any judgement: raw payloads, quarantined rows and detected schema drift."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import BigId, JsonPayload, UtcDateTime, utcnow


class RawRecord(SQLModel, table=True):
    """One payload exactly as received; re-landing the same payload is a no-op.

    A CSV chunk is one record: ``content`` holds its bytes as received, compressed (zstd; zlib before), and
    ``payload`` where they sit in the file (see ``flows.sources.csv_lineage``). API records have no
    ``content``.
    """

    __tablename__ = "raw_records"
    __table_args__ = (UniqueConstraint("source", "natural_key", "payload_hash", name="uq_raw_records_source_key_hash"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    source: str = Field(max_length=32)
    stream: str = Field(max_length=500)
    natural_key: str = Field(max_length=500)
    payload: Any = Field(sa_column=Column(JsonPayload, nullable=False))
    payload_hash: str = Field(max_length=64)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    run_id: int | None = Field(default=None, foreign_key="etl_runs.id", index=True)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RejectedRecord(SQLModel, table=True):
    """A row that failed validation, with every failing check; never silently dropped."""

    __tablename__ = "rejected_records"
    __table_args__ = (
        Index("ix_rejected_records_run_id_id", "run_id", "id"),
        UniqueConstraint("source", "quarantine_key", name="uq_rejected_records_source_key"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    run_id: int = Field(foreign_key="etl_runs.id")
    source: str = Field(max_length=32)
    stream: str = Field(max_length=500)
    natural_key: str = Field(max_length=500)
    raw_record_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("raw_records.id"), nullable=True)
    )
    payload: Any = Field(sa_column=Column(JsonPayload, nullable=False))
    reasons: Any = Field(sa_column=Column(JsonPayload, nullable=False))
    quarantine_key: str = Field(max_length=64)  # models.quarantine: SHA-256 of (stream, natural key, reasons)
    rejected_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SchemaDrift(SQLModel, table=True):
    """A field that appeared, disappeared or changed type in a source's payload."""

    __tablename__ = "schema_drift"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="etl_runs.id", index=True)
    source: str = Field(max_length=32, index=True)
    stream: str = Field(max_length=500)
    field: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # added | missing | type_changed
    example_value: str | None = None
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
