#!/usr/bin/env bash
# Reduction bench (prints figures; asserts nothing): 200-statement workloads with one buried
# difference between PostgreSQL 15 and 18, reduced with `pgparity reduce` at one trial at a time
# and with cores+1 jobs (reduction on cores extra lanes): trials used, wall time, and the final repro size.
#   simple: one table with a NOT NULL column, listed in pg_constraint on 18 (2 statements stay);
#   chain:  the table, the column and the NOT NULL constraint come from three statements spread
#           through the workload, and the failing query has columns and clauses it does not need.
# Goal: 1-minimal in ≤ 30 s and ≤ 400 trials on a 2-core machine.
#   bench/reduce.sh            (uses target/release/pgparity, building it if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/pgparity ] || cargo build --release
work=$(mktemp -d /tmp/pgparity-bench-reduce-XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/workloads/bench"
python3 - "$work/workloads/bench" <<'PY'
import sys
def noise(i):
    return [f"CREATE TABLE noise_{i} (id int PRIMARY KEY, v text);\n",
            f"INSERT INTO noise_{i} VALUES ({i}, 'row {i}'), ({i + 1000}, NULL), ({i + 2000}, 'x');\n",
            f"SELECT count(*) FROM noise_{i};\n"]
def write(name, buried, last):
    out, i = [f"-- feature: 200 statements, one buried difference ({name})\n-- area: Bench\n"], 0
    while len(out) - 1 < 199:
        if i in buried:
            out.append(buried[i])
        out.extend(noise(i))
        i += 1
    out = out[:200] + [last]
    open(f"{sys.argv[1]}/{name}.sql", "w").write("".join(out))
write("simple", {31: "CREATE TABLE target (id int, name text NOT NULL);\n"},
      "SELECT count(*) FROM pg_constraint WHERE conrelid = 'target'::regclass;\n")
write("chain", {5: "CREATE TABLE target (id int, note text DEFAULT 'n/a');\n",
                30: "ALTER TABLE target ADD COLUMN name text;\n",
                55: "ALTER TABLE target ALTER COLUMN name SET NOT NULL;\n"},
      "SELECT c.relname, con.contype, con.conname, length(con.conname) AS n FROM pg_constraint con "
      "JOIN pg_class c ON c.oid = con.conrelid WHERE c.relname = 'target' AND c.relkind = 'r' "
      "ORDER BY con.conname LIMIT 100;\n")
PY
candidate="local:$(candidates/pg18.sh 2>/dev/null)"
jobs_many=$(( $(nproc) > 1 ? $(nproc) + 1 : 2 ))
for name in simple chain; do
  file="$work/workloads/bench/$name.sql"
  echo "== $name: $(grep -vc '^--' "$file") statements"
  for jobs in 1 "$jobs_many"; do
    rm -rf "$work/out"
    start=$(date +%s.%N)
    line=$(target/release/pgparity reduce --reduce-jobs "$jobs" --candidate "$candidate" --out "$work/out" "$file" 2>&1 | grep '^repro ' || true)
    end=$(date +%s.%N)
    echo "--reduce-jobs $jobs: ${line:-no repro written}"
    printf '  wall time of `pgparity reduce` (two fresh clusters included): %.1f s\n' "$(echo "$end - $start" | bc)"
  done
  echo "  repro statements:"; grep -v '^--' "$work"/out/repros/*.sql | sed 's/^/    /'
done
