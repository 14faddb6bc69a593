"""The dashboard at / in headless Chromium, on the fixture market served by ``coinflow api`` over HTTP.

It is the reference client of the public GraphQL API: the test reads what a user sees (prices per
source, 24 h change, spread badge, sparkline shape, charts, runs with their status colour and Prefect
link) and checks through /metrics that each view cost one GraphQL request. Screenshots land in tmp_path.
"""

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert

from models.columns import utcnow
from models.market import CoinSource
from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market, add_prices
from tests.api.png_pixels import rgb_pixels
from tests.api.test_browser_pages import browse
from tests.api.test_served_over_http import serve

PREFECT_UI = "http://prefect.local:4200"
FAILED_RED = (0xD3, 0x2F, 0x2F)  # --failed in dashboard.css: the background of a failed run's status badge
# Noon of the last three days, as later ingests of both sources would load them (the fixture's own are of 2024).
RECENT_CSV = [130.0, 125.0, 140.0]
RECENT_GECKO = [131.0, 126.0, 143.5]


@pytest.fixture
def served(database_url: str, market: Market, engine: Engine) -> Iterator[str]:
    today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    hours = [today - timedelta(days=d) for d in (3, 2, 1)]
    add_prices(engine, market.btc, "csv", hours, RECENT_CSV)
    add_prices(engine, market.btc, "coingecko", hours, RECENT_GECKO)
    with serve(database_url, COINFLOW_PREFECT_UI_URL=PREFECT_UI) as base:
        yield base


def rows(dom: str, css_class: str) -> list[str]:
    """The inner HTML of every <tr> of ``css_class`` (``class="coin"``, ``class="run run-failed"``...)."""
    return re.findall(rf'<tr class="{css_class}"[^>]*>(.*?)</tr>', dom, flags=re.S)


def cells(row: str) -> list[str]:
    """The text of each <td> of a row, tags stripped."""
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def graphql_requests(base: str) -> dict[str, float]:
    """GraphQL operations counted by the server's /metrics, by operation name."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {
        m[0]: float(m[1]) for m in re.findall(r'coinflow_graphql_operations_total\{operation="([^"]*)"\} (\S+)', text)
    }


def test_home_and_coin_pages_show_the_stored_market(served: str, tmp_path: Path) -> None:
    home_shot = tmp_path / "dashboard.png"
    dom = browse(f"{served}/", tmp_path, "--dump-dom", f"--screenshot={home_shot}")
    assert 'data-view="home"' in dom, dom[-2000:]
    coins = {cells(row)[0]: cells(row) for row in rows(dom, "coin")}
    # symbol, name, CoinGecko, CoinPaprika, CSV, 24 h, spread, sparkline; ordered by rank, DOGE (no prices) last
    assert list(coins) == ["BTC", "ETH", "DOGE"]
    assert coins["BTC"][:7] == ["BTC", "Bitcoin", "$143.50", "—", "$140.00", "+0.50%", "2.47%"]
    assert coins["ETH"][:7] == ["ETH", "Ethereum", "—", "—", "$8.00", "-3.00%", "—"]
    assert coins["DOGE"][:7] == ["DOGE", "Dogecoin", "—", "—", "—", "—", "—"]
    btc = rows(dom, "coin")[0]
    assert 'class="badge badge-alert"' in btc  # 3.5 / 141.75 = 2.47 % > COINFLOW_SPREAD_ALERT_PCT (2 %)
    # The sparkline: CoinGecko's last three days (131, 126, 143.5): the dip is the lowest point (largest y).
    points = re.search(r'<polyline points="([^"]+)"', btc)
    assert points, btc
    ys = [float(p.split(",")[1]) for p in points.group(1).split()]
    assert len(ys) == 3 and ys[1] > ys[0] > ys[2]
    assert "<polyline" not in rows(dom, "coin")[1]  # ETH: one day of prices, one daily point: no line

    failed = rows(dom, "run run-failed")
    assert len(failed) == 1 and 'class="status status-failed"' in failed[0]
    assert cells(failed[0])[:3] == ["CoinGecko", "markets", "failedHTTP 429 after 5 attempts"]
    assert len(rows(dom, "run run-succeeded")) == 3
    links = re.findall(r'href="(http://prefect[^"]+)"', dom)
    assert links == [f"{PREFECT_UI}/runs/flow-run/11111111-2222-3333-4444-555555555555"]  # the one Prefect run
    red = sum(1 for px in rgb_pixels(home_shot) if max(abs(a - b) for a, b in zip(px, FAILED_RED, strict=True)) <= 4)
    assert red > 300, f"{red} pixels of the failed badge's red"
    assert graphql_requests(served) == {"Dashboard": 1.0}  # the whole view is one request

    coin_shot = tmp_path / "coin.png"
    dom = browse(f"{served}/#/coin/bitcoin", tmp_path, "--dump-dom", f"--screenshot={coin_shot}")
    assert 'data-view="coin"' in dom, dom[-2000:]
    charts = re.findall(
        r'<figure class="chart" data-source="(\w+)" data-points="(\d+)"[^>]*data-drawn="(\d+)"[^>]*>(.*?)</figure>',
        dom,
        re.S,
    )
    # Per source: the fixture's three 2024 hours and the three recent days, hourly buckets of one price each.
    assert [(source, points, drawn) for source, points, drawn, _ in charts] == [
        ("coingecko", "6", "6"),
        ("csv", "6", "6"),
    ]
    assert all("<canvas" in body for *_, body in charts)  # uPlot drew them
    latest = {cells(row)[0]: cells(row) for row in re.findall(r'<tr data-source="\w+">(.*?)</tr>', dom, re.S)}
    assert latest["CoinGecko"][1:4] == ["bitcoin", "override", "$143.50"]
    assert latest["CSV"][3] == "$140.00"
    assert graphql_requests(served) == {"Dashboard": 1.0, "CoinPage": 1.0}
    assert home_shot.stat().st_size > 10_000 and coin_shot.stat().st_size > 10_000

    missing = browse(f"{served}/#/coin/no-such-coin", tmp_path, "--dump-dom")
    assert 'No coin "no-such-coin".' in missing


def test_dashboard_assets_are_served_by_the_app(client: ApiClient) -> None:
    html = client.get("/").text
    assets = re.findall(r'(?:src|href)="([^"#]+\.(?:js|css))"', html)
    assert {"dashboard/app.js", "static/uplot/dist/uPlot.iife.min.js"} <= set(assets)
    for asset in assets:
        response = client.get(f"/{asset}")
        assert response.status_code == 200 and response.content, asset
    modules = re.findall(r'from "\./([\w.]+)"', client.get("/dashboard/app.js").text)
    for module in modules:
        assert "javascript" in client.get(f"/dashboard/{module}").headers["content-type"], module


def test_a_refused_query_shows_one_line_with_the_request_id(sqlite_template: Path, tmp_path: Path) -> None:
    # Refused before any data is read, so an empty database will do (SQLite only: nothing stored is involved).
    database = tmp_path / "coinflow.db"
    shutil.copyfile(sqlite_template, database)
    # An operator's tighter bound than the page needs.
    with serve(f"sqlite:///{database}", COINFLOW_API_MAX_COST="100") as base:
        dom = browse(f"{base}/", tmp_path, "--dump-dom")
    assert 'data-view="error"' in dom
    line = re.search(r'<p class="error" role="alert">(.*?)</p>', dom, re.S)
    assert line, dom[-2000:]
    message = r"Could not load: query cost \d+ exceeds the limit of 100 .*\(request id [0-9a-f]{32}\)"
    assert re.fullmatch(message, line.group(1))
    assert "Traceback" not in dom and '<tr class="coin"' not in dom


def test_a_stale_source_is_named_beside_the_spread(served: str, market: Market, engine: Engine, tmp_path: Path) -> None:
    # CoinPaprika's only BTC price is five days old: outside the spread window, left out of the 2.47 %.
    with engine.begin() as conn:
        conn.execute(
            insert(CoinSource).values(
                source="coinpaprika",
                source_coin_id="btc-bitcoin",
                coin_id=market.btc,
                symbol="BTC",
                name="Bitcoin",
                match_method="override",
            )
        )
    add_prices(engine, market.btc, "coinpaprika", [utcnow() - timedelta(days=5)], [90.0])
    dom = browse(f"{served}/", tmp_path, "--dump-dom")
    btc = {cells(row)[0]: cells(row) for row in rows(dom, "coin")}["BTC"]
    assert btc[:7] == ["BTC", "Bitcoin", "$143.50", "$90.00", "$140.00", "+0.50%", "2.47% CoinPaprika stale"]


def test_an_empty_database_says_how_to_fill_it(sqlite_template: Path, tmp_path: Path) -> None:
    # Nothing stored: the page must say so, not show an empty table (SQLite only: nothing stored is involved).
    database = tmp_path / "coinflow.db"
    shutil.copyfile(sqlite_template, database)
    with serve(f"sqlite:///{database}") as base:
        dom = browse(f"{base}/", tmp_path, "--dump-dom")
    assert 'data-view="home"' in dom and '<tr class="coin"' not in dom
    notice = re.search(r'<p class="empty" role="status">(.*?)</p>', dom, re.S)
    assert notice, dom[-2000:]
    text = re.sub(r"<[^>]+>", "", notice.group(1))
    assert (
        text.startswith("No coins yet") and "coinflow up --offline" in text and "coinflow ingest --source all" in text
    )
