"""One run at a time per inventory: an exclusive `flock` on `<inventory>/.pilot.lock`.

flock, not a PID file: the kernel drops the lock when its holder dies however it dies (SIGKILL, OOM,
power cut of a remote shell), so there is never a stale lock to clean up by hand. The lock belongs
to the open file description, so it is held exactly as long as our descriptor stays open; Python opens
it close-on-exec, so the programs a run starts (ansible, ssh) never inherit it and cannot outlive us
holding it. Only a child made by a bare fork() shares it.

The file's content says who holds it (pid, user, host, command, run id) so that the run refused can
name the run in the way. The content is advice only; the flock is the lock. The file is never
deleted: another process may have it open and be about to lock it, and it would lock a ghost.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from pilot.errors import PilotError

LOCK_NAME = ".pilot.lock"


@dataclass(frozen=True)
class LockHolder:
    """Who holds an inventory's lock, as it wrote itself into the lock file."""

    pid: int
    user: str
    host: str
    command: str
    run_id: int | None
    since: float

    def describe(self) -> str:
        what = f"run {self.run_id} ({self.command or 'pilot'})" if self.run_id is not None else f"pilot {self.command}"
        since = datetime.fromtimestamp(self.since).astimezone().isoformat(timespec="seconds")
        return f"{what.strip()} by {self.user}, pid {self.pid} on {self.host}, since {since}"

    def fix(self) -> str:
        waiting_for = f"run {self.run_id}" if self.run_id is not None else f"pid {self.pid}"
        return f"wait for {waiting_for} to finish, or check that pid {self.pid} is gone"


class RunLock:
    """`with RunLock(inventory_dir, "apply"):` holds the inventory, or raises PilotError naming who does.

    The run id is not known until the journal has recorded the run, which happens under the lock:
    call `note(run_id)` then, so a refused run can say which one it waits for.
    """

    def __init__(self, inventory_dir: Path, command: str = "", run_id: int | None = None) -> None:
        self.directory = inventory_dir
        self.path = inventory_dir / LOCK_NAME
        self.command = command
        self.run_id = run_id
        self._fd: int | None = None
        self._since = 0.0

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
        self._write_holder()
        return self

    def note(self, run_id: int, command: str | None = None) -> None:
        """Record the run id (and command) of the run now holding the lock."""
        self.run_id = run_id
        if command is not None:
            self.command = command
        if self._fd is not None:
            self._write_holder()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # the next reader finds no stale holder
        except OSError:
            pass
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
            fix = "run pilot as the user who owns it, or fix its permissions"
            if exc.errno == errno.EROFS:
                fix = "use a writable copy of the inventory"
            raise PilotError(f"{self.path}: cannot open the inventory lock: {exc.strerror}", fix=fix) from exc

    def _write_holder(self) -> None:
        assert self._fd is not None
        me = LockHolder(os.getpid(), current_user(), socket.gethostname(), self.command, self.run_id, self._since)
        data = (json.dumps(asdict(me)) + "\n").encode()
        # Truncate then write at 0: a reader between the two sees an empty file, never a mix of two holders.
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def _busy(self) -> PilotError:
        holder = read_holder(self.path)
        if holder is None:
            # It is between locking and writing its name, or wrote nothing (an older pilot).
            return PilotError(
                f"{self.directory}: another pilot run is working on this inventory (it holds {self.path})",
                fix=f"wait for it to finish; `fuser -v {self.path}` names it",
            )
        return PilotError(
            f"{self.directory}: another pilot run is working on this inventory: {holder.describe()}",
            fix=holder.fix(),
        )


def read_holder(path: Path) -> LockHolder | None:
    """What the lock file at `path` says about its holder; None if empty or unreadable.

    The file outlives its holder (it is emptied on release, not after a crash): only a failed
    `RunLock.acquire` proves the holder is still there.
    """
    try:
        raw = json.loads(path.read_text())
        return LockHolder(
            pid=int(raw["pid"]),
            user=str(raw["user"]),
            host=str(raw["host"]),
            command=str(raw["command"]),
            run_id=None if raw["run_id"] is None else int(raw["run_id"]),
            since=float(raw["since"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def current_user() -> str:
    """The login name, or the UID when there is none (a container's arbitrary UID)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
