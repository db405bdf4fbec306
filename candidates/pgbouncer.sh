#!/usr/bin/env bash
# pgbouncer in transaction pooling mode on 127.0.0.1:PORT, in front of a local PostgreSQL (the
# one on PATH or under /usr/lib/postgresql) it creates in DATADIR. Every database name is passed
# through (`* =`), so a fresh database per workload works. Installs pgbouncer with apt if missing.
#   pgparity run --candidate 'exec:candidates/pgbouncer.sh {port} {datadir}'
set -euo pipefail
port="${1:?usage: candidates/pgbouncer.sh PORT DATADIR (or --install)}"
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  [ "$(id -u)" = 0 ] || { echo "pgbouncer.sh: install pgbouncer (apt-get install pgbouncer)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >&2
fi
[ "$port" = --install ] && exit 0
datadir="${2:?usage: candidates/pgbouncer.sh PORT DATADIR}"
pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
pgbin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")
# pgbouncer and initdb refuse root: run them as the postgres OS user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$datadir"
[ "$(id -u)" = 0 ] && chown postgres "$datadir"
as_pg "$pgbin/initdb" -D "$datadir/pg" -U postgres -A trust -E UTF8 --locale=C -N >/dev/null
cat > "$datadir/pgbouncer.ini" <<INI
[databases]
* = host=$datadir port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $datadir/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile =
pidfile =
INI
echo '"postgres" ""' > "$datadir/userlist.txt"
[ "$(id -u)" = 0 ] && chown postgres "$datadir/pgbouncer.ini" "$datadir/userlist.txt"
# Both in this process group: pgparity stops the group with SIGTERM.
as_pg "$pgbin/postgres" -D "$datadir/pg" -p 5432 -k "$datadir" -c listen_addresses= -c fsync=off -c synchronous_commit=off &
for _ in $(seq 100); do [ -S "$datadir/.s.PGSQL.5432" ] && break; sleep 0.1; done
as_pg "$pgbouncer_bin" "$datadir/pgbouncer.ini" &
trap 'kill -TERM $(jobs -p) 2>/dev/null; wait' TERM INT
wait
