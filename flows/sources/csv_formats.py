"""The CSV layouts coinflow recognises, declared as data, and how a file's header is mapped to
the unified columns: detected from the header, named with ``--format``, or declared in a mapping file.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

UNIFIED_COLUMNS = ("symbol", "name", "timestamp", "price_usd", "market_cap_usd", "volume_24h_usd")
MAPPED_REQUIRED = ("timestamp", "price_usd")


class LayoutError(ValueError):
    """The header matches no known layout, or a declared format / mapping does not fit the file."""


@dataclass(frozen=True)
class Layout:
    """One family of CSV exports: which header names (normalized) feed which unified column."""

    name: str
    example: str  # a header of this family, shown in error messages
    aliases: dict[str, tuple[str, ...]]  # unified column -> accepted header names, first present wins
    required: tuple[str, ...]  # unified columns the file must have
    signature: tuple[str, ...] = ()  # further header names that identify the family ("a|b": either)
    symbol_is_pair: bool = False  # the symbol column holds a trading pair like BTC/USDT


_QUOTE_VOLUMES = ("volumeusd", "volumeusdt", "volumeusdc", "volumebusd", "volumedai", "volumefdusd", "volumecurrency")

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        name="coinflow",
        example="symbol,name,timestamp,price_usd,market_cap_usd,volume_24h_usd",
        aliases={
            "symbol": ("symbol",),
            "name": ("name",),
            "timestamp": ("timestamp",),
            "price_usd": ("priceusd",),
            "market_cap_usd": ("marketcapusd",),
            "volume_24h_usd": ("volume24husd",),
        },
        required=("symbol", "name", "timestamp", "price_usd"),
    ),
    Layout(
        name="coingecko",
        example="snapped_at,price,market_cap,total_volume",
        aliases={
            "timestamp": ("snappedat",),
            "price_usd": ("price",),
            "market_cap_usd": ("marketcap",),
            "volume_24h_usd": ("totalvolume",),
        },
        required=("timestamp", "price_usd"),
    ),
    Layout(
        name="exchange",
        example="unix,date,symbol,open,high,low,close,Volume BTC,Volume USDT,tradecount (CryptoDataDownload)",
        aliases={
            "symbol": ("symbol",),
            "timestamp": ("unix", "unixtimestamp", "date"),
            "price_usd": ("close",),
            # only a volume in the quote currency is a USD volume; "Volume BTC" (base asset) never is
            "volume_24h_usd": _QUOTE_VOLUMES,
        },
        required=("symbol", "timestamp", "price_usd"),
        signature=("unix|unixtimestamp", "open", "high", "low"),
        symbol_is_pair=True,
    ),
    Layout(
        name="binance",
        example="open_time,open,high,low,close,volume,close_time,quote_volume,count,... (Binance klines)",
        aliases={
            "timestamp": ("closetime",),  # the candle's last ms: observed_at rounds it up to the period's end
            "price_usd": ("close",),
            "volume_24h_usd": ("quotevolume", "quoteassetvolume"),  # "volume" is in the base asset
        },
        required=("timestamp", "price_usd"),
        signature=("opentime", "closetime"),
    ),
    Layout(
        name="ohlc",
        example="[SNo,Name,Symbol,]Date,Open,High,Low,Close,Volume,Market Cap (Kaggle, CoinMarketCap, Yahoo)",
        aliases={
            "symbol": ("symbol",),
            "name": ("name",),
            "timestamp": ("date", "timestamp"),
            "price_usd": ("close",),
            "market_cap_usd": ("marketcap",),
            "volume_24h_usd": (*_QUOTE_VOLUMES, "volume"),  # plain Volume: CoinMarketCap/Yahoo give it in USD
        },
        required=("timestamp", "price_usd"),
        signature=("open", "high", "low"),
    ),
    Layout(
        name="generic",
        example="symbol,timestamp,price[,name,market_cap,volume]",
        aliases={
            "symbol": ("symbol", "ticker"),
            "name": ("name", "coin", "coinname"),
            "timestamp": ("timestamp", "date", "datetime", "time"),
            "price_usd": ("priceusd", "price", "close"),
            "market_cap_usd": ("marketcapusd", "marketcap"),
            "volume_24h_usd": ("volume24husd", *_QUOTE_VOLUMES, "volume24h", "totalvolume", "volume"),
        },
        required=("timestamp", "price_usd"),
    ),
)
LAYOUT_NAMES = tuple(layout.name for layout in LAYOUTS)


@dataclass(frozen=True)
class Mapping:
    """How one file's columns and values are read; ``columns`` maps unified -> header name."""

    layout: str
    columns: dict[str, str]
    symbol_is_pair: bool = False
    decimal: str | None = None  # None: decided from the values
    day_first: bool | None = None  # None: decided from the values
    date_format: str | None = None  # a strptime pattern declared in a mapping file
    close: bool | None = None  # the price is a candle's close; None: the price column's name says (Close)

    @property
    def price_is_close(self) -> bool:
        """True when the price is a candle's close (observed at the period's end), not a snapshot."""
        if self.close is not None:
            return self.close
        return normalize_name(self.columns["price_usd"]).startswith("close")


def normalize_name(name: str) -> str:
    """``"Market Cap"``, ``"market_cap"``, ``"Close**"`` -> ``"marketcap"``, ``"close"``: compare loosely."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def resolve_mapping(header: list[str], declared_format: str | None = None, mapping_file: Path | None = None) -> Mapping:
    """Map ``header`` to the unified columns: a mapping file wins, then ``--format``, then detection.

    Raises:
        LayoutError: naming the columns found and how to declare a mapping.
    """
    if mapping_file is not None:
        return read_mapping_file(mapping_file, header)
    if declared_format is not None:
        layout = next((lay for lay in LAYOUTS if lay.name == declared_format), None)
        if layout is None:
            raise LayoutError(f"unknown --format {declared_format!r}; expected one of {', '.join(LAYOUT_NAMES)}")
        columns = _match(layout, header)
        if columns is None:
            raise LayoutError(f"--format {layout.name} needs columns like {layout.example}; {_found(header)}")
        return Mapping(layout.name, columns, layout.symbol_is_pair)
    for layout in LAYOUTS:
        names = {normalize_name(name) for name in header}
        signed = all(any(alt in names for alt in sign.split("|")) for sign in layout.signature)
        if signed and (columns := _match(layout, header)) is not None:
            return Mapping(layout.name, columns, layout.symbol_is_pair)
    known = "; ".join(f"{layout.name}: {layout.example}" for layout in LAYOUTS)
    raise LayoutError(
        f"unknown CSV layout: {_found(header)}. Known layouts ({known}). Name one with --format, or map the "
        'columns with --mapping FILE.toml ([columns] timestamp = "<column>", price_usd = "<column>", optional '
        "symbol, name, market_cap_usd, volume_24h_usd; [values] decimal, day_first, date_format, close)"
    )


def read_mapping_file(path: Path, header: list[str]) -> Mapping:
    """A TOML mapping: ``[columns]`` unified name = header name, ``[values]`` decimal/day_first/date_format/close."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LayoutError(f"cannot read mapping file {path}: {error}") from None
    columns = data.get("columns", {})
    values = data.get("values", {})
    if not isinstance(columns, dict) or not isinstance(values, dict):
        raise LayoutError(f"mapping file {path}: [columns] and [values] must be tables")
    if unknown := sorted(set(columns) - set(UNIFIED_COLUMNS)):
        raise LayoutError(
            f"mapping file {path}: unknown target(s) {', '.join(unknown)}; use {', '.join(UNIFIED_COLUMNS)}"
        )
    if lacking := [name for name in MAPPED_REQUIRED if name not in columns]:
        raise LayoutError(f"mapping file {path}: [columns] must map {', '.join(lacking)}")
    if absent := [str(source) for source in columns.values() if source not in header]:
        raise LayoutError(f"mapping file {path}: column(s) {', '.join(absent)} not in the file; {_found(header)}")
    decimal = values.get("decimal")
    if decimal not in (None, ".", ","):
        raise LayoutError(f'mapping file {path}: decimal must be "." or ","')
    day_first = values.get("day_first")
    if day_first is not None and not isinstance(day_first, bool):
        raise LayoutError(f"mapping file {path}: day_first must be true or false")
    close = values.get("close")
    if close is not None and not isinstance(close, bool):
        raise LayoutError(f"mapping file {path}: close must be true (candle closes) or false (snapshots)")
    return Mapping(
        layout=f"mapping:{path.name}",
        columns={target: str(source) for target, source in columns.items()},
        symbol_is_pair=bool(values.get("symbol_is_pair", False)),
        decimal=decimal,
        day_first=day_first,
        date_format=values.get("date_format"),
        close=close,
    )


_HEADER_NAMES = frozenset(alias for layout in LAYOUTS for aliases in layout.aliases.values() for alias in aliases)


# what a data row holds when it is another header (two files glued together)
ROW_HEADER_NAMES = _HEADER_NAMES | {"open", "high", "low", "sno", "unix"}


def looks_like_header(fields: list[str]) -> bool:
    """True for a data row that is a header (two files glued together): most fields are column names."""
    names = [normalize_name(value) for value in fields if value.strip()]
    known = sum(name in ROW_HEADER_NAMES for name in names)
    return known >= 2 and known * 2 >= len(names)


def _match(layout: Layout, header: list[str]) -> dict[str, str] | None:
    by_name: dict[str, str] = {}
    for name in header:
        by_name.setdefault(normalize_name(name), name)
    columns = {
        target: next(by_name[alias] for alias in aliases if alias in by_name)
        for target, aliases in layout.aliases.items()
        if any(alias in by_name for alias in aliases)
    }
    return columns if all(target in columns for target in layout.required) else None


def _found(header: list[str]) -> str:
    return f"found columns {', '.join(header)}"
