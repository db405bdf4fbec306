#!/usr/bin/env bash
# Memory bench (prints figures; asserts nothing): one statement returning N rows of
# (int, 100 characters), local against local, for N = 1 M, 3 M and 10 M (or the counts given).
# Prints pgparity run's wall time and peak RSS, next to `psql -c` of the same query on one
# server with its output discarded. Goal: ≤ 200 MB peak RSS at any N, close to psql's time.
#   bench/memory.sh [N…]
set -euo pipefail
. "$(dirname "$0")/lib.sh" memory
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000000 3000000 10000000)
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | head -1)
chown postgres "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "'$bindir/initdb' -D '$work/pg' -A trust -U postgres >/dev/null && '$bindir/pg_ctl' -D '$work/pg' -l '$work/pg.log' -o \"-p $port -k '$work' -c listen_addresses=127.0.0.1 -c fsync=off\" -w start >/dev/null"
stop() { as_pg "'$bindir/pg_ctl' -D '$work/pg' -m immediate stop >/dev/null 2>&1" || true; rm -rf "$work"; }
trap stop EXIT
now() { python3 -c 'import time; print(time.time())'; }
printf '%10s  %14s  %12s  %16s\n' rows "psql -c (s)" "pgparity (s)" "peak RSS (MB)"
for n in "${counts[@]}"; do
  query="SELECT g, repeat('x', 100) FROM generate_series(1, $n) g"
  mkdir -p "$work/w/big"
  echo "$query;" > "$work/w/big/rows.sql"
  t0=$(now)
  "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "$query" >/dev/null
  t1=$(now)
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" run --timeout 3600 --no-reduce --out "$work/out" "$work/w" \
    > "$work/console" 2>&1 || { echo "pgparity run failed:"; tail -20 "$work/console"; }
  t2=$(now)
  grep -q "1 Works" "$work/console" || { echo "not Works:"; tail -20 "$work/console"; }
  python3 - "$n" "$t0" "$t1" "$t2" "$(tail -1 "$work/rss")" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, rss = map(float, sys.argv[2:])
print(f"{n:>10}  {t1 - t0:>14.2f}  {t2 - t1:>12.2f}  {rss / 1024:>16.0f}")
PY
  rm -rf "$work/out" "$work/w"
done
