"""A typed TypeScript client generated from /openapi.json works: the REST contract is usable, not just present.

openapi-typescript turns the app's own /openapi.json into types; ``tests/typescript/usage.ts`` calls
/coins/{canonical_id}, /data and /runs through openapi-fetch and reads typed fields, including the RFC
9457 problem document of an error; tsc (strict) must accept it, and the compiled file, run by node
against the served app, must read the stored values. A misuse (unknown route, wrong field type) must be
refused by tsc. Needs node and npm (``make test-tools`` installs them) and the npm registry for ``npm ci``.

SQLite only: the contract is the same on both databases (their storage is tested elsewhere), and one
npm install, one compile and one server keep this under a minute.
"""

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphql_api.app import create_app
from models.db import make_engine
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.api.market_fixture import load_market
from tests.api.test_served_over_http import serve

PROJECT = Path(__file__).resolve().parents[1] / "typescript"
NODE, NPM = shutil.which("node"), shutil.which("npm")
MISUSE = """
import createClient from "openapi-fetch";
import type { paths } from "./generated/api.js";
const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
const page = await api.GET("/data", { params: { query: { limit: 2 } } });
export const next = page.data?.next_page;
const missing = await api.GET("/coins/{canonical_id}", { params: { path: { canonical_id: "x" } } });
export const id: number | undefined = missing.error?.request_id;
await api.GET("/coin/{id}", {});
"""


CHECKED = {"extends": "./tsconfig.json", "files": ["usage.ts", "misuse.ts"]}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a node tool in ``cwd``; its output is kept for the assertion messages."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """tests/typescript installed (npm ci) in a tmp dir, its types generated from /openapi.json, then usage.ts and
    MISUSE compiled by one strict tsc run (tsc still emits with errors); returns the dir and tsc's report."""
    assert NODE and NPM, "node/npm are not installed: `make test-tools` installs them (Debian nodejs npm)"
    work = tmp_path_factory.mktemp("typescript")
    for name in ("package.json", "package-lock.json", "tsconfig.json", "usage.ts"):
        shutil.copy(PROJECT / name, work / name)
    installed = run([NPM, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], work)
    assert installed.returncode == 0, installed.stderr
    app = create_app(Settings(database_url=f"sqlite:///{work / 'unused.db'}"))  # /openapi.json reads no data
    try:
        (work / "openapi.json").write_text(ApiClient(app).get("/openapi.json").text)
    finally:
        app.state.engine.dispose()
    generated = run(
        [str(work / "node_modules/.bin/openapi-typescript"), "openapi.json", "-o", "generated/api.d.ts"], work
    )
    assert generated.returncode == 0, generated.stderr
    (work / "misuse.ts").write_text(MISUSE)
    (work / "tsconfig.checked.json").write_text(json.dumps(CHECKED))
    checked = run([str(work / "node_modules/.bin/tsc"), "-p", "tsconfig.checked.json"], work)
    assert checked.returncode != 0 and (work / "dist/usage.js").exists(), checked.stdout + checked.stderr
    return work, checked.stdout


@pytest.fixture
def served(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    database = tmp_path / "coinflow.db"
    shutil.copyfile(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}")
    load_market(engine)
    engine.dispose()
    with serve(f"sqlite:///{database}") as base:
        yield base


def test_generated_client_compiles_and_reads_the_served_api(compiled: tuple[Path, str], served: str) -> None:
    work, report = compiled
    assert NODE
    assert not [line for line in report.splitlines() if line.startswith("usage.ts")], report  # strict tsc accepts it
    result = run([NODE, "dist/usage.js", served], work)
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["coin"] == {"canonicalId": "bitcoin", "symbol": "BTC", "latest": {"coingecko": 119.0, "csv": 120.0}}
    assert read["ethPrices"] == [10.0, 9.0] and read["hasNextPage"] is True
    assert read["failed"] == [{"source": "coingecko", "error": "HTTP 429 after 5 attempts", "read": 3}]
    missing, too_many = read["missing"], read["tooMany"]
    assert (missing["status"], missing["title"], missing["parameter"]) == (404, "Not Found", "canonical_id")
    assert too_many["status"] in (400, 422) and too_many["parameter"] == "limit"
    assert missing["requestId"] and too_many["requestId"] and missing["requestId"] != too_many["requestId"]


def test_misuse_of_the_generated_types_does_not_compile(compiled: tuple[Path, str]) -> None:
    _, errors = compiled
    assert "Property 'next_page' does not exist" in errors  # envelopes are closed: a typo is an error
    assert "Type 'string | undefined' is not assignable to type 'number | undefined'" in errors  # request_id
    assert "'\"/coin/{id}\"' is not assignable" in errors  # no such route
