"""Which coin a CSV file holds and what its prices are quoted in, when no symbol column says it:
``--coin``, else the file name and the header's volume units, taken only when they agree."""

import re
from dataclasses import dataclass
from pathlib import Path

from flows.sources.csv_quote import USD_QUOTES, Pair, file_name_pair, volume_units

_COIN_OPTION = re.compile(r"^\s*(?P<symbol>[A-Za-z0-9.\-]{1,64})\s*(?::\s*(?P<name>\S.{0,299}?))?\s*$")


class CoinError(ValueError):
    """The coin or the quote currency of a file cannot be determined, or ``--coin`` is malformed."""


@dataclass(frozen=True)
class FileCoin:
    """The coin every row of a file belongs to, and where that came from."""

    symbol: str
    name: str
    origin: str  # "--coin", "file name" or "header"


def parse_coin_option(value: str) -> FileCoin:
    """``"BTC"`` or ``"BTC:Bitcoin"``; without a name the symbol stands for it."""
    match = _COIN_OPTION.match(value)
    if not match:
        raise CoinError(f"--coin {value!r}: expected SYMBOL or SYMBOL:Name, e.g. BTC:Bitcoin")
    symbol = match["symbol"].upper()
    return FileCoin(symbol, (match["name"] or symbol).strip(), "--coin")


def file_coin(path: Path, header: list[str], coin_option: str | None) -> FileCoin:
    """The coin of a file without a symbol column: ``--coin`` wins, then the file name's pair base
    (``btc-usd-max.csv``, ``Binance_BTCUSDT_1h.csv``; never an exchange name such as ``bitstampUSD``),
    then the header's base-volume unit (``Volume_(BTC)``). Both present must agree.

    Raises:
        CoinError: neither says, or they disagree.
    """
    if coin_option:
        return parse_coin_option(coin_option)
    pair = file_name_pair(path)
    by_name = pair.base if pair else None
    by_header = _header_base(header, pair.quote if pair else None)
    if by_name and by_header and by_name != by_header:
        raise CoinError(
            f"cannot tell which coin {path.name} holds: its name says {by_name}, its header's volume says "
            f"{by_header}; pass --coin SYMBOL or --coin SYMBOL:Name"
        )
    if symbol := by_name or by_header:
        return FileCoin(symbol, symbol, "file name" if by_name else "header")
    raise CoinError(
        f"cannot tell which coin {path.name} holds: it has no symbol/name column and neither its name (like "
        "btc-usd-max.csv; an exchange name is not a coin) nor a volume column (like Volume_(BTC)) says; pass "
        "--coin SYMBOL or --coin SYMBOL:Name"
    )


def file_quote(path: Path, header: list[str], base: str | None) -> str | None:
    """The currency a file's prices are quoted in, from its name and its volume columns; None when
    neither says (then the prices are taken as USD, as coinflow's columns and ``--coin`` files are).

    Raises:
        CoinError: the name and the header name different quotes.
    """
    pair = file_name_pair(path)
    by_name = pair.quote if pair else None
    units = set(volume_units(header).values()) - {"QUOTE"}
    others = units - {base} if base else units & USD_QUOTES
    by_header = others.pop() if len(others) == 1 else None
    if by_name and by_header and by_name != by_header:
        raise CoinError(
            f"cannot tell what {path.name} is priced in: its name says {by_name}, its volume columns say {by_header}"
        )
    return by_name or by_header


def file_usd_quote(path: Path, header: list[str], base: str | None) -> str | None:
    """The file's quote currency if it is USD or a USD stablecoin (None: the file does not say).

    Raises:
        CoinError: the file is priced in another currency (BTC, ETH, EUR, ...): coinflow converts nothing.
    """
    quote = file_quote(path, header, base)
    if quote is not None and quote not in USD_QUOTES:
        raise CoinError(
            f"{path.name} is priced in {quote}, not USD: coinflow stores USD prices only (USD or a USD "
            f"stablecoin: {', '.join(sorted(USD_QUOTES))}); nothing loaded"
        )
    return quote


def _header_base(header: list[str], quote: str | None) -> str | None:
    units = set(volume_units(header).values()) - {"QUOTE"} - USD_QUOTES - ({quote} if quote else set())
    return units.pop() if len(units) == 1 else None


__all__ = ["CoinError", "FileCoin", "Pair", "file_coin", "file_quote", "file_usd_quote", "parse_coin_option"]
