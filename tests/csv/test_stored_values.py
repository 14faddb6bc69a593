"""Issue 12, CSV side: every stored value means what the file meant. Each kind of fault (decimal
mark, close stamped at the open, a non-USD quote, an exchange taken for a coin, a pandas index
column, µs epochs) runs real files through real ``ingest`` flow runs on SQLite and PostgreSQL and
reads back the stored price, observed_at, volume and coin, or the refusal reason.
"""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.checkpoints import read_checkpoint
from tests.csv.loaded import FIXTURES, RunCsv, prices, reasons
from tests.db_snapshot import count

USD = "usd_only"


def _copy(folder: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


def _quote(engine: Engine, path: Path) -> object:
    checkpoint = read_checkpoint(engine, "csv", str(path.resolve()))
    assert checkpoint is not None, path
    return checkpoint["quote_currency"]


@pytest.mark.parametrize(
    ("fixture", "coin", "expected"),
    [
        pytest.param(  # the Italian spreadsheet: quoted "0,617" in a comma-delimited file
            "xrp_it_export.csv",
            "XRP:XRP",
            [
                ("xrp", "XRP", "2024-03-02T00:00:00", 0.617, None, None),
                ("xrp", "XRP", "2024-03-03T00:00:00", 0.624, None, None),
                ("xrp", "XRP", "2024-03-04T00:00:00", 0.6012, None, None),
            ],
            id="italian-quoted-in-comma-file",
        ),
        pytest.param(  # French: space-grouped thousands, decimal comma, semicolons; a snapshot price
            "fr_prices.csv",
            "ETH:Ethereum",
            [
                ("ethereum", "ETH", "2024-01-01T00:00:00", 2352.12, None, None),
                ("ethereum", "ETH", "2024-01-02T00:00:00", 2310.5, None, None),
            ],
            id="french-space-thousands",
        ),
        pytest.param(  # German: 43.000 alone reads two ways; the file's 42.150,5 settles it as 43000
            "de_kurse.csv",
            "BTC:Bitcoin",
            [
                ("bitcoin", "BTC", "2024-01-02T00:00:00", 42150.5, None, 1234567.0),
                ("bitcoin", "BTC", "2024-01-03T00:00:00", 43000.0, None, 2000000.25),
            ],
            id="german-dot-thousands",
        ),
        pytest.param(  # "1,234" reads two ways; the column's plain 987 and 1002 put it at 1234, not 1.234
            "magnitude.csv",
            "BTC:Bitcoin",
            [
                ("bitcoin", "BTC", "2024-01-01T00:00:00", 1234.0, None, None),
                ("bitcoin", "BTC", "2024-01-02T00:00:00", 987.0, None, None),
                ("bitcoin", "BTC", "2024-01-03T00:00:00", 1002.0, None, None),
            ],
            id="magnitude-settles-thousands",
        ),
    ],
)
def test_the_decimal_mark_is_decided_from_the_whole_file(
    run_csv: RunCsv, engine: Engine, fixture: str, coin: str, expected: list[tuple[object, ...]]
) -> None:
    [run] = run_csv(FIXTURES / fixture, coin=coin)
    assert (run.status, run.rejected) == ("succeeded", 0), run.error
    assert prices(engine) == expected


def test_a_decimal_mark_the_values_do_not_settle_is_refused_until_declared(run_csv: RunCsv, engine: Engine) -> None:
    [ambiguous] = run_csv(FIXTURES / "all_ambiguous.csv", coin="BTC:Bitcoin")
    assert ambiguous.status == "failed" and ambiguous.error is not None
    assert ambiguous.error.startswith("ambiguous decimal mark: every number with a separator reads both ways")
    assert "--decimal" in ambiguous.error
    [contradicting] = run_csv(FIXTURES / "contradicting.csv", coin="BTC:Bitcoin")
    assert contradicting.status == "failed" and contradicting.error is not None
    assert "row 1 '1,234.5'" in contradicting.error and "row 2 '0,617'" in contradicting.error
    assert count(engine, "prices") == count(engine, "raw_records") == 0
    [declared] = run_csv(FIXTURES / "all_ambiguous.csv", coin="BTC:Bitcoin", csv_decimal=",")
    assert declared.status == "succeeded"
    assert [row[2:4] for row in prices(engine)] == [
        ("2024-01-01T00:00:00", 1.234),
        ("2024-01-02T00:00:00", 1.25),
        ("2024-01-03T00:00:00", 1.199),
    ]


def test_close_prices_are_observed_at_their_periods_end(run_csv: RunCsv, engine: Engine, tmp_path: Path) -> None:
    folder = _copy(
        tmp_path,
        "bitstampUSD_1-min_data_2012-01-01_to_2021-03-31.csv",  # 1-min opens in epoch s: + 60 s
        "BTCUSDT-1m-2025-01-01.csv",  # Binance klines, close_time in 16-digit µs: rounded up
        "Binance_BTCUSDT_1h.csv",  # CryptoDataDownload hourly opens, descending: + 1 h
        "gemini_BTCUSD_2020_1h.csv",  # hourly opens mixing ms and s epochs: + 1 h
    )
    runs = run_csv(folder)
    assert [(Path(r.stream).name[:12], r.status, r.inserted, r.rejected) for r in runs] == [
        ("BTCUSDT-1m-2", "succeeded", 2, 0),
        ("Binance_BTCU", "succeeded", 2, 0),
        ("bitstampUSD_", "succeeded", 2, 1),
        ("gemini_BTCUS", "succeeded", 2, 0),
    ]
    assert prices(engine) == [
        ("btc", "BTC", "2011-12-31T07:53:00", 4.39, None, 2.0000000193),  # Volume_(Currency): USD
        ("btc", "BTC", "2011-12-31T07:55:00", 4.39, None, 210.72),
        ("btc", "BTC", "2021-01-01T01:00:00", 29026.92, None, None),  # plain Volume: unit unknown, not USD
        ("btc", "BTC", "2021-01-01T02:00:00", 29332.21, None, None),
        ("btc", "BTC", "2024-01-01T01:00:00", 42475.23, None, 53957442.2),  # Volume USDT, never Volume BTC
        ("btc", "BTC", "2024-01-01T02:00:00", 42613.56, None, 50971419.9),
        ("btc", "BTC", "2025-01-01T00:01:00", 93610.93, None, 768978.3747885),  # quote_volume
        ("btc", "BTC", "2025-01-01T00:02:00", 93650.0, None, 919680.0472754),
    ]
    assert reasons(engine) == {2: [("Close", "not_nullable", "NaN")]}  # Bitstamp's minute without trades
    quotes = {Path(r.stream).name[:12]: _quote(engine, Path(r.stream)) for r in runs}
    assert quotes == {"BTCUSDT-1m-2": "USDT", "Binance_BTCU": "USDT", "bitstampUSD_": "USD", "gemini_BTCUS": "USD"}


def test_the_candle_of_a_period_still_open_is_quarantined_not_stored(
    run_csv: RunCsv, engine: Engine, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    path = tmp_path / "btc-usd-daily.csv"
    path.write_text(f"Date,Close\n{yesterday.isoformat()},97000.5\n{today.isoformat()},98000.25\n")
    [run] = run_csv(path)
    assert (run.status, run.inserted, run.rejected) == ("succeeded", 1, 1)
    assert prices(engine) == [("btc", "BTC", f"{today.isoformat()}T00:00:00", 97000.5, None, None)]
    assert reasons(engine) == {2: [("Date", "period_not_closed", today.isoformat())]}


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("Bitfinex_ETHBTC_1h.csv", "Bitfinex_ETHBTC_1h.csv is priced in BTC, not USD"),
        ("xrp-eur.csv", "xrp-eur.csv is priced in EUR, not USD"),
    ],
    ids=["btc-quote-in-file-name", "eur-quote-in-file-name"],
)
def test_a_file_priced_in_another_currency_is_refused_before_loading(
    run_csv: RunCsv, engine: Engine, fixture: str, message: str
) -> None:
    [run] = run_csv(FIXTURES / fixture)
    assert run.status == "failed" and run.error is not None and run.error.startswith(message)
    for table in ("raw_records", "prices", "rejected_records", "checkpoints", "coins"):
        assert count(engine, table) == 0, table


def test_pairs_quoted_in_another_currency_are_quarantined_never_stored_as_usd(
    run_csv: RunCsv, engine: Engine, tmp_path: Path
) -> None:
    """The issue's older CryptoDataDownload header, under a file name that says nothing: ETHBTC rows."""
    path = tmp_path / "export.csv"
    shutil.copy(FIXTURES / "Bitfinex_ETHBTC_1h.csv", path)
    [run] = run_csv(path)
    assert run.status == "failed" and run.error is not None and "2 of 2 rows cannot be read" in run.error
    assert count(engine, "prices") == 0
    assert reasons(engine) == {1: [("Symbol", USD, "ETHBTC")], 2: [("Symbol", USD, "ETHBTC")]}


def test_exchange_names_are_never_coins(run_csv: RunCsv, engine: Engine, tmp_path: Path) -> None:
    bitstamp = "bitstampUSD_1-min_data_2012-01-01_to_2021-03-31.csv"
    folder = _copy(tmp_path, bitstamp, "krakenUSD_1-min_data_2013-10-06.csv")
    shutil.copy(FIXTURES / bitstamp, folder / "coinbaseUSD_1-min_data_2014-12-01_to_2019-01-09.csv")
    shutil.copy(FIXTURES / bitstamp, folder / "ETH-USD.csv")  # the name says ETH, the header's Volume_(BTC) BTC
    runs = {Path(r.stream).name: r for r in run_csv(folder)}
    assert runs[bitstamp].status == runs["coinbaseUSD_1-min_data_2014-12-01_to_2019-01-09.csv"].status == "succeeded"
    kraken, eth = runs["krakenUSD_1-min_data_2013-10-06.csv"], runs["ETH-USD.csv"]
    assert kraken.status == "failed" and kraken.error is not None
    assert kraken.error.startswith("cannot tell which coin krakenUSD_1-min_data_2013-10-06.csv holds")
    assert "an exchange name is not a coin" in kraken.error and "--coin" in kraken.error
    assert eth.status == "failed" and eth.error is not None
    assert "its name says ETH, its header's volume says BTC" in eth.error
    with engine.connect() as conn:
        coins = conn.execute(text("SELECT canonical_id, symbol FROM coins")).all()
    assert [tuple(coin) for coin in coins] == [("btc", "BTC")]
    assert {row[:3] for row in prices(engine)} == {
        ("btc", "BTC", "2011-12-31T07:53:00"),
        ("btc", "BTC", "2011-12-31T07:55:00"),
    }


@pytest.mark.parametrize("declared", ["coin", "mapping"])
def test_a_pandas_index_column_is_ignored(run_csv: RunCsv, engine: Engine, tmp_path: Path, declared: str) -> None:
    options = {"coin": "BTC:Bitcoin"}
    if declared == "mapping":
        mapping = tmp_path / "mapping.toml"
        mapping.write_text('[columns]\ntimestamp = "Date"\nprice_usd = "Price"\n')
        options["csv_mapping"] = str(mapping)
    [run] = run_csv(FIXTURES / "pandas_index.csv", **options)
    assert (run.status, run.inserted, run.rejected) == ("succeeded", 2, 0), run.error
    assert prices(engine) == [
        ("bitcoin", "BTC", "2024-01-01T00:00:00", 42280.24, None, None),
        ("bitcoin", "BTC", "2024-01-02T00:00:00", 44943.58, None, None),
    ]
