"""Prometheus metrics of one app: HTTP traffic, GraphQL operations, the response cache and ETL gauges."""

import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from graphql_api.queries.etl_outcomes import RunOutcomes, run_outcomes
from graphql_api.queries.etl_status import SourceStatus, source_statuses


class EtlCollector(Collector):
    """Per-source ETL metrics read from the database, cached for ``ttl_s`` so scrapes stay cheap.

    The alert rules of deployments/prometheus/alerts.yml and the Grafana dashboard read these.
    """

    def __init__(self, engine: Engine, ttl_s: float) -> None:
        self._engine = engine
        self._ttl_s = ttl_s
        self._lock = Lock()
        self._cached: tuple[float, list[SourceStatus], RunOutcomes] | None = None

    def _read(self) -> tuple[list[SourceStatus], RunOutcomes]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self._ttl_s:
                with self._engine.connect() as conn:
                    self._cached = (now, source_statuses(conn), run_outcomes(conn))
            return self._cached[1], self._cached[2]

    def collect(self) -> Iterator[Metric]:
        """Yield the metrics (called on each scrape)."""
        statuses, outcomes = self._read()
        yield from _stored_data_metrics(statuses)
        yield from _run_outcome_metrics(outcomes)


def _stored_data_metrics(statuses: list[SourceStatus]) -> Iterator[Metric]:
    last_success = GaugeMetricFamily(
        "coinflow_etl_last_success_timestamp_seconds", "End of the last succeeded run", labels=["source"]
    )
    rows = GaugeMetricFamily("coinflow_etl_price_rows", "Price rows stored", labels=["source"])
    rejected = GaugeMetricFamily("coinflow_etl_rejected_records", "Quarantined records", labels=["source"])
    for status in statuses:
        if status.last_success_at is not None:
            last_success.add_metric([status.source], status.last_success_at.timestamp())
        rows.add_metric([status.source], status.price_rows)
        rejected.add_metric([status.source], status.rejected)
    yield from (last_success, rows, rejected)


def _run_outcome_metrics(outcomes: RunOutcomes) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "coinflow_etl_runs",
        "Runs by outcome (running, succeeded, failed, crashed, skipped)",
        labels=["source", "status"],
    )
    for (source, status), count in sorted(outcomes.runs_by_status.items()):
        runs.add_metric([source, status], count)
    failures = GaugeMetricFamily(
        "coinflow_etl_consecutive_failures", "Failed runs since the last succeeded one", labels=["source"]
    )
    for source in sorted({source for source, _ in outcomes.runs_by_status}):
        failures.add_metric([source], outcomes.consecutive_failures.get(source, 0))
    last = {
        "success": GaugeMetricFamily(
            "coinflow_etl_last_run_success",
            "1 when the last finished run succeeded, 0 when it failed",
            labels=["source"],
        ),
        "finished": GaugeMetricFamily(
            "coinflow_etl_last_run_finished_timestamp_seconds", "End of the last finished run", labels=["source"]
        ),
        "duration": GaugeMetricFamily(
            "coinflow_etl_last_run_duration_seconds", "Wall-clock length of the last finished run", labels=["source"]
        ),
        "read": GaugeMetricFamily(
            "coinflow_etl_last_run_read_records", "Records read by the last finished run", labels=["source"]
        ),
        "rejected": GaugeMetricFamily(
            "coinflow_etl_last_run_rejected_records", "Records quarantined by the last finished run", labels=["source"]
        ),
    }
    for source, run in sorted(outcomes.last_finished.items()):
        last["success"].add_metric([source], 1.0 if run.status == "succeeded" else 0.0)
        last["finished"].add_metric([source], run.finished_at.timestamp())
        last["duration"].add_metric([source], run.duration_s)
        last["read"].add_metric([source], run.read)
        last["rejected"].add_metric([source], run.rejected)
    yield runs
    yield failures
    yield from last.values()


_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_LABELS = 100
MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
_MULTIPROC_FILE_KINDS = ("counter", "gauge", "histogram", "summary")


class OperationLabels:
    """Bounded label values for client-chosen operation names (each label value is a time series).

    The first ``limit`` distinct well-formed names are kept; later new names count as ``other`` and
    unnamed or malformed ones as ``anonymous``, so a client inventing names cannot grow /metrics.
    """

    def __init__(self, limit: int = MAX_OPERATION_LABELS) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = Lock()

    def __call__(self, name: str | None) -> str:
        """The label value for operation ``name``."""
        if not name or not _OPERATION_NAME.match(name):
            return "anonymous"
        if name in self._seen:
            return name
        with self._lock:
            if len(self._seen) < self._limit:
                self._seen.add(name)
                return name
        return "other"


def prepare_multiprocess_metrics(workers: int) -> Path | None:
    """Give the server processes an empty ``PROMETHEUS_MULTIPROC_DIR`` before they start (None: not needed).

    Needed with several workers, or when an operator set the variable (prometheus-client then runs
    in multiprocess mode anyway). The directory belongs to prometheus-client (its scrape reads every
    ``*.db`` there): an operator's one is emptied of a previous run's metric files; without one, a
    temporary directory is made.
    """
    configured = os.environ.get(MULTIPROC_DIR_ENV)  # noqa: TID251 - prometheus-client's variable, not ours
    if workers == 1 and not configured:
        return None
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="coinflow-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for kind in _MULTIPROC_FILE_KINDS:  # only prometheus-client's own files: <kind>_<pid>.db
        for stale in folder.glob(f"{kind}_*.db"):
            stale.unlink()
    os.environ[MULTIPROC_DIR_ENV] = str(folder)  # noqa: TID251 - inherited by the workers, read by the library
    return folder


@dataclass
class ApiMetrics:
    """The metrics of one app instance, on their own registry (several apps can live in one process)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    operation_label: OperationLabels = field(default_factory=OperationLabels)
    _etl: EtlCollector | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "coinflow_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "coinflow_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.graphql_operations = Counter(
            "coinflow_graphql_operations", "GraphQL operations", ["operation"], registry=self.registry
        )
        self.graphql_errors = Counter(
            "coinflow_graphql_errors", "GraphQL operations answered with errors", ["operation"], registry=self.registry
        )
        self.graphql_execution = Counter(
            "coinflow_graphql_execution",
            "GraphQL operations by the path that answered (compiled, resolvers, cache)",
            ["path"],
            registry=self.registry,
        )
        self.cache = Counter(
            "coinflow_graphql_response_cache", "GraphQL response cache lookups", ["result"], registry=self.registry
        )

    def watch_etl(self, engine: Engine, ttl_s: float) -> None:
        """Add the ETL gauges read from ``engine``."""
        self._etl = EtlCollector(engine, ttl_s)
        self.registry.register(self._etl)

    def exposition(self) -> bytes:
        """The Prometheus text of this app, summed over every worker process when there are several.

        With ``PROMETHEUS_MULTIPROC_DIR`` set (``coinflow api --workers N`` sets it), each worker
        writes its counters and histograms there and any worker's scrape reads them all; the ETL
        gauges come from the database, the same in every process.
        """
        if not os.environ.get(MULTIPROC_DIR_ENV):  # noqa: TID251 - prometheus-client's variable
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        if self._etl is not None:
            registry.register(self._etl)
        return generate_latest(registry)
