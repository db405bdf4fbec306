#!/usr/bin/env bash
# Regenerates workloads/compat/tasks/traffic/: what the tasks app's release 1.3 (it knows the
# migrations up to 003) sends, captured with `pgparity capture` in front of an ephemeral local
# cluster migrated to 003 first (directly, not through the proxy).
#   scripts/compat-capture.sh            (builds target/release/pgparity if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/pgparity ] || cargo build --release
bin=target/release/pgparity
psql=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1); psql=${psql:-$(command -v psql)}
clients/node-pg.sh --install
app=workloads/compat/tasks
out=$app/traffic
rm -rf "$out"; mkdir -p "$out"
log=$(mktemp)
"$bin" capture --listen 127.0.0.1:0 --upstream local -o "$out" >"$log" &
pid=$! port="" upstream=""
trap "kill -TERM $pid 2>/dev/null" EXIT
for _ in $(seq 300); do
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$log")
  upstream=$(sed -n 's#^upstream: postgres://postgres@127.0.0.1:\([0-9]*\)/.*#\1#p' "$log")
  [ -n "$port" ] && [ -n "$upstream" ] && break
  sleep 0.1
done
for f in "$app"/migrations/postgres/00[1-3]_*.sql; do
  "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$upstream" -U postgres -d postgres -f "$f"
done
clients/node-pg.sh clients/compat/tasks_app.js "$port"
kill -TERM "$pid"; wait "$pid" >/dev/null; trap - EXIT
rm -f "$log"
for f in "$out"/conn-*.yaml; do
  sed -i -e "s/^feature: \"Captured connection \([0-9]*\) .*\"$/feature: \"tasks app 1.3 (node-postgres 8), connection \1\"/" \
         -e 's/^area: Captured$/area: Compat/' "$f"
done
echo "$out: $(ls "$out" | wc -l) connection(s), $(cat "$out"/*.yaml | grep -c '^  - sql: |') statements"
