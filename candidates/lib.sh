# Shared by the candidate launch scripts: the cache directory installs go to.
# Root uses /var/cache/pgparity (readable by the postgres OS user); others ~/.cache/pgparity.
# PGPARITY_CACHE overrides.
cache_root() {
  if [ -n "${PGPARITY_CACHE:-}" ]; then echo "$PGPARITY_CACHE"
  elif [ "$(id -u)" = 0 ]; then echo /var/cache/pgparity
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/pgparity"; fi
}
# Run a first-use install once, even when several servers start at the same time.
install_once() { # DIR COMMAND...
  local dir="$1"; shift
  mkdir -p "$dir"
  ( flock 9; [ -f "$dir/.installed" ] || { "$@" >&2 && touch "$dir/.installed"; } ) 9>"$dir/.lock"
}
# Start `pgparity capture` in front of a fresh local cluster, writing into OUT; sets
# capture_pid, capture_port (the proxy's) and capture_upstream (the cluster's, for direct
# connections that must not be captured). capture_stop ends it and writes the workloads.
capture_start() { # BIN OUT
  local log; log=$(mktemp)
  "$1" capture --listen 127.0.0.1:0 --upstream local -o "$2" >"$log" &
  capture_pid=$! capture_port="" capture_upstream=""
  trap "kill -TERM $capture_pid 2>/dev/null" EXIT
  for _ in $(seq 300); do
    capture_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$log")
    capture_upstream=$(sed -n 's#^upstream: postgres://postgres@127.0.0.1:\([0-9]*\)/.*#\1#p' "$log")
    [ -n "$capture_port" ] && [ -n "$capture_upstream" ] && break
    sleep 0.1
  done
  rm -f "$log"
}
capture_stop() {
  kill -TERM "$capture_pid"; wait "$capture_pid" >/dev/null; trap - EXIT
}
