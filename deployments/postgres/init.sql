-- Run once by init.sh, when the PostgreSQL volume is created; the passwords are psql variables
-- (:'etl_password' ...) that init.sh sets from the container's environment (compose passes them
-- from .env), so no password is written in this repository.
-- coinflow_etl owns coinflow's schema (migrations, loads); coinflow_api may only read it;
-- prefect owns Prefect's own database.
CREATE ROLE coinflow_etl LOGIN PASSWORD :'etl_password';
CREATE ROLE coinflow_api LOGIN PASSWORD :'api_password';
CREATE ROLE prefect LOGIN PASSWORD :'prefect_password';
CREATE DATABASE coinflow OWNER coinflow_etl;
CREATE DATABASE prefect OWNER prefect;

\connect coinflow
-- Read-only API role: may read every table coinflow_etl creates now or later (the migrations run
-- after this), nothing else. For a database that already has tables, run readonly_role.sql instead.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CREATE, USAGE ON SCHEMA public TO coinflow_etl;
GRANT CONNECT ON DATABASE coinflow TO coinflow_api;
GRANT USAGE ON SCHEMA public TO coinflow_api;
ALTER DEFAULT PRIVILEGES FOR ROLE coinflow_etl IN SCHEMA public GRANT SELECT ON TABLES TO coinflow_api;
-- Every transaction of the API role is read-only; a runaway query is cut off.
ALTER ROLE coinflow_api SET default_transaction_read_only = on;
ALTER ROLE coinflow_api SET statement_timeout = '10s';
