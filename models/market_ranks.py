"""Which coins a source ranks highest in its latest market snapshot (for ``*_HISTORY_TOP_N``)."""

from collections.abc import Sequence

from sqlalchemy import Engine, and_, func, select
from sqlmodel import col

from models.market import CoinSource, Price


def top_ranked(engine: Engine, source: str, n: int) -> list[str]:
    """``source``'s own coin ids of the ``n`` best-ranked coins, rank 1 first.

    A coin's rank is the one of its newest ranked observation (the latest snapshot that listed it:
    CoinGecko ``/coins/markets`` ``market_cap_rank``, CoinPaprika ``/tickers`` ``rank``). Empty
    when ``n`` is 0 or no snapshot has been loaded yet.
    """
    if n <= 0:
        return []
    newest = (
        select(col(Price.coin_id), func.max(col(Price.observed_at)).label("observed_at"))
        .where(col(Price.source) == source, col(Price.rank).is_not(None))
        .group_by(col(Price.coin_id))
        .subquery()
    )
    query = (
        select(col(CoinSource.source_coin_id))
        .select_from(Price)
        .join(newest, and_(newest.c.coin_id == Price.coin_id, newest.c.observed_at == Price.observed_at))
        .join(CoinSource, and_(col(CoinSource.coin_id) == Price.coin_id, col(CoinSource.source) == source))
        .where(col(Price.source) == source)
        .order_by(col(Price.rank), col(CoinSource.source_coin_id))
        .limit(n)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def history_coin_ids(engine: Engine, source: str, explicit: Sequence[str], top_n: int) -> list[str]:
    """The coins whose history a run loads: the ``explicit`` list, then the top ``top_n`` not in it."""
    return list(dict.fromkeys([*explicit, *top_ranked(engine, source, top_n)]))
