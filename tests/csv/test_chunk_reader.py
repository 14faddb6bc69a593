"""Big files (issue 18): chunks parsed once, vectorised, with the same rows, numbers and positions as
record-by-record reading; conventions decided from a bounded sample, and later rows that contradict
them stop the run instead of being read the wrong way."""

import csv
import io
import itertools
import json
import zlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine, text

from flows.csv_consistency import SampledDecisions, contradiction
from flows.sources.csv_file import open_csv, read_chunks
from flows.sources.csv_formats import resolve_mapping
from flows.sources.csv_lineage import source_lines
from flows.sources.csv_rows import ReadPlan
from models.settings import get_settings
from tests.csv.loaded import RunCsv, prices
from tests.db_snapshot import count

_ZSTD = pa.Codec("zstd")
HEADER = "symbol,name,timestamp,price_usd,market_cap_usd,volume_24h_usd\n"
BODY = (
    "BTC,Bitcoin,2024-01-01T00:00:00Z,42000.5,820000000000,1.5e10\r\n"
    "\n"  # a blank line: no row, but it is row 2 of the file's numbering
    "ETH,Ethereum,2024-01-01T00:00:00Z,2300,,\r\n"
    ",,,,,\n"  # only separators: no row
    "BTC,Bitcoin,2024-01-02T00:00:00Z,42100\n"  # 4 fields: kept, flagged, padded
    "BTC,Bitcoin,2024-01-03T00:00:00Z,42200,1,2,3\n"  # 7 fields: kept, flagged, cut
    "ETH,Ethereum,2024-01-02T00:00:00Z,2310,1,2"  # no final newline
)


def _read(path: Path, chunk_rows: int) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    csv_file = open_csv(path)
    chunks = list(read_chunks(csv_file, None, chunk_rows))
    return pd.concat([c.rows for c in chunks]), [(c.end.offset, c.end.rows) for c in chunks]


def _expected(body: str) -> list[tuple[int, list[str], int]]:
    """(row number, fields padded/cut to 6, field count) by the csv module, one record at a time."""
    rows = []
    for number, line in enumerate(io.StringIO(body, newline=""), start=1):
        fields = next(csv.reader([line.rstrip("\r\n")]), [])
        if any(value.strip() for value in fields):
            rows.append((number, (fields + [""] * 6)[:6], len(fields)))
    return rows


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_vectorised_chunks_hold_the_rows_numbers_and_positions_of_the_file(tmp_path: Path, chunk_rows: int) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes((HEADER + BODY).encode())
    frame, ends = _read(path, chunk_rows)
    expected = _expected(BODY)
    assert list(frame.index) == [number for number, _, _ in expected] == [1, 3, 5, 6, 7]
    assert frame.iloc[:, :6].values.tolist() == [fields for _, fields, _ in expected]
    assert list(frame["_count"]) == [6, 6, 4, 7, 6]
    assert list(frame["_width_ok"]) == [True, True, False, False, True]
    assert frame.loc[6, "_line"] == "BTC,Bitcoin,2024-01-03T00:00:00Z,42200,1,2,3"
    assert ends[-1] == (path.stat().st_size, 7)  # the last chunk ends at the file's end, after all 7 records
    assert all(a < b for (a, _), (b, _) in itertools.pairwise(ends))


def test_a_quoted_chunk_reads_like_an_unquoted_one_and_keeps_multiline_records(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes((HEADER + BODY).encode())
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes((HEADER + BODY.replace("ETH,Ethereum,2024-01-01", '"ETH","Ethereum",2024-01-01')).encode())
    assert _read(quoted, 2)[0].drop(columns="_line").equals(_read(plain, 2)[0].drop(columns="_line"))
    spanning = tmp_path / "spanning.csv"
    spanning.write_text(HEADER + 'BTC,"Bit\ncoin",2024-01-01T00:00:00Z,1,2,3\nETH,Ethereum,2024-01-01,2,3,4\n')
    frame, ends = _read(spanning, 1)
    assert list(frame.index) == [1, 2] and frame.loc[1, "name"] == "Bit\ncoin"
    assert [rows for _, rows in ends] == [1, 2]


def _day_month_file(path: Path, rows: int, late: str) -> None:
    """``rows`` daily BTC prices dated dd/mm/yyyy (13/01 settles day-first early), then ``late``."""
    stamps = pd.date_range("2020-01-13", periods=rows, freq="D")
    lines = [f"BTC,Bitcoin,{s:%d/%m/%Y},{1000 + n}.5,,\n" for n, s in enumerate(stamps)]
    path.write_text(HEADER + "".join(lines) + late)


def _sample_and_chunk(monkeypatch: pytest.MonkeyPatch, sample_rows: int, chunk_rows: int) -> None:
    monkeypatch.setenv("COINFLOW_CSV_SAMPLE_ROWS", str(sample_rows))
    monkeypatch.setenv("COINFLOW_CSV_CHUNK_ROWS", str(chunk_rows))
    get_settings.cache_clear()


def test_rows_past_the_sample_that_contradict_its_day_month_order_stop_the_run(
    run_csv: RunCsv, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sample_and_chunk(monkeypatch, 40, 40)
    path = tmp_path / "prices.csv"
    _day_month_file(path, 80, "BTC,Bitcoin,01/31/2020,5.5,,\nBTC,Bitcoin,02/01/2020,6.5,,\n")
    [summary] = run_csv(path)
    assert summary.status == "failed"
    assert "rows 81-82 contradict what the first 40 rows decided" in (summary.error or "")
    stored = prices(engine)
    assert len(stored) == 80  # the two chunks before the contradiction, read day-first
    assert stored[0][2:4] == ("2020-01-13T00:00:00", 1000.5) and stored[-1][2:4] == ("2020-04-01T00:00:00", 1079.5)
    assert count(engine, "rejected_records") == 0


def test_a_file_past_the_sample_loads_every_row_with_the_sampled_conventions(
    run_csv: RunCsv, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sample_and_chunk(monkeypatch, 30, 25)
    path = tmp_path / "prices.csv"
    _day_month_file(path, 100, "BTC,Bitcoin,not a date,7,,\n")
    [summary] = run_csv(path)
    assert summary.status == "succeeded" and summary.inserted == 100
    stored = prices(engine)
    assert stored[12][2:4] == ("2020-01-25T00:00:00", 1012.5)  # 25/01/2020: day-first all through
    assert stored[99][2:4] == ("2020-04-21T00:00:00", 1099.5)
    assert count(engine, "rejected_records") == 1


def test_raw_landing_keeps_each_chunk_as_received_and_every_row_leads_to_its_line(
    run_csv: RunCsv, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sample_and_chunk(monkeypatch, 100, 3)
    path = tmp_path / "prices.csv"
    path.write_bytes((HEADER + BODY + "\nBTC,Bitcoin,2024-01-04T00:00:00Z,-5,,\n").encode())
    [summary] = run_csv(path)
    assert summary.status == "succeeded" and (summary.read, summary.landed, summary.rejected) == (6, 6, 3)
    with engine.connect() as conn:
        chunks = conn.execute(text("SELECT id, natural_key, payload, content FROM raw_records ORDER BY id")).all()
        priced = conn.execute(text("SELECT p.price_usd, p.raw_record_id FROM prices p ORDER BY p.price_usd")).all()
        rejected = conn.execute(text("SELECT natural_key, raw_record_id FROM rejected_records")).all()
    assert [key.split(":")[1] for _, key, _, _ in chunks] == ["1-3", "4-6", "7-8"]
    received = path.read_bytes()
    for _, _, payload, content in chunks:
        place = json.loads(payload) if isinstance(payload, str) else payload
        size = place["byte_end"] - place["byte_start"]
        assert place["encoding"] == "zstd"
        assert (
            _ZSTD.decompress(content, decompressed_size=size, asbytes=True)
            == received[place["byte_start"] : place["byte_end"]]
        )
    lines = {raw_id: source_lines(engine, raw_id) for raw_id, _, _, _ in chunks}
    assert [(price, lines[raw_id]) for price, raw_id in priced] == [
        (2300.0, {1: BODY.splitlines()[0], 3: BODY.splitlines()[2]}),
        (2310.0, {7: BODY.splitlines()[6], 8: "BTC,Bitcoin,2024-01-04T00:00:00Z,-5,,"}),
        (42000.5, {1: BODY.splitlines()[0], 3: BODY.splitlines()[2]}),
    ]
    by_row = {int(key.rsplit(":", 1)[1]): lines[raw_id] for key, raw_id in rejected}
    assert {row: found[row] for row, found in by_row.items()} == {
        5: "BTC,Bitcoin,2024-01-02T00:00:00Z,42100",
        6: "BTC,Bitcoin,2024-01-03T00:00:00Z,42200,1,2,3",
        8: "BTC,Bitcoin,2024-01-04T00:00:00Z,-5,,",
    }
    first_id, _, payload, content = chunks[0]  # a chunk landed zlib-compressed (before zstd) still reads back
    place = json.loads(payload) if isinstance(payload, str) else payload
    size = place["byte_end"] - place["byte_start"]
    zlib_chunk = zlib.compress(_ZSTD.decompress(content, decompressed_size=size, asbytes=True))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE raw_records SET content = :content, payload = :payload WHERE id = :id"),
            {"content": zlib_chunk, "payload": json.dumps({**place, "encoding": "zlib"}), "id": first_id},
        )
    assert source_lines(engine, first_id) == lines[first_id]
    again = tmp_path / "copy.csv"  # the same bytes again under another name: the chunks land once
    again.write_bytes(path.read_bytes())
    [second] = run_csv(again)
    assert second.landed == 0 and count(engine, "raw_records") == 3


def test_a_chunk_past_the_sample_with_the_other_decimal_mark_is_a_contradiction(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + 'BTC,Bitcoin,2024-01-01,42000.5,1000,5\nBTC,Bitcoin,2024-01-02,"42.100,5",1000,6\n')
    csv_file = open_csv(path)
    [chunk] = read_chunks(csv_file, None, 10)
    plan = ReadPlan(resolve_mapping(csv_file.header), None, decimal=".")
    decided = SampledDecisions(decimal=True, sample_rows=1000)
    found = contradiction(chunk.rows, csv_file.header, plan, decided)
    assert found is not None and "rows 1-2 contradict what the first 1000 rows decided" in found
    assert "row 2 '42.100,5' reads only with the other" in found
    assert contradiction(chunk.rows.loc[[1]], csv_file.header, plan, decided) is None
    assert contradiction(chunk.rows, csv_file.header, plan, SampledDecisions()) is None  # the sample was the file
