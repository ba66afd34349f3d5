"""Opening the journal's SQLite file: created private, WAL mode, foreign keys on."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from pilot.errors import PilotError

# How long a write waits for another process's write transaction before giving up (seconds).
BUSY_TIMEOUT = 10.0


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the journal at `path`, configured; any failure is a PilotError naming the file."""
    _create_private(path)
    try:
        # isolation_level=None: we issue BEGIN ourselves, so every transaction is as short as we say.
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise file_error(path, exc) from exc
    try:
        _configure(db)
    except sqlite3.Error as exc:
        db.close()
        raise file_error(path, exc) from exc
    return db


def _create_private(path: Path) -> None:
    """Create the file (and its directories) readable by its owner only: the journal holds device
    configurations, redacted but still a map of the network. SQLite gives -wal and -shm the same mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:
        raise PilotError(
            f"{path}: cannot create the journal: {exc.strerror}",
            fix="set PILOT_JOURNAL to a writable file, or fix the directory's permissions",
        ) from exc


def _configure(db: sqlite3.Connection) -> None:
    db.row_factory = sqlite3.Row
    # WAL: readers (pilot history, pilot status) see the last commit while a run writes.
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.DatabaseError(f"cannot switch to WAL mode (got {mode}): is the file on a network filesystem?")
    db.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit survives a power cut too; a run writes little, so the extra fsync costs nothing.
    db.execute("PRAGMA synchronous = FULL")


def file_error(path: Path, exc: sqlite3.Error) -> PilotError:
    return PilotError(
        f"{path}: cannot use the journal: {exc}",
        fix="check the file is a pilot journal on a local disk, or set PILOT_JOURNAL to another file",
    )
