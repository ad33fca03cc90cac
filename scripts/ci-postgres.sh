#!/usr/bin/env bash
# Provides a PostgreSQL server for the storage contract suite (used by .ci/run on a fresh Debian machine, as root).
# Installs PostgreSQL from Debian when missing, starts the cluster, creates role fhir/fhir and database fhir_test.
# Everything is logged to stderr; stdout carries only the connection URL.
#
# The server daemonizes and inherits the descriptors of whatever starts it (apt's postinst or
# pg_ctlcluster). It must hold neither our stdout (the caller's command substitution would wait for it
# forever) nor the CI log, so every step that may start it runs with its output in a log file.
set -euo pipefail

run_logged() {
  local log; log=$(mktemp)
  if "$@" </dev/null >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; return 0; fi
  cat "$log" >&2; rm -f "$log"; return 1
}

provide_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "ci-postgres: installing PostgreSQL from Debian"
    export DEBIAN_FRONTEND=noninteractive
    run_logged apt-get update
    run_logged apt-get install -y postgresql
  fi

  local version; version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
    echo "ci-postgres: creating cluster $version/main"
    run_logged pg_createcluster "$version" main
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    echo "ci-postgres: starting cluster $version/main"
    run_logged pg_ctlcluster "$version" main start
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
}

# bash keeps the original stdout in a close-on-exec descriptor while the function runs, so nothing
# started inside it inherits the pipe.
provide_postgres 1>&2
echo "postgres://fhir:fhir@127.0.0.1:5432/fhir_test"
