"""Opening the journal's SQLite file: created private, WAL mode, foreign keys on; or read-only.

Reading a WAL database without write access needs care: SQLite must map the `-shm` index, which it
creates when missing, and a read-only directory forbids that. `mode=ro` reads through the WAL when the
`-shm` and `-wal` files exist or can be created; when they can do neither (a read-only directory and a
journal closed cleanly, so no WAL is left), `immutable=1` reads the main file as it is, which is then
the whole journal: nothing can be in a WAL that does not exist.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from pilot.errors import PilotError

# How long a write waits for another process's write transaction before giving up (seconds).
BUSY_TIMEOUT = 10.0


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the journal at `path`, configured and proved writable; any failure is a
    PilotError naming the file."""
    _create_private(path)
    try:
        # isolation_level=None: we issue BEGIN ourselves, so every transaction is as short as we say.
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise file_error(path, exc) from exc
    try:
        _configure(db)
        _prove_writable(db)
    except sqlite3.Error as exc:
        db.close()
        raise file_error(path, exc) from exc
    return db


def connect_read_only(path: Path) -> sqlite3.Connection | None:
    """A connection that never writes the journal at `path`, or None when there is no journal yet."""
    if not path.exists():
        return None
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise PilotError(
            f"{path}: cannot read the journal: {exc.strerror}",
            fix="run pilot as the user who owns it, or set PILOT_JOURNAL to a journal you can read",
        ) from exc
    wal = Path(f"{path}-wal")
    uris = [f"{path.resolve().as_uri()}?mode=ro"]
    if not wal.exists():
        uris.append(f"{path.resolve().as_uri()}?immutable=1")
    error: sqlite3.Error | None = None
    for uri in uris:
        try:
            db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            error = exc
            continue
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA user_version").fetchone()  # opening is lazy: make it read now
        except sqlite3.Error as exc:
            db.close()
            error = exc
            continue
        return db
    assert error is not None
    raise file_error(path, error) from error


def _create_private(path: Path) -> None:
    """Create the file (and its directories) readable by its owner only: the journal holds device
    configurations, redacted but still a map of the network. SQLite gives -wal and -shm the same mode."""
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:
        what = "write" if existed else "create"
        fix = "set PILOT_JOURNAL to a writable file, or fix the file's and its directory's permissions"
        if exc.errno == errno.EROFS:
            fix = "set PILOT_JOURNAL to a file on a writable filesystem"
        raise PilotError(f"{path}: cannot {what} the journal: {exc.strerror}", fix=fix) from exc


def _configure(db: sqlite3.Connection) -> None:
    db.row_factory = sqlite3.Row
    # WAL: readers (pilot history, pilot status) see the last commit while a run writes.
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.DatabaseError(f"cannot switch to WAL mode (got {mode}): is the file on a network filesystem?")
    db.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit survives a power cut too; a run writes little, so the extra fsync costs nothing.
    db.execute("PRAGMA synchronous = FULL")


def _prove_writable(db: sqlite3.Connection) -> None:
    """SQLite opens a file it cannot write read-only without a word, and even BEGIN IMMEDIATE succeeds:
    only a write says so. Rewrite the header's user_version with its own value, and roll back. Without
    waiting: opening the journal never queues behind a run's write, and a file another process is
    writing right now is a file that can be written."""
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute("BEGIN IMMEDIATE")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        db.execute(f"PRAGMA user_version = {version:d}")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000):d}")


def file_error(path: Path, exc: sqlite3.Error) -> PilotError:
    """A PilotError for an SQLite failure on the journal at `path`, with the fix for its kind."""
    from pilot.journal.health import damaged_error, is_damage

    text = str(exc)
    if is_damage(exc):
        return damaged_error(path, text)
    if "readonly" in text.replace(" ", "").lower() or "read-only" in text:
        # Name what cannot be written: the -wal and -shm files a reader of a read-only journal left
        # with its mode are as much in the way as the journal itself.
        files = [
            f for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if f.exists() and not os.access(f, os.W_OK)
        ]
        if not os.access(path.parent, os.W_OK):
            files.append(path.parent)
        which = f" ({', '.join(map(str, files))} not writable)" if files else ""
        return PilotError(
            f"{path}: the journal cannot be written{which}: {text}",
            fix="run pilot as the user who owns the journal (and its directory), or set PILOT_JOURNAL to a writable file",
        )
    if "disk is full" in text:
        return PilotError(f"{path}: cannot write the journal: {text}", fix="free space on its filesystem and run again")
    if "disk I/O error" in text:
        return PilotError(
            f"{path}: cannot write the journal: {text}",
            fix="keep the journal in a regular file on a working local disk (PILOT_JOURNAL), and check the disk",
        )
    if "locked" in text or "busy" in text:
        return PilotError(
            f"{path}: the journal stayed locked by another process for {BUSY_TIMEOUT:.0f} s: {text}",
            fix=f"run again; `fuser -v {path}` names the process holding it",
        )
    return PilotError(
        f"{path}: cannot use the journal: {text}",
        fix="check the file is a pilot journal on a local disk, or set PILOT_JOURNAL to another file",
    )
