-- The query service's read-only PostgreSQL role, `coinflow_api`.
--
-- Run once as the role that owns the coinflow tables (the one `coinflow db upgrade` connects as),
-- in the coinflow database, then give the role a password:
--   psql -d coinflow -f deployments/postgres/readonly_role.sql
--   psql -d coinflow -c "ALTER ROLE coinflow_api PASSWORD 'change-me'"
-- and point the API at it (the pipeline keeps COINFLOW_DATABASE_URL):
--   COINFLOW_API_DATABASE_URL=postgresql+psycopg2://coinflow_api:change-me@db:5432/coinflow
-- Idempotent: running it again changes nothing.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'coinflow_api') THEN
        CREATE ROLE coinflow_api LOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO coinflow_api', current_database());
END
$$;

-- Every transaction of this role is read-only, even if a write grant ever slips in.
ALTER ROLE coinflow_api SET default_transaction_read_only = on;
-- A runaway query is cut off instead of holding a connection.
ALTER ROLE coinflow_api SET statement_timeout = '10s';

GRANT USAGE ON SCHEMA public TO coinflow_api;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO coinflow_api;
-- Tables added by later migrations (created by the role running this script) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO coinflow_api;
