# Shared by the bench scripts (sourced): from the repository root, the release binary in $bin
# (built if missing), and $work, a scratch folder removed at exit.
#   . "$(dirname "$0")/lib.sh" NAME
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x target/release/pgparity ] || cargo build --release
bin=target/release/pgparity
work=$(mktemp -d "/tmp/pgparity-bench-$1-XXXX")
trap 'rm -rf "$work"' EXIT

# PostgreSQL 15 servers of the bench's own, in $work (stopped, immediately, at exit):
#   p=$(port); start_server NAME "$p" [-c setting=value …]
pgbin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_server() {
  local name=$1 p=$2; shift 2
  as_pg "$pgbin/initdb" -D "$work/$name" -U postgres -A trust -E UTF8 --locale=C -N >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$work/$name" -l "$work/$name.log" -w \
    -o "-p $p -k $work -c listen_addresses=127.0.0.1 -c fsync=off $*" start >/dev/null
}
url() { echo "postgres://postgres@127.0.0.1:$1/postgres"; }
stop_servers() {
  for d in "$work"/*/; do
    [ -f "$d/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap stop_servers EXIT

# A folder of Debian's source package of the installed PostgreSQL 15 (`src/test/regress`…),
# downloaded once into /var/cache/pgparity.
pg_source() {
  local version cache
  version=$("$pgbin/postgres" --version | awk '{print $3}')
  cache=/var/cache/pgparity/postgresql-$version
  if [ ! -d "$cache/$1" ]; then
    mkdir -p "$cache"
    local url="http://deb.debian.org/debian/pool/main/p/postgresql-15/postgresql-15_$version.orig.tar.bz2"
    echo "fetching $url" >&2
    curl -fsSL "$url" | tar -xj -C "$cache" --strip-components=1 "postgresql-$version/$1"
  fi
  echo "$cache/$1"
}
