#!/usr/bin/env bash
# PostgreSQL (the one on PATH or under /usr/lib/postgresql) with lock_timeout = 100ms: a lock
# wait fails with 55P03 instead of waiting, as in engines that do not queue for row locks.
# Shows what blocking detection and the anomaly table report for such a candidate.
#   pgparity run --candidate 'exec:candidates/pg-nowait.sh {port} {datadir}' workloads/isolation
set -euo pipefail
port="${1:?usage: candidates/pg-nowait.sh PORT DATADIR}"
datadir="${2:?usage: candidates/pg-nowait.sh PORT DATADIR}"
pgbin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")
# initdb and postgres refuse root: run them as the postgres OS user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$datadir"
[ "$(id -u)" = 0 ] && chown postgres "$datadir"
as_pg "$pgbin/initdb" -D "$datadir/pg" -U postgres -A trust -E UTF8 --locale=C -N >/dev/null
exec_pg() { if [ "$(id -u)" = 0 ]; then exec runuser -u postgres -- "$@"; else exec "$@"; fi; }
exec_pg "$pgbin/postgres" -D "$datadir/pg" -p "$port" -k "$datadir" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c lock_timeout=100ms
