#!/usr/bin/env bash
# The README's start command: installs dependencies on a fresh clone, then runs the server (src/main.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (first start; better-sqlite3 may compile from source, about a minute)..." >&2
  npm ci --no-audit --no-fund >&2
fi
exec node --import tsx src/main.ts "$@"
