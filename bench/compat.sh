#!/usr/bin/env bash
# compat bench (prints figures; asserts nothing): the whole shipped example — the tasks app's 14
# migrations, its release 1.3's captured traffic judged on each of the 11 later versions, the
# breaks reduced to repros, and the new build's traffic on the old schema — on PostgreSQL 15 (a
# local cluster, started by the run) and on SQLite. Goal: ≤ 10 s on a 2-core machine.
#   bench/compat.sh [ROUNDS]     (default 3; uses target/release/pgparity, building it if needed)
set -euo pipefail
rounds=${1:-3}
. "$(dirname "$0")/lib.sh" compat
out=$work
app=workloads/compat/tasks
time_one() { # LABEL ARGS…
  local label=$1; shift
  local times=()
  for _ in $(seq "$rounds"); do
    rm -rf "$out"/*
    local start end
    start=$(date +%s.%N)
    "$bin" compat --out "$out" "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
    end=$(date +%s.%N)
    times+=("$(python3 -c "print($end - $start)")")
  done
  printf '%-44s %s s\n' "$label" "$(printf '%.2f ' "${times[@]}")"
}
echo "compat, the tasks example (11 migrations judged, 18 old statements, 6 new), $rounds rounds:"
time_one "PostgreSQL 15, repros and the reverse question" --migrations $app/migrations/postgres --from 3 \
  --new-traffic $app/new-traffic $app/traffic
time_one "PostgreSQL 15, --no-reduce" --migrations $app/migrations/postgres --from 3 --no-reduce $app/traffic
time_one "SQLite, repros and the reverse question" --target sqlite --migrations $app/migrations/sqlite --from 3 \
  --new-traffic $app/new-traffic $app/traffic
