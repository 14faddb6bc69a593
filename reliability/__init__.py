"""``make reliability``: a harness that breaks coinflow on purpose and prints one line of figures per part.

Not part of the installed package (like ``bench/``): it drives the real CLI as subprocesses against
real SQLite and PostgreSQL databases and one Prefect server, and reuses the test suite's helpers
(``tests.cli_process``, ``tests.db_snapshot``).
"""
