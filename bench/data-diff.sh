#!/usr/bin/env bash
# data-diff bench (prints figures; asserts nothing): N rows (default 10 M) of (id, text, numeric,
# timestamptz, jsonb) on two PostgreSQL 15 servers, one row changed on the second. Prints the
# read floor — both sides' `COPY … TO STDOUT` at once, output discarded — and `pgparity
# data-diff`'s wall time and peak RSS, and checks it names the changed key.
# Goal: ≤ 200 MB RSS and ≤ 1.5× the read floor.
#   bench/data-diff.sh [N]
set -euo pipefail
n=${1:-10000000}
. "$(dirname "$0")/lib.sh" data-diff
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | head -1)
chown postgres "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
ports=()
for side in a b; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "'$bindir/initdb' -D '$work/$side' -A trust -U postgres >/dev/null && '$bindir/pg_ctl' -D '$work/$side' -l '$work/$side.log' -o \"-p $port -k '$work' -c listen_addresses=127.0.0.1 -c fsync=off\" -w start >/dev/null"
  ports+=("$port")
done
stop() { for side in a b; do as_pg "'$bindir/pg_ctl' -D '$work/$side' -m immediate stop >/dev/null 2>&1" || true; done; rm -rf "$work"; }
trap stop EXIT
psql="$bindir/psql -X -q -h 127.0.0.1 -U postgres -d postgres"
load="CREATE TABLE t (id bigint PRIMARY KEY, name text, amount numeric(12,2), at timestamptz, doc jsonb);
INSERT INTO t SELECT g, 'name ' || g, g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
  jsonb_build_object('g', g, 'tags', jsonb_build_array('a', 'b')) FROM generate_series(1, $n) g;"
start=$(date +%s)
$psql -p "${ports[0]}" -c "$load" & $psql -p "${ports[1]}" -c "$load"; wait
changed=$((n / 2 + 7))
$psql -p "${ports[1]}" -c "UPDATE t SET name = 'changed' WHERE id = $changed"
echo "loaded $n rows on each side in $(( $(date +%s) - start )) s; row $changed changed on the candidate"
now() { python3 -c 'import time; print(time.time())'; }
t0=$(now)
$psql -p "${ports[0]}" -c "COPY t TO STDOUT" >/dev/null & $psql -p "${ports[1]}" -c "COPY t TO STDOUT" >/dev/null; wait
t1=$(now)
/usr/bin/time -f "%M" -o "$work/rss" "$bin" data-diff --reference "postgres://postgres@127.0.0.1:${ports[0]}/postgres" \
  --candidate "postgres://postgres@127.0.0.1:${ports[1]}/postgres" --out "$work/out" > "$work/console" || true
t2=$(now)
python3 - "$t0" "$t1" "$t2" "$(tail -1 "$work/rss")" <<'PY'
import sys
t0, t1, t2, rss = map(float, sys.argv[1:])
floor, run = t1 - t0, t2 - t1
print(f"read floor (both COPY TO STDOUT at once): {floor:.2f} s")
print(f"pgparity data-diff: {run:.2f} s ({run / floor:.2f}x the floor), peak RSS {rss / 1024:.0f} MB")
PY
grep -E "^t |\('$changed'\)" "$work/console" || { echo "the changed key was not named:"; cat "$work/console"; }
