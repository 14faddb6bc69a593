"""Real-shaped CSV exports, one per family, through real ``ingest`` flow runs on SQLite and PostgreSQL:
the exact values that load, and the exact reasons of every row that does not.
"""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.csv.loaded import FIXTURES, RunCsv, prices, reasons
from tests.db_snapshot import count

USD = "usd_only"
FLOAT = "coerce_dtype('float64')"


def test_coingecko_export_takes_its_coin_from_the_file_name(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "btc-usd-max.csv")
    assert (run.status, run.read, run.inserted, run.rejected) == ("succeeded", 5, 5, 0)
    loaded = prices(engine)
    assert loaded[0] == ("btc", "BTC", "2013-04-28T00:00:00", 135.3, 1500517590.0, 0.0)
    assert loaded[-1] == (
        "btc",
        "BTC",
        "2025-06-16T00:00:00",
        105554.49383061715,
        2098499110552.6216,
        16568441852.649668,
    )


def test_kaggle_file_names_its_coin_in_columns_and_maps_close(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "coin_Ethereum.csv")
    assert (run.status, run.inserted, run.rejected) == ("succeeded", 3, 0)
    assert prices(engine)[:2] == [
        # Kaggle stamps each daily close at its day's last second: observed at the day's end
        ("ethereum", "ETH", "2015-08-09T00:00:00", 0.7533249855041504, 45486894.2408, 674188.0),
        ("ethereum", "ETH", "2015-08-10T00:00:00", 0.7018970251083374, 42399573.4991, 532170.0),
    ]


def test_coinmarketcap_scrape_month_names_thousands_quotes_descending_and_dash(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "cmc_scrape.csv", coin="BTC:Bitcoin")
    assert (run.status, run.inserted, run.rejected) == ("succeeded", 3, 0)
    assert prices(engine) == [
        # a daily close dated Sep 05 is the price at the end of that (UTC) day
        ("bitcoin", "BTC", "2017-09-06T00:00:00", 4376.53, 69954300000.0, None),
        ("bitcoin", "BTC", "2017-09-07T00:00:00", 4597.12, 72526500000.0, 2172100000.0),
        ("bitcoin", "BTC", "2017-09-08T00:00:00", 4599.88, 76054800000.0, 1844620000.0),
    ]


def test_semicolon_decimal_comma_bom_crlf_day_first_and_extra_columns(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "eu_semicolon.csv")
    assert (run.status, run.read, run.inserted, run.rejected) == ("succeeded", 3, 3, 0)
    assert prices(engine) == [
        ("btc", "BTC", "2024-01-02T00:00:00", 45123.75, None, None),
        ("eth", "ETH", "2024-01-13T00:00:00", 2567.89, 308123456789.5, None),
        ("eth", "ETH", "2024-01-14T00:00:00", 2480.1, 298000000000.0, None),
    ]


def test_indian_grouping_scientific_dollar_signs_and_other_currencies(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "us_quirks.csv")
    assert (run.status, run.read, run.inserted, run.rejected) == ("succeeded", 5, 3, 2)
    assert prices(engine) == [
        ("bitcoin", "BTC", "2024-01-03T00:00:00", 42836.5, None, 1234567890.0),
        ("ethereum", "ETH", "2024-01-01T00:00:00", 2352.12, None, None),
        ("shiba-inu", "SHIB", "2024-01-03T00:00:00", 1.2e-05, None, None),
    ]
    assert reasons(engine) == {3: [("price", FLOAT, "45.123.75")], 4: [("price", USD, "€42000")]}


def test_exchange_download_with_banner_reads_pairs_and_refuses_non_usd_quotes(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "Binance_BTCUSDT_d.csv")
    assert (run.status, run.inserted, run.rejected) == ("succeeded", 2, 1)
    assert prices(engine) == [
        ("btc", "BTC", "2024-01-02T00:00:00", 44179.55, None, 1169995682.6),  # the 2024-01-01 candle's close
        ("btc", "BTC", "2024-01-03T00:00:00", 44946.91, None, 2095642788.1),
    ]
    assert reasons(engine) == {3: [("symbol", USD, "BTC/EUR")]}


def test_a_declared_mapping_file_reads_an_unknown_layout(run_csv: RunCsv, engine: Engine, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\ntimestamp = "Datum"\nprice_usd = "Schlusskurs"\nmarket_cap_usd = "Marktkapitalisierung"\n'
        '[values]\ndecimal = ","\ndate_format = "%d.%m.%Y"\n'
    )
    [run] = run_csv(FIXTURES / "weird_layout.csv", csv_mapping=str(mapping), coin="btc:Bitcoin")
    assert (run.status, run.inserted) == ("succeeded", 1)
    assert prices(engine) == [("bitcoin", "BTC", "2017-09-05T00:00:00", 4376.53, 69954300000.0, None)]


@pytest.mark.parametrize(
    ("fixture", "options", "message"),
    [
        ("weird_layout.csv", {}, "unknown CSV layout: found columns Datum, Schlusskurs, Marktkapitalisierung."),
        ("prices_export.csv", {}, "cannot tell which coin prices_export.csv holds"),
        ("ambiguous_dates.csv", {}, "ambiguous dates: every date like 05/09/2017 reads both as day/month"),
        ("btc-usd-max.csv", {"csv_format": "ohlc"}, "--format ohlc needs columns like"),
    ],
    ids=["unknown-layout", "no-coin", "ambiguous-dates", "wrong-format"],
)
def test_files_that_cannot_be_read_safely_are_refused_before_loading(
    run_csv: RunCsv, engine: Engine, fixture: str, options: dict[str, str], message: str
) -> None:
    [run] = run_csv(FIXTURES / fixture, **options)
    assert run.status == "failed" and run.error is not None and message in run.error
    for table in ("raw_records", "prices", "rejected_records", "checkpoints"):
        assert count(engine, table) == 0, table


def test_a_file_whose_header_breaks_partway_is_refused_whole(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "mangled.csv")
    assert run.status == "failed"
    assert run.error == (
        "file refused whole, nothing loaded: row 3 is another header (Date,Open,High,Low,Close,Volume,Market Cap)"
    )
    assert (run.read, run.landed, run.rejected, run.inserted) == (4, 4, 4, 0)
    assert count(engine, "prices") == 0
    refused = ("*", "file_rejected", run.error)
    assert reasons(engine) == {
        1: [refused],
        2: [refused],
        3: [("*", "field_count", "7 fields, header has 6")],
        4: [("*", "field_count", "7 fields, header has 6")],
    }


def test_a_file_with_mostly_unreadable_rows_is_refused_whole(run_csv: RunCsv, engine: Engine) -> None:
    [run] = run_csv(FIXTURES / "mostly_bad.csv")
    assert run.status == "failed"
    assert run.error == (
        "file refused whole, nothing loaded: 3 of 4 rows cannot be read (field count, number, date or a "
        "non-USD quote), more than COINFLOW_CSV_MAX_UNREADABLE_RATIO=0.5; first bad rows: 2, 3, 4"
    )
    assert count(engine, "prices") == 0
    assert reasons(engine) == {
        1: [("*", "file_rejected", run.error)],
        2: [("*", "field_count", "5 fields, header has 4")],
        3: [("timestamp", "coerce_dtype('datetime64[us, UTC]')", "tomorrow"), ("price_usd", FLOAT, "42k")],
        4: [("price_usd", FLOAT, "n/a!")],
    }


def test_a_folder_loads_each_csv_as_its_own_run_and_checkpoint(run_csv: RunCsv, engine: Engine, tmp_path: Path) -> None:
    for name in ("btc-usd-max.csv", "coin_Ethereum.csv", "prices_export.csv"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "notes.txt").write_text("not a csv")
    runs = run_csv(tmp_path)
    assert [(Path(r.stream).name, r.status, r.inserted) for r in runs] == [
        ("btc-usd-max.csv", "succeeded", 5),
        ("coin_Ethereum.csv", "succeeded", 3),
        ("prices_export.csv", "failed", 0),
    ]
    assert count(engine, "checkpoints") == 2
    again = run_csv(tmp_path)
    assert [(r.read, r.inserted) for r in again[:2]] == [(0, 0), (0, 0)]


def test_appended_rows_keep_the_day_month_order_decided_for_the_file(
    run_csv: RunCsv, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "eu_semicolon.csv"
    path.write_bytes((FIXTURES / "eu_semicolon.csv").read_bytes())
    assert run_csv(path)[0].inserted == 3
    with path.open("ab") as handle:
        handle.write(b"ETH;03/02/2024;2.300,5;;\r\n")  # alone it would be ambiguous; the file said day first
    [appended] = run_csv(path)
    assert (appended.status, appended.read, appended.inserted) == ("succeeded", 1, 1)
    assert ("eth", "ETH", "2024-02-03T00:00:00", 2300.5, None, None) in prices(engine)
