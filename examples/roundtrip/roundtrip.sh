#!/usr/bin/env bash
# A SQLite → PostgreSQL → SQLite round trip with ordinary tools (Python's sqlite3, psql), as a
# migration tool would do it — and as seed 002's does, checking only the counts. pgparity
# data-diff then checks the contents (see README.md).
#   roundtrip.sh seed DIR                      DIR/source.db: the fixtures
#   roundtrip.sh forward URL DIR [MAPPING]     DIR/source.db into the database at URL (again: an upsert)
#   roundtrip.sh back URL DIR                  the database at URL into DIR/final.db
# MAPPING plants one lossy step in the forward copy: truncate (titles into varchar(16)),
# boolean (pinned read as 'true'/'false' text, but SQLite holds 0 and 1) or timezone (UTC
# timestamps read as New York time); default: clean.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
psql_bin=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | tail -1)
cmd=$1
case "$cmd" in
  seed)
    dir=$2; mkdir -p "$dir"
    python3 "$here/rt.py" seed "$dir/source.db"
    ;;
  forward)
    url=$2; dir=$3; mapping=${4:-clean}
    python3 "$here/rt.py" export "$dir/source.db" "$dir"
    title="title"; pinned="pinned_text = '1'"; created="created_text::timestamp AT TIME ZONE 'UTC'"
    case "$mapping" in
      clean) ;;
      truncate) title="title::varchar(16)" ;;
      boolean) pinned="pinned_text = 'true'" ;;
      timezone) created="created_text::timestamp AT TIME ZONE 'America/New_York'" ;;
      *) echo "unknown mapping: $mapping" >&2; exit 2 ;;
    esac
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$url" <<SQL
CREATE TABLE IF NOT EXISTS memories (
    id bigint PRIMARY KEY, title text NOT NULL, body text, tags jsonb, importance double precision,
    pinned boolean NOT NULL, created_at timestamptz NOT NULL, note text, attachment bytea);
CREATE TABLE IF NOT EXISTS links (
    from_id bigint NOT NULL REFERENCES memories (id), to_id bigint NOT NULL REFERENCES memories (id),
    weight double precision NOT NULL, PRIMARY KEY (from_id, to_id));
CREATE TEMP TABLE staging (id bigint, title text, body text, tags text, importance double precision,
    pinned_text text, created_text text, note text, attachment bytea);
\copy staging FROM '$dir/memories.tsv'
INSERT INTO memories SELECT id, $title, body, tags::jsonb, importance, $pinned, $created, note, attachment FROM staging
  ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, tags = excluded.tags,
    importance = excluded.importance, pinned = excluded.pinned, created_at = excluded.created_at,
    note = excluded.note, attachment = excluded.attachment;
CREATE TEMP TABLE staging_links (LIKE links);
\copy staging_links FROM '$dir/links.tsv'
INSERT INTO links SELECT * FROM staging_links ON CONFLICT (from_id, to_id) DO UPDATE SET weight = excluded.weight;
SQL
    echo "forward ($mapping): $("$psql_bin" -X -tA "$url" -c 'SELECT count(*) FROM memories') memories, $("$psql_bin" -X -tA "$url" -c 'SELECT count(*) FROM links') links"
    ;;
  back)
    url=$2; dir=$3
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$url" <<SQL
SET extra_float_digits = 1;
\copy (SELECT id, title, body, tags::text, importance, pinned::int, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), note, attachment FROM memories ORDER BY id) TO '$dir/memories.back.tsv'
\copy (SELECT from_id, to_id, weight FROM links ORDER BY 1, 2) TO '$dir/links.back.tsv'
SQL
    python3 "$here/rt.py" import "$dir" "$dir/final.db"
    echo "back: $(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM memories').fetchone()[0])" "$dir/final.db") memories"
    ;;
  *) echo "usage: roundtrip.sh seed DIR | forward URL DIR [clean|truncate|boolean|timezone] | back URL DIR" >&2; exit 2 ;;
esac
