#!/bin/sh
# First start of the compose database: create the login roles with passwords, so that the
# API (doublex_service), SQL callers (doublex_app) and postgres_exporter (doublex_monitor) can
# log in over the network. The migrations create these roles only when missing, and grant
# them what they need; doublex_service is NOINHERIT (it acts as doublex_api per transaction).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$DOUBLEX_APP_PASSWORD" -v monitor_password="$DOUBLEX_MONITOR_PASSWORD" \
    -v service_password="$DOUBLEX_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE doublex_app LOGIN PASSWORD :'app_password';
CREATE ROLE doublex_service LOGIN NOINHERIT PASSWORD :'service_password';
CREATE ROLE doublex_monitor LOGIN PASSWORD :'monitor_password';
SQL
