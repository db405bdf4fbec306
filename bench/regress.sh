#!/usr/bin/env bash
# PostgreSQL's regression suite through its parallel schedule (prints figures; asserts nothing):
# `pgparity run` of src/test/regress between two running PostgreSQL 15 servers, ROUNDS times
# (mismatches, and whether the runs' results are identical), next to `pg_regress --schedule` of
# the same suite on one server (its own database, the schedule's groups at once). Goal:
# pgparity ≤ 1.0× pg_regress.
#
#   bench/regress.sh [ROUNDS] [REGRESS_DIR]
#
# REGRESS_DIR defaults to src/test/regress of Debian's source package of the installed
# PostgreSQL 15 (downloaded once into /var/cache/pgparity).
set -euo pipefail
rounds="${1:-3}"
. "$(dirname "$0")/lib.sh" regress
pgbin=/usr/lib/postgresql/15/bin
pg_regress=/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress
version=$("$pgbin/postgres" --version | awk '{print $3}')
suite="${2:-}"
if [ -z "$suite" ]; then
  cache=/var/cache/pgparity/postgresql-$version
  if [ ! -d "$cache/src/test/regress" ]; then
    mkdir -p "$cache"
    url="http://deb.debian.org/debian/pool/main/p/postgresql-15/postgresql-15_$version.orig.tar.bz2"
    echo "fetching $url" >&2
    curl -fsSL "$url" | tar -xj -C "$cache" --strip-components=1 "postgresql-$version/src/test/regress"
  fi
  suite=$cache/src/test/regress
fi
chmod -R a+rX "$suite"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
stop_all() {
  for d in "$work"/c1 "$work"/c2 "$work"/c3; do
    [ -d "$d" ] && as_pg "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap stop_all EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {
  as_pg "$pgbin/initdb" -D "$work/$1" -U postgres -A trust -E UTF8 --locale=C -N >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$work/$1" -l "$work/$1.log" -w \
    -o "-p $2 -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c max_prepared_transactions=5" start >/dev/null
}
p1=$(port); start c1 "$p1"; p2=$(port); start c2 "$p2"; p3=$(port); start c3 "$p3"
url() { echo "postgres://postgres@127.0.0.1:$1/postgres"; }

best() { sort -n | head -1; }
t_pgparity=(); t_regress=()
for i in $(seq "$rounds"); do
  s=$(date +%s.%N)
  "$bin" run --reference "$(url "$p1")" --candidate "$(url "$p2")" --no-reduce --out "$work/out$i" "$suite" \
    >"$work/run$i.log" 2>&1 || true
  t_pgparity+=("$(echo "$(date +%s.%N) - $s" | bc)")
  tail -1 "$work/run$i.log"
  mkdir -p "$work/pgr$i"
  s=$(date +%s.%N)
  "$pg_regress" --host=127.0.0.1 --port="$p3" --user=postgres --bindir="$pgbin" --inputdir="$suite" \
    --outputdir="$work/pgr$i" --dlpath="$suite" --schedule="$suite/parallel_schedule" >"$work/pgr$i.log" 2>&1 || true
  t_regress+=("$(echo "$(date +%s.%N) - $s" | bc)")
done
python3 - "$work" "$rounds" <<'PY'
import json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = [json.load(open(f"{work}/out{i}/results.json")) for i in range(1, rounds + 1)]
s = runs[0]["summary"]
mismatched = sum(1 for w in runs[0]["workloads"] for st in w.get("statements", []) if st.get("verdict") == "mismatch")
print(f"tests: {len(runs[0]['workloads'])}; summary: {s}; mismatching statements: {mismatched}")
print("runs identical (every workload's results):", all(r["workloads"] == runs[0]["workloads"] for r in runs))
PY
a=$(printf '%s\n' "${t_pgparity[@]}" | best); b=$(printf '%s\n' "${t_regress[@]}" | best)
printf 'pgparity run (2 servers, concurrent): best of %s = %.2f s  (all: %s)\n' "$rounds" "$a" "${t_pgparity[*]}"
printf 'pg_regress --schedule (1 server):     best of %s = %.2f s  (all: %s)\n' "$rounds" "$b" "${t_regress[*]}"
printf 'ratio: %.2f×\n' "$(echo "$a / $b" | bc -l)"
tail -3 "$work/pgr1.log"
