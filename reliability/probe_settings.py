"""Hypothesis settings for the harness's probes: fresh draws only, as many as asked, never a deadline."""

from typing import Any

from hypothesis import HealthCheck, Phase, settings


def probe_settings(examples: int, **extra: Any) -> settings:
    """``examples`` generated cases: no shrinking or replay (a probe counts, it does not minimise), no
    deadline (a busy machine is not a failure), no example database, no health check; ``extra`` on top."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        **extra,
    )
