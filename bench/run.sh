#!/usr/bin/env bash
# Speed bench (prints figures; asserts nothing): wall time of `pgparity run` on the starter suite
# against two already-running local servers, versus `psql -f` running the same per-workload work
# (CREATE DATABASE, pinned SETs, setup and steps, DROP DATABASE) on one server.
# Goal: pgparity ≤ 1.1× psql, since the two sides run concurrently.
#
#   bench/run.sh [ROUNDS]        (default 3; uses target/release/pgparity, building it if needed)
#   JOBS=N bench/run.sh …        (pgparity with --jobs N instead of its default)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
[ -x target/release/pgparity ] || cargo build --release
bin=target/release/pgparity
pgbin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")
# The same place pgparity puts its `local` clusters: /dev/shm when it has 2 GiB free.
base=/tmp; [ -w /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -ge 2097152 ] && base=/dev/shm
work=$(mktemp -d "${PGPARITY_TMPDIR:-$base}/pgparity-bench-XXXX")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
cleanup() {
  for d in "$work"/c1 "$work"/c2; do [ -d "$d" ] && as_pg "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {
  as_pg "$pgbin/initdb" -D "$work/$1" -U postgres -A trust -E UTF8 --locale=C -N >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$work/$1" -l "$work/$1.log" -w -o "-p $2 -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
}
p1=$(port); start c1 "$p1"; p2=$(port); start c2 "$p2"

# The same statements pgparity sends to one side, as one psql script. Workloads psql cannot
# replay the same way are left out of both sides: several sessions (psql has one connection, and
# their waits are the point), COPY FROM STDIN (its data is not in expected/) and the extended
# protocol (psql 15 cannot bind parameters).
python3 - "$work/suite.sql" "$work/workloads.txt" <<'PY'
import json, pathlib, sys
settings = ["client_encoding = 'UTF8'", "TimeZone = 'UTC'", "DateStyle = 'ISO, MDY'", "IntervalStyle = 'postgres'",
            "extra_float_digits = 1", "bytea_output = 'hex'", "lc_messages = 'C'", "client_min_messages = 'notice'"]
out, used = [], []
files = sorted(pathlib.Path("expected").rglob("*.json"))
for f in files:
    e = json.loads(f.read_text())
    statements = e.get("setup", []) + e.get("steps", [])
    if (any("session" in x for x in statements)
            or any(x["sql"].upper().startswith("COPY") and "STDIN" in x["sql"].upper() for x in statements)
            or any("param_types" in x for x in statements)):
        continue
    used += [str(p) for p in pathlib.Path("workloads").glob(e["workload"] + ".*")]
    db = "pgparity_" + "".join(c if c.isalnum() else "_" for c in e["workload"].lower())
    out.append(f'CREATE DATABASE "{db}";\n\\c {db}\n')
    out += [f"SET {s};\n" for s in settings]
    for part in ("setup", "steps"):
        out += [x["sql"] + ";\n" for x in e.get(part, [])]
    rw = e.get("rewrite")
    out.append('\\c postgres\n')
    out.append(f'DROP DATABASE "{db}" WITH (FORCE);\n')
    if rw:
        out.append(f'CREATE DATABASE "{db}";\n\\c {db}\n')
        out += [f"SET {s};\n" for s in settings]
        out += [x["sql"] + ";\n" for x in rw["setup"] + rw["steps"]]
        out.append('\\c postgres\n')
        out.append(f'DROP DATABASE "{db}" WITH (FORCE);\n')
pathlib.Path(sys.argv[1]).write_text("".join(out))
pathlib.Path(sys.argv[2]).write_text("\n".join(used))
n = sum(1 for l in out if not l.startswith(("\\", "SET", "CREATE DATABASE", "DROP DATABASE")))
print(f"{len(used)} of {len(files)} workloads, {n} statements")
PY

best() { sort -n | head -1; }
t_pgparity=(); t_psql=()
for i in $(seq "$rounds"); do
  s=$(date +%s.%N)
  "$bin" run ${JOBS:+--jobs $JOBS} --reference "postgres://postgres@127.0.0.1:$p1/postgres" --candidate "postgres://postgres@127.0.0.1:$p2/postgres" --out "$work/out" $(cat "$work/workloads.txt") >/dev/null || true
  t_pgparity+=("$(echo "$(date +%s.%N) - $s" | bc)")
  s=$(date +%s.%N)
  psql -X -q -h 127.0.0.1 -p "$p1" -U postgres -d postgres -f "$work/suite.sql" >/dev/null 2>&1 || true
  t_psql+=("$(echo "$(date +%s.%N) - $s" | bc)")
done
a=$(printf '%s\n' "${t_pgparity[@]}" | best); b=$(printf '%s\n' "${t_psql[@]}" | best)
printf 'pgparity run (2 servers, concurrent): best of %s = %.2f s  (all: %s)\n' "$rounds" "$a" "${t_pgparity[*]}"
printf 'psql -f (1 server, same work):        best of %s = %.2f s  (all: %s)\n' "$rounds" "$b" "${t_psql[*]}"
# Each round runs the two back to back, so a round's ratio is fair even when the disk is noisy.
ratios=(); for i in "${!t_psql[@]}"; do ratios+=("$(echo "${t_pgparity[$i]} / ${t_psql[$i]}" | bc -l)"); done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')
printf 'ratio per round: %s\n' "$(printf '%.2f ' "${ratios[@]}")"
printf 'ratio: best-of %.2fx, median per round %.2fx (goal <= 1.1x)\n' "$(echo "$a / $b" | bc -l)" "$median"
