#!/usr/bin/env bash
# PGlite 0.5.14 (PostgreSQL 18 in WASM) behind @electric-sql/pglite-socket, in memory, on
# 127.0.0.1:PORT, as its server script starts it: one client at a time (a second is turned
# away), or up to MAX_CONNECTIONS clients that share PGlite's one session (a client's
# statements wait while another's transaction is open). Installs into the cache on first
# use (npm).
#   pgparity run --candidate 'exec:candidates/pglite.sh {port}'
#   pgparity run --candidate 'exec:candidates/pglite.sh {port} 4'
set -euo pipefail
port="${1:?usage: candidates/pglite.sh PORT [MAX_CONNECTIONS] (or --install)}"
max="${2:-1}"
. "$(dirname "$0")/lib.sh"
dir="$(cache_root)/pglite-0.5.14"
install_once "$dir" sh -c "cd '$dir' && npm install --no-audit --no-fund --loglevel=error @electric-sql/pglite@0.5.14 @electric-sql/pglite-socket@0.2.17"
[ "$port" = --install ] && exit 0
exec node "$dir/node_modules/@electric-sql/pglite-socket/dist/scripts/server.js" --host 127.0.0.1 --port "$port" --db=memory:// --max-connections="$max"
