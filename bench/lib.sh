# Shared by the bench scripts (sourced): from the repository root, the release binary in $bin
# (built if missing), and $work, a scratch folder removed at exit.
#   . "$(dirname "$0")/lib.sh" NAME
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x target/release/pgparity ] || cargo build --release
bin=target/release/pgparity
work=$(mktemp -d "/tmp/pgparity-bench-$1-XXXX")
trap 'rm -rf "$work"' EXIT
