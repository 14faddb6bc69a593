"""Read-side SQL: one module per domain, each function one set-based statement on a connection."""
