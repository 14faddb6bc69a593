"""The retried fetch task every API page goes through.

Prefect retries it with exponential backoff and jitter, but only when the failure can succeed later
(429, 5xx, timeouts, connection errors: ``flows.http_client.is_retryable``); a 4xx or a payload that
is not JSON fails at once. A ``Retry-After`` from the server is honoured: the retry never starts
before it, whatever the backoff says (the wait is logged on the task run).
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from prefect import Task, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.tasks import exponential_backoff

from flows.http_client import SourceError, is_retryable
from models.settings import Settings

T = TypeVar("T")


def retry_when_retryable(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry only retryable source errors, after any Retry-After wait."""
    error = state.data if isinstance(state.data, BaseException) else None
    logger = get_run_logger()
    if error is None or not is_retryable(error):
        logger.warning("not retrying: %s", error if error is not None else state.message)
        return False
    retry_after = error.retry_after if isinstance(error, SourceError) else None
    limit = getattr(task, "retry_after_max_s", None)
    if retry_after is not None:
        if limit is not None and retry_after > limit:
            logger.error("not retrying: Retry-After %.0f s is longer than the %.0f s allowed", retry_after, limit)
            return False
        logger.info("server sent Retry-After %.2f s: waiting before the retry (backoff follows)", retry_after)
        time.sleep(retry_after)
    return True


@task(name="fetch", task_run_name="fetch {label}", cache_policy=NO_CACHE)
def _fetch(call: Callable[[], Any], label: str) -> Any:
    """Fetch one page or one coin's window from a source API."""
    return call()


def fetch_task(settings: Settings) -> Any:
    """The fetch task with the retry policy of ``settings`` (retries, backoff, jitter, Retry-After cap)."""
    configured = _fetch.with_options(
        retries=settings.http_retries,
        retry_delay_seconds=exponential_backoff(backoff_factor=settings.http_backoff_s),
        retry_jitter_factor=settings.http_retry_jitter,
        retry_condition_fn=retry_when_retryable,
    )
    configured.retry_after_max_s = settings.http_retry_after_max_s  # type: ignore[attr-defined]
    return configured


def fetch(settings: Settings, call: Callable[[], T], label: str) -> T:
    """Run ``call`` as a retried Prefect task run named ``fetch <label>``."""
    return fetch_task(settings)(call, label)
