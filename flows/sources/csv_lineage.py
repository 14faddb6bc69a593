"""Raw landing of a CSV file as received: one raw record per chunk, holding the chunk's bytes.

A chunk's raw record (``raw_records``, source ``csv``) has:

- ``natural_key`` ``<file fingerprint>:<first row>-<last row>`` (rows numbered from 1 after the header);
- ``payload`` ``{"file_id", "byte_start", "byte_end", "row_start", "row_end", "sha256", "header",
  "delimiter", "encoding": "zstd"}``: where the bytes sit in the file and how to read them;
- ``content`` the bytes ``[byte_start, byte_end)`` of the file, compressed as ``encoding`` says (``zstd``;
  chunks landed before it are ``zlib``).

Every price and quarantined row of the chunk points at that record (``raw_record_id``);
:func:`source_lines` gives back each row's original line. Landing the same chunk again (same rows,
same bytes) is a no-op.
"""

import hashlib
import zlib
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, select
from sqlmodel import col

from flows.sources.csv_file import CsvChunk, CsvFile
from flows.sources.csv_records import parse_rows
from models.raw import RawRecord

# zstd (Arrow's codec: no new dependency) level 1: 3.26x on generated prices in 0.21 s per 10 MB, against
# zlib level 1's 2.76x in 0.94 s (measured here, bench/csv_ingest.py's generator); higher zstd levels gain
# under 0.1x at 8-60x the time.
_CODEC = pa.Codec("zstd", compression_level=1)


def chunk_record(csv_file: CsvFile, chunk: CsvChunk) -> tuple[str, dict[str, Any], bytes]:
    """(natural key, payload, compressed content) of ``chunk``'s raw record."""
    payload = {
        "file_id": csv_file.file_id,
        "byte_start": chunk.end.offset - len(chunk.data),
        "byte_end": chunk.end.offset,
        "row_start": chunk.first_row,
        "row_end": chunk.end.rows,
        "sha256": hashlib.sha256(chunk.data).hexdigest(),
        "header": csv_file.header,
        "delimiter": csv_file.delimiter,
        "encoding": "zstd",
    }
    key = f"{csv_file.file_id}:{chunk.first_row}-{chunk.end.rows}"
    return key, payload, _CODEC.compress(chunk.data, asbytes=True)


def source_lines(engine: Engine, raw_record_id: int) -> dict[int, str]:
    """Each row of a landed chunk as its original line (without line ending), by row number.

    Raises:
        LookupError: no raw record ``raw_record_id`` holding a CSV chunk.
    """
    query = select(col(RawRecord.payload), col(RawRecord.content)).where(col(RawRecord.id) == raw_record_id)
    with engine.connect() as conn:
        found = conn.execute(query).first()
    if found is None or found.content is None:
        raise LookupError(f"raw record {raw_record_id} holds no CSV chunk")
    payload = found.payload
    size = int(payload["byte_end"]) - int(payload["byte_start"])
    data = (
        zlib.decompress(found.content)
        if payload.get("encoding") == "zlib"
        else _CODEC.decompress(found.content, decompressed_size=size, asbytes=True)
    )
    rows = parse_rows(list(payload["header"]), str(payload["delimiter"]), data, int(payload["row_start"]) - 1)
    return dict(zip(rows.index.astype(int).tolist(), rows["_line"].astype(str).tolist(), strict=True))
