#!/bin/sh
# The postgres image runs this once, when its volume is created (docker-entrypoint-initdb.d):
# coinflow's roles and databases from init.sql, with the passwords compose passes from .env.
# Each password lives only in .env; a missing one stops the initialisation with its name.
set -eu
: "${COINFLOW_ETL_PASSWORD:?set COINFLOW_ETL_PASSWORD in .env (see .env.example)}"
: "${COINFLOW_API_PASSWORD:?set COINFLOW_API_PASSWORD in .env (see .env.example)}"
: "${PREFECT_DB_PASSWORD:?set PREFECT_DB_PASSWORD in .env (see .env.example)}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v etl_password="$COINFLOW_ETL_PASSWORD" \
    -v api_password="$COINFLOW_API_PASSWORD" \
    -v prefect_password="$PREFECT_DB_PASSWORD" \
    -f "${INIT_SQL:-/coinflow/init.sql}"
