"""The journal: every rollout run, its devices, checks and progress, in one SQLite file.

Written before each step acts, so that a crash at any point leaves a record `recover` can judge and
`pilot status` can report. Other pilot processes read the file while a run writes it (`pilot history`
during an apply): the file is in WAL mode, where readers never block the writer nor the other way
round, and every write is one short transaction.

The commands that only read (history, show, status) open it read-only, so they work on a journal they
cannot write (a copy, another user's file, a read-only disk). Every SQLite failure a user can act on
(a damaged, read-only, full or locked file) becomes one PilotError line; a bug stays an exception.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pilot.errors import PilotError
from pilot.journal import schema
from pilot.journal.connect import connect, connect_read_only, file_error
from pilot.journal.health import check_integrity, keep_copy
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
    UNSETTLED_STATES,
    Check,
    DeviceStage,
    Run,
    RunDevice,
    SiteStage,
)
from pilot.journal.redact import redact
from pilot.journal.rows import check_of, device_of, run_of
from pilot.lab import procs

_RUN_COLUMNS = "id, started, finished, user, host, pid, pid_started, command, stage, limit_expr, inventory, state, detail, resolved_by, stage_map, sites"
_DEVICE_COLUMNS = "run_id, device, platform, transport, push, error, backup, intended, diff, updated"
_CHECK_COLUMNS = "run_id, phase, name, node, expected, observed, passed, seconds, skipped, at"
_TextColumn = Literal["backup", "intended", "diff"]

# Runs this process started, (journal, run id), in order: when a signal stops pilot, the command line
# tells which run it was and how the journal left it (pilot.stop).
started_in_this_process: list[tuple[Path, int]] = []


class Journal:
    """An open journal file. Not shared between threads: each thread opens its own."""

    def __init__(self, db: sqlite3.Connection, path: Path, read_only: bool = False) -> None:
        self._db = db
        self.path = path
        self.read_only = read_only
        # Read-only: the runs `recover` found dead, with the detail it would have written. They count
        # as interrupted in everything this journal object returns; the file is left as it is.
        self._presumed: dict[int, str] = {}

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, read_only: bool = False) -> Journal:
        """Open the journal at `path`: for writing (creating the file, its directories and the schema
        if needed, and proving it can be written), or `read_only`, which never writes nor creates
        anything (a missing journal reads as an empty one)."""
        if read_only:
            return cls._open_read_only(path)
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

    @classmethod
    def _open_read_only(cls, path: Path) -> Journal:
        db = connect_read_only(path)
        if db is not None:
            try:
                found = schema.version(db)
            except sqlite3.DatabaseError as exc:
                db.close()
                raise file_error(path, exc) from exc
            if found == schema.SCHEMA_VERSION:
                return cls(db, path, read_only=True)
            db.close()
            if found > schema.SCHEMA_VERSION:
                raise _newer_schema(path, found)
            if found > 0:
                raise PilotError(
                    f"{path}: the journal is from an older pilot (schema {found}) and this command only reads it",
                    fix="run a command that writes it (pilot diff) once, as its owner, to bring it up to date",
                )
        # No journal yet, or an empty file: nothing is recorded, and a reader creates nothing.
        memory = sqlite3.connect(":memory:", isolation_level=None)
        memory.row_factory = sqlite3.Row
        memory.execute("BEGIN")
        schema.migrate(memory, 0)
        memory.execute("COMMIT")
        return cls(memory, path, read_only=True)

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
                raise _newer_schema(self.path, found)
            if found < schema.SCHEMA_VERSION:
                schema.migrate(self._db, found)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. IMMEDIATE takes the write lock up front (waiting up to BUSY_TIMEOUT):
        a transaction that starts as a reader and then writes may fail at once with SQLITE_BUSY."""
        if self.read_only:
            raise ValueError(f"{self.path} was opened read-only")  # a bug in pilot: a reader never writes
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._user_error(exc) from exc
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException as exc:
            # SQLite rolls some errors back by itself; a second ROLLBACK would hide the first error.
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the first error is the one to report
            if isinstance(exc, sqlite3.Error):
                raise self._user_error(exc) from exc
            raise

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        # Outside a transaction each SELECT is its own snapshot: a reader never holds the file open
        # against the writer's checkpoints for longer than one query.
        try:
            return list(self._db.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise self._user_error(exc) from exc

    def _user_error(self, exc: sqlite3.Error) -> BaseException:
        """What the user sees for an SQLite failure: a damaged, read-only, full or locked file is one
        PilotError line; a constraint or SQL error is a bug in pilot and stays what it is."""
        if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
            return exc
        return file_error(self.path, exc)

    # -- health -------------------------------------------------------------------------------------
    def check_health(self) -> Path:
        """Before a run that changes devices: refuse a damaged journal (naming the copy to recover
        from), then keep a copy of it as it is now. Returns the copy."""
        check_integrity(self._db, self.path)
        last = int(self._read("SELECT COALESCE(MAX(id), 0) FROM runs")[0][0])
        return keep_copy(self._db, self.path, last)

    # -- runs -------------------------------------------------------------------------------------
    def start_run(
        self,
        command: str,
        stage: str | None,
        limit: str | None,
        inventory: str,
        devices: list[str],
        stage_map: Mapping[str, str] | None = None,
        sites: Sequence[str] = (),
    ) -> Run:
        """Record a run as 'running', with its owner's identity so `recover` can tell if it died;
        `stage_map` ({site: stage}) what it applies or verifies, `sites` those it moves."""
        _check(command, COMMANDS, "command")
        pid = os.getpid()
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (started, user, host, pid, pid_started, command, stage, limit_expr, inventory, state,"
                " stage_map, sites) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    json.dumps(dict(stage_map), ensure_ascii=False) if stage_map is not None else None,
                    json.dumps(list(sites), ensure_ascii=False) if sites else None,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            # Every device starts 'pending': if the run dies before it says more, the device is unknown.
            db.executemany(
                "INSERT OR IGNORE INTO run_devices (run_id, device, updated) VALUES (?, ?, ?)",
                [(run_id, device, now) for device in devices],
            )
        started_in_this_process.append((self.path, run_id))
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

    def runs(self, limit: int = 50, inventory: str | None = None) -> list[Run]:
        """The last `limit` runs, newest first: of `inventory`, or of every inventory sharing the journal."""
        if inventory is None:
            return self._runs_of(self._read(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,)))
        return self._runs_of(
            self._read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE inventory = ? ORDER BY id DESC LIMIT ?", (inventory, limit)
            )
        )

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
        runs = [run_of(r, devices[int(r["id"])]) for r in rows]
        return [self._as_recovered(run) for run in runs]

    def _as_recovered(self, run: Run) -> Run:
        """A run a read-only `recover` found dead, as `recover` would have written it."""
        detail = self._presumed.get(run.id)
        if detail is None or run.state != RUNNING:
            return run
        return dataclasses.replace(run, state=INTERRUPTED, detail=detail, finished=time.time())

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

    def set_site_stages(self, inventory: str, stages: Mapping[str, str], run_id: int) -> None:
        """Record the stage of every site a run applied (those of `stages`): in one transaction."""
        now = time.time()
        with self._write() as db:
            db.executemany(
                "INSERT INTO site_stages (inventory, site, stage, run_id, updated) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (inventory, site) DO UPDATE SET stage = excluded.stage,"
                " run_id = excluded.run_id, updated = excluded.updated",
                [(inventory, site, stage, run_id, now) for site, stage in stages.items()],
            )

    def site_stages(self, inventory: str) -> dict[str, SiteStage]:
        """{site: its recorded stage} of the inventory, sorted by site."""
        rows = self._read("SELECT site, stage, run_id, updated FROM site_stages WHERE inventory = ?", (inventory,))
        found = [SiteStage(str(r[0]), str(r[1]), int(r[2]), float(r[3])) for r in rows]
        return {s.site: s for s in sorted(found, key=lambda s: s.site)}

    def device_stages(self, inventory: str) -> dict[str, DeviceStage]:
        """Every device of the inventory the journal knows, by name, sorted.

        A device an unresolved interrupted or rollback-failed run left in an unknown push state
        (UNKNOWN_PUSH_STATES) is unknown, unless a later run has set its stage since (it was applied
        again on its own, with a narrower --limit).
        """
        out = {
            str(r["device"]): DeviceStage(str(r["device"]), str(r["stage"]), int(r["run_id"]), float(r["updated"]))
            for r in self._read(
                "SELECT device, stage, run_id, updated FROM device_stages WHERE inventory = ?", (inventory,)
            )
        }
        for device, (run_id, state) in self._left_mid_change(inventory).items():
            known = out.get(device) or DeviceStage(device, None, None, None)
            out[device] = dataclasses.replace(known, interrupted_run=run_id, interrupted_state=state)
        return dict(sorted(out.items()))

    def _left_mid_change(self, inventory: str, run_id: int | None = None) -> dict[str, tuple[int, str]]:
        """{device: (run, its state)}: the newest unsettled run (interrupted, or rollback-failed, and not
        resolved) that may have left the device mid-change, for the devices no later run set a stage
        for. `run_id`: that run's devices only."""
        where, args = self._unsettled()
        if run_id is not None:
            where, args = f"{where} AND r.id = ?", (*args, run_id)
        rows = self._read(
            "SELECT d.device, r.id, r.state FROM runs r JOIN run_devices d ON d.run_id = r.id"
            " LEFT JOIN device_stages s ON s.inventory = r.inventory AND s.device = d.device"
            f" WHERE r.inventory = ? AND {where} AND d.push IN ({_marks(UNKNOWN_PUSH_STATES)})"
            " AND (s.run_id IS NULL OR s.run_id < r.id) ORDER BY r.id",
            (inventory, *args, *UNKNOWN_PUSH_STATES),
        )
        # Newest last: a device two unsettled runs touched is the newer one's.
        return {str(r[0]): (int(r[1]), INTERRUPTED if int(r[1]) in self._presumed else str(r[2])) for r in rows}

    def _unsettled(self) -> tuple[str, tuple[Any, ...]]:
        """SQL (on `runs r`) for a changing run that left devices unknown and nobody resolved."""
        presumed = tuple(self._presumed)
        return (
            f"r.resolved_by IS NULL AND r.command IN ({_marks(CHANGING_COMMANDS)})"
            f" AND (r.state IN ({_marks(UNSETTLED_STATES)}) OR r.id IN ({_marks(presumed)}))",
            (*CHANGING_COMMANDS, *UNSETTLED_STATES, *presumed),
        )

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
            db.execute("DELETE FROM site_stages WHERE inventory = ?", (inventory,))
            db.execute(
                f"UPDATE runs SET resolved_by = ? WHERE inventory = ? AND state IN ({_marks(UNSETTLED_STATES)})"
                " AND resolved_by IS NULL",
                (run.id, inventory, *UNSETTLED_STATES),
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

        On a read-only journal nothing is written: the dead runs count as interrupted in what this
        object returns (the next pilot that writes the journal records it).
        """
        if self.read_only:
            for r in self._read(
                "SELECT id, pid, pid_started, command FROM runs WHERE state = ? AND host = ?",
                (RUNNING, socket.gethostname()),
            ):
                if not is_alive(int(r["pid"]), r["pid_started"]):
                    self._presumed[int(r["id"])] = self._interrupted_detail(self._db, r)
            return [self.get_run(i) for i in self._presumed]
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
        """The newest run of `inventory` that left devices unknown (interrupted, or rollback-failed) and
        is not resolved yet: until one is, `apply` refuses. A run whose every unknown device a later run
        has set a stage for left nothing unknown."""
        left = self._left_mid_change(inventory)
        if not left:
            return None
        return self.get_run(max(run for run, _ in left.values()))

    def resolve(self, run_id: int, by_run: int) -> bool:
        """Record that run `by_run` (apply --resume, rollback) dealt with unsettled run `run_id`, if it
        covers every device `run_id` left unknown. A narrower run (rollback --limit) resolves only the
        devices it sets a stage for; the others stay unknown. Returns whether `run_id` is resolved."""
        row = self._read("SELECT state, inventory FROM runs WHERE id = ?", (run_id,))
        if not row:
            raise PilotError(f"{self.path}: no run {run_id} in the journal", fix="pilot history lists the runs")
        if row[0]["state"] not in UNSETTLED_STATES:
            # pilot resolves only what `unfinished` returned: anything else is a bug, not a user error.
            raise ValueError(f"run {run_id} is {row[0]['state']}, not {INTERRUPTED}: nothing to resolve")
        unknown = set(self._left_mid_change(str(row[0]["inventory"]), run_id))
        covered = {str(r[0]) for r in self._read("SELECT device FROM run_devices WHERE run_id = ?", (by_run,))}
        if not unknown <= covered:
            return False
        with self._write() as db:
            db.execute("UPDATE runs SET resolved_by = ? WHERE id = ?", (by_run, run_id))
        return True


# -- helpers -----------------------------------------------------------------------------------------
def _ensure_device(db: sqlite3.Connection, run_id: int, device: str) -> None:
    # A record is never dropped because calls came in an unexpected order (a diff before record_device).
    db.execute(
        "INSERT OR IGNORE INTO run_devices (run_id, device, updated) VALUES (?, ?, ?)", (run_id, device, time.time())
    )


def _newer_schema(path: Path, found: int) -> PilotError:
    return PilotError(
        f"{path}: journal schema version {found} is newer than this pilot's ({schema.SCHEMA_VERSION})",
        fix="use the pilot that wrote it (a newer release), or set PILOT_JOURNAL to another file",
    )


def _check(value: str, allowed: frozenset[str], what: str) -> None:
    # A wrong state is a bug in pilot, not something the user can fix: not a PilotError.
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}")


def _marks(values: tuple[object, ...]) -> str:
    return ",".join("?" * len(values))


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
