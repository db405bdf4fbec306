#!/usr/bin/env bash
# Regenerates workloads/orm/: what real tools send to PostgreSQL, captured with
# `pgparity capture` in front of an ephemeral local cluster. Tools are installed (pinned) into
# the cache on first use; see workloads/orm/README.md for the versions and what each one runs.
#   scripts/orm-pack.sh            (builds target/release/pgparity if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
. candidates/lib.sh
[ -x target/release/pgparity ] || cargo build --release
bin=target/release/pgparity
psql=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1); psql=${psql:-$(command -v psql)}

py="$(cache_root)/orm-python"
install_once "$py" sh -c "python3 -m venv '$py' && '$py/bin/pip' install -q SQLAlchemy==2.0.36 'psycopg[binary]==3.2.3' Django==5.1.4"
node="$(cache_root)/orm-node"
install_once "$node" sh -c "cd '$node' && npm install --no-audit --no-fund --loglevel=error knex@3.1.0 pg@8.13.1"

capture() { # NAME TITLE COMMAND… (the proxy's port is appended)
  local name=$1 title=$2; shift 2
  local out=workloads/orm/$name
  rm -rf "$out"; mkdir -p "$out"
  capture_start "$bin" "$out"
  local port=$capture_port upstream=$capture_upstream
  # Straight to the upstream (not captured): move its OID counter far past what a replay
  # uses, so the OIDs psql's \d queries carry as literals never name a replayed object.
  "$psql" -X -q -h 127.0.0.1 -p "$upstream" -U postgres -d postgres \
    -c "DO \$\$ BEGIN FOR i IN 1..200000 LOOP PERFORM lo_unlink(lo_create(0)); IF i % 1000 = 0 THEN COMMIT; END IF; END LOOP; END \$\$" >/dev/null
  "$@" "$port"
  capture_stop
  for f in "$out"/conn-*.yaml; do
    sed -i -e "s/^feature: \"Captured connection \([0-9]*\) .*\"$/feature: \"$title (connection \1)\"/" -e 's/^area: Captured$/area: ORM/' "$f"
  done
  echo "$name: $(ls "$out" | wc -l) connection(s), $(cat "$out"/*.yaml | grep -c '^  - sql: |') statements"
}

capture psql "psql 15 meta-commands" clients/orm/psql_meta.sh
capture sqlalchemy "SQLAlchemy 2.0 (psycopg 3): create_all, inspector, ORM session" "$py/bin/python" clients/orm/sqlalchemy_app.py
capture django "Django 5.1 (psycopg 3): migrate contrib apps, inspectdb" "$py/bin/python" clients/orm/django_app/run.py
capture knex "knex 3 (node-postgres 8): schema builder, RETURNING, savepoint" env NODE_PATH="$node/node_modules" node clients/orm/knex_app.js
