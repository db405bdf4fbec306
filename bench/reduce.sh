#!/usr/bin/env bash
# Reduction bench (prints figures; asserts nothing): a 200-statement workload with one buried
# difference between PostgreSQL 15 and 18 (a NOT NULL constraint listed in pg_constraint on 18),
# reduced with `pgparity reduce`: trials used, wall time, and the final repro size.
# Goal: 1-minimal in ≤ 30 s and ≤ 400 trials on a 2-core machine.
#   bench/reduce.sh            (uses target/release/pgparity, building it if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/pgparity ] || cargo build --release
work=$(mktemp -d /tmp/pgparity-bench-reduce-XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/workloads/bench"
python3 - "$work/workloads/bench/buried200.sql" <<'PY'
import sys
out = ["-- feature: 200 statements, one buried difference\n-- area: Bench\n"]
n = 0
i = 0
while n < 198:
    out.append(f"CREATE TABLE noise_{i} (id int PRIMARY KEY, v text);\n")
    out.append(f"INSERT INTO noise_{i} VALUES ({i}, 'row {i}'), ({i + 1000}, NULL);\n")
    out.append(f"SELECT count(*) FROM noise_{i};\n")
    n += 3
    if i == 31:
        out.append("CREATE TABLE target (id int, name text NOT NULL);\n")
        n += 1
    i += 1
out.append("SELECT count(*) FROM pg_constraint WHERE conrelid = 'target'::regclass;\n")
open(sys.argv[1], "w").write("".join(out))
print(f"workload: {n + 1} statements")
PY
candidate="local:$(candidates/pg18.sh 2>/dev/null)"
start=$(date +%s.%N)
line=$(target/release/pgparity reduce --candidate "$candidate" --out "$work/out" "$work/workloads/bench/buried200.sql" 2>&1 | grep '^repro ' || true)
end=$(date +%s.%N)
echo "${line:-no repro written}"
printf 'wall time of `pgparity reduce` (two fresh clusters included): %.1f s\n' "$(echo "$end - $start" | bc)"
echo "repro statements:"; grep -v '^--' "$work"/out/repros/*.sql
