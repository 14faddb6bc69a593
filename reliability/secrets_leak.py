"""Secrets: with both API keys set, an upstream that redirects to another origin and echoes the key
in a 401 body; then every place a key could end up is searched for it.

Searched: the CLI's output (stdout and stderr, Prefect's log lines included), every table of the
coinflow database, every table of Prefect's database, the query API's ``/runs``, ``/runs/{id}`` and
GraphQL ``runs { error }`` answers, and the requests the other origin received.
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

from reliability.stack import Database, env, run
from tests.csv_files import sample_rows, write_csv
from tests.http_stub import StubHandler, serving

KEYS = {"coingecko": "CG-rel1ab1l1ty-KEY-0x5ecret", "coinpaprika": "cp-rel1ab1l1ty-KEY-0x5ecret"}


@dataclass
class SecretFigures:
    """Where the keys were looked for and how often they were found."""

    places: dict[str, int] = field(default_factory=dict)  # place -> texts searched
    hits: list[str] = field(default_factory=list)  # place of each hit
    leaked_to_other_origin: int = 0
    upstream_requests: int = 0
    keyed_upstream_requests: int = 0  # the keys were really set and sent to their own origin

    def line(self) -> str:
        """``secrets: 0 hits in ...``."""
        searched = ", ".join(f"{place} {n}" for place, n in self.places.items())
        verdict = f"{len(self.hits)} hits" + (f" ({', '.join(sorted(set(self.hits)))})" if self.hits else "")
        return (
            f"{verdict} in {searched}; key sent to another origin {self.leaked_to_other_origin} times; "
            f"{self.keyed_upstream_requests}/{self.upstream_requests} upstream requests carried a key"
        )


class _Upstream(StubHandler):
    """Per source, by ``mode``: a 302 to the other origin, or a 401 whose body echoes the key it got."""

    mode: dict[str, str] = {}  # noqa: RUF012 - source -> "redirect" | "echo", set per scenario
    elsewhere = ""
    seen: list[str] = []  # noqa: RUF012 - every request's headers, as text

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches GET to
        type(self).seen.append(f"{self.path} {dict(self.headers)}")
        source = "coinpaprika" if self.path.startswith("/paprika") else "coingecko"
        if self.mode.get(source) == "redirect":
            self.answer(302, b"", {"Location": f"{self.elsewhere}/steal{self.path}"})
            return
        key = self.headers.get("x-cg-demo-api-key") or self.headers.get("authorization") or ""
        body = json.dumps({"error": f"invalid api key {key}", "status": {"error_message": key}}).encode()
        self.answer(401, body, {"Content-Type": "application/json", "X-Echo": key})


@contextmanager
def _servers() -> Iterator[tuple[str, type[_Upstream], type[_Upstream]]]:
    class Other(_Upstream):
        seen: list[str] = []  # noqa: RUF012
        mode = {"coingecko": "echo", "coinpaprika": "echo"}  # noqa: RUF012

    class Upstream(_Upstream):
        seen: list[str] = []  # noqa: RUF012
        mode: dict[str, str] = {}  # noqa: RUF012

    with serving(Other) as other_url:
        Upstream.elsewhere = other_url
        with serving(Upstream) as upstream_url:
            yield upstream_url, Upstream, Other


def secrets_part(db: Database, prefect_url: str, prefect_db: Path | None, folder: Path) -> SecretFigures:
    """Two ingests of every source (each API source redirected once and echoed once), then the search."""
    figures = SecretFigures()
    csv = write_csv(folder / "secrets.csv", sample_rows(0, 20))
    outputs: list[str] = []
    db.wipe()
    with _servers() as (base, upstream, other):
        environment = env(
            db,
            prefect_url,
            coingecko_api_key=KEYS["coingecko"],
            coingecko_key_plan="demo",
            coinpaprika_api_key=KEYS["coinpaprika"],
            coingecko_base_url=f"{base}/api/v3",
            coinpaprika_base_url=f"{base}/paprika/v1",
            http_retries="0",
        )
        for modes in (
            {"coingecko": "redirect", "coinpaprika": "echo"},
            {"coingecko": "echo", "coinpaprika": "redirect"},
        ):
            upstream.mode = modes
            _, out, err, _ = run(environment, "ingest", "--source", "all", "--file", str(csv), "--json")
            outputs += [out, err]
        figures.upstream_requests = len(upstream.seen)
        figures.keyed_upstream_requests = sum(any(k in r for k in KEYS.values()) for r in upstream.seen)
        figures.leaked_to_other_origin = sum(any(k in r for k in KEYS.values()) for r in other.seen)
    _search(figures, "cli output", outputs)
    _search(figures, "coinflow tables", _table_texts(db))
    if prefect_db is not None:
        _search(figures, "prefect tables", _sqlite_texts(prefect_db))
    _search(figures, "api responses", _api_texts(db))
    return figures


def _search(figures: SecretFigures, place: str, texts: list[str]) -> None:
    figures.places[place] = len(texts)
    figures.hits += [place for t in texts for key in KEYS.values() if key in t or key.lower() in t.lower()]


def _table_texts(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [str(tuple(row)) for table in SQLModel.metadata.sorted_tables for row in conn.execute(table.select())]


def _sqlite_texts(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def _api_texts(db: Database) -> list[str]:
    from graphql_api.app import create_app
    from models.settings import Settings
    from tests.api.conftest import ApiClient

    with db.engine.connect() as conn:
        run_ids = list(conn.execute(text("SELECT id FROM etl_runs")).scalars())
    app = create_app(Settings(database_url=db.url))
    client = ApiClient(app)
    answers = [client.get("/runs?limit=500").text]
    answers += [client.get(f"/runs/{run_id}").text for run_id in run_ids]
    query = "{ runs(first: 500) { nodes { id status error stream } } }"
    answers.append(client.post("/graphql", json={"query": query}).text)
    app.state.engine.dispose()
    return answers
