-- The portal's two database roles (AU-01, AU-02; ASVS 16.4.2, 13.2.2; README "Database roles").
-- Run once as a superuser with psql, giving the passwords:
--   psql -v ON_ERROR_STOP=1 -v owner_password=... -v app_password=... -f deploy/postgres/roles.sql
-- posc_owner owns the database and runs `manage.py migrate`; after each migrate it grants posc_app
-- (POSC_DB_RUNTIME_ROLE) what the portal needs: INSERT and SELECT only on the audit trail.
-- Neither is a superuser, so neither can SET session_replication_role = replica.
CREATE ROLE posc_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE posc_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE DATABASE posc OWNER posc_owner;
REVOKE ALL ON DATABASE posc FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE posc TO posc_app;
\connect posc
-- PostgreSQL 15 gives the public schema to the database owner; earlier versions let anyone create in it.
ALTER SCHEMA public OWNER TO posc_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
