#!/usr/bin/env python3
"""The round trip's SQLite side, with nothing but Python's standard library.

  rt.py seed DB          a fresh SQLite file of 1000 memories and their links, with the edge cases:
                         NULLs and '' apart, long text, duplicate-like values, 4-byte UTF-8,
                         combining and right-to-left text, bytes with NUL, a memory with 500 links
  rt.py export DB DIR    each table as COPY text (tab-separated, \\N for NULL), for psql's \\copy
  rt.py import DIR DB    the COPY text files back into a fresh SQLite file of the same schema
"""
import os
import sqlite3
import sys

SCHEMA = """
CREATE TABLE memories (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT,
    tags JSON,
    importance REAL,
    pinned INTEGER NOT NULL CHECK (pinned IN (0, 1)),
    created_at TEXT NOT NULL,
    note TEXT,
    attachment BLOB
);
CREATE TABLE links (
    from_id INTEGER NOT NULL REFERENCES memories (id),
    to_id INTEGER NOT NULL REFERENCES memories (id),
    weight REAL NOT NULL,
    PRIMARY KEY (from_id, to_id)
);
"""
COLUMNS = {
    "memories": ["id", "title", "body", "tags", "importance", "pinned", "created_at", "note", "attachment"],
    "links": ["from_id", "to_id", "weight"],
}


def seed(path):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    titles = ["Alpha", "alpha", "Alpha ", " Alpha", "ALPHA", "Ålpha", "Alpha\u0301"]
    unicode = ["emoji 😀🎉", "clef 𝄞", "עברית right-to-left", "naïve café", "日本語のテキスト", "zero\u200bwidth"]
    rows = []
    for i in range(1, 1001):
        title = titles[i % len(titles)] if i % 10 == 0 else f"Memory {i}: {unicode[i % len(unicode)]}"
        if i % 97 == 0:
            title = "A long title that a narrower column would not hold whole " * 2
        body = None if i % 7 == 0 else ("lorem ipsum " * 900 if i % 50 == 0 else f"body of {i}\twith a tab\nand a line")
        tags = '{"kind":"note","n":%d,"labels":["a","b"]}' % i if i % 3 else None
        importance = None if i % 11 == 0 else i / 7
        pinned = 1 if i % 4 == 0 else 0
        hour = i % 24
        created = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {hour:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
        note = None if i % 5 == 0 else ("" if i % 5 == 1 else f"note {i}")
        attachment = bytes([0, i % 256, 255, 10, 9, 92]) if i % 13 == 0 else None
        rows.append((i, title, body, tags, importance, pinned, created, note, attachment))
    db.executemany("INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    links = [(1, j, 1.0 / j) for j in range(2, 502)]  # one memory with 500 links
    links += [(i, i + 1, 0.5) for i in range(2, 1000)]
    db.executemany("INSERT INTO links VALUES (?, ?, ?)", links)
    db.commit()
    db.close()


def copy_field(v):
    if v is None:
        return "\\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    if isinstance(v, float):
        return repr(v)
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def export(path, out):
    db = sqlite3.connect(path)
    for table, cols in COLUMNS.items():
        with open(os.path.join(out, f"{table}.tsv"), "w", encoding="utf-8", newline="\n") as f:
            for row in db.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY 1, 2"):
                f.write("\t".join(copy_field(v) for v in row) + "\n")


def unescape(field):
    if field == "\\N":
        return None
    out, i = [], 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            n = field[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load(path, out):
    if os.path.exists(out):
        os.remove(out)
    db = sqlite3.connect(out)
    db.executescript(SCHEMA)
    for table, cols in COLUMNS.items():
        rows = []
        with open(os.path.join(path, f"{table}.back.tsv"), encoding="utf-8", newline="\n") as f:
            for line in f:
                values = [unescape(v) for v in line.rstrip("\n").split("\t")]
                row = []
                for col, v in zip(cols, values):
                    if v is not None and col == "attachment":
                        v = bytes.fromhex(v[2:])
                    elif v is not None and col in ("id", "pinned", "from_id", "to_id"):
                        v = int(v)
                    elif v is not None and col in ("importance", "weight"):
                        v = float(v)
                    row.append(v)
                rows.append(row)
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", rows)
    db.commit()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"seed": seed, "export": export, "import": load}[command](*args)
