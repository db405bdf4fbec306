#!/usr/bin/env python3
"""Writes workloads/isolation/: Martin Kleppmann's Hermitage tests (github.com/ept/hermitage,
postgres.md) as multi-session workloads, one per anomaly and isolation level.

Each schedule is Hermitage's, with BEGIN ISOLATION LEVEL … as each session's first step and
ORDER BY where a read returns several rows. `anomaly_if` names what a client would see if the
anomaly happened (the witness); pgparity reads each side's run as *possible* (a witness seen) or
*prevented*, and how (blocked, aborted with SQLSTATE …). `alternatives` are other outcomes a
correct implementation may give where PostgreSQL picks one way (another victim, no wait).

    python3 scripts/hermitage.py      # rewrites workloads/isolation/*.yaml
"""
import json
import os

LEVELS = ["read committed", "repeatable read", "serializable"]
SETUP = "CREATE TABLE test (id int PRIMARY KEY, value int);\nINSERT INTO test (id, value) VALUES (1, 10), (2, 20);\n"
ALL = "SELECT * FROM test ORDER BY id"


def s(session, sql, label=None):
    return {"session": session, "sql": sql, "label": label}


# name: (title, description, sessions, steps, anomaly_if as [{label: rows or tag}],
#        alternatives(level) -> [(why, {label: expect})])
ANOMALIES = {
    "G0": (
        "write cycles, dirty writes",
        "t1 and t2 update the same two rows in opposite interleaving; a write cycle leaves one row "
        "from each. Prevented by t2 waiting for t1's row lock.",
        ["t1", "t2"],
        [
            s("t1", "UPDATE test SET value = 11 WHERE id = 1"),
            s("t2", "UPDATE test SET value = 12 WHERE id = 1", "t2_write"),
            s("t1", "UPDATE test SET value = 21 WHERE id = 2"),
            s("t1", "COMMIT"),
            s("t1", ALL),
            s("t2", "UPDATE test SET value = 22 WHERE id = 2"),
            s("t2", "COMMIT"),
            s("t1", ALL, "final"),
        ],
        [{"final": [[1, 12], [2, 21]]}, {"final": [[1, 11], [2, 22]]}],
        lambda level: [] if level == "read committed" else [NO_WAIT("t2_write")],
    ),
    "G1a": (
        "aborted reads",
        "t2 must never see what t1 wrote and then rolled back.",
        ["t1", "t2"],
        [
            s("t1", "UPDATE test SET value = 101 WHERE id = 1"),
            s("t2", ALL, "read1"),
            s("t1", "ROLLBACK"),
            s("t2", ALL, "read2"),
            s("t2", "COMMIT"),
        ],
        [{"read1": [[1, 101], [2, 20]]}, {"read2": [[1, 101], [2, 20]]}],
        lambda level: [],
    ),
    "G1b": (
        "intermediate reads",
        "t2 must never see t1's intermediate value 101, only its committed 11.",
        ["t1", "t2"],
        [
            s("t1", "UPDATE test SET value = 101 WHERE id = 1"),
            s("t2", ALL, "read1"),
            s("t1", "UPDATE test SET value = 11 WHERE id = 1"),
            s("t1", "COMMIT"),
            s("t2", ALL, "read2"),
            s("t2", "COMMIT"),
        ],
        [{"read1": [[1, 101], [2, 20]]}, {"read2": [[1, 101], [2, 20]]}],
        lambda level: [],
    ),
    "G1c": (
        "circular information flow",
        "t1 and t2 each update a row and read the other's: each seeing the other's uncommitted "
        "write is a cycle.",
        ["t1", "t2"],
        [
            s("t1", "UPDATE test SET value = 11 WHERE id = 1"),
            s("t2", "UPDATE test SET value = 22 WHERE id = 2"),
            s("t1", "SELECT * FROM test WHERE id = 2", "t1_read"),
            s("t2", "SELECT * FROM test WHERE id = 1", "t2_read"),
            s("t1", "COMMIT"),
            s("t2", "COMMIT"),
        ],
        [{"t1_read": [[2, 22]], "t2_read": [[1, 11]]}],
        lambda level: [],
    ),
    "OTV": (
        "observed transaction vanishes",
        "t3 reads while t1 and then t2 overwrite both rows: it must not see t2's writes before t2 "
        "commits, nor t2's write to one row beside t1's (overwritten) write to the other.",
        ["t1", "t2", "t3"],
        [
            s("t1", "UPDATE test SET value = 11 WHERE id = 1"),
            s("t1", "UPDATE test SET value = 19 WHERE id = 2"),
            s("t2", "UPDATE test SET value = 12 WHERE id = 1", "t2_write"),
            s("t1", "COMMIT"),
            s("t3", "SELECT * FROM test WHERE id = 1", "r1"),
            s("t2", "UPDATE test SET value = 18 WHERE id = 2"),
            s("t3", "SELECT * FROM test WHERE id = 2", "r2"),
            s("t2", "COMMIT"),
            s("t3", "SELECT * FROM test WHERE id = 2", "r3"),
            s("t3", "SELECT * FROM test WHERE id = 1", "r4"),
            s("t3", "COMMIT"),
        ],
        [{"r1": [[1, 12]]}, {"r2": [[2, 18]]}, {"r3": [[2, 18]], "r4": [[1, 11]]}],
        lambda level: [] if level == "read committed" else [NO_WAIT("t2_write")],
    ),
    "PMP": (
        "predicate-many-preceders",
        "t1 reads by a predicate twice; a row t2 inserts and commits in between must not appear "
        "in t1's second read.",
        ["t1", "t2"],
        [
            s("t1", "SELECT * FROM test WHERE value = 30"),
            s("t2", "INSERT INTO test (id, value) VALUES (3, 30)"),
            s("t2", "COMMIT"),
            s("t1", "SELECT * FROM test WHERE value % 3 = 0", "read2"),
            s("t1", "COMMIT"),
        ],
        [{"read2": [[3, 30]]}],
        lambda level: [],
    ),
    "P4": (
        "lost update",
        "t1 and t2 read the same row and both write a value computed from it: both committing loses "
        "t1's update.",
        ["t1", "t2"],
        [
            s("t1", "SELECT * FROM test WHERE id = 1"),
            s("t2", "SELECT * FROM test WHERE id = 1"),
            s("t1", "UPDATE test SET value = 11 WHERE id = 1", "u1"),
            s("t2", "UPDATE test SET value = 11 WHERE id = 1", "u2"),
            s("t1", "COMMIT", "c1"),
            s("t2", "COMMIT", "c2"),
        ],
        [{"u1": "UPDATE 1", "u2": "UPDATE 1", "c1": "COMMIT", "c2": "COMMIT"}],
        lambda level: [] if level == "read committed" else [NO_WAIT("u2")],
    ),
    "G-single": (
        "single anti-dependency cycles, read skew",
        "t1 reads row 1, t2 updates both rows and commits, t1 reads row 2: seeing t2's row 2 beside "
        "the old row 1 is read skew.",
        ["t1", "t2"],
        [
            s("t1", "SELECT * FROM test WHERE id = 1", "read1"),
            s("t2", ALL),
            s("t2", "UPDATE test SET value = 12 WHERE id = 1"),
            s("t2", "UPDATE test SET value = 18 WHERE id = 2"),
            s("t2", "COMMIT"),
            s("t1", "SELECT * FROM test WHERE id = 2", "read2"),
            s("t1", "COMMIT"),
        ],
        [{"read1": [[1, 10]], "read2": [[2, 18]]}],
        lambda level: [],
    ),
    "G2-item": (
        "item anti-dependency cycles, write skew",
        "t1 and t2 read both rows, then each updates a different one: both committing is write "
        "skew.",
        ["t1", "t2"],
        [
            s("t1", "SELECT * FROM test WHERE id IN (1, 2) ORDER BY id"),
            s("t2", "SELECT * FROM test WHERE id IN (1, 2) ORDER BY id"),
            s("t1", "UPDATE test SET value = 11 WHERE id = 1"),
            s("t2", "UPDATE test SET value = 21 WHERE id = 2", "t2_write"),
            s("t1", "COMMIT", "c1"),
            s("t2", "COMMIT", "c2"),
            s("t1", ALL, "final"),
        ],
        [{"final": [[1, 11], [2, 21]]}],
        lambda level: OTHER_VICTIM([[1, 10], [2, 21]]) if level == "serializable" else [],
    ),
    "G2": (
        "anti-dependency cycles, predicate write skew",
        "t1 and t2 read by a predicate, then each inserts a row the other's predicate matches: both "
        "committing is an anti-dependency cycle.",
        ["t1", "t2"],
        [
            s("t1", "SELECT * FROM test WHERE value % 3 = 0"),
            s("t2", "SELECT * FROM test WHERE value % 3 = 0"),
            s("t1", "INSERT INTO test (id, value) VALUES (3, 30)"),
            s("t2", "INSERT INTO test (id, value) VALUES (4, 42)", "t2_write"),
            s("t1", "COMMIT", "c1"),
            s("t2", "COMMIT", "c2"),
            s("t1", ALL, "final"),
        ],
        [{"final": [[1, 10], [2, 20], [3, 30], [4, 42]]}],
        lambda level: OTHER_VICTIM([[1, 10], [2, 20], [4, 42]]) if level == "serializable" else [],
    ),
}


def NO_WAIT(label):
    return ("the conflicting write fails at once instead of waiting", {label: {"wait": "any"}})


def OTHER_VICTIM(rows_if_t1_aborts):
    return [
        (
            "t1 is aborted at COMMIT instead of t2",
            {"c1": {"error": "40001"}, "c2": {"ok": True, "tag": "COMMIT"}, "final": {"rows": rows_if_t1_aborts}},
        ),
        (
            "t2 is aborted at its write instead of at COMMIT",
            {"t2_write": {"error": "40001", "wait": "any"}, "c2": {"ok": True, "tag": "ROLLBACK"}},
        ),
    ]


def flow(value):
    """A YAML flow value (JSON is valid YAML flow syntax)."""
    return json.dumps(value, ensure_ascii=False)


def render(name, level):
    title, description, sessions, body, witnesses, alternatives = ANOMALIES[name]
    steps = [s(t, f"BEGIN ISOLATION LEVEL {level.upper()}") for t in sessions] + body
    number = {st["label"]: i + 1 for i, st in enumerate(steps) if st["label"]}
    out = [
        "# Generated by scripts/hermitage.py from Hermitage (github.com/ept/hermitage); edit the script.",
        f"feature: {name} ({title}) at {level}",
        "area: Isolation",
        "description: >-",
        f"  {description}",
        f"sessions: [{', '.join(sessions)}]",
        "setup: |",
    ]
    out += [f"  {line}" for line in SETUP.splitlines()]
    out.append("steps:")
    for st in steps:
        out += [f"  - session: {st['session']}", f"    sql: {st['sql']}"]
    out += ["isolation:", f"  anomaly: {name}", f"  level: {level}", "  anomaly_if:"]
    for w in witnesses:
        out.append("    - {" + ", ".join(f"{number[k]}: {flow(v)}" for k, v in w.items()) + "}")
    alts = alternatives(level)
    if alts:
        out.append("alternatives:")
        for why, entries in alts:
            out += [f"  - why: {why}", "    steps:"]
            out += [f"      {number[k]}: {flow(v)}" for k, v in entries.items()]
    return "\n".join(out) + "\n"


def main():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads", "isolation")
    os.makedirs(folder, exist_ok=True)
    for name in ANOMALIES:
        for level in LEVELS:
            path = os.path.join(folder, f"{name.lower()}-{level.replace(' ', '-')}.yaml")
            with open(path, "w") as f:
                f.write(render(name, level))


if __name__ == "__main__":
    main()
