"""Garbage-collector settings for a serving process.

A GraphQL response of a few thousand fields allocates tens of thousands of short-lived objects; with
Python's default gen-0 threshold (700) that triggers collections that walk the whole long-lived
heap (FastAPI, Strawberry, SQLAlchemy) many times per request. Measured in process on the bench
data: the coins x prices query 84 -> 55 ms, the series query 36 -> 22 ms.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


def tune_gc(gen0_threshold: int) -> None:
    """Move everything alive at start-up out of the collector's sight and collect less often."""
    gc.collect()
    gc.freeze()
    if gen0_threshold:
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(gen0_threshold, gen1, gen2)


def gc_lifespan(gen0_threshold: int) -> Any:
    """A FastAPI lifespan applying ``tune_gc`` when a server starts the app (not in in-process tests)."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        tune_gc(gen0_threshold)
        yield

    return lifespan
