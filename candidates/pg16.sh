#!/usr/bin/env bash
# PostgreSQL 16.2 from the PyPI wheel `pgserver` 0.1.4 (binaries inside the wheel). Prints the
# bin directory for a local: target, installing into a virtualenv in the cache on first use.
#   pgparity run --candidate local:$(candidates/pg16.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
dir="$(cache_root)/pgserver-0.1.4"
install_once "$dir" sh -c "python3 -m venv '$dir/venv' && '$dir/venv/bin/pip' install -q pgserver==0.1.4 && chmod -R a+rX '$dir'"
bindir=$(ls -d "$dir"/venv/lib/python3*/site-packages/pgserver/pginstall/bin | head -1)
"$bindir/postgres" --version >&2
echo "$bindir"
