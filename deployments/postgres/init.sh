#!/bin/sh
# The postgres image runs this once, when its volume is created (docker-entrypoint-initdb.d):
# coinflow's roles and databases from init.sql, with the passwords compose passes from .env.
# Each password lives only in .env (COINFLOW_ETL_PASSWORD, COINFLOW_API_PASSWORD, PREFECT_DB_PASSWORD),
# handed to this container as *_ROLE_PASSWORD; a missing one stops the initialisation with its name.
set -eu
: "${ETL_ROLE_PASSWORD:?set COINFLOW_ETL_PASSWORD in .env (see .env.example)}"
: "${API_ROLE_PASSWORD:?set COINFLOW_API_PASSWORD in .env (see .env.example)}"
: "${PREFECT_ROLE_PASSWORD:?set PREFECT_DB_PASSWORD in .env (see .env.example)}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v etl_password="$ETL_ROLE_PASSWORD" \
    -v api_password="$API_ROLE_PASSWORD" \
    -v prefect_password="$PREFECT_ROLE_PASSWORD" \
    -f "${INIT_SQL:-/coinflow/init.sql}"
