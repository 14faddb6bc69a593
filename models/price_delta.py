"""Which rows of a price batch are already stored with the same values: decided by reading, not writing.

One indexed range read per (source) of the batch — ``coin_id IN (…) AND observed_at BETWEEN min AND
max`` on the primary key (coin_id, source, observed_at) — then an exact comparison in memory. The load
step then writes only what is new or changed, and a batch with no stored row in its key range can go
straight into ``prices`` (no stage, no conflict handling). Issue 17: re-loading identical rows must
write nothing and cost less than a COPY of them.

Values compare exactly (same float, or both NULL), the rule ``IS DISTINCT FROM`` applies in the upsert;
lineage columns (raw_record_id, run_id) do not make a row "changed", as in the upsert.
"""

import io
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from models.staging import SQLITE_DATETIME_FORMAT

KEY_VALUES = ("price_usd", "market_cap_usd", "volume_24h_usd", "change_24h_pct", "rank")
_IN_CHUNK = 900  # SQLite's bound-parameter limit is 999 on old builds: coin ids per IN list


def stored_in_range(conn: Any, prices: pd.DataFrame) -> pd.DataFrame:
    """Stored prices whose key falls in ``prices``' key range (same source, coins, min..max observed_at).

    Returns columns source, coin_id, observed_ns (int64 nanoseconds since the epoch, UTC) and
    KEY_VALUES as float64 (NULL as NaN); empty when nothing is stored there.
    """
    parts = [_read_range(conn, str(source), group) for source, group in prices.groupby("source", sort=False)]
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def new_or_changed(prices: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``prices`` whose key is not in ``stored`` or whose KEY_VALUES differ from it."""
    if stored.empty:
        return prices
    incoming = pd.DataFrame(
        {
            "source": prices["source"].to_numpy(),
            "coin_id": prices["coin_id"].to_numpy(dtype="int64"),
            "observed_ns": utc_nanoseconds(prices["observed_at"]),
            "_row": np.arange(len(prices)),
        }
    )
    matched = incoming.merge(stored, on=["source", "coin_id", "observed_ns"], how="left", indicator=True)
    matched = matched.sort_values("_row")
    keep = np.array(matched["_merge"] == "left_only", dtype=bool)
    for name in KEY_VALUES:
        new = _as_float(prices[name])
        old = matched[name].to_numpy(dtype="float64")
        same = (new == old) | (np.isnan(new) & np.isnan(old))
        keep |= ~same
    return prices.iloc[np.flatnonzero(keep)]


def utc_nanoseconds(stamps: pd.Series) -> np.ndarray:
    """Tz-aware timestamps as int64 nanoseconds since the epoch (UTC)."""
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("int64")


def _read_range(conn: Any, source: str, group: pd.DataFrame) -> pd.DataFrame:
    coins = sorted({int(c) for c in group["coin_id"].unique()})
    low, high = group["observed_at"].min(), group["observed_at"].max()
    parts = [
        _read_postgres(conn, source, coins[i : i + _IN_CHUNK], low, high)
        if conn.dialect.name == "postgresql"
        else _read_sqlite(conn, source, coins[i : i + _IN_CHUNK], low, high)
        for i in range(0, len(coins), _IN_CHUNK)
    ]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


_VALUES = ", ".join(KEY_VALUES)


def _read_postgres(conn: Any, source: str, coins: list[int], low: pd.Timestamp, high: pd.Timestamp) -> pd.DataFrame:
    """COPY the range out as CSV and parse it with Arrow: ~10x faster than fetching rows into Python."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        select = cursor.mogrify(
            "SELECT coin_id, (extract(epoch FROM observed_at) * 1000000)::bigint, "
            f"{_VALUES} FROM prices WHERE source = %s AND coin_id = ANY(%s) "
            "AND observed_at >= %s AND observed_at <= %s",
            (source, coins, low.to_pydatetime(), high.to_pydatetime()),
        ).decode()
        sink = io.BytesIO()
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", sink)
    finally:
        cursor.close()
    if not sink.tell():
        return _empty()
    names = ["coin_id", "observed_us", *KEY_VALUES]
    types = {"coin_id": pa.int64(), "observed_us": pa.int64(), **dict.fromkeys(KEY_VALUES, pa.float64())}
    table = pa_csv.read_csv(
        io.BytesIO(sink.getvalue()),
        read_options=pa_csv.ReadOptions(column_names=names),
        convert_options=pa_csv.ConvertOptions(column_types=types),
    )
    frame = table.to_pandas()
    out = pd.DataFrame({"source": source, "coin_id": frame["coin_id"], "observed_ns": frame["observed_us"] * 1000})
    for name in KEY_VALUES:
        out[name] = frame[name].astype("float64")
    return out


def _read_sqlite(conn: Any, source: str, coins: list[int], low: pd.Timestamp, high: pd.Timestamp) -> pd.DataFrame:
    bounds = [stamp.tz_convert("UTC").strftime(SQLITE_DATETIME_FORMAT) for stamp in (low, high)]
    sql = (
        f"SELECT coin_id, observed_at, {_VALUES} FROM prices WHERE source = ? "
        f"AND coin_id IN ({', '.join('?' * len(coins))}) AND observed_at >= ? AND observed_at <= ?"
    )
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        rows = cursor.execute(sql, (source, *coins, *bounds)).fetchall()
    finally:
        cursor.close()
    if not rows:
        return _empty()
    frame = pd.DataFrame.from_records(rows, columns=["coin_id", "observed_at", *KEY_VALUES])
    stamps = pd.to_datetime(frame["observed_at"], format=SQLITE_DATETIME_FORMAT).dt.tz_localize("UTC")
    out = pd.DataFrame(
        {"source": source, "coin_id": frame["coin_id"].astype("int64"), "observed_ns": utc_nanoseconds(stamps)}
    )
    for name in KEY_VALUES:
        out[name] = pd.to_numeric(frame[name]).astype("float64")
    return out


def _as_float(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column).astype("float64").to_numpy(dtype="float64", na_value=np.nan)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": pd.Series(dtype=object),
            "coin_id": pd.Series(dtype="int64"),
            "observed_ns": pd.Series(dtype="int64"),
            **{name: pd.Series(dtype="float64") for name in KEY_VALUES},
        }
    )
