"""Trading pairs and quote currencies: which asset a CSV's prices are of (the base) and what they are
priced in (the quote), from a pair string (``BTC/USDT``, ``BTC-USD``, ``ETHBTC``), a file name
(``Binance_ETHBTC_d.csv``, ``bitstampUSD_1-min_data_….csv``) or the units of its volume columns
(``Volume BTC``, ``Volume_(Currency)``).

Only USD and USD stablecoins load as USD (:data:`USD_QUOTES`); the quote is recorded with the file's
run so a user can tell a USDT price from a USD one. Exchange names are never coins.
"""

import re
from dataclasses import dataclass
from pathlib import Path

# USD and the USD stablecoins coinflow loads as USD (the quote is kept on the run: they trade near,
# not at, 1 USD). Every other quote (BTC, ETH, EUR, ...) is refused: coinflow converts nothing.
USD_QUOTES = frozenset({"USD", "USDT", "USDC", "BUSD", "DAI", "TUSD", "FDUSD", "USDP", "PYUSD"})
# Quotes that a glued pair may end with (ETHBTC, BTCEUR): longest first so USDT wins over USD.
KNOWN_QUOTES = tuple(
    sorted(USD_QUOTES | {"BTC", "ETH", "BNB", "EUR", "GBP", "JPY", "KRW", "TRY", "AUD", "CAD", "CHF", "BRL"}, key=len)[
        ::-1
    ]
)
# Exchanges whose names lead their downloads' file names (bitstampUSD_…, Binance_BTCUSDT_d.csv).
EXCHANGES = frozenset(
    {
        "binance",
        "binanceus",
        "bitfinex",
        "bitstamp",
        "bittrex",
        "bybit",
        "coinbase",
        "coinbasepro",
        "gdax",
        "gemini",
        "huobi",
        "kraken",
        "kucoin",
        "okex",
        "okx",
        "poloniex",
        "bitmex",
        "cexio",
        "exmo",
    }
)
_QUOTES = "|".join(KNOWN_QUOTES)
_SEPARATED = re.compile(r"^\s*(?P<base>[A-Za-z0-9.]{1,15})\s*[/\-_:]\s*(?P<quote>[A-Za-z]{3,5})\s*$")
_GLUED = re.compile(rf"^\s*(?P<base>[A-Za-z0-9.]{{2,15}}?)(?P<quote>{_QUOTES})\s*$", re.IGNORECASE)
# In a file name a glued quote must be written in capitals (bitstampUSD, Binance_BTCUSDT): "weth" is a coin.
_NAME_GLUED = re.compile(rf"^(?P<base>[A-Z0-9]{{2,10}}|[a-z]+|[A-Z][a-z]+)(?P<quote>{_QUOTES})$")
_VOLUME_UNIT = re.compile(r"^volume[\s_]*\(?\s*(?P<unit>[A-Za-z]{2,10})\s*\)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """A base asset (None when only the quote is known) and the currency its price is quoted in."""

    base: str | None
    quote: str


def split_pair(text: str) -> Pair | None:
    """``"BTC/USDT"``, ``"btc-usd"``, ``"ETHBTC"`` -> Pair; None when ``text`` is not a pair."""
    match = _SEPARATED.match(text) or _GLUED.match(text)
    if match is None:
        return None
    return Pair(match["base"].upper(), match["quote"].upper())


def file_name_pair(path: Path) -> Pair | None:
    """The pair a file name states, or None when it states none or contradicts itself.

    ``btc-usd-max.csv`` -> BTC/USD, ``Binance_ETHBTC_d.csv`` -> ETH/BTC, ``bitstampUSD_1-min_….csv`` ->
    ?/USD (an exchange name is never a base), ``gemini_BTCUSD_2020_1min.csv`` -> BTC/USD.
    """
    tokens = [token for token in re.split(r"[-_ .]+", path.stem) if token]
    found: list[Pair] = []
    for before, token in zip([None, *tokens], tokens, strict=False):
        if token.upper() in KNOWN_QUOTES and before is not None and _plausible_base(before):
            found.append(Pair(before.upper(), token.upper()))  # btc-usd, eth_usd
        elif match := _NAME_GLUED.match(token):
            base = match["base"]
            found.append(Pair(None if base.lower() in EXCHANGES else base.upper(), match["quote"]))
    distinct = set(found)
    return distinct.pop() if len(distinct) == 1 else None


def volume_units(header: list[str]) -> dict[str, str]:
    """Header volume columns that name a unit: column -> unit (``"Volume BTC"`` -> ``"BTC"``;
    ``"Volume_(Currency)"`` -> ``"QUOTE"``, Bitstamp's name for the quote currency)."""
    units = {}
    for name in header:
        if match := _VOLUME_UNIT.match(name.strip()):
            unit = match["unit"].upper()
            units[name] = "QUOTE" if unit == "CURRENCY" else unit
    return units


# Words that precede "usd" in file names without naming a coin (prices_usd.csv, export-usd.csv).
_NOT_COINS = frozenset({"price", "prices", "data", "export", "history", "historical", "daily", "hourly", "close"})


def _plausible_base(token: str) -> bool:
    return token.isalnum() and 2 <= len(token) <= 10 and token.lower() not in EXCHANGES | _NOT_COINS
