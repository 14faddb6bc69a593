"""CSV source: read a price file in bounded chunks, each with the byte position and prefix hash
that make the checkpoint exact. Extract only: this module never writes to the database.
"""

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from flows.sources.csv_records import parse_rows, record_blocks

SOURCE = "csv"
_SNIFF_BYTES = 64 * 1024
_READ_BLOCK = 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")


class CsvInputError(ValueError):
    """The file cannot be read as a CSV (missing, unreadable, binary, no usable header)."""


@dataclass(frozen=True)
class CsvPosition:
    """Where a file's loaded prefix ends: byte offset, data rows before it and its SHA-256."""

    offset: int
    rows: int
    prefix_sha256: str


@dataclass(frozen=True)
class CsvFile:
    """An opened, checked CSV file: its path, header and identity."""

    path: Path
    header: list[str]
    header_end: int  # byte offset of the first data row
    file_id: str  # hash of the header and first data row: stable while rows are appended
    delimiter: str = ","

    def natural_key(self, row_number: int) -> str:
        """The raw-record key of data row ``row_number`` (1-based): file fingerprint + row."""
        return f"{self.file_id}:{row_number}"


@dataclass(frozen=True)
class CsvChunk:
    """Up to ``chunk_rows`` data rows as received (all strings), indexed by 1-based row number."""

    rows: pd.DataFrame  # the header's columns, plus ``_count``, ``_width_ok`` and ``_line`` (see parse_rows)
    end: CsvPosition
    data: bytes = b""  # the chunk's bytes as received (whole records, ending at ``end.offset``)
    first_row: int = 1  # the number of the chunk's first record (blank lines are numbered too)


def csv_paths(path: Path) -> list[Path]:
    """The files to load for ``--file PATH``: the file itself, or every ``*.csv`` of a folder (sorted)."""
    if path.is_dir():
        found = sorted(child for child in path.iterdir() if child.is_file() and child.suffix.lower() == ".csv")
        return found or [path]
    return [path]


def open_csv(path: Path) -> CsvFile:
    """Check that ``path`` is a readable text CSV with a header; raise :class:`CsvInputError` if not."""
    if not path.exists():
        raise CsvInputError(f"file not found: {path}")
    if path.is_dir():
        raise CsvInputError(f"no *.csv file in folder: {path}")
    if not path.is_file():
        raise CsvInputError(f"not a file: {path}")
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        raise CsvInputError(f"cannot read {path}: {error.strerror}") from None
    if b"\x00" in head:
        raise CsvInputError(f"not a CSV file (binary content): {path}")
    lines = head.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        raise CsvInputError(f"not a CSV file (empty or no header line): {path}")
    try:
        texts = [line.decode("utf-8-sig" if n == 0 else "utf-8") for n, line in enumerate(lines[:3])]
    except UnicodeDecodeError:
        raise CsvInputError(f"not a CSV file (not UTF-8 text): {path}") from None
    banner = len(texts) > 1 and _delimiter(texts[0]) is None and _delimiter(texts[1]) is not None
    header_line, header_text = (1, texts[1]) if banner else (0, texts[0])  # a one-field banner (a URL) first
    delimiter = _delimiter(header_text) or ","
    header = [name.strip().lstrip("\ufeff") for name in next(csv.reader([header_text], delimiter=delimiter))]
    _check_header(header, path)
    header_end = sum(map(len, lines[: header_line + 1]))
    first_row = lines[header_line + 1] if len(lines) > header_line + 1 else b""
    file_id = hashlib.sha256(b"".join(lines[: header_line + 1]) + first_row).hexdigest()[:16]
    return CsvFile(path=path, header=header, header_end=header_end, file_id=file_id, delimiter=delimiter)


def _check_header(header: list[str], path: Path) -> None:
    """Every column named except a leading index column (``,Date,Price``: pandas' ``to_csv`` default,
    which names it ``""``; no layout maps it, so it is read and ignored)."""
    if len(header) < 2:
        raise CsvInputError(f"not a CSV file (first line {','.join(header)[:80]!r} has a single field): {path}")
    named = header[1:] if not header[0] else header
    if len(named) < 2:
        raise CsvInputError(f"CSV header {','.join(header)[:80]!r} has fewer than two named columns: {path}")
    if unnamed := [str(position) for position, name in enumerate(header, start=1) if not name and position > 1]:
        raise CsvInputError(
            f"CSV header {','.join(header)[:80]!r} has unnamed column(s) at position {', '.join(unnamed)}; name "
            f"them in the header: {path}"
        )


def _delimiter(line: str) -> str | None:
    """The separator a header line uses most (column names rarely contain one), or None."""
    counts = {candidate: line.count(candidate) for candidate in _DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else None


def resume_position(csv_file: CsvFile, checkpoint: dict[str, Any] | None) -> CsvPosition | None:
    """The checkpoint's position if this file still starts with the bytes loaded then, else None.

    None means start from the top: nothing was loaded, or the file was replaced by another one
    with the same name (its prefix no longer hashes the same).
    """
    if not checkpoint:
        return None
    position = CsvPosition(int(checkpoint["offset"]), int(checkpoint["rows"]), str(checkpoint["prefix_sha256"]))
    digest = hashlib.sha256()
    with csv_file.path.open("rb") as handle:
        remaining = position.offset
        while remaining > 0:
            block = handle.read(min(_READ_BLOCK, remaining))
            if not block:
                return None  # the file is shorter than what was loaded: another file
            digest.update(block)
            remaining -= len(block)
    return position if digest.hexdigest() == position.prefix_sha256 else None


def read_chunks(csv_file: CsvFile, start: CsvPosition | None, chunk_rows: int) -> Iterator[CsvChunk]:
    """Yield the data rows after ``start`` (or after the header) in chunks of at most ``chunk_rows``.

    Memory stays bounded by one chunk (plus one read block). A record spans lines while a quoted
    field is open. A last line without a newline is read too (many writers omit it); if a writer
    later extends that line, the prefix hash no longer matches and the file is reloaded as a new one.
    """
    if start is not None and start.offset >= csv_file.path.stat().st_size:
        return  # nothing after the loaded prefix: no need to hash it again
    digest = hashlib.sha256()
    with csv_file.path.open("rb") as handle:
        offset = start.offset if start else 0
        rows_before = start.rows if start else 0
        _hash_prefix(handle, offset if start else csv_file.header_end, digest)
        offset = max(offset, csv_file.header_end)
        for block in record_blocks(handle, chunk_rows):
            # the chunk is built in a call, so this frame holds no reference to its bytes or rows while
            # the next chunk is read and parsed: one chunk in memory at a time, not two
            chunk = _chunk(csv_file, block, offset, rows_before, digest)
            offset, rows_before = chunk.end.offset, chunk.end.rows
            del block
            yield chunk
            del chunk


def _chunk(csv_file: CsvFile, block: tuple[bytes, int], offset: int, rows_before: int, digest: Any) -> CsvChunk:
    """The chunk of ``block`` (bytes, records) starting at byte ``offset`` after ``rows_before`` rows;
    ``digest`` (the SHA-256 of the file up to ``offset``) is updated with its bytes."""
    data, records = block
    digest.update(data)
    end = CsvPosition(offset + len(data), rows_before + records, digest.copy().hexdigest())
    rows = parse_rows(csv_file.header, csv_file.delimiter, data, rows_before)
    return CsvChunk(rows=rows, end=end, data=data, first_row=rows_before + 1)


def _hash_prefix(handle: BinaryIO, length: int, digest: Any) -> None:
    remaining = length
    while remaining > 0:
        block = handle.read(min(_READ_BLOCK, remaining))
        if not block:
            break
        digest.update(block)
        remaining -= len(block)
