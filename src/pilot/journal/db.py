"""The journal: every rollout run, its devices, checks and progress, in one SQLite file.

Written before each step acts, so that a crash at any point leaves a record `recover` can judge and
`pilot status` can report. Other pilot processes read the file while a run writes it (`pilot history`
during an apply): the file is in WAL mode, where readers never block the writer nor the other way
round, and every write is one short transaction.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pilot.errors import PilotError
from pilot.journal import schema
from pilot.journal.connect import connect, file_error
from pilot.journal.lock import current_user
from pilot.journal.model import (
    CHANGING_COMMANDS,
    CHECK_PHASES,
    COMMANDS,
    FINAL_STATES,
    INTERRUPTED,
    PUSH_STATES,
    RUNNING,
    UNKNOWN_PUSH_STATES,
    Check,
    DeviceStage,
    Run,
    RunDevice,
)
from pilot.journal.redact import redact
from pilot.journal.rows import check_of, device_of, run_of
from pilot.lab import procs

_RUN_COLUMNS = "id, started, finished, user, host, pid, pid_started, command, stage, limit_expr, inventory, state, detail, resolved_by"
_DEVICE_COLUMNS = "run_id, device, platform, transport, push, error, backup, intended, diff, updated"
_CHECK_COLUMNS = "run_id, phase, name, node, expected, observed, passed, seconds, skipped, at"
_TextColumn = Literal["backup", "intended", "diff"]


class Journal:
    """An open journal file. Not shared between threads: each thread opens its own."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open (creating the file, its directories and the schema if needed) the journal at `path`."""
        db = connect(path)
        journal = cls(db, path)
        try:
            journal._ensure_schema()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise file_error(path, exc) from exc
        except BaseException:
            db.close()
            raise
        return journal

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        # Read first: a reader opening the file during a run must not queue for the write lock.
        if schema.version(self._db) == schema.SCHEMA_VERSION:
            return
        with self._write():
            found = schema.version(self._db)  # again, under the lock: another process may have migrated
            if found > schema.SCHEMA_VERSION:
                raise PilotError(
                    f"{self.path}: journal schema version {found} is newer than this pilot's ({schema.SCHEMA_VERSION})",
                    fix="use the pilot that wrote it (a newer release), or set PILOT_JOURNAL to another file",
                )
            if found < schema.SCHEMA_VERSION:
                schema.migrate(self._db, found)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. IMMEDIATE takes the write lock up front (waiting up to BUSY_TIMEOUT):
        a transaction that starts as a reader and then writes may fail at once with SQLITE_BUSY."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            # SQLite rolls some errors back by itself; a second ROLLBACK would hide the first error.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        # Outside a transaction each SELECT is its own snapshot: a reader never holds the file open
        # against the writer's checkpoints for longer than one query.
        return list(self._db.execute(sql, args).fetchall())

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, command: str, stage: str | None, limit: str | None, inventory: str, devices: list[str]) -> Run:
        """Record a run as 'running', with its owner's identity so `recover` can tell if it died."""
        _check(command, COMMANDS, "command")
        pid = os.getpid()
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (started, user, host, pid, pid_started, command, stage, limit_expr, inventory, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    current_user(),
                    socket.gethostname(),
                    pid,
                    procs.start_time(pid),
                    command,
                    stage,
                    limit,
                    inventory,
                    RUNNING,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            # Every device starts 'pending': if the run dies before it says more, the device is unknown.
            db.executemany(
                "INSERT OR IGNORE INTO run_devices (run_id, device, updated) VALUES (?, ?, ?)",
                [(run_id, device, now) for device in devices],
            )
        return self.get_run(run_id)

    def finish_run(self, run_id: int, state: str, detail: str = "") -> None:
        _check(state, FINAL_STATES, "final state")
        self._end(run_id, state, detail)

    def interrupt(self, run_id: int, detail: str) -> None:
        """End a changing run that stopped after its push began: like a run whose owner died, it blocks
        further applies until resumed or rolled back, and its unfinished devices count as unknown."""
        self._end(run_id, INTERRUPTED, detail)

    def _end(self, run_id: int, state: str, detail: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = ?, detail = ?, finished = ? WHERE id = ?",
                (state, redact(detail), time.time(), run_id),
            )

    def get_run(self, run_id: int) -> Run:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise PilotError(f"{self.path}: no run {run_id} in the journal", fix="pilot history lists the runs")
        return self._runs_of(rows)[0]

    def runs(self, limit: int = 50) -> list[Run]:
        """The last `limit` runs, newest first."""
        return self._runs_of(self._read(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,)))

    def _runs_of(self, rows: list[sqlite3.Row]) -> list[Run]:
        ids = [int(r["id"]) for r in rows]
        devices: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            # rowid order is insertion order: the order start_run was given.
            for r in self._read(
                f"SELECT run_id, device FROM run_devices WHERE run_id IN ({marks}) ORDER BY rowid", tuple(ids)
            ):
                devices[int(r["run_id"])].append(str(r["device"]))
        return [run_of(r, devices[int(r["id"])]) for r in rows]

    # -- devices of a run -------------------------------------------------------------------------
    def record_device(self, run_id: int, device: str, platform: str, transport: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO run_devices (run_id, device, platform, transport, updated) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, device) DO UPDATE SET platform = excluded.platform,"
                " transport = excluded.transport, updated = excluded.updated",
                (run_id, device, platform, transport, time.time()),
            )

    def set_backup(self, run_id: int, device: str, backup_json: str) -> None:
        self._set_text(run_id, device, "backup", backup_json)

    def set_intended(self, run_id: int, device: str, bundle_json: str) -> None:
        self._set_text(run_id, device, "intended", bundle_json)

    def set_diff(self, run_id: int, device: str, diff_text: str) -> None:
        self._set_text(run_id, device, "diff", diff_text)

    def set_push(self, run_id: int, device: str, state: str, error: str = "") -> None:
        _check(state, PUSH_STATES, "push state")
        with self._write() as db:
            _ensure_device(db, run_id, device)
            db.execute(
                "UPDATE run_devices SET push = ?, error = ?, updated = ? WHERE run_id = ? AND device = ?",
                (state, redact(error), time.time(), run_id, device),
            )

    def _set_text(self, run_id: int, device: str, column: _TextColumn, text: str) -> None:
        redacted = redact(text)  # outside the transaction: a large backup must not hold the write lock
        with self._write() as db:
            _ensure_device(db, run_id, device)
            # `column` is one of three literals, never user input.
            db.execute(
                f"UPDATE run_devices SET {column} = ?, updated = ? WHERE run_id = ? AND device = ?",
                (redacted, time.time(), run_id, device),
            )

    def devices(self, run_id: int) -> list[RunDevice]:
        rows = self._read(f"SELECT {_DEVICE_COLUMNS} FROM run_devices WHERE run_id = ? ORDER BY rowid", (run_id,))
        return [device_of(r) for r in rows]

    # -- checks and events ------------------------------------------------------------------------
    def record_check(
        self,
        run_id: int,
        phase: str,
        name: str,
        node: str,
        expected: str,
        observed: str,
        passed: bool,
        seconds: float,
        skipped: bool = False,
    ) -> None:
        _check(phase, CHECK_PHASES, "check phase")
        row = (run_id, phase, name, node, redact(expected), redact(observed), passed, seconds, skipped, time.time())
        with self._write() as db:
            db.execute(f"INSERT INTO checks ({_CHECK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def checks(self, run_id: int) -> list[Check]:
        rows = self._read(f"SELECT {_CHECK_COLUMNS} FROM checks WHERE run_id = ? ORDER BY id", (run_id,))
        return [check_of(r) for r in rows]

    def event(self, run_id: int, message: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO events (run_id, at, message) VALUES (?, ?, ?)", (run_id, time.time(), redact(message))
            )

    def events(self, run_id: int) -> list[tuple[float, str]]:
        rows = self._read("SELECT at, message FROM events WHERE run_id = ? ORDER BY id", (run_id,))
        return [(float(r["at"]), str(r["message"])) for r in rows]

    # -- where each device is ---------------------------------------------------------------------
    def set_device_stage(self, inventory: str, device: str, stage: str, run_id: int) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO device_stages (inventory, device, stage, run_id, updated) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (inventory, device) DO UPDATE SET stage = excluded.stage,"
                " run_id = excluded.run_id, updated = excluded.updated",
                (inventory, device, stage, run_id, time.time()),
            )

    def device_stages(self, inventory: str) -> dict[str, DeviceStage]:
        """Every device of the inventory the journal knows, by name, sorted.

        A device an unresolved interrupted run left 'pending' or 'pushed' is unknown, unless a later
        run has set its stage since (it was re-applied on its own, with a narrower --limit).
        """
        out = {
            str(r["device"]): DeviceStage(str(r["device"]), str(r["stage"]), int(r["run_id"]), float(r["updated"]))
            for r in self._read(
                "SELECT device, stage, run_id, updated FROM device_stages WHERE inventory = ?", (inventory,)
            )
        }
        for device, run_id in self._left_mid_change(inventory).items():
            known = out.get(device)
            if known is None:
                out[device] = DeviceStage(device, None, None, None, interrupted_run=run_id)
            elif known.run_id is None or known.run_id < run_id:
                out[device] = DeviceStage(device, known.stage, known.run_id, known.updated, interrupted_run=run_id)
        return dict(sorted(out.items()))

    def _left_mid_change(self, inventory: str) -> dict[str, int]:
        """{device: newest unresolved interrupted run that may have left it mid-change}."""
        rows = self._read(
            "SELECT d.device, MAX(r.id) AS run_id FROM runs r JOIN run_devices d ON d.run_id = r.id"
            f" WHERE r.inventory = ? AND r.state = ? AND r.resolved_by IS NULL AND r.command IN ({_marks(CHANGING_COMMANDS)})"
            f" AND d.push IN ({_marks(UNKNOWN_PUSH_STATES)}) GROUP BY d.device",
            (inventory, INTERRUPTED, *CHANGING_COMMANDS, *UNKNOWN_PUSH_STATES),
        )
        return {str(r["device"]): int(r["run_id"]) for r in rows}

    # -- a lab built again ---------------------------------------------------------------------------
    def lab_rebuilt(self, inventory: str, lab: str, created: float, devices: list[str]) -> Run | None:
        """Record that lab `lab` (built at `created`) now answers for this inventory: its devices are
        fresh from boot, so no stage the journal remembers holds any more, and an interrupted run on
        the previous build left nothing to resume. Returns the new record, or None when this build was
        recorded already (`pilot lab inventory` runs again on the same lab)."""
        marker = (
            f"lab {lab} was built again ({datetime.fromtimestamp(created).isoformat(sep=' ', timespec='milliseconds')})"
        )
        seen = self._read(
            "SELECT id FROM runs WHERE inventory = ? AND command = 'lab-rebuilt' AND detail LIKE ?",
            (inventory, marker + "%"),
        )
        if seen:
            return None
        run = self.start_run("lab-rebuilt", None, None, inventory, [])
        with self._write() as db:
            db.execute("DELETE FROM device_stages WHERE inventory = ?", (inventory,))
            db.execute(
                "UPDATE runs SET resolved_by = ? WHERE inventory = ? AND state = ? AND resolved_by IS NULL",
                (run.id, inventory, INTERRUPTED),
            )
        self.finish_run(
            run.id,
            "recorded",
            f"{marker}: its {len(devices)} devices run their boot configuration; stages recorded before are void",
        )
        return self.get_run(run.id)

    # -- crashes ----------------------------------------------------------------------------------
    def recover(self, is_alive: Callable[[int, int | None], bool]) -> list[Run]:
        """Mark 'interrupted' every running run of this host whose owner (pid, start time) is gone.

        Runs of another host (a journal on a shared directory) are left alone: their PIDs mean
        nothing here, and calling a live run dead would let a second run start on its devices.
        """
        found: list[int] = []
        with self._write() as db:
            rows = db.execute(
                "SELECT id, pid, pid_started, command FROM runs WHERE state = ? AND host = ?",
                (RUNNING, socket.gethostname()),
            ).fetchall()
            for r in rows:
                if is_alive(int(r["pid"]), r["pid_started"]):
                    continue
                db.execute(
                    "UPDATE runs SET state = ?, finished = ?, detail = ? WHERE id = ?",
                    (INTERRUPTED, time.time(), self._interrupted_detail(db, r), r["id"]),
                )
                found.append(int(r["id"]))
        return [self.get_run(i) for i in found]

    @staticmethod
    def _interrupted_detail(db: sqlite3.Connection, run: sqlite3.Row) -> str:
        last = db.execute(
            "SELECT MAX(at) FROM (SELECT started AS at FROM runs WHERE id = ?1"
            " UNION ALL SELECT at FROM events WHERE run_id = ?1 UNION ALL SELECT updated FROM run_devices WHERE run_id = ?1"
            " UNION ALL SELECT at FROM checks WHERE run_id = ?1)",
            (run["id"],),
        ).fetchone()[0]
        what = (
            "devices may have been left mid-push"
            if run["command"] in CHANGING_COMMANDS
            else f"no device was being changed ({run['command']} only reads)"
        )
        return f"interrupted: pid {run['pid']} stopped without finishing; last recorded activity {_when(last)}, found at {_when(time.time())}; {what}"

    def unfinished(self, inventory: str) -> Run | None:
        """The newest interrupted run of `inventory` that changed devices and is not resolved yet."""
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE inventory = ? AND state = ? AND resolved_by IS NULL"
            f" AND command IN ({_marks(CHANGING_COMMANDS)}) ORDER BY id DESC LIMIT 1",
            (inventory, INTERRUPTED, *CHANGING_COMMANDS),
        )
        return self._runs_of(rows)[0] if rows else None

    def resolve(self, run_id: int, by_run: int) -> None:
        """Record that run `by_run` (apply --resume, rollback) dealt with interrupted run `run_id`."""
        with self._write() as db:
            row = db.execute("SELECT state FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise PilotError(f"{self.path}: no run {run_id} in the journal", fix="pilot history lists the runs")
            if row["state"] != INTERRUPTED:
                # pilot resolves only what `unfinished` returned: anything else is a bug, not a user error.
                raise ValueError(f"run {run_id} is {row['state']}, not {INTERRUPTED}: nothing to resolve")
            db.execute("UPDATE runs SET resolved_by = ? WHERE id = ?", (by_run, run_id))


# -- helpers -----------------------------------------------------------------------------------------
def _ensure_device(db: sqlite3.Connection, run_id: int, device: str) -> None:
    # A record is never dropped because calls came in an unexpected order (a diff before record_device).
    db.execute(
        "INSERT OR IGNORE INTO run_devices (run_id, device, updated) VALUES (?, ?, ?)", (run_id, device, time.time())
    )


def _check(value: str, allowed: frozenset[str], what: str) -> None:
    # A wrong state is a bug in pilot, not something the user can fix: not a PilotError.
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}")


def _marks(values: tuple[str, ...]) -> str:
    return ",".join("?" * len(values))


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
