"""Source faults: every scenario of the replay server (``deployments/source_server/scenarios.py``)
under a real ``coinflow ingest --source all``: requests, retries and honoured ``Retry-After`` waits.

A retry is a request repeating an earlier one (same path and query). A ``Retry-After`` wait is
honoured when the repeat came at least that many seconds after the 429 that asked for it.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployments.source_server.runner import serve_in_thread
from deployments.source_server.scenarios import SCENARIOS
from reliability.stack import Database, env, run, statuses
from tests.csv_files import sample_rows, write_csv

# Fast retries and no request quota: the scenarios' own faults are what is measured.
SETTINGS = {
    "http_backoff_s": "0.2",
    "http_timeout_s": "5",
    "coingecko_requests_per_minute": "100000",
    "coinpaprika_requests_per_second": "1000",
    "coinpaprika_requests_per_minute": "100000",
}


@dataclass
class ScenarioFigures:
    """One scenario's run."""

    name: str
    requests: int = 0
    faulted: int = 0
    retries: int = 0
    waits_asked: int = 0
    waits_honoured: int = 0
    exit_code: int = 0
    runs: list[str] = field(default_factory=list)
    traceback: bool = False

    def phrase(self) -> str:
        """``rate-limited 14 req, 3 faulted, 3 retries, Retry-After 2/2, exit 0 [succeeded, succeeded, ...]``."""
        return (
            f"{self.name} {self.requests} req, {self.faulted} faulted, {self.retries} retries, "
            f"Retry-After {self.waits_honoured}/{self.waits_asked}, exit {self.exit_code} {self.runs}"
        )


def source_faults(db: Database, prefect_url: str, folder: Path) -> list[ScenarioFigures]:
    """Run every scenario once against a fresh database."""
    csv = write_csv(folder / "source-faults.csv", sample_rows(0, 10))
    found = []
    with serve_in_thread() as (url, book):
        environment = env(
            db, prefect_url, coingecko_base_url=f"{url}/api/v3", coinpaprika_base_url=f"{url}/v1", **SETTINGS
        )
        for name, faults in SCENARIOS.items():
            db.wipe()
            book.clear()
            for fault in faults:
                book.add(fault)
            code, _, err, _ = run(environment, "ingest", "--source", "all", "--file", str(csv))
            figures = _measure(name, list(book.requests), faults)
            figures.exit_code, figures.runs, figures.traceback = code, statuses(db), "Traceback" in err
            found.append(figures)
    return found


def _measure(name: str, log: list[dict[str, Any]], faults: list[Any]) -> ScenarioFigures:
    figures = ScenarioFigures(name, requests=len(log), faulted=sum(1 for e in log if e.get("fault")))
    seen: set[tuple[str, str]] = set()
    waits = {(f.path, f.kind): float(f.retry_after) for f in faults if getattr(f, "retry_after", None)}
    for index, entry in enumerate(log):
        key = (entry["path"], str(sorted(entry["query"].items())))
        figures.retries += key in seen
        seen.add(key)
        asked = waits.get((entry["path"], entry.get("fault") or ""))
        if asked is None:
            continue
        figures.waits_asked += 1
        repeat = next((e for e in log[index + 1 :] if (e["path"], str(sorted(e["query"].items()))) == key), None)
        figures.waits_honoured += repeat is not None and repeat["at"] - entry["at"] >= asked - 0.05
    return figures
