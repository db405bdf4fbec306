#!/usr/bin/env bash
# node-postgres 8 (npm `pg`), a real driver for capture tests and the ORM pack: installs into
# the cache on first use, then runs `node SCRIPT ARGS…` with it on NODE_PATH.
#   clients/node-pg.sh --install
#   clients/node-pg.sh clients/node_pg_client.js PORT
set -euo pipefail
. "$(dirname "$0")/../candidates/lib.sh"
dir="$(cache_root)/node-pg-8"
install_once "$dir" sh -c "cd '$dir' && npm install --no-audit --no-fund --loglevel=error pg@8.13.1"
[ "${1:-}" = --install ] && exit 0
NODE_PATH="$dir/node_modules" exec node "$@"
