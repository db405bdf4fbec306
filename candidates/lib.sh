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
