#!/usr/bin/env bash
# Migration bench (prints figures; asserts nothing): a generated history of 50 migrations kept as
# two trees (PostgreSQL and SQLite: tables, columns added, indexes, foreign keys, checks), applied
# with `pgparity migrate` on PostgreSQL 15 (a local cluster, started by the run) and SQLite, with
# both schemas read back and diffed after every version, then the history re-run once.
# Goal: ≤ 10 s on a 2-core machine.
#   bench/migrate.sh [N]       (N migrations, default 50; uses target/release/pgparity, building it if needed)
set -euo pipefail
n=${1:-50}
. "$(dirname "$0")/lib.sh" migrate
python3 - "$work" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in ("postgres", "sqlite"):
    os.makedirs(f"{root}/{d}")
def write(v, name, pg, lite):
    open(f"{root}/postgres/{v:04d}_{name}.sql", "w").write(pg)
    open(f"{root}/sqlite/{v:04d}_{name}.sql", "w").write(lite)
tables = 0
for v in range(1, n + 1):
    kind = v % 5
    if kind == 1 or tables == 0:
        tables += 1
        t = f"t{tables}"
        parent = f" , parent_id bigint REFERENCES t{tables - 1} (id) ON DELETE CASCADE" if tables > 1 else ""
        lparent = f" , parent_id INTEGER REFERENCES t{tables - 1} (id) ON DELETE CASCADE" if tables > 1 else ""
        write(v, f"create_{t}",
              f"CREATE TABLE {t} (id bigserial PRIMARY KEY, name varchar(80) NOT NULL, qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0){parent});\n",
              f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (length(name) <= 80), qty INTEGER NOT NULL DEFAULT 0 CHECK (qty >= 0){lparent});\n")
    elif kind == 2:
        write(v, f"add_note_t{tables}", f"ALTER TABLE t{tables} ADD COLUMN note_{v} text;\n", f"ALTER TABLE t{tables} ADD COLUMN note_{v} TEXT;\n")
    elif kind == 3:
        write(v, f"index_t{tables}", f"CREATE INDEX t{tables}_name_{v} ON t{tables} (name);\n", f"CREATE INDEX t{tables}_name_{v} ON t{tables} (name);\n")
    elif kind == 4:
        write(v, f"flag_t{tables}", f"ALTER TABLE t{tables} ADD COLUMN flag_{v} boolean NOT NULL DEFAULT false;\n",
              f"ALTER TABLE t{tables} ADD COLUMN flag_{v} INTEGER NOT NULL DEFAULT 0 CHECK (flag_{v} IN (0, 1));\n")
    else:
        write(v, f"unique_t{tables}", f"CREATE UNIQUE INDEX t{tables}_uniq_{v} ON t{tables} (name, qty);\n",
              f"CREATE UNIQUE INDEX t{tables}_uniq_{v} ON t{tables} (name, qty);\n")
PY
echo "bench: $n migrations × 2 engines (PostgreSQL 15, SQLite), a snapshot of both schemas after each"
for round in 1 2 3; do
  start=$(date +%s.%N)
  target/release/pgparity migrate --candidate 'sqlite?foreign_keys=on' --out "$work/out" "$work/postgres" "$work/sqlite" > "$work/log" 2>&1 || true
  end=$(date +%s.%N)
  cp "$work/log" /tmp/pgparity-bench-migrate.log
  printf 'round %s: %.2f s, %s\n' "$round" "$(python3 -c "print($end - $start)")" "$(grep -m1 '^\*\*' "$work/out/scorecard.md")"
done
