"""Bulk-load a DataFrame into a transaction-scoped temporary table shaped like a real table.

PostgreSQL gets COPY (the fastest way in); SQLite gets one executemany. Everything set-based
(upserts, anti-joins, lineage look-ups) then runs as single SQL statements against the stage.
"""

import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection

# SQLAlchemy's DateTime storage format on SQLite; staged timestamps must compare equal to stored ones.
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def stage_frame(conn: Connection, target: str, stage: str, frame: pd.DataFrame) -> None:
    """Create temp table ``stage`` with ``frame``'s columns typed as in ``target``, and fill it.

    Dict/list cells are stored as JSON text. On PostgreSQL the stage drops at commit; on SQLite
    call :func:`drop_stage` when done.
    """
    columns = ", ".join(frame.columns)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {columns} FROM {target} WITH NO DATA")
        copy_frame(conn, stage, frame)
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{stage}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} AS SELECT {columns} FROM {target} WHERE 0")
        placeholders = ", ".join("?" for _ in frame.columns)
        conn.exec_driver_sql(f"INSERT INTO {stage} ({columns}) VALUES ({placeholders})", _sqlite_rows(frame))


def drop_stage(conn: Connection, stage: str) -> None:
    """Drop a SQLite stage now (PostgreSQL stages drop themselves at commit)."""
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{stage}")


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY ``frame`` into PostgreSQL ``table`` (columns by name) inside the caller's transaction."""
    # Arrow's C++ CSV writer is ~3x faster than DataFrame.to_csv, which otherwise dominates the load.
    # It quotes every string (so "" stays an empty string) and leaves nulls empty and unquoted (NULL).
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(
        pa.Table.from_pandas(_jsonified(frame), preserve_index=False), sink, pa_csv.WriteOptions(include_header=False)
    )
    buffer = io.BytesIO(sink.getvalue().to_pybytes())
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
    finally:
        cursor.close()


def _sqlite_rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    prepared = _jsonified(frame)
    for name in prepared.columns:
        if isinstance(prepared[name].dtype, pd.DatetimeTZDtype):
            prepared[name] = prepared[name].dt.tz_convert("UTC").dt.strftime(SQLITE_DATETIME_FORMAT)
    prepared = prepared.astype(object).where(prepared.notna(), None)
    return list(prepared.itertuples(index=False, name=None))


def _jsonified(frame: pd.DataFrame) -> pd.DataFrame:
    json_columns = [
        name for name in frame.columns if frame[name].dtype == object and frame[name].map(_is_container).any()
    ]
    if not json_columns:
        return frame
    out = frame.copy()
    for name in json_columns:
        out[name] = out[name].map(lambda value: None if value is None else json.dumps(value, separators=(",", ":")))
    return out


def _is_container(value: object) -> bool:
    return isinstance(value, dict | list)
