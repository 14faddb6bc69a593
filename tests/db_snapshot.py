"""What a user can see in the database, without ids and timestamps that differ between runs."""

from typing import Any

from sqlalchemy import Engine, text

_QUERIES = {
    "coins": "SELECT canonical_id, symbol, name FROM coins ORDER BY canonical_id",
    "coin_sources": (
        "SELECT cs.source, cs.source_coin_id, c.canonical_id, cs.match_method "
        "FROM coin_sources cs JOIN coins c ON c.id = cs.coin_id ORDER BY cs.source, cs.source_coin_id"
    ),
    "prices": (
        "SELECT c.canonical_id, p.source, p.observed_at, p.price_usd, p.market_cap_usd, p.volume_24h_usd, "
        "r.natural_key FROM prices p JOIN coins c ON c.id = p.coin_id "
        "LEFT JOIN raw_records r ON r.id = p.raw_record_id ORDER BY c.canonical_id, p.source, p.observed_at"
    ),
    "raw_records": (
        "SELECT source, stream, natural_key, payload_hash FROM raw_records ORDER BY natural_key, payload_hash"
    ),
    "rejected_records": "SELECT source, natural_key, reasons FROM rejected_records ORDER BY natural_key",
    "checkpoints": "SELECT source, stream, state FROM checkpoints ORDER BY source, stream",
}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every user-visible table as sorted tuples (JSON columns decoded alike on both backends)."""
    with engine.connect() as conn:
        return {name: [_plain(row) for row in conn.execute(text(sql))] for name, sql in _QUERIES.items()}


def _plain(row: Any) -> tuple[Any, ...]:
    return tuple(_decoded(value) for value in row)


def _decoded(value: Any) -> Any:
    """A JSON column's text (SQLite) as its value; any other text (a name like ``[old] token``) as is."""
    import json

    if not (isinstance(value, str) and value[:1] in "[{"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def count(engine: Engine, table: str) -> int:
    """Rows in ``table``."""
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def rows_inserted(engine: Engine) -> int:
    """Prices inserted by every run so far (committed batches only)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(sum(inserted), 0) FROM etl_runs")).scalar_one())
