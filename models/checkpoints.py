"""Reading and writing a stream's checkpoint (its cursor)."""

from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from models.columns import utcnow
from models.runs import Checkpoint


def read_checkpoint(engine: Engine, source: str, stream: str) -> dict[str, Any] | None:
    """The committed cursor of ``source``/``stream``, or None if nothing was loaded yet."""
    with engine.connect() as conn:
        return conn.execute(
            select(Checkpoint.state).where(Checkpoint.source == source, Checkpoint.stream == stream)  # type: ignore[arg-type]
        ).scalar_one_or_none()


def write_checkpoint(conn: Connection, source: str, stream: str, state: dict[str, Any], run_id: int) -> None:
    """Set the cursor inside the caller's transaction (the load step's)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"source": source, "stream": stream, "state": state, "run_id": run_id, "updated_at": utcnow()}
    statement = dialect.insert(Checkpoint).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "stream"],
            set_={"state": statement.excluded.state, "run_id": run_id, "updated_at": values["updated_at"]},
        )
    )
