"""The journal's health: SQLite's own integrity check before a run that changes devices, a copy taken
before each such run (a bounded number kept), and a refusal that says which copy to recover from.

A damaged journal must stop a run before it pushes: a run writes its devices' backups into the
journal, and a write into a damaged file can be lost with the rest of it. `PRAGMA quick_check` reads
every page of every table and index and checks their structure (what a torn or overwritten page
breaks); it does not compare indexes with their tables, which `integrity_check` does at several times
the cost and which pilot never relies on. The copy is made with SQLite's backup API: a consistent
snapshot, WAL included, while other processes read the journal.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from pilot.errors import PilotError

COPIES_KEPT = 5  # copies of the journal kept beside it, newest first; older ones are removed


def copies_dir(journal: Path) -> Path:
    """Where the copies of `journal` live: `journal.sqlite.copies/` beside it."""
    return journal.with_name(journal.name + ".copies")


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite's error says the file is damaged (rather than absent, locked or read-only)."""
    text = str(exc)
    return "malformed" in text or "Could not decode" in text or isinstance(exc, sqlite3.DataError)


def check_integrity(db: sqlite3.Connection, path: Path) -> None:
    """Refuse (PilotError) a journal SQLite finds damaged, naming the copy to recover from."""
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise damaged_error(path, str(exc)) from exc
    problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    if problems:
        raise damaged_error(path, "; ".join(p.replace("*** in database main ***", "").strip() for p in problems[:3]))


def keep_copy(db: sqlite3.Connection, path: Path, last_run: int) -> Path:
    """Copy the journal (as `db` sees it now, holding runs up to `last_run`) into its copies directory,
    keeping the newest COPIES_KEPT. Returns the copy. Refuses (PilotError) when the copy cannot be
    written: a run must not start without a way back to its journal."""
    directory = copies_dir(path)
    target = directory / f"upto-run-{last_run:06d}.sqlite"
    partial = directory / f".{target.name}.partial"
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        os.close(os.open(partial, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600))
        copy = sqlite3.connect(partial)
        try:
            db.backup(copy)
        finally:
            copy.close()
        os.replace(partial, target)  # a copy cut short by a crash never takes the name of a good one
    except BaseException as exc:
        try:
            partial.unlink()  # also when a signal cut the copy short
        except OSError:
            pass
        if not isinstance(exc, (OSError, sqlite3.Error)):
            raise
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PilotError(
            f"{directory}: cannot keep a copy of the journal before the run: {why} (nothing was changed)",
            fix=f"make {directory.parent} writable (or free space on it), or set PILOT_JOURNAL to a journal in a writable directory",
        ) from exc
    for old in copies(path)[COPIES_KEPT:]:
        try:
            old.unlink()
        except OSError:
            pass
    return target


def copies(path: Path) -> list[Path]:
    """The copies of the journal at `path`, newest first (by when they were taken: a journal started
    afresh after damage numbers its runs from 1 again)."""
    found: list[tuple[float, Path]] = []
    try:
        for copy in copies_dir(path).glob("upto-run-*.sqlite"):
            try:
                found.append((copy.stat().st_mtime, copy))
            except OSError:
                continue
    except OSError:
        return []
    return [copy for _, copy in sorted(found, reverse=True)]


def healthy_copy(path: Path) -> Path | None:
    """The newest copy of the journal that SQLite finds intact."""
    for candidate in copies(path):
        try:
            db = sqlite3.connect(f"{candidate.resolve().as_uri()}?mode=ro", uri=True)
            try:
                if [str(r[0]) for r in db.execute("PRAGMA quick_check").fetchall()] == ["ok"]:
                    return candidate
            finally:
                db.close()
        except sqlite3.Error:
            continue
    return None


def damaged_error(path: Path, why: str) -> PilotError:
    """The one line for a damaged journal: what SQLite found, and how to get a sound journal back."""
    why = " ".join(why.split(" with text ", 1)[0].split())  # a decode error quotes the damaged text: not that
    aside = f"move {path} and its -wal and -shm files aside (mv {path} {path}.damaged)"
    copy = healthy_copy(path)
    if copy is not None:
        taken = datetime.fromtimestamp(copy.stat().st_mtime).astimezone().isoformat(sep=" ", timespec="seconds")
        upto = copy.stem.removeprefix("upto-run-").lstrip("0") or "0"
        fix = f"{aside}, then cp {copy} {path} (the journal up to run {upto}, copied {taken})"
    else:
        fix = f"{aside}; pilot starts a new journal (no copy of this one was kept)"
    return PilotError(
        f"{path}: the journal is damaged: {why}",
        fix=f"{fix}; `sqlite3 {path}.damaged .recover` may save later runs",
    )
