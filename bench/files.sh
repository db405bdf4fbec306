#!/usr/bin/env bash
# A folder of independent .sql files (prints figures; asserts nothing): `pgparity run` between
# two running PostgreSQL 15 servers with `--jobs $JOBS` (default 2) and with `--jobs 1` (whether
# the two give identical results), next to `psql -f` of each file in a fresh database on one
# server, one after the other, and on two servers at once (the same server work as pgparity's
# two sides). Goal: pgparity ≤ 0.5× psql.
#
#   bench/files.sh [DIR]
#
# DIR defaults to the .sql files of src/test/regress/sql in Debian's source package of the
# installed PostgreSQL 15 (downloaded once into /var/cache/pgparity), as a plain folder: each
# file on its own, not the suite's schedule.
set -euo pipefail
. "$(dirname "$0")/lib.sh" files
files="${1:-}"
if [ -z "$files" ]; then
  regress=$(pg_source src/test/regress)
  files=$work/files
  mkdir -p "$files"
  cp "$regress"/sql/*.sql "$files/"
  # What the files' `\getenv` reads, as pg_regress sets it.
  export PG_ABS_SRCDIR=$regress PG_ABS_BUILDDIR=$regress PG_LIBDIR=$regress PG_DLSUFFIX=.so
fi
chmod -R a+rX "$work"
count=$(find "$files" -name '*.sql' | wc -l)
p1=$(port); start_server c1 "$p1" -c max_prepared_transactions=5
p2=$(port); start_server c2 "$p2" -c max_prepared_transactions=5
p3=$(port); start_server c3 "$p3" -c max_prepared_transactions=5
p4=$(port); start_server c4 "$p4" -c max_prepared_transactions=5

now() { date +%s.%N; }
psql_each() { # PORT
  find "$files" -name '*.sql' | sort | while read -r f; do
    "$pgbin/createdb" -h 127.0.0.1 -p "$1" -U postgres bench
    "$pgbin/psql" -X -q -h 127.0.0.1 -p "$1" -U postgres -d bench -f "$f" >/dev/null 2>&1 || true
    "$pgbin/dropdb" -h 127.0.0.1 -p "$1" -U postgres --force bench
  done
}
s=$(now)
psql_each "$p3"
t_psql=$(echo "$(now) - $s" | bc)
s=$(now)
psql_each "$p3" & psql_each "$p4" & wait
t_psql2=$(echo "$(now) - $s" | bc)

run() { # OUT [ARGS…]
  local out=$1; shift
  s=$(now)
  "$bin" run --reference "$(url "$p1")" --candidate "$(url "$p2")" --no-reduce --out "$work/$out" "$@" "$files" \
    >"$work/$out.log" 2>&1 || true
  echo "$(now) - $s" | bc
}
jobs=${JOBS:-2}
t_jobs=$(run jobs --jobs "$jobs")
t_one=$(run one --jobs 1)
tail -1 "$work/jobs.log"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
a, b = (json.load(open(f"{work}/{n}/results.json")) for n in ("jobs", "one"))
# Verdicts: each workload's status and each statement's match or mismatch (with its kinds).
# Soft differences (`match_after`: rows in another order) depend on timing by nature and never
# change a verdict: counted apart.
def verdicts(r):
    return [(w["id"], w["status"], [(s.get("index"), s["verdict"] == "mismatch", s.get("kinds")) for s in w.get("statements", [])])
            for w in r["workloads"]]
print("verdicts identical with --jobs N and --jobs 1:", verdicts(a) == verdicts(b))
print("results.json workloads identical:", a["workloads"] == b["workloads"])
for name, r in (("--jobs N", a), ("--jobs 1", b)):
    for w in r["workloads"]:
        if w["status"] == "blocked":
            print(f"  {name}: blocked {w['id']}: {w.get('reason')}")
for x, y in zip(a["workloads"], b["workloads"]):
    for s, t in zip(x.get("statements", []), y.get("statements", [])):
        if s != t:
            print(f"  differs between the runs: {x['id']} step {s.get('index')}: {s['verdict']} {s.get('normalisers') or s.get('kinds')} / {t['verdict']} {t.get('normalisers') or t.get('kinds')}")
PY
printf 'files: %s; cores: %s (--jobs defaults to half of them, at least 1)\n' "$count" "$(nproc)"
printf 'psql -f each in a fresh database (1 server): %.2f s\n' "$t_psql"
printf 'psql -f each, on 2 servers at once:          %.2f s\n' "$t_psql2"
printf 'pgparity run --jobs %s (2 servers):            %.2f s  (%.2f× psql on one server, %.2f× on two at once)\n' \
  "$jobs" "$t_jobs" "$(echo "$t_jobs / $t_psql" | bc -l)" "$(echo "$t_jobs / $t_psql2" | bc -l)"
printf 'pgparity run --jobs 1 (2 servers):            %.2f s  (%.2f× psql on one server, %.2f× on two at once)\n' \
  "$t_one" "$(echo "$t_one / $t_psql" | bc -l)" "$(echo "$t_one / $t_psql2" | bc -l)"
