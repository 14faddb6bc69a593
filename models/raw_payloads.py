"""Read back landed payloads: the newest payload per natural key of a source's stream."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from models.raw import RawRecord


def latest_payloads(engine: Engine, source: str, stream: str, natural_keys: Collection[str]) -> dict[str, Any]:
    """The most recently landed payload of each of ``natural_keys`` (absent keys are left out)."""
    if not natural_keys:
        return {}
    newest = (
        select(func.max(col(RawRecord.id)))
        .where(
            col(RawRecord.source) == source,
            col(RawRecord.stream) == stream,
            col(RawRecord.natural_key).in_(list(natural_keys)),
        )
        .group_by(col(RawRecord.natural_key))
    )
    query = select(col(RawRecord.natural_key), col(RawRecord.payload)).where(col(RawRecord.id).in_(newest))
    with engine.connect() as conn:
        return {key: payload for key, payload in conn.execute(query)}
