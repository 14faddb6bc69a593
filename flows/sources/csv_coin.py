"""Which coin a CSV file holds when it has no symbol column: ``--coin``, else its file name."""

import re
from dataclasses import dataclass
from pathlib import Path

# btc-usd-max.csv (CoinGecko export), BTC-USD.csv (Yahoo), eth_usd_daily.csv, Binance_BTCUSDT_d.csv
_FILE_NAME_PATTERNS = (
    re.compile(r"(?:^|[^a-z0-9])(?P<symbol>[a-z0-9]{2,15})[-_ ]usdt?(?:[^a-z0-9]|$)"),
    re.compile(r"(?:^|_)(?P<symbol>[a-z0-9]{2,10}?)usdt?(?:_|$)"),
)
_COIN_OPTION = re.compile(r"^\s*(?P<symbol>[A-Za-z0-9.\-]{1,64})\s*(?::\s*(?P<name>\S.{0,299}?))?\s*$")


class CoinError(ValueError):
    """The coin of a file cannot be determined, or ``--coin`` is malformed."""


@dataclass(frozen=True)
class FileCoin:
    """The coin every row of a file belongs to, and where that came from."""

    symbol: str
    name: str
    origin: str  # "--coin" or "file name"


def parse_coin_option(value: str) -> FileCoin:
    """``"BTC"`` or ``"BTC:Bitcoin"``; without a name the symbol stands for it."""
    match = _COIN_OPTION.match(value)
    if not match:
        raise CoinError(f"--coin {value!r}: expected SYMBOL or SYMBOL:Name, e.g. BTC:Bitcoin")
    symbol = match["symbol"].upper()
    return FileCoin(symbol, (match["name"] or symbol).strip(), "--coin")


def file_coin(path: Path, coin_option: str | None) -> FileCoin:
    """The coin of a file without a symbol column: ``--coin`` wins, then the file name.

    Raises:
        CoinError: when neither names a coin.
    """
    if coin_option:
        return parse_coin_option(coin_option)
    stem = path.stem.lower()
    for pattern in _FILE_NAME_PATTERNS:
        if match := pattern.search(stem):
            symbol = match["symbol"].upper()
            return FileCoin(symbol, symbol, "file name")
    raise CoinError(
        f"cannot tell which coin {path.name} holds: it has no symbol/name column and its name does not "
        "say (like btc-usd-max.csv); pass --coin SYMBOL or --coin SYMBOL:Name"
    )
