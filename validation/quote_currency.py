"""Is a page of USD quotes really in US dollars? The page's own USD-pegged stablecoins say.

A stablecoin is redeemable for one US dollar, so in a page quoted in USD it trades at 1. When every
USD-pegged coin of a page sits at the same level away from 1, the page is quoted in another currency,
whatever the request asked for: a recording of CoinGecko ``/coins/markets`` labelled ``vs_currency=usd``
(RozanovIgor/monkey, 2025-03-04) has tether at 0.9493, usd-coin 0.9499, usds 0.9507 and ethena-usde
0.9487, and its bitcoin ATH of 105,495 is the euro figure: the page is in EUR. Stored as USD, every
price of it would be 5 % wrong without a word.

A real depeg does not look like that: one issuer's coin moves and the others do not, or they move apart
(2023-03-11: usd-coin 0.877 and dai 0.897, tether 1.01). So a page is refused only when

- it holds at least :data:`MIN_PEGGED` USD-pegged coins,
- every one of them is more than :data:`PEG_TOLERANCE` away from 1, and
- they agree with one another within :data:`PEG_AGREEMENT` (highest / lowest - 1).

What this cannot see: a page without pegged coins (a chart of one coin, page 5 of the markets), and a
currency within the tolerance of the dollar (EUR/USD was 0.96-1.00 in autumn 2022).
"""

import pandas as pd

from validation.contract import PageCheck

MIN_PEGGED = 2
PEG_TOLERANCE = 0.02  # a pegged coin this far from 1 is off its peg
PEG_AGREEMENT = 0.01  # pegged coins this close together moved as one: the unit changed, not the pegs

# USD-pegged stablecoins by each source's coin id (issuer redemption at 1 USD, or a synthetic dollar).
_COINGECKO_PEGGED = ("tether", "usd-coin", "dai", "usds", "ethena-usde", "first-digital-usd", "true-usd", "paypal-usd",
                     "binance-usd", "paxos-standard", "gemini-dollar", "frax", "usdd")  # fmt: skip
_COINPAPRIKA_PEGGED = ("usdt-tether", "usdc-usd-coin", "dai-dai", "usds-usds", "usde-ethena-usde",
                       "fdusd-first-digital-usd", "tusd-trueusd", "pyusd-paypal-usd", "busd-binance-usd",
                       "usdp-paxos-standard-token", "gusd-gemini-dollar", "frax-frax", "usdd-usdd")  # fmt: skip
USD_PEGGED = {"coingecko": frozenset(_COINGECKO_PEGGED), "coinpaprika": frozenset(_COINPAPRIKA_PEGGED)}


def usd_quote_doubt(ids: pd.Series, prices: pd.Series, pegged: frozenset[str]) -> str | None:
    """Why a page quoted in "USD" is not in US dollars, or None when nothing says so.

    ``ids`` are the source's coin ids and ``prices`` their quotes (floats, same index). Returns one line
    naming the pegged coins, their prices and the implied value of the page's unit in USD.
    """
    quotes = prices[ids.isin(pegged)].astype(float)
    if len(quotes) < MIN_PEGGED:
        return None
    off_peg = ((quotes - 1).abs() > PEG_TOLERANCE).all()
    together = quotes.max() / quotes.min() - 1 <= PEG_AGREEMENT
    if not (off_peg and together):
        return None
    named = ", ".join(f"{coin} {price:.6g}" for coin, price in zip(ids[quotes.index], quotes, strict=True))
    level = float(quotes.median())
    return (
        f"the page's USD-pegged coins all trade at {level:.4f}, not 1 ({named}): its prices are in another "
        f"currency (1 unit = {1 / level:.4f} USD), so none is stored as USD"
    )


def usd_quote_check(source: str, id_column: str, price_column: str) -> PageCheck:
    """A page check for ``source``'s frames: :func:`usd_quote_doubt` over two of their columns."""
    pegged = USD_PEGGED[source]
    return lambda valid: usd_quote_doubt(valid[id_column], valid[price_column], pegged)
