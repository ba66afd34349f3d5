"""Processes of a lab: identity checks that survive PID reuse, lookups by marker, and killing.

A holder is identified by (pid, start time): after a reboot or a long while, the same PID may belong to
something else, and we must never kill that.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LAB_MARKER = "PILOT_LAB"
NODE_MARKER = "PILOT_NODE"


def start_time(pid: int) -> int | None:
    """Clock ticks since boot when `pid` started (field 22 of /proc/PID/stat), or None if gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return int(fields[19])


def state(pid: int) -> str | None:
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return raw[raw.rindex(b")") + 2 :].split()[0].decode()


def alive(pid: int, started: int | None = None) -> bool:
    """True if `pid` runs (a zombie is dead) and, when given, started at `started`."""
    st = state(pid)
    if st is None or st in ("Z", "X"):
        return False
    return started is None or start_time(pid) == started


def environ(pid: int) -> dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    out = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            out[key.decode(errors="replace")] = value.decode(errors="replace")
    return out


def all_pids() -> Iterator[int]:
    for entry in os.scandir(PROC):
        if entry.name.isdigit():
            yield int(entry.name)


def ns_id(pid: int, kind: str) -> str | None:
    try:
        return os.readlink(PROC / str(pid) / "ns" / kind)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    comm: str
    rss_kb: int


def ppid(pid: int) -> int:
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(raw[raw.rindex(b")") + 2 :].split()[1])


def comm(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return "?"


def rss_kb(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def processes_in_pidns(holder: int) -> list[Proc]:
    """Every live process in the holder's PID namespace (the node's daemons), holder included."""
    target = ns_id(holder, "pid")
    if target is None:
        return []
    out = []
    for pid in all_pids():
        if ns_id(pid, "pid") == target and alive(pid):
            out.append(Proc(pid, ppid(pid), comm(pid), rss_kb(pid)))
    return sorted(out, key=lambda p: p.pid)


def holders_of(lab: str) -> dict[int, str]:
    """Live node holders carrying the lab's marker: {pid: node}. Finds holders a lost state file forgot."""
    found = {}
    for pid in all_pids():
        if pid == os.getpid() or not alive(pid):
            continue
        env = environ(pid)
        # Only a namespace's init is a holder; its daemons carry the marker too but die with it.
        if env.get(LAB_MARKER) == lab and NODE_MARKER in env and _nspid_is_one(pid):
            found[pid] = env[NODE_MARKER]
    return found


def _nspid_is_one(pid: int) -> bool:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return line.split()[-1] == "1"
    except (FileNotFoundError, ProcessLookupError):
        pass
    return False


def kill_and_wait(pids: dict[int, int | None], timeout: float = 5.0) -> list[int]:
    """SIGKILL each pid whose start time still matches; wait until dead. Returns pids still alive."""
    for pid, started in pids.items():
        if alive(pid, started):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    pending = [pid for pid, started in pids.items() if alive(pid, started)]
    while pending and time.monotonic() < deadline:
        time.sleep(0.01)
        _reap_children()
        pending = [pid for pid in pending if alive(pid, pids[pid])]
    return pending


def _reap_children() -> None:
    """Reap holders that are our own children (tests run up and down in one process)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
