#!/bin/sh
# First start of the compose database: create the login roles with passwords, so that the
# service (doublex_app) and postgres_exporter (doublex_monitor) can log in over the network.
# The migrations create these roles only when missing, and grant them what they need.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$DOUBLEX_APP_PASSWORD" -v monitor_password="$DOUBLEX_MONITOR_PASSWORD" <<'SQL'
CREATE ROLE doublex_app LOGIN PASSWORD :'app_password';
CREATE ROLE doublex_monitor LOGIN PASSWORD :'monitor_password';
SQL
