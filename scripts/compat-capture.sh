#!/usr/bin/env bash
# Regenerates workloads/compat/tasks/traffic/: what the tasks app's release 1.3 (it knows the
# migrations up to 003) sends, captured with `pgparity capture` in front of an ephemeral local
# cluster migrated to 003 first (directly, not through the proxy).
#   scripts/compat-capture.sh            (builds target/release/pgparity if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
. candidates/lib.sh
[ -x target/release/pgparity ] || cargo build --release
bin=target/release/pgparity
psql=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1); psql=${psql:-$(command -v psql)}
clients/node-pg.sh --install
app=workloads/compat/tasks
out=$app/traffic
rm -rf "$out"; mkdir -p "$out"
capture_start "$bin" "$out"
for f in "$app"/migrations/postgres/00[1-3]_*.sql; do
  "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$capture_upstream" -U postgres -d postgres -f "$f"
done
clients/node-pg.sh clients/compat/tasks_app.js "$capture_port"
capture_stop
for f in "$out"/conn-*.yaml; do
  sed -i -e "s/^feature: \"Captured connection \([0-9]*\) .*\"$/feature: \"tasks app 1.3 (node-postgres 8), connection \1\"/" \
         -e 's/^area: Captured$/area: Compat/' "$f"
done
echo "$out: $(ls "$out" | wc -l) connection(s), $(cat "$out"/*.yaml | grep -c '^  - sql: |') statements"
