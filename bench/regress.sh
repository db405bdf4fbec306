#!/usr/bin/env bash
# PostgreSQL's regression suite through its parallel schedule (prints figures; asserts nothing):
# `pgparity run` of src/test/regress between two running PostgreSQL 15 servers, ROUNDS times
# (mismatches, and whether the runs' results are identical), next to `pg_regress --schedule` of
# the same suite on one server (its own database, the schedule's groups at once), and on two
# servers at once (the same server work as pgparity's two sides). Goal: pgparity ≤ 1.0×
# pg_regress.
#
#   bench/regress.sh [ROUNDS] [REGRESS_DIR]
#
# REGRESS_DIR defaults to src/test/regress of Debian's source package of the installed
# PostgreSQL 15 (downloaded once into /var/cache/pgparity).
set -euo pipefail
rounds="${1:-3}"
. "$(dirname "$0")/lib.sh" regress
pg_regress=$pgbin/../lib/pgxs/src/test/regress/pg_regress
suite="${2:-}"
[ -n "$suite" ] || suite=$(pg_source src/test/regress)
chmod -R a+rX "$suite"
p1=$(port); start_server c1 "$p1" -c max_prepared_transactions=5
p2=$(port); start_server c2 "$p2" -c max_prepared_transactions=5
p3=$(port); start_server c3 "$p3" -c max_prepared_transactions=5
p4=$(port); start_server c4 "$p4" -c max_prepared_transactions=5

best() { sort -n | head -1; }
t_pgparity=(); t_regress=(); t_regress2=()
regress() { # PORT OUTDIR
  mkdir -p "$2"
  "$pg_regress" --host=127.0.0.1 --port="$1" --user=postgres --bindir="$pgbin" --inputdir="$suite" \
    --outputdir="$2" --dlpath="$suite" --schedule="$suite/parallel_schedule" >"$2.log" 2>&1 || true
}
for i in $(seq "$rounds"); do
  s=$(date +%s.%N)
  "$bin" run --reference "$(url "$p1")" --candidate "$(url "$p2")" --no-reduce --out "$work/out$i" "$suite" \
    >"$work/run$i.log" 2>&1 || true
  t_pgparity+=("$(echo "$(date +%s.%N) - $s" | bc)")
  tail -1 "$work/run$i.log"
  s=$(date +%s.%N)
  regress "$p3" "$work/pgr$i"
  t_regress+=("$(echo "$(date +%s.%N) - $s" | bc)")
  s=$(date +%s.%N)
  regress "$p3" "$work/pgr${i}a" & regress "$p4" "$work/pgr${i}b" & wait
  t_regress2+=("$(echo "$(date +%s.%N) - $s" | bc)")
done
python3 - "$work" "$rounds" <<'PY'
import json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = [json.load(open(f"{work}/out{i}/results.json")) for i in range(1, rounds + 1)]
s = runs[0]["summary"]
mismatched = sum(1 for w in runs[0]["workloads"] for st in w.get("statements", []) if st.get("verdict") == "mismatch")
print(f"tests: {len(runs[0]['workloads'])}; summary: {s}; mismatching statements: {mismatched}")
# Verdicts: each test's status and each statement's match or mismatch (with its kinds). Soft
# differences (`match_after`: rows in another order, a tag count) are counted apart: they
# depend on timing by nature and never change a verdict.
def verdicts(r):
    return [(w["id"], w["status"], [(s.get("index"), s["verdict"] == "mismatch", s.get("kinds")) for s in w.get("statements", [])])
            for w in r["workloads"]]
print("runs identical (every test's verdict and every statement's):", all(verdicts(r) == verdicts(runs[0]) for r in runs))
for i, r in enumerate(runs, 1):
    soft = {}
    for w in r["workloads"]:
        for st in w.get("statements", []):
            for n in st.get("normalisers", []) if st["verdict"] == "match_after" else []:
                soft[n] = soft.get(n, 0) + 1
    print(f"  round {i}: soft differences {soft}")
PY
a=$(printf '%s\n' "${t_pgparity[@]}" | best); b=$(printf '%s\n' "${t_regress[@]}" | best)
c=$(printf '%s\n' "${t_regress2[@]}" | best)
printf 'pgparity run (2 servers, concurrent): best of %s = %.2f s  (all: %s)\n' "$rounds" "$a" "${t_pgparity[*]}"
printf 'pg_regress --schedule (1 server):     best of %s = %.2f s  (all: %s)\n' "$rounds" "$b" "${t_regress[*]}"
printf 'pg_regress on 2 servers at once:      best of %s = %.2f s  (all: %s)\n' "$rounds" "$c" "${t_regress2[*]}"
printf 'ratio: %.2f× pg_regress on one server, %.2f× on two at once\n' "$(echo "$a / $b" | bc -l)" "$(echo "$a / $c" | bc -l)"
tail -3 "$work/pgr1.log"
