"""A source's request quota: how many calls per second/minute every fetch of that source shares.

Two scopes, chosen by ``COINFLOW_REQUEST_QUOTA_SCOPE``:

- ``process`` (default; the embedded run, tests): a pyrate-limiter bucket per source in this process.
- ``prefect``: Prefect global concurrency limits used as rate limits (``prefect.concurrency.sync.rate_limit``),
  held by the Prefect server, so every worker process on every machine draws from the same quota.
  The limits (``coinflow-<source>-per-second`` / ``-per-minute``) are created, or corrected to the
  settings, when a client is made: the settings are the source of truth, and the Prefect UI shows the
  limits and their use under Concurrency.

A wait for a slot is logged on the task run (the fetch task), so it shows in the Prefect UI.

A rate of N requests per interval becomes a limit of N slots decaying at N/interval slots per second:
a burst of N, then one request every interval/N.
"""

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import rate_limit
from prefect.exceptions import MissingContextError
from pyrate_limiter import Duration, Limiter, Rate

log = logging.getLogger(__name__)
_WAIT_WORTH_LOGGING_S = 0.5


@dataclass(frozen=True)
class QuotaRate:
    """At most ``limit`` requests per ``seconds``."""

    limit: int
    seconds: int

    @property
    def label(self) -> str:
        """``per-second``, ``per-minute`` or ``per-<n>s`` (part of a Prefect limit name)."""
        return {1: "per-second", 60: "per-minute"}.get(self.seconds, f"per-{self.seconds}s")


class RequestQuota(Protocol):
    """Blocks until the next request of a source may go out."""

    def acquire(self, what: str) -> None:
        """Wait for a slot before requesting ``what`` (a path, for the log)."""


def nested_rates(per_second: int, per_minute: int) -> list[QuotaRate]:
    """Per-second and per-minute caps, keeping only those that bind (and nested, as pyrate wants)."""
    if per_minute <= per_second:
        return [QuotaRate(per_minute, 60)]
    if per_minute >= per_second * 60:
        return [QuotaRate(per_second, 1)]
    return [QuotaRate(per_second, 1), QuotaRate(per_minute, 60)]


def make_quota(source: str, rates: list[QuotaRate], scope: str) -> RequestQuota:
    """The quota of ``source`` in ``scope`` (``process`` or ``prefect``)."""
    if scope == "prefect":
        return PrefectQuota.ensure(source, tuple(rates))
    return ProcessQuota(source, _process_limiter(source, tuple(rates)))


@dataclass(frozen=True)
class ProcessQuota:
    """pyrate-limiter: one in-memory bucket per source and quota, shared by the tasks of this process."""

    source: str
    limiter: Limiter

    def acquire(self, what: str) -> None:
        """Take a slot, waiting (and saying so in the task log) when the quota is used up."""
        if not self.limiter.try_acquire(self.source, blocking=False):
            _logger().info("%s: request quota reached, waiting for a slot before %s", self.source, what)
            self.limiter.try_acquire(self.source, blocking=True)


@lru_cache
def _process_limiter(source: str, rates: tuple[QuotaRate, ...]) -> Limiter:
    return Limiter([Rate(rate.limit, rate.seconds * Duration.SECOND) for rate in rates])


@dataclass(frozen=True)
class PrefectQuota:
    """Prefect global concurrency limits as rate limits: one quota for every worker of a deployment."""

    source: str
    names: tuple[str, ...]

    @classmethod
    def ensure(cls, source: str, rates: tuple[QuotaRate, ...]) -> "PrefectQuota":
        """Create the source's limits on the Prefect server, or correct them to ``rates``."""
        names = []
        with get_client(sync_client=True) as client:
            for rate in rates:
                name = f"coinflow-{source}-{rate.label}"
                client.upsert_global_concurrency_limit_by_name(
                    name, limit=rate.limit, slot_decay_per_second=rate.limit / rate.seconds
                )
                names.append(name)
        return cls(source, tuple(names))

    def acquire(self, what: str) -> None:
        """Take a slot of each limit; the Prefect client waits as the server tells it to."""
        started = time.monotonic()
        rate_limit(list(self.names), occupy=1, strict=True)
        waited = time.monotonic() - started
        if waited > _WAIT_WORTH_LOGGING_S:
            _logger().info("%s: waited %.1f s for the shared request quota before %s", self.source, waited, what)


def _logger() -> Any:
    """The task run's logger inside a Prefect run (the wait shows in the UI), else this module's."""
    try:
        return get_run_logger()
    except MissingContextError:
        return log
