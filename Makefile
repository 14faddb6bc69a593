# coinflow's common verbs. `make run` and `make test` work on a fresh machine: they install uv if it
# is missing (from PyPI, the one registry every machine here reaches), then sync the locked environment.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1

.PHONY: help uv install run deployments-yaml api sources ingest migrate test pytest lint format typecheck imports check bench bench-quick bench-env clean vendor test-tools schema

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

uv:  ## install uv when it is missing
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet uv || python3 -m pip install --quiet --user --break-system-packages uv

# --compile-bytecode: every `coinflow` process imports ~2,900 modules (Prefect, pandas, SQLAlchemy...);
# without their .pyc, and with PYTHONDONTWRITEBYTECODE=1 (containers, CI images) Python never writes
# one, each process compiled them all again: ~10 s of a nothing-new `coinflow ingest` on a busy 2-core
# machine. Compiling once here costs ~20 s, a sync with nothing to install ~1 s. Not in [tool.uv]:
# there it would re-run at every `uv run` (+1 s each). The image does the same (UV_COMPILE_BYTECODE),
# and so does bench-env: the orchestration figure is of a `coinflow ingest` process, start-up included.
install: uv  ## create .venv from uv.lock (dev tools included), dependencies compiled to bytecode
	$(UV) sync --frozen --compile-bytecode

run: install migrate  ## install, migrate, then `coinflow up --offline`: the local stack until Ctrl-C (see README)
	$(UV) run coinflow up --offline

deployments-yaml: install  ## write prefect.yaml from deployments/definitions.py (tests fail when it is stale)
	$(UV) run coinflow deployments yaml

api: install migrate  ## serve the GraphQL + REST query service on http://127.0.0.1:8000
	$(UV) run coinflow api

sources: install  ## serve recorded CoinGecko/CoinPaprika responses on http://127.0.0.1:8765 (SCENARIO=clean)
	$(UV) run coinflow sources serve --scenario $(or $(SCENARIO),clean)

ingest:  ## run the ingest flow again (SOURCE=csv FILE=path to choose)
	$(UV) run coinflow ingest --source $(or $(SOURCE),csv) $(if $(FILE),--file $(FILE))

migrate:  ## apply the Alembic migrations to COINFLOW_DATABASE_URL
	$(UV) run coinflow db upgrade

test: install test-tools check pytest  ## lint, type-check, import contracts, then the whole suite (SQLite + PostgreSQL)

# The suite waits on subprocesses and servers more than it computes: two xdist workers (one module
# per worker at a time, so module fixtures are built once) halve its wall time on 2 cores.
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
pytest:  ## the test suite only (PYTEST_WORKERS=2 xdist workers; 0 for one process)
	$(UV) run pytest -n $(PYTEST_WORKERS) --dist loadscope

lint:  ## ruff lint and format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format:  ## apply ruff's fixes and formatting
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

typecheck:  ## mypy over the packages
	$(UV) run mypy

imports:  ## the import-linter contracts of the design
	$(UV) run lint-imports

check: lint typecheck imports  ## every static check CI runs

# The peers (dlt) are the `bench` dependency group: synced here, never by `make install` (CI). `uv run` is told
# --group bench too, or its own sync would remove them again.
BENCH_RUN := $(UV) run --frozen --group bench
bench-env: uv  ## the bench group (dlt), wrk and PostGraphile (npm, pinned by bench/api/postgraphile/package-lock.json)
	$(UV) sync --frozen --group bench --compile-bytecode
	@command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get install -y -qq wrk >/dev/null; } || \
		echo "wrk missing and not installable here: the query rows will say not run"
	@[ -d bench/api/postgraphile/node_modules ] || ( cd bench/api/postgraphile && npm ci --no-audit --no-fund --silent ) || \
		echo "npm ci failed: no PostGraphile peer in the query rows"

bench: bench-env  ## every benchmark beside its peers (1M rows; long): ONE table + bench/results/latest.json, then the identity report
	PREFECT_HOME=$${PREFECT_HOME:-$$(mktemp -d)} $(BENCH_RUN) python -m bench.run
	$(BENCH_RUN) python bench/identity_report.py

bench-quick: bench-env  ## the same table at small sizes (a few minutes)
	PREFECT_HOME=$${PREFECT_HOME:-$$(mktemp -d)} $(BENCH_RUN) python -m bench.run --quick

# The browser assets of GraphiQL (/graphql), Swagger UI (/docs) and the dashboard's charts (uPlot, /), committed under graphql_api/static/vendor
# so the app never loads a script from a CDN; package-lock.json pins every version and checksum.
STATIC := graphql_api/static
VENDORED := react/umd/react.production.min.js react/LICENSE \
	react-dom/umd/react-dom.production.min.js react-dom/LICENSE \
	graphiql/graphiql.min.js graphiql/graphiql.min.css graphiql/LICENSE \
	@graphiql/plugin-explorer/dist/index.umd.js @graphiql/plugin-explorer/dist/style.css \
	swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui.css swagger-ui-dist/LICENSE \
	swagger-ui-dist/favicon-32x32.png \
	uplot/dist/uPlot.iife.min.js uplot/dist/uPlot.min.css uplot/LICENSE

vendor:  ## re-copy GraphiQL, React, Swagger UI and uPlot from npm into graphql_api/static/vendor (versions: its package-lock.json)
	cd $(STATIC) && npm ci --ignore-scripts --no-audit --no-fund
	rm -rf $(STATIC)/vendor
	for file in $(VENDORED); do mkdir -p "$(STATIC)/vendor/$$(dirname $$file)" && \
		cp "$(STATIC)/node_modules/$$file" "$(STATIC)/vendor/$$file" || exit 1; done
	rm -rf $(STATIC)/node_modules

# Debian's chromium (headless browser tests of GraphiQL, /docs, the dashboard), prometheus (promtool: the alert
# rules' own unit tests) and nodejs/npm (the generated TypeScript client's test), installed when missing; as root,
# or through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Only the missing ones: a machine whose node comes from NodeSource already has npm, and Debian's npm
# package conflicts with that nodejs (apt refuses the whole install).
TEST_TOOLS := chromium:chromium promtool:prometheus node:nodejs npm:npm
test-tools:  ## install the Debian packages the tests drive (chromium, promtool, node, npm) when missing
	@missing="$$(for pair in $(TEST_TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || echo $${pair#*:}; done)"; \
	[ -z "$$missing" ] || { command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } || \
		echo "missing and not installable here: $$missing; their tests will fail"

clean:  ## remove the embedded database and caches
	rm -rf data/coinflow.db data/coinflow.db-* .pytest_cache .mypy_cache .ruff_cache

schema: install  ## rewrite schema.graphql, the GraphQL SDL (a test fails when it is stale)
	$(UV) run strawberry export-schema graphql_api.gql.schema:schema --output schema.graphql
.PHONY: reliability
reliability: install  ## break it on purpose: crash (RUNS, 50), database faults, secrets, sources, load, hostile input (CSV_FILES, 50); one line per part
	PREFECT_HOME=$${PREFECT_HOME:-$$(mktemp -d)} $(UV) run python -m reliability.run $(if $(RUNS),--runs $(RUNS)) $(if $(CSV_FILES),--csv-files $(CSV_FILES))
