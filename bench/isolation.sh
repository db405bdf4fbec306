#!/usr/bin/env bash
# PostgreSQL's isolation suite (prints figures; asserts nothing): `pgparity run` of every spec
# of src/test/isolation/specs (a workload per permutation) between two running PostgreSQL 15
# servers, ROUNDS times: mismatches, and whether the runs' results are identical; then, when
# CANDIDATE is given (any target, e.g. local:/path/to/pg18/bin), one run against it.
#
#   bench/isolation.sh [ROUNDS] [SPECS_DIR] [CANDIDATE]
#   AT_ONCE=1 bench/isolation.sh 3     # the rounds at the same time, each on two servers of its own
#
# The suite mostly waits (steps held past the wait bound, deadlock timeouts), so rounds at once
# take little more than one; they also show whether the blocking verdicts hold on a busy machine.
# SPECS_DIR defaults to src/test/isolation/specs of Debian's source package of the installed
# PostgreSQL 15 (downloaded once into /var/cache/pgparity).
set -euo pipefail
rounds="${1:-3}"
. "$(dirname "$0")/lib.sh" isolation
specs="${2:-}"
candidate="${3:-}"
[ -n "$specs" ] || specs=$(pg_source src/test/isolation)/specs
p1=$(port); start_server c1 "$p1" -c max_prepared_transactions=10
p2=$(port); start_server c2 "$p2" -c max_prepared_transactions=10

round() { # I REFERENCE_PORT CANDIDATE_PORT
  local s; s=$(date +%s.%N)
  "$bin" run --reference "$(url "$2")" --candidate "$(url "$3")" --no-reduce --out "$work/out$1" "$specs" \
    >"$work/run$1.log" 2>&1 || true
  printf 'round %s: %.1f s — %s\n' "$1" "$(echo "$(date +%s.%N) - $s" | bc)" "$(tail -1 "$work/run$1.log")"
}
if [ -n "${AT_ONCE:-}" ]; then
  s=$(date +%s.%N)
  for i in $(seq "$rounds"); do
    if [ "$i" = 1 ]; then a=$p1 b=$p2; else
      a=$(port); start_server "r$i-a" "$a" -c max_prepared_transactions=10
      b=$(port); start_server "r$i-b" "$b" -c max_prepared_transactions=10
    fi
    round "$i" "$a" "$b" &
  done
  wait
  printf 'all %s rounds at once: %.1f s\n' "$rounds" "$(echo "$(date +%s.%N) - $s" | bc)"
else
  for i in $(seq "$rounds"); do round "$i" "$p1" "$p2"; done
fi
python3 - "$work" "$rounds" <<'PY'
import json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = [json.load(open(f"{work}/out{i}/results.json")) for i in range(1, rounds + 1)]
for i, r in enumerate(runs, 1):
    bad = [w["id"] for w in r["workloads"] if w["status"] != "works"]
    print(f"round {i}: {len(r['workloads'])} permutations, not Works: {bad[:20]}{' …' if len(bad) > 20 else ''}")
# Verdicts: each permutation's status, each statement's match or mismatch (with its kinds).
def verdicts(r):
    return [(w["id"], w["status"], [(s.get("index"), s["verdict"] == "mismatch", s.get("kinds")) for s in w.get("statements", [])])
            for w in r["workloads"]]
print("runs identical (every permutation's verdict and every statement's):", all(verdicts(r) == verdicts(runs[0]) for r in runs))
PY
if [ -n "$candidate" ]; then
  s=$(date +%s.%N)
  "$bin" run --reference "$(url "$p1")" --candidate "$candidate" --no-reduce --out "$work/cand" "$specs" \
    >"$work/cand.log" 2>&1 || true
  printf 'against %s: %.1f s — %s\n' "$candidate" "$(echo "$(date +%s.%N) - $s" | bc)" "$(tail -1 "$work/cand.log")"
  python3 - "$work/cand/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for w in r["workloads"]:
    if w["status"] != "works":
        kinds = sorted({k for s in w.get("statements", []) for k in s.get("kinds", [])})
        print(f"  {w['id']}: {w['status']} {kinds}")
PY
fi
