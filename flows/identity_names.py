"""Name and id keys that let two sources' spellings of one asset meet (rules in flows/identity.py).

- :func:`name_key`: a name without case, punctuation, spacing, a trailing Token/Coin/Network/
  Protocol/Chain/Finance, or a "(prev. X)" note: "Curve DAO Token" and "Curve DAO" -> ``curvedao``,
  "Power Ledger" and "Powerledger" -> ``powerledger``, "Frax (prev. FXS)" -> ``frax``. Any other
  bracket stays part of the name: "Aleph.im (Wormhole)" and "Quickswap [OLD]" are other assets
  (a bridged copy, a migrated-away token) than "Aleph.im" and "Quickswap".
- :func:`has_note`: whether a name carries such a bracket.
- :func:`slug_base` / :func:`family_key`: the slug under CoinGecko's numbered ids (``apollox-2``,
  ``chain-2``; CoinGecko appends ``-N`` when the slug is taken), and an id's slug family.
- :func:`previous_names`: what a "(prev. X)" note says the coin was called (a name or a ticker).
- :func:`id_slug`: the name slug a source's own id carries. CoinGecko's id is that slug
  (``injective-protocol``); CoinPaprika's id is ``<symbol>-<slug>`` (``inj-injective-protocol``);
  a CSV file's id carries none.

Keys compare on ASCII letters and digits only, the alphabet both sources' ids are written in.
"""

import re
import unicodedata
from functools import lru_cache

from models.coins import slugify

# Words a source may add to or leave off a project's name (CoinGecko "Bancor Network", CoinPaprika "Bancor").
NAME_SUFFIXES = ("token", "coin", "network", "protocol", "chain", "finance")
_PREVIOUS = re.compile(r"\(\s*(?:prev(?:iously)?\.?|formerly)\s+([^)]*)\)", re.IGNORECASE)


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The comparable form of a coin name ('' when nothing is left, e.g. a name of only symbols)."""
    words = _words(_PREVIOUS.sub(" ", name))  # other brackets stay: "(Wormhole)", "[OLD]" name other assets
    while len(words) > 1 and words[-1] in NAME_SUFFIXES:
        words.pop()
    return "".join(words)


@lru_cache(maxsize=1 << 16)
def has_note(name: str) -> bool:
    """Whether a name carries a bracketed note other than "(prev. X)": "Drife [OLD]", "USDC (Wormhole)"."""
    return any(bracket in _PREVIOUS.sub(" ", name) for bracket in "([")


def slug_base(coingecko_id: str) -> str | None:
    """The slug under CoinGecko's numbered id for a taken slug (``apollox-2`` -> ``apollox``), else None."""
    base, dash, number = coingecko_id.rpartition("-")
    return base if dash and base and number.isdigit() else None


@lru_cache(maxsize=1 << 16)
def family_key(source: str, source_coin_id: str, symbol: str) -> str | None:
    """The slug an id carries, CoinGecko's ``-N`` set aside, in :func:`name_key` form, or None.

    ``apx-apollox-token`` (CoinPaprika) and ``apollox-2`` (CoinGecko) -> ``apollox``: a family of
    ids that once wanted the same slug (all the coins called "Apollox"), not one coin.
    """
    slug = id_slug(source, source_coin_id, symbol)
    if slug and source == "coingecko":
        slug = slug_base(slug) or slug
    return slug_key(slug) or None if slug else None


def slug_key(slug: str) -> str:
    """A slug (``render-token``) in the form of :func:`name_key` (``render``)."""
    return name_key(slug.replace("-", " "))


@lru_cache(maxsize=1 << 16)
def previous_names(name: str) -> tuple[str, ...]:
    """The names or tickers a "(prev. X)" note gives, e.g. ``"Frax (prev. FXS)"`` -> ``("FXS",)``."""
    return tuple(match.strip() for match in _PREVIOUS.findall(name) if match.strip())


def id_slug(source: str, source_coin_id: str, symbol: str) -> str | None:
    """The name slug in a source's own coin id, or None when the source's ids carry none.

    Raises nothing: an id that does not follow its source's pattern gives None.
    """
    if source == "coingecko":
        return source_coin_id
    if source == "coinpaprika":
        prefix = f"{slugify(symbol)}-"
        if source_coin_id.startswith(prefix) and len(source_coin_id) > len(prefix):
            return source_coin_id[len(prefix) :].strip("-") or None
        head, dash, rest = source_coin_id.partition("-")  # a ticker changed after the id was minted
        return rest.strip("-") or None if dash and head else None
    return None
