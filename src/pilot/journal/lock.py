"""Runs on one inventory never overlap: a `flock` on `<inventory>/.pilot.lock`.

Exclusive for the runs that change devices (apply, rollback, a lab's rebuild), shared for the ones that
only probe them (diff, verify): several diffs run together, none runs during an apply, and an apply
waits for no diff but is refused while one runs.

flock, not a PID file: the kernel drops the lock when its holder dies however it dies (SIGKILL, OOM,
power cut of a remote shell), so there is never a stale lock to clean up by hand. The lock belongs
to the open file description, so it is held exactly as long as our descriptor stays open; Python opens
it close-on-exec, so the programs a run starts (ansible, ssh) never inherit it and cannot outlive us
holding it. Only a child made by a bare fork() shares it. The lock file is never deleted: another
process may have it open and be about to lock it, and it would lock a ghost.

Who holds it (pid, user, host, command, run id) is advice, so that a run refused can name the runs in
the way: each holder writes its own record in `<inventory>/.pilot.lock.d/`, and holds a flock on that
record for as long as it holds the lock. A record whose flock can be taken is one whose holder died
without removing it: a reader skips it and removes it. Several shared holders each have their record,
so none overwrites another's.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from pilot.errors import PilotError

LOCK_NAME = ".pilot.lock"
HOLDERS_NAME = ".pilot.lock.d"


@dataclass(frozen=True)
class LockHolder:
    """Who holds an inventory's lock, as it recorded itself."""

    pid: int
    user: str
    host: str
    command: str
    run_id: int | None
    since: float
    shared: bool = False

    def describe(self) -> str:
        what = f"run {self.run_id} ({self.command or 'pilot'})" if self.run_id is not None else f"pilot {self.command}"
        since = datetime.fromtimestamp(self.since).astimezone().isoformat(timespec="seconds")
        return f"{what.strip()} by {self.user}, pid {self.pid} on {self.host}, since {since}"

    def fix(self) -> str:
        waiting_for = f"run {self.run_id}" if self.run_id is not None else f"pid {self.pid}"
        return f"wait for {waiting_for} to finish, or check that pid {self.pid} is gone"


class RunLock:
    """`with RunLock(inventory_dir, "apply"):` holds the inventory, or raises PilotError naming who does.
    `shared=True` for a run that only reads the devices (diff, verify).

    The run id is not known until the journal has recorded the run, which happens under the lock:
    call `note(run_id)` then, so a refused run can say which one it waits for.
    """

    def __init__(self, inventory_dir: Path, command: str = "", run_id: int | None = None, shared: bool = False) -> None:
        self.directory = inventory_dir
        self.path = inventory_dir / LOCK_NAME
        self.holders = inventory_dir / HOLDERS_NAME
        self.command = command
        self.run_id = run_id
        self.shared = shared
        self._fd: int | None = None
        self._record: tuple[int, Path] | None = None  # our holder record: its descriptor (flocked), its path
        self._since = 0.0

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        fd = self._open()
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise self._busy() from None
        except OSError as exc:
            os.close(fd)
            raise PilotError(
                f"{self.path}: cannot lock the inventory: {exc.strerror}",
                fix="keep the inventory on a local filesystem that supports flock",
            ) from exc
        self._fd, self._since = fd, time.time()
        try:
            self._write_record()
        except BaseException:
            self.release()
            raise
        return self

    def note(self, run_id: int, command: str | None = None) -> None:
        """Record the run id (and command) of the run now holding the lock."""
        self.run_id = run_id
        if command is not None:
            self.command = command
        if self._record is not None:
            self._rewrite(self._record[0])

    def release(self) -> None:
        record, self._record = self._record, None
        if record is not None:
            # Removed before its flock is dropped: a reader never finds it unlocked while we live.
            try:
                record[1].unlink()
            except OSError:
                pass
            os.close(record[0])
        fd, self._fd = self._fd, None
        if fd is None:
            return
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    def _open(self) -> int:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise PilotError(f"{self.path}: cannot open the inventory lock: {exc.strerror}", fix=_fix_for(exc)) from exc

    def _write_record(self) -> None:
        """Our holder record: written and flocked under a temporary name, then renamed into place, so
        that a reader never sees it before it is locked (and takes it for a dead holder's)."""
        token = secrets.token_hex(4)
        temporary = self.holders / f".{os.getpid()}-{token}.tmp"
        final = self.holders / f"{os.getpid()}-{token}.json"
        try:
            self.holders.mkdir(mode=0o755, exist_ok=True)
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            raise PilotError(
                f"{self.holders}: cannot record who holds the inventory lock: {exc.strerror}", fix=_fix_for(exc)
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._rewrite(fd)
            os.rename(temporary, final)
        except BaseException:
            os.close(fd)
            try:
                temporary.unlink()
            except OSError:
                pass
            raise
        self._record = (fd, final)

    def _rewrite(self, fd: int) -> None:
        me = LockHolder(
            os.getpid(), current_user(), socket.gethostname(), self.command, self.run_id, self._since, self.shared
        )
        data = (json.dumps(asdict(me)) + "\n").encode()
        # Truncate then write at 0: a reader between the two sees an empty record, never a mix of two.
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)

    def _busy(self) -> PilotError:
        holders = read_holders(self.directory)
        if not holders:
            # It is between locking and recording itself, or an older pilot that records nothing here.
            return PilotError(
                f"{self.directory}: another pilot run is working on this inventory (it holds {self.path})",
                fix=f"wait for it to finish; `fuser -v {self.path}` names it",
            )
        # An exclusive holder first: it is the one in the way of anyone.
        holders.sort(key=lambda h: (h.shared, h.since))
        if len(holders) == 1:
            return PilotError(
                f"{self.directory}: another pilot run is working on this inventory: {holders[0].describe()}",
                fix=holders[0].fix(),
            )
        pids = ", ".join(str(h.pid) for h in holders)
        return PilotError(
            f"{self.directory}: {len(holders)} other pilot runs are working on this inventory: "
            + "; ".join(h.describe() for h in holders),
            fix=f"wait for them to finish, or check that pids {pids} are gone",
        )


def read_holders(inventory_dir: Path) -> list[LockHolder]:
    """Who holds the inventory's lock now, as their records say (oldest first). A record its holder left
    behind by dying is skipped and removed; an unreadable or half-written one is skipped."""
    out: list[LockHolder] = []
    try:
        records = sorted((inventory_dir / HOLDERS_NAME).glob("*.json"))
    except OSError:
        return out
    for record in records:
        try:
            fd = os.open(record, os.O_RDONLY)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder_of(os.pread(fd, 4096, 0))  # locked: its holder lives
                if holder is not None:
                    out.append(holder)
                continue
            except OSError:
                continue
            try:
                record.unlink()  # we could lock it: its holder is gone
            except OSError:
                pass
        finally:
            os.close(fd)
    return sorted(out, key=lambda h: h.since)


def _holder_of(data: bytes) -> LockHolder | None:
    try:
        raw = json.loads(data)
        return LockHolder(
            pid=int(raw["pid"]),
            user=str(raw["user"]),
            host=str(raw["host"]),
            command=str(raw["command"]),
            run_id=None if raw["run_id"] is None else int(raw["run_id"]),
            since=float(raw["since"]),
            shared=bool(raw.get("shared", False)),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _fix_for(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "use a writable copy of the inventory"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "something that is not a directory is in the way: move it aside"
    return "run pilot as the user who owns the inventory, or fix its permissions"


def current_user() -> str:
    """The login name, or the UID when there is none (a container's arbitrary UID)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
