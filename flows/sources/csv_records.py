"""Cut a CSV byte stream into chunks of whole records and parse each chunk once, vectorised.

A chunk without a quote character is split with Arrow compute over one buffer (line offsets found
with numpy, fields with ``split_pattern``): no Python call per row. A chunk with quotes (a field
may hold the delimiter or a line break) or invalid UTF-8 is parsed record by record with the
``csv`` module, as before. Both paths give the same frame (``tests/csv/test_chunk_reader.py``).
"""

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_BLOCK = 8 * 1024 * 1024
_NEWLINE, _QUOTE = 10, 34
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def record_blocks(handle: BinaryIO, chunk_rows: int) -> Iterator[tuple[bytes, int]]:
    """(bytes, records) of up to ``chunk_rows`` whole records each, read from ``handle`` to its end."""
    buffer = bytearray()
    eof = False
    while True:
        if not eof and buffer.count(b"\n") < chunk_rows:
            block = handle.read(_BLOCK)
            eof = not block
            buffer += block
            continue
        if not buffer:
            return
        cut, records = _cut(buffer, chunk_rows, eof)
        if cut == 0 and not eof:  # a quoted field spans past the lines read: read on
            block = handle.read(_BLOCK)
            eof = not block
            buffer += block
            continue
        if cut == 0:  # a quote left open to the end of the file: the rest is one record
            cut, records = len(buffer), 1
        yield bytes(buffer[:cut]), records
        del buffer[:cut]


def _cut(buffer: bytearray, rows: int, eof: bool) -> tuple[int, int]:
    """Where the first ``rows`` whole records of ``buffer`` end (bytes), and how many there are."""
    if _QUOTE not in buffer:
        ends = np.flatnonzero(np.frombuffer(buffer, np.uint8) == _NEWLINE)
        if len(ends) >= rows:
            return int(ends[rows - 1]) + 1, rows
        if eof:
            return len(buffer), len(ends) + (0 if buffer.endswith(b"\n") or not buffer else 1)
        return 0, 0
    cut = records = quotes = 0
    position = 0
    for line in io.BytesIO(buffer):
        position += len(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0 and (line.endswith(b"\n") or eof):
            cut, records, quotes = position, records + 1, 0
            if records == rows:
                break
    return cut, records


def parse_rows(header: list[str], delimiter: str, data: bytes, rows_before: int) -> pd.DataFrame:
    """The rows of the whole records in ``data``, numbered after ``rows_before``.

    Rows are numbered from 1 after the header; a blank line (or ``,,,``) holds no row and only moves
    the offset. Columns: the header's (strings, padded or cut to its width), ``_count`` (fields in
    the record), ``_width_ok`` (count equals the header's), ``_line`` (the record's text).
    """
    frame = None if b'"' in data else _vectorised(header, delimiter, data, rows_before)
    return frame if frame is not None else _by_record(header, delimiter, data, rows_before)


def _vectorised(header: list[str], delimiter: str, data: bytes, rows_before: int) -> pd.DataFrame | None:
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == _NEWLINE) + 1
    if not data.endswith(b"\n") and data:
        ends = np.append(ends, len(data))
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        return None  # not UTF-8: read record by record (replacement characters)
    lines = pc.utf8_rtrim(lines, characters="\r\n")
    numbers = np.arange(rows_before + 1, rows_before + 1 + len(lines))
    blank = pc.equal(pc.utf8_trim_whitespace(pc.replace_substring(lines, delimiter, "")), "")
    keep = pc.invert(blank)
    lines, numbers = lines.filter(keep), numbers[keep.to_numpy(zero_copy_only=False)]
    fields = pc.split_pattern(lines, pattern=delimiter)
    counts = pc.list_value_length(fields).to_numpy(zero_copy_only=False).astype(np.int64)
    width = len(header)
    ok = counts == width
    good = fields.filter(pa.array(ok)) if not ok.all() else fields
    frame = pd.DataFrame({n: _strings(pc.list_element(good, n), numbers[ok]) for n in range(width)}, index=numbers[ok])
    if not ok.all():  # rows with another field count (rare): padded or cut one by one
        padded = [(row + [""] * width)[:width] for row in fields.filter(pa.array(~ok)).to_pylist()]
        frame = pd.concat([frame, pd.DataFrame(padded, index=numbers[~ok], dtype="str")]).sort_index()
    frame.columns = header
    frame["_count"] = counts
    frame["_width_ok"] = ok
    frame["_line"] = _strings(lines, numbers)
    return frame


def _strings(values: pa.Array, index: np.ndarray) -> pd.Series:
    """An Arrow string array as a pandas "str" Series (no round trip through Python objects)."""
    series = values.to_pandas(types_mapper=lambda _: _STR)
    series.index = index
    return series


def _by_record(header: list[str], delimiter: str, data: bytes, rows_before: int) -> pd.DataFrame:
    width = len(header)
    numbers, parsed, texts = [], [], []
    for number, record in enumerate(_split_records(data), start=rows_before + 1):
        text = record.decode("utf-8", errors="replace").rstrip("\r\n")
        fields = next(csv.reader([text], delimiter=delimiter), [])
        if any(value.strip() for value in fields):
            numbers.append(number)
            parsed.append(fields)
            texts.append(text)
    frame = pd.DataFrame(
        [(fields + [""] * width)[:width] for fields in parsed], columns=header, index=numbers, dtype="str"
    )
    frame["_count"] = pd.Series([len(fields) for fields in parsed], index=numbers, dtype=np.int64)
    frame["_width_ok"] = frame["_count"] == width
    frame["_line"] = pd.Series(texts, index=numbers, dtype="str")
    return frame


def _split_records(data: bytes) -> Iterator[bytes]:
    """Whole CSV records as bytes: lines are joined while a quoted field is open (odd quote count)."""
    parts: list[bytes] = []
    quotes = 0
    for line in io.BytesIO(data):
        parts.append(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0:
            yield b"".join(parts)
            parts, quotes = [], 0
    if parts:
        yield b"".join(parts)


def record_fields(delimiter: str, line: str) -> list[str]:
    """The fields of one record's text (for a reason or a quarantined row's payload)."""
    return next(csv.reader([line], delimiter=delimiter), [])
