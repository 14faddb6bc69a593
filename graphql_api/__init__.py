"""The read side: Strawberry GraphQL (/graphql) and FastAPI REST routes over the unified tables.

Served by ``coinflow api`` (uvicorn on the factory ``graphql_api.app:create_app``). It never writes;
on PostgreSQL it connects as the read-only role of ``deployments/postgres/readonly_role.sql``
(``COINFLOW_API_DATABASE_URL``).

Definitions clients rely on:

- Lists are keyset-paginated (cursors are opaque; sizes default 50, at most 500, more is an error).
  Prices are ordered by the primary key ``(coin_id, source, observed_at)``, so a coin's ``prices``
  come source by source, oldest first; ``last: 20`` with a ``source`` is that source's 20 newest.
  ``hasPreviousPage`` of a forward page (and ``hasNextPage`` of a backward one) says whether a cursor
  was given, as Relay allows, rather than costing another query.
- ``orderBy`` RANK uses the best rank, MARKET_CAP the largest market cap, among the coin's latest
  price of each source; coins without prices sort last. ``latestPrice`` without a source is the
  newest across sources; a tie at the same instant goes to the later source name.
- ``matched``: a coin that another source's id joined by a cross-source rule (override, contract,
  symbol+name, slug, name+symbol, market) or that more than one source maps to; a coin only its
  founding source knows, or a tie (``ambiguous``), is unmatched.
- The GraphQL response cache is keyed by a digest of (query text, variables, operation name) and
  the data version; any committed load bumps the data version, so an answer is never served after
  the data changed.
- HTTP caching (``http_cache``): GET answers of data routes and GraphQL GET queries carry a weak ETag
  of (data version, request, app fingerprint) and a short ``Cache-Control``; ``If-None-Match`` → 304.
  Errors, POST and probes are never tagged. ``gql/persisted_queries`` implements Apollo's APQ.
- Global ids (``gql/node``) are base64 of ``Type:key``; closed value sets are enums (SCREAMING_CASE).

Layout: ``app`` wires things; ``rest/`` one router per concern; ``gql/`` the schema (types and queries
per domain, loaders, cost limit, caching router); ``queries/`` the SQL, one module per domain.
"""
