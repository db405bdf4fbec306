#!/usr/bin/env bash
# DuckDB behind buenavista 0.5.0 (a PostgreSQL wire server in Python), in memory, on
# 127.0.0.1:PORT. Installs into a virtualenv in the cache on first use (PyPI); duckdb<2,
# pyarrow and python-dateutil are needs buenavista does not declare.
#   pgparity run --candidate 'exec:candidates/duckdb.sh {port}'
# Stop it with SIGTERM (it deadlocks on SIGINT); pgparity does.
set -euo pipefail
port="${1:?usage: candidates/duckdb.sh PORT (or --install)}"
. "$(dirname "$0")/lib.sh"
dir="$(cache_root)/buenavista-0.5.0"
install_once "$dir" sh -c "python3 -m venv '$dir/venv' && '$dir/venv/bin/pip' install -q buenavista==0.5.0 'duckdb<2' pyarrow python-dateutil"
[ "$port" = --install ] && exit 0
export BUENAVISTA_HOST=127.0.0.1 BUENAVISTA_PORT="$port"
exec "$dir/venv/bin/python" -u -m buenavista.examples.duckdb_postgres
