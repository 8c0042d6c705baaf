#!/bin/sh
# docker-compose: the postgres image runs this once, on an empty data directory, as its superuser.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$POSC_OWNER_PASSWORD" -v app_password="$POSC_APP_PASSWORD" \
  -f /docker-entrypoint-initdb.d/roles.sql.in
