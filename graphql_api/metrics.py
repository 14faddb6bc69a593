"""Prometheus metrics of one app: HTTP traffic, GraphQL operations, the response cache and ETL gauges."""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from threading import Lock

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from graphql_api.queries.etl_status import SourceStatus, source_statuses


class EtlCollector(Collector):
    """Per-source ETL gauges read from the database, cached for ``ttl_s`` so scrapes stay cheap."""

    def __init__(self, engine: Engine, ttl_s: float) -> None:
        self._engine = engine
        self._ttl_s = ttl_s
        self._lock = Lock()
        self._cached: tuple[float, list[SourceStatus]] | None = None

    def _statuses(self) -> list[SourceStatus]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self._ttl_s:
                with self._engine.connect() as conn:
                    self._cached = (now, source_statuses(conn))
            return self._cached[1]

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges (called on each scrape)."""
        last_success = GaugeMetricFamily(
            "coinflow_etl_last_success_timestamp_seconds", "End of the last succeeded run", labels=["source"]
        )
        rows = GaugeMetricFamily("coinflow_etl_price_rows", "Price rows stored", labels=["source"])
        rejected = GaugeMetricFamily("coinflow_etl_rejected_records", "Quarantined records", labels=["source"])
        for status in self._statuses():
            if status.last_success_at is not None:
                last_success.add_metric([status.source], status.last_success_at.timestamp())
            rows.add_metric([status.source], status.price_rows)
            rejected.add_metric([status.source], status.rejected)
        yield from (last_success, rows, rejected)


_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_LABELS = 100


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


@dataclass
class ApiMetrics:
    """The metrics of one app instance, on their own registry (several apps can live in one process)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    operation_label: OperationLabels = field(default_factory=OperationLabels)

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
        self.cache = Counter(
            "coinflow_graphql_response_cache", "GraphQL response cache lookups", ["result"], registry=self.registry
        )

    def watch_etl(self, engine: Engine, ttl_s: float) -> None:
        """Add the ETL gauges read from ``engine``."""
        self.registry.register(EtlCollector(engine, ttl_s))
