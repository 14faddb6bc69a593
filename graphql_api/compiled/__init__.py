"""GraphQL operations compiled to ONE PostgreSQL statement that returns the whole ``data`` object as JSON.

The resolvers stay the reference: an operation is compiled only when every selected field is in the
compilable set (``plan``), otherwise — and always on SQLite — it runs through the resolvers. The
statement renders values exactly as the resolver path's orjson does (``json_text``), so both paths
answer byte-for-byte the same JSON once whitespace is set aside (tests/api/test_compiled_*.py) —
but for a spread's ``maxAgeSeconds``, the age at the instant each path reads the clock.

Modules, one job each: ``selection`` (the validated document as a tree of fields), ``json_text``
(values as orjson writes them, in SQL), ``connection_sql`` (a keyset page as a Relay connection),
``market_sql`` (coins, prices, series at every interval), ``spread_sql`` (a coin's cross-source
spread, with the clock and settings bound at each run), ``runs_sql`` (run history), ``stats_sql``
(market statistics), ``plan`` (the root fields), ``execution`` (the Strawberry extension that runs
the statement or steps aside).
"""
