"""GraphQL types of the market model: Coin, its source mappings, Price with lineage, and Series."""

from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_api.errors import BadInputError
from graphql_api.gql.connection import After, Before, Connection, First, Last, to_connection
from graphql_api.gql.context import Context
from graphql_api.gql.node import Node, to_global_id
from graphql_api.gql.scalars import FloatColumn, IntColumn, MatchMethod, SeriesInterval, Source, source_value
from graphql_api.paging import page_request
from graphql_api.queries.prices import (
    PRICE_CURSOR,
    PRICE_KEY_TYPES,
    PriceFilter,
    count_prices,
    price_key,
)
from graphql_api.queries.series import SERIES_MAX_POINTS, Interval, SeriesColumns, SeriesRequest
from graphql_api.queries.tables import prices
from models.columns import as_utc, utcnow
from models.spread import Comparison, compare

# Price.from_row unpacks rows by position: every price query selects the table's columns first, in this order.
PRICE_COLUMNS = (
    "coin_id",
    "source",
    "observed_at",
    "price_usd",
    "market_cap_usd",
    "volume_24h_usd",
    "change_24h_pct",
    "rank",
    "raw_record_id",
    "run_id",
)
PRICE_WIDTH = len(PRICE_COLUMNS)
if tuple(prices.c.keys()) != PRICE_COLUMNS:
    raise RuntimeError(f"prices columns {tuple(prices.c.keys())} changed: update PRICE_COLUMNS and Price.from_row")

From = Annotated[datetime | None, strawberry.argument(name="from", description="Inclusive start (ISO 8601).")]
To = Annotated[datetime | None, strawberry.argument(description="Inclusive end (ISO 8601).")]
SourceArg = Annotated[Source | None, strawberry.argument(description="Only this source (all when omitted).")]


@strawberry.type(description="The raw record a price was normalized from.")
class Lineage(Node):
    """Where a price came from; its global id is ``Lineage:<raw_records id>``."""

    raw_record_id: int = strawberry.field(description="The raw_records row id.")
    source: Source = strawberry.field(description="The source that sent it.")
    stream: str = strawberry.field(description="The source's stream (endpoint or CSV file name).")
    natural_key: str = strawberry.field(description="The source's key of the record (coin, time, ...).")
    fetched_at: datetime = strawberry.field(description="When coinflow received it (UTC).")
    run_id: int | None = strawberry.field(description="The run that landed it (`run(id:)`).")
    payload: JSON = strawberry.field(description="The record exactly as received.")

    @staticmethod
    def from_row(row: Any) -> "Lineage":
        """Build from a ``raw_records`` row."""
        return Lineage(
            id=to_global_id("Lineage", row.id),
            raw_record_id=row.id,
            source=Source(row.source),
            stream=row.stream,
            natural_key=row.natural_key,
            fetched_at=as_utc(row.fetched_at),
            run_id=row.run_id,
            payload=row.payload,
        )


@strawberry.type(description="One observation of a coin by a source.")
class Price:
    """A row of the unified prices table."""

    coin_id: strawberry.Private[int]
    raw_record_id: strawberry.Private[int | None]
    source: Source = strawberry.field(description="The source that observed it.")
    observed_at: datetime = strawberry.field(
        description="The instant the price refers to (UTC; a snapshot's update time, a candle's end: docs/columns.md)."
    )
    price_usd: float = strawberry.field(description="Price in USD.")
    market_cap_usd: float | None = strawberry.field(description="Market capitalization in USD (null: not reported).")
    volume_24h_usd: float | None = strawberry.field(description="Traded volume over 24 h in USD (null: not reported).")
    change_24h_pct: float | None = strawberry.field(description="Price change over 24 h in percent (null: unknown).")
    rank: int | None = strawberry.field(description="The source's market-cap rank (null: not ranked).")
    run_id: int | None = strawberry.field(description="The run that stored it (`run(id:)`).")

    @staticmethod
    def from_row(row: Any) -> "Price":
        """Build from a row whose first columns are the ``prices`` table's, in table order.

        A page of 50 coins x 20 prices builds 1,000 of these: unpacking by position costs ~0.1 us,
        reading ten attributes of a SQLAlchemy Row by name ~3.3 us.
        """
        (coin_id, source, observed_at, price_usd, market_cap, volume, change, rank, raw_record_id, run_id) = row[
            :PRICE_WIDTH
        ]
        return Price(
            coin_id=coin_id,
            raw_record_id=raw_record_id,
            source=Source(source),
            observed_at=as_utc(observed_at),
            price_usd=price_usd,
            market_cap_usd=market_cap,
            volume_24h_usd=volume,
            change_24h_pct=change,
            rank=rank,
            run_id=run_id,
        )

    @strawberry.field(description="The coin observed.")
    async def coin(self, info: Info[Context, None]) -> "Coin":
        """The coin (batched)."""
        return Coin.from_row(await info.context.loaders.coin.load(self.coin_id))

    @strawberry.field(description="The raw record this price came from (null when not recorded).")
    async def lineage(self, info: Info[Context, None]) -> Lineage | None:
        """The raw record (batched)."""
        if self.raw_record_id is None:
            return None
        row = await info.context.loaders.raw_record.load(self.raw_record_id)
        return Lineage.from_row(row) if row is not None else None


@strawberry.type(description="How a source names a coin and how that was matched to the canonical coin.")
class CoinSourceId:
    """One ``coin_sources`` row."""

    source: Source = strawberry.field(description="The source.")
    source_coin_id: str = strawberry.field(description="The source's own id of the coin (`bitcoin`, `btc-bitcoin`).")
    symbol: str = strawberry.field(description="The ticker as the source spells it.")
    name: str = strawberry.field(description="The name as the source spells it.")
    match_method: MatchMethod = strawberry.field(description="The identity rule that mapped it.")
    matched_at: datetime = strawberry.field(description="When the mapping was made (UTC).")


@strawberry.type(description="Spread of the latest prices across sources.")
class Spread:
    """How far the sources' latest prices disagree: (max - min) / median, and how stale they are.

    Only sources whose latest prices lie within COINFLOW_SPREAD_WINDOW_MINUTES of the newest one are
    compared (models/spread.py, the same definition as `coinflow coins spread`).
    """

    sources: int = strawberry.field(description="How many sources' prices were compared.")
    min_usd: float = strawberry.field(description="Lowest of the compared prices, USD.")
    max_usd: float = strawberry.field(description="Highest of the compared prices, USD.")
    abs_usd: float = strawberry.field(description="max - min, USD.")
    pct: float = strawberry.field(description="(max - min) / median of the compared prices, in percent.")
    flagged: bool = strawberry.field(description="pct above the alert threshold (COINFLOW_SPREAD_ALERT_PCT).")
    max_age_seconds: float = strawberry.field(description="Age of the stalest of the compared prices.")
    stale_sources: list[Source] = strawberry.field(
        description="Sources whose latest price is older than the window before the newest: not compared."
    )

    @staticmethod
    def of(found: Comparison) -> "Spread | None":
        """The spread of a comparison (None with fewer than two compared prices)."""
        if found.spread_pct is None:
            return None
        prices = [q.price_usd for q in found.compared]
        return Spread(
            sources=len(prices),
            min_usd=min(prices),
            max_usd=max(prices),
            abs_usd=max(prices) - min(prices),
            pct=round(found.spread_pct, 6),
            flagged=found.flagged,
            max_age_seconds=max(q.age_seconds for q in found.compared),
            stale_sources=[Source(q.source) for q in found.quotes if q.stale],
        )


@strawberry.type(description="A chart series as columns: one array per measure, aligned by index.")
class Series:
    """Columnar points of one coin and source."""

    source: Source = strawberry.field(description="The source of every point.")
    interval: SeriesInterval = strawberry.field(description="The bucket width.")
    points: int = strawberry.field(description="Length of every column.")
    timestamps: IntColumn = strawberry.field(description="Unix epoch seconds (UTC), oldest first.")
    price_usd: FloatColumn = strawberry.field(description="Price in USD per point.")
    market_cap_usd: FloatColumn = strawberry.field(description="Market cap in USD per point (null: not reported).")
    volume_24h_usd: FloatColumn = strawberry.field(description="24 h volume in USD per point (null: not reported).")


@strawberry.type(description="One real-world asset, with its ids at each source.")
class Coin(Node):
    """A canonical coin; its global id is ``Coin:<canonical id>``."""

    row_id: strawberry.Private[int]
    canonical_id: str = strawberry.field(description="coinflow's stable id of the asset (`bitcoin`).")
    symbol: str = strawberry.field(description="Ticker (not unique: several assets share tickers).")
    name: str = strawberry.field(description="Name.")

    @staticmethod
    def from_row(row: Any) -> "Coin":
        """Build from a ``coins`` row."""
        return Coin(
            id=to_global_id("Coin", row.canonical_id),
            row_id=row.id,
            canonical_id=row.canonical_id,
            symbol=row.symbol,
            name=row.name,
        )

    @strawberry.field(description="Each source's id for this coin and how it was matched.")
    async def sources(self, info: Info[Context, None]) -> list[CoinSourceId]:
        """Source mappings (batched)."""
        rows = await info.context.loaders.sources.load(self.row_id)
        return [
            CoinSourceId(
                source=Source(r.source),
                source_coin_id=r.source_coin_id,
                symbol=r.symbol,
                name=r.name,
                match_method=MatchMethod(r.match_method),
                matched_at=as_utc(r.matched_at),
            )
            for r in rows
        ]

    @strawberry.field(description="The latest price of each source.")
    async def latest_prices(self, info: Info[Context, None]) -> list[Price]:
        """Latest per source (batched)."""
        return [Price.from_row(row) for row in await info.context.loaders.latest.load(self.row_id)]

    @strawberry.field(description="The latest price of `source`, or the newest across sources.")
    async def latest_price(self, info: Info[Context, None], source: SourceArg = None) -> Price | None:
        """Latest price (batched)."""
        rows = await info.context.loaders.latest.load(self.row_id)
        if source is not None:
            rows = [row for row in rows if row.source == source.value]
        if not rows:
            return None
        return Price.from_row(max(rows, key=lambda row: (as_utc(row.observed_at), row.source)))

    @strawberry.field(
        description="Spread between the sources' latest prices observed close in time (null with fewer than two)."
    )
    async def spread(self, info: Info[Context, None]) -> Spread | None:
        """Cross-source spread (batched)."""
        rows = await info.context.loaders.latest.load(self.row_id)
        settings = info.context.settings
        found = compare(
            [(row.source, row.price_usd, row.observed_at) for row in rows],
            utcnow(),
            timedelta(minutes=settings.spread_window_minutes),
            settings.spread_alert_pct,
        )
        return Spread.of(found)

    @strawberry.field(description="This coin's prices in (source, observedAt) order, the primary-key order.")
    async def prices(
        self,
        info: Info[Context, None],
        source: SourceArg = None,
        from_: From = None,
        to: To = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Price]:
        """A page of prices (batched across the coins of the page)."""
        request = page_request(PRICE_CURSOR, PRICE_KEY_TYPES, first, after, last, before)
        f = PriceFilter(source=source_value(source), start=from_, end=to)
        page = await info.context.loaders.prices.load((self.row_id, (f, request)))
        counted = PriceFilter(coin_ids=(self.row_id,), source=f.source, start=from_, end=to)
        return to_connection(
            page, PRICE_CURSOR, price_key, Price.from_row, lambda: info.context.run(count_prices, counted)
        )

    @strawberry.field(description="Columnar chart series of one source (at most 10,000 points).")
    async def series(
        self,
        info: Info[Context, None],
        source: Annotated[Source, strawberry.argument(description="The source of the series.")],
        from_: From = None,
        to: To = None,
        interval: Annotated[
            SeriesInterval, strawberry.argument(description="Bucket width (RAW: every observation).")
        ] = SeriesInterval.RAW,
        last: Annotated[
            int | None,
            strawberry.argument(
                description=f"Only the newest N points (1..{SERIES_MAX_POINTS}) of the window, still oldest "
                "first: a sparkline of the last 30 days whatever the date of the newest price."
            ),
        ] = None,
    ) -> Series:
        """Series points (batched across the coins of the page)."""
        if last is not None and not 1 <= last <= SERIES_MAX_POINTS:
            raise BadInputError("last", f"must be between 1 and {SERIES_MAX_POINTS}")
        request = SeriesRequest(source=source.value, start=from_, end=to, interval=Interval(interval.value), last=last)
        columns: SeriesColumns = await info.context.loaders.series.load((self.row_id, request))
        if len(columns.timestamps) > SERIES_MAX_POINTS:
            raise BadInputError(
                "interval", f"more than {SERIES_MAX_POINTS} points; narrow from/to or choose HOUR or DAY"
            )
        return Series(
            source=source,
            interval=interval,
            points=len(columns.timestamps),
            timestamps=IntColumn(columns.timestamps),
            price_usd=FloatColumn(columns.price_usd),
            market_cap_usd=FloatColumn(columns.market_cap_usd),
            volume_24h_usd=FloatColumn(columns.volume_24h_usd),
        )
