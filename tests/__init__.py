"""coinflow's test suite: a package, so mypy checks it and tests import shared helpers by module name."""
