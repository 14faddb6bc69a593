"""Automatic persisted queries (Apollo's APQ protocol): a client may send a query's SHA-256 instead of its text.

A request carries ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<64 hex>"}`` (in the JSON body,
or as the ``extensions`` GET parameter). With the query text too, the hash must be the text's SHA-256 (hex of
its UTF-8 bytes) and the pair is remembered; with the hash alone, the remembered text is run, or the answer
is the error ``PersistedQueryNotFound`` (``extensions.code`` ``PERSISTED_QUERY_NOT_FOUND``), on which the
client sends the text once. A GET with the hash alone is a short, stable URL: HTTP caches can keep its answer.

Texts are kept per process in a bounded LRU (a restarted or other worker answers "not found" once).
"""

import hashlib
import re
from dataclasses import replace

from cachetools import LRUCache
from strawberry.http import GraphQLRequestData

from graphql_api.errors import ErrorCode

# Texts remembered per process; queries are bounded by the token limit, so this bounds the memory.
MAX_PERSISTED_QUERIES = 1_000
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    """The request's persisted query cannot be used; ``code`` and the message go to the client."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class PersistedQueries:
    """Hash → query text, for the requests that use APQ."""

    def __init__(self, size: int = MAX_PERSISTED_QUERIES) -> None:
        self.texts: LRUCache[str, str] = LRUCache(size)

    def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """``request`` with its query text filled in from the hash (unchanged without APQ).

        Raises:
            PersistedQueryError: ``PERSISTED_QUERY_NOT_FOUND`` for an unknown hash without text;
                ``BAD_USER_INPUT`` for a malformed extension or a hash that is not the text's.
        """
        persisted = (request.extensions or {}).get("persistedQuery")
        if persisted is None:
            return request
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryError(ErrorCode.BAD_USER_INPUT, "persistedQuery: only version 1 is supported")
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha):
            raise PersistedQueryError(ErrorCode.BAD_USER_INPUT, "persistedQuery: sha256Hash must be 64 lowercase hex")
        if request.query is None:
            text = self.texts.get(sha)
            if text is None:
                raise PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return replace(request, query=text)
        if hashlib.sha256(request.query.encode()).hexdigest() != sha:
            raise PersistedQueryError(ErrorCode.BAD_USER_INPUT, "persistedQuery: provided sha does not match query")
        self.texts[sha] = request.query
        return request
