"""GraphiQL (GET /graphql) and Swagger UI (/docs) render in headless Chromium with no internet access.

The real app over real HTTP (``coinflow api`` on a loopback port); Chromium runs with networking
features off, so a script the pages still fetched from a CDN would leave them blank ("Loading...").
Screenshots land in the test's tmp dir.
"""

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market
from tests.api.test_served_over_http import serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1280,900",
    # Lets the scripts run (GraphiQL fetches the schema, Swagger UI the OpenAPI document) before the capture.
    "--virtual-time-budget=15000",
)


def browse(url: str, tmp_path: Path, *action: str) -> str:
    """Open ``url`` in a fresh headless Chromium profile and run ``action`` (--dump-dom, --screenshot=...)."""
    assert CHROMIUM, "chromium is not installed: `make test-tools` installs it"
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    result = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *action, url],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return result.stdout


@pytest.fixture
def served(database_url: str, market: Market, engine: Engine) -> Iterator[str]:
    with serve(database_url) as base:
        yield base


def test_graphiql_and_docs_render_offline(served: str, tmp_path: Path) -> None:
    graphiql = browse(f"{served}/graphql", tmp_path, "--dump-dom")
    assert 'class="graphiql-container' in graphiql and "Loading..." not in graphiql
    assert "graphiql-query-editor" in graphiql and "CodeMirror-code" in graphiql
    assert re.search(r"cm-property[^>]*>canonicalId<", graphiql)  # the example query, highlighted as a field
    browse(f"{served}/graphql", tmp_path, f"--screenshot={tmp_path / 'graphiql.png'}")

    docs = browse(f"{served}/docs", tmp_path, "--dump-dom")
    paths = set(re.findall(r'data-path="([^"]+)"', docs))
    assert {"/data", "/coins/{canonical_id}", "/runs/{run_id}", "/graphql", "/health"} <= paths
    browse(f"{served}/docs", tmp_path, f"--screenshot={tmp_path / 'docs.png'}")
    assert (tmp_path / "graphiql.png").stat().st_size > 10_000 and (tmp_path / "docs.png").stat().st_size > 10_000


def test_pages_load_every_asset_from_the_app(client: ApiClient) -> None:
    for page in ("/graphql", "/docs"):
        html = client.get(page, headers={"accept": "text/html"}).text
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
        assert len(assets) >= 2, page
        for asset in assets:
            assert "://" not in asset, asset
            response = client.get(asset if asset.startswith("/") else f"/{asset}")
            assert response.status_code == 200 and response.content, asset
            kind = {"js": "javascript", "css": "text/css", "png": "image/png"}[asset.rsplit(".", 1)[1]]
            assert kind in response.headers["content-type"], asset
    assert client.get("/redoc").status_code == 404  # ReDoc needs a CDN: not served
