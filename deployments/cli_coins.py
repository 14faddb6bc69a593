"""``coinflow coins``: review coin identity (unmatched coins, ties, why a source id maps where it does)."""

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from models.spread import CoinSpread

coins_app = typer.Typer(
    help="Review coin identity across sources.", no_args_is_help=True, pretty_exceptions_enable=False
)
err = Console(stderr=True)


def _engine() -> "Engine":
    """The configured database, refusing (exit 2) one whose schema is behind the code."""
    from models.db import make_engine
    from models.migrate import is_up_to_date
    from models.settings import get_settings

    url = get_settings().database_url
    if not is_up_to_date(url):
        err.print("error: the database schema is not up to date: run `coinflow db upgrade`", markup=False)
        raise typer.Exit(2)
    return make_engine(url)


@coins_app.command("unmatched")
def unmatched_command(
    source: Annotated[str | None, typer.Option(help="Only this source's coins.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many rows to show.")] = 50,
) -> None:
    """List coins only one source knows, and ties (ambiguous matches, with their candidates) first."""
    from models.identity_queries import unmatched

    engine = _engine()
    with engine.connect() as conn:
        total, rows = unmatched(conn, source, limit)
    table = Table(title=f"unmatched or ambiguous source coins: {total} (showing {len(rows)})")
    for column in ("canonical id", "source", "source coin id", "symbol", "name", "method", "candidates", "why"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.canonical_id, row.source, row.source_coin_id, row.symbol, row.name, row.match_method,
            ", ".join(row.candidates), row.evidence or "",
        )  # fmt: skip
    Console().print(table)


@coins_app.command("explain")
def explain_command(canonical_id: Annotated[str, typer.Argument(help="The canonical coin id, e.g. bitcoin.")]) -> None:
    """Show every source id mapped to CANONICAL_ID, how each was matched and on what evidence, and recorded moves."""
    from models.identity_queries import explain

    engine = _engine()
    with engine.connect() as conn:
        found = explain(conn, canonical_id)
    if found is None:
        err.print(f"error: no coin with canonical id {canonical_id!r}", markup=False)
        raise typer.Exit(2)
    mappings, changes = found
    table = Table(title=f"{canonical_id}: {len(mappings)} source id(s)")
    for column in ("source", "source coin id", "symbol", "name", "method", "evidence", "candidates", "matched at"):
        table.add_column(column)
    for m in mappings:
        table.add_row(
            m.source, m.source_coin_id, m.symbol, m.name, m.match_method, m.evidence or "", ", ".join(m.candidates),
            f"{m.matched_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    Console().print(table)
    for change in changes:
        Console().print(
            f"moved {change.source}/{change.source_coin_id}: {change.from_canonical_id} -> "
            f"{change.to_canonical_id} ({change.reason}) at {change.changed_at:%Y-%m-%d %H:%M}"
        )


@coins_app.command("spread")
def spread_command(
    coin: Annotated[list[str] | None, typer.Option(help="Only these canonical ids (repeatable).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many coins to show.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")
    ] = False,
) -> None:
    """Compare each coin's latest price across sources observed close in time: spread (max-min)/median.

    Sources whose latest price is more than COINFLOW_SPREAD_WINDOW_MINUTES older than the coin's
    newest are shown as stale and left out of the spread.
    """
    from datetime import timedelta

    from models.columns import utcnow
    from models.settings import get_settings
    from models.spread import cross_source_spreads

    settings = get_settings()
    window = timedelta(minutes=settings.spread_window_minutes)
    engine = _engine()
    with engine.connect() as conn:
        spreads = cross_source_spreads(conn, utcnow(), settings.spread_alert_pct, window, coin)[:limit]
    if as_json:
        sys.stdout.write(json.dumps({"window_minutes": settings.spread_window_minutes, "coins": _json(spreads)}) + "\n")
        return
    title = (
        f"cross-source spread within {settings.spread_window_minutes:g} min (flag above {settings.spread_alert_pct}%)"
    )
    table = Table(title=title)
    for column in ("coin", "spread %", "flag", "source: price (age)"):
        table.add_column(column)
    for s in spreads:
        quotes = "; ".join(
            f"{q.source}: {q.price_usd:,.6g} ({q.age_seconds / 3600:,.1f} h{', stale' if q.stale else ''})"
            for q in s.quotes
        )
        spread = "-" if s.spread_pct is None else f"{s.spread_pct:.2f}"
        table.add_row(s.canonical_id, spread, "!" if s.flagged else "", quotes)
    Console().print(table)


def _json(spreads: "list[CoinSpread]") -> list[dict[str, Any]]:
    return [
        {
            "canonical_id": s.canonical_id,
            "spread_pct": s.spread_pct,
            "flagged": s.flagged,
            "quotes": [
                {
                    "source": q.source,
                    "price_usd": q.price_usd,
                    "observed_at": q.observed_at.isoformat(),
                    "age_seconds": q.age_seconds,
                    "stale": q.stale,
                }
                for q in s.quotes
            ],
        }
        for s in spreads
    ]
