"""The journal's tables, and the migrations that bring an older file up to date.

The version lives in SQLite's `user_version` pragma (0 in a new file). `MIGRATIONS[i]` takes a file
from version i to i + 1, so a later pilot appends a step and every journal ever written still opens;
a file from a newer pilot is refused rather than written with a schema it does not know.

States and commands are checked in Python, not by CHECK constraints: adding a state later would
otherwise mean rebuilding a table in SQLite.
"""

from __future__ import annotations

import sqlite3

_V1 = """
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a run id is never reused
    started     REAL NOT NULL,
    finished    REAL,
    user        TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    pid_started INTEGER,
    command     TEXT NOT NULL,
    stage       TEXT,
    limit_expr  TEXT,
    inventory   TEXT NOT NULL,
    state       TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    resolved_by INTEGER REFERENCES runs(id)
);
CREATE INDEX runs_by_inventory ON runs(inventory, state);

CREATE TABLE run_devices (
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    device    TEXT NOT NULL,
    platform  TEXT,
    transport TEXT,
    push      TEXT NOT NULL DEFAULT 'pending',
    error     TEXT NOT NULL DEFAULT '',
    backup    TEXT,
    intended  TEXT,
    diff      TEXT,
    updated   REAL NOT NULL,
    PRIMARY KEY (run_id, device)
);

CREATE TABLE checks (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    phase    TEXT NOT NULL,
    name     TEXT NOT NULL,
    node     TEXT NOT NULL,
    expected TEXT NOT NULL,
    observed TEXT NOT NULL,
    passed   INTEGER NOT NULL,
    seconds  REAL NOT NULL,
    skipped  INTEGER NOT NULL,
    at       REAL NOT NULL
);
CREATE INDEX checks_by_run ON checks(run_id);

CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id),
    at      REAL NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX events_by_run ON events(run_id);

CREATE TABLE device_stages (
    inventory TEXT NOT NULL,
    device    TEXT NOT NULL,
    stage     TEXT NOT NULL,
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    updated   REAL NOT NULL,
    PRIMARY KEY (inventory, device)
);
"""

# Agency by agency: a run records the stage map it applied or verified ({site: stage}, JSON) and the sites
# it moved; the journal keeps each site's stage as it keeps each device's.
_V2 = """
ALTER TABLE runs ADD COLUMN stage_map TEXT;
ALTER TABLE runs ADD COLUMN sites TEXT;

CREATE TABLE site_stages (
    inventory TEXT NOT NULL,
    site      TEXT NOT NULL,
    stage     TEXT NOT NULL,
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    updated   REAL NOT NULL,
    PRIMARY KEY (inventory, site)
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, start: int) -> None:
    """Apply every step after `start`, inside the caller's transaction (all or nothing)."""
    for step in range(start, SCHEMA_VERSION):
        # executescript would COMMIT the caller's transaction first; run statement by statement.
        for statement in _statements(MIGRATIONS[step]):
            db.execute(statement)
    # A pragma cannot take a parameter; the value is our own integer.
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")


def _statements(script: str) -> list[str]:
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        out.append(pending.strip())
    return out
