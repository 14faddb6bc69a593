"""The pure deciders on their own: which pair a file name or symbol states, and which decimal mark a
column's values settle (the stored-value tests run the same files through the flow)."""

from pathlib import Path

import pandas as pd
import pytest

from flows.sources.csv_decimal import DecimalError, DecimalEvidence
from flows.sources.csv_quote import Pair, file_name_pair, split_pair


@pytest.mark.parametrize(
    ("name", "pair"),
    [
        ("btc-usd-max.csv", Pair("BTC", "USD")),
        ("BTC-USD.csv", Pair("BTC", "USD")),
        ("Binance_ETHBTC_d.csv", Pair("ETH", "BTC")),
        ("Binance_BTCUSDT_1h.csv", Pair("BTC", "USDT")),
        ("BTCUSDT-1m-2025-01-01.csv", Pair("BTC", "USDT")),
        ("gemini_BTCUSD_2020_1min.csv", Pair("BTC", "USD")),
        ("bitstampUSD_1-min_data_2012-01-01_to_2021-03-31.csv", Pair(None, "USD")),
        ("coinbaseUSD_1-min_data_2014-12-01_to_2019-01-09.csv", Pair(None, "USD")),
        ("krakenEUR_1-min.csv", Pair(None, "EUR")),
        ("prices_usd.csv", None),  # a word, not a coin
        ("weth_prices.csv", None),  # a lower-case glued name is a coin's name, not W + ETH
        ("coin_Ethereum.csv", None),
    ],
)
def test_a_file_name_states_a_pair_only_when_unambiguous(name: str, pair: Pair | None) -> None:
    assert file_name_pair(Path(name)) == pair


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("ETHBTC", Pair("ETH", "BTC")),
        ("BTC/USDT", Pair("BTC", "USDT")),
        ("btc-usd", Pair("BTC", "USD")),
        ("WBTCUSDT", Pair("WBTC", "USDT")),
        ("ETH", None),
    ],
)
def test_symbols_split_into_base_and_quote(text: str, pair: Pair | None) -> None:
    assert split_pair(text) == pair


@pytest.mark.parametrize(
    ("values", "mark"),
    [
        (['"0,617"', "0,624", "0,6012"], ","),  # a thousands group never starts with 0
        (["2480,1", "2500"], ","),  # a group after the comma that is not 3 digits
        (["1,234.5", "1,234"], "."),
        (["1,234,567", "1,234"], "."),
        (["1.234.567", "1.234"], ","),
        (["1,234", "987", "1002"], "."),  # magnitude: 1234 sits with 987 and 1002, 1.234 does not
        (["1,234", "0.9", "1.1"], "."),  # 1.1 reads only with a point
        (["42000", "43000"], "."),  # no separator: nothing to decide
    ],
)
def test_the_decimal_mark_follows_the_evidence(values: list[str], mark: str) -> None:
    evidence = DecimalEvidence()
    evidence.add(pd.DataFrame({"price": [v.strip('"') for v in values]}, index=range(1, len(values) + 1)))
    assert evidence.decide() == mark


@pytest.mark.parametrize(
    ("values", "message"),
    [(["1,234", "1,250"], "ambiguous decimal mark"), (["1,234.5", "0,617"], "contradicts itself")],
)
def test_unsettled_decimal_marks_are_refused(values: list[str], message: str) -> None:
    evidence = DecimalEvidence()
    evidence.add(pd.DataFrame({"price": values}, index=range(1, len(values) + 1)))
    with pytest.raises(DecimalError, match=message):
        evidence.decide()
