"""The GraphQL response cache: an LRU bounded by bytes (and entries), keyed by a digest of the request.

The key is a BLAKE2b digest of (query, variables, operation name) plus the data version, so a key
costs 32 bytes however large the request was; a value is the execution result, counted at the size
of its JSON ``data``. Least recently used entries are evicted until both bounds hold; a result larger
than the whole budget is not kept. ``bytes_used`` is the cache's own accounting (keys, values and a
fixed per-entry overhead), the figure the budget bounds.
"""

import hashlib
from collections import OrderedDict
from typing import Any

import orjson
from strawberry.types import ExecutionResult

# What an entry costs beyond its JSON: the dict slot, the key tuple and the ExecutionResult object.
ENTRY_OVERHEAD_BYTES = 256


def request_digest(query: str, variables: dict[str, Any] | None, operation_name: str | None) -> bytes:
    """32 bytes identifying a request: the same query, variables (in any key order) and operation."""
    digest = hashlib.blake2b(digest_size=32)
    for part in (
        query.encode(),
        orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS),
        (operation_name or "").encode(),
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


class ResponseCache:
    """Execution results by (request digest, data version), within ``max_bytes`` and ``max_entries``."""

    def __init__(self, max_bytes: int, max_entries: int) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes_used = 0
        self._entries: OrderedDict[tuple[bytes, int], tuple[ExecutionResult, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[bytes, int]) -> ExecutionResult | None:
        """The cached result for ``key``, marked most recently used; None on a miss."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: tuple[bytes, int], result: ExecutionResult) -> bool:
        """Keep ``result`` under ``key``, evicting the least recently used; False if it is too large to keep."""
        size = len(orjson.dumps(result.data, default=str)) + len(key[0]) + ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes_used -= old[1]
        self._entries[key] = (result, size)
        self.bytes_used += size
        while self.bytes_used > self.max_bytes or len(self._entries) > self.max_entries:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes_used -= evicted
        return True
