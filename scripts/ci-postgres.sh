#!/usr/bin/env bash
# Provides a PostgreSQL server for the storage contract suite (used by .ci/run on a fresh Debian machine, as root).
# Installs PostgreSQL from Debian when missing, starts the cluster, creates role fhir/fhir and database fhir_test.
# Everything is logged to stderr; stdout carries only the connection URL.
set -euo pipefail
exec 3>&1 1>&2

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "ci-postgres: installing PostgreSQL from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  echo "ci-postgres: creating cluster $version/main"
  pg_createcluster "$version" main
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  echo "ci-postgres: starting cluster $version/main"
  pg_ctlcluster "$version" main start
fi

for attempt in $(seq 1 30); do
  if su postgres -c "psql -qAtc 'SELECT 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done

as_postgres() { su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -c \"$1\""; }
if [ "$(as_postgres "SELECT 1 FROM pg_roles WHERE rolname = 'fhir'")" != 1 ]; then
  as_postgres "CREATE ROLE fhir LOGIN PASSWORD 'fhir'"
fi
if [ "$(as_postgres "SELECT 1 FROM pg_database WHERE datname = 'fhir_test'")" != 1 ]; then
  as_postgres "CREATE DATABASE fhir_test OWNER fhir"
fi
echo "ci-postgres: PostgreSQL $version ready"
echo "postgres://fhir:fhir@127.0.0.1:5432/fhir_test" >&3
