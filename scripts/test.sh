#!/usr/bin/env bash
# The project's test command (README): type-check, then every tap suite; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
log=$(mktemp)
failed_typecheck=0
echo "== type check (tsc --noEmit)"
if ! npx tsc --noEmit -p .; then failed_typecheck=1; echo "type check failed"; fi
echo "== tests"
npx tap --reporter=tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# tap's TAP stream ends with a summary comment per file; count assertions across all files.
passed=$(grep -Eo '^# \{ total: [0-9]+, pass: [0-9]+' "$log" | tail -1 | grep -Eo 'pass: [0-9]+' | grep -Eo '[0-9]+')
summary=$(grep -E '^# \{ total:' "$log" | tail -1)
total=$(echo "$summary" | grep -Eo 'total: [0-9]+' | grep -Eo '[0-9]+')
fail=$(echo "$summary" | grep -Eo 'fail: [0-9]+' | grep -Eo '[0-9]+')
passed=${passed:-0}; total=${total:-0}; fail=${fail:-0}
if [ "$total" = 0 ] && [ "$status" != 0 ]; then fail=1; fi
fail=$((fail + failed_typecheck))
rm -f "$log"
echo "$passed passed, $fail failed"
[ "$fail" = 0 ] && [ "$status" = 0 ]
