"""Ctrl-C and SIGTERM: pilot stops the way it stops for an error, and says in one line where it left things.

SIGTERM (a `kill`, systemd, a CI timeout) raises `Terminated`, a KeyboardInterrupt, in the main thread,
exactly like Ctrl-C: the run in progress marks itself in the journal (interrupted once its push began,
failed before), closes its connections, and the devices finish or undo their own transactions. The
command line then prints which run it was, the state the journal gives it, and what to do next; the
exit status is 128 + the signal (130 for SIGINT, 143 for SIGTERM), as a shell reports it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from pilot.journal.model import CHANGING_COMMANDS, INTERRUPTED, RUNNING, Run

# The signal that stopped pilot, once one has.
received: int | None = None
# How many runs this process had started when `install` was called: the summary is about the ones after.
_runs_before = 0
# The process that installed the handlers. A child forked from it (pyroute2 forks to create and enter
# network namespaces) inherits them; raised there, the exception would unwind a copy of pilot's own
# stack and run its clean-up (a `lab up` child removing the namespace its parent is building).
_owner: int | None = None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would raise KeyboardInterrupt."""

    def __str__(self) -> str:
        return "stopped by SIGTERM; devices finish or undo their own transactions"


Handlers = tuple[object, object]


def install() -> Handlers:
    """Route SIGINT and SIGTERM through `received`; call from the main thread. Returns the handlers
    replaced, for `restore`."""
    from pilot.journal.db import started_in_this_process

    global received, _runs_before, _owner
    received, _runs_before, _owner = None, len(started_in_this_process), os.getpid()
    return signal.signal(signal.SIGINT, _on_signal), signal.signal(signal.SIGTERM, _on_signal)


def ignore() -> None:
    """From now on SIGINT and SIGTERM are ignored: pilot is saying where it stopped, and exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def restore(previous: Handlers) -> None:
    for signum, handler in zip((signal.SIGINT, signal.SIGTERM), previous, strict=True):
        signal.signal(signum, handler)  # type: ignore[arg-type]


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _owner:  # a forked child: it dies of the signal, as it would have without pilot
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    global received
    first = received is None
    received = signum
    if signum == signal.SIGTERM:
        if not first:
            return  # stopping already: a second TERM must not cut the journal's last write short
        raise Terminated()
    raise KeyboardInterrupt()


def exit_code() -> int:
    return 128 + (received or signal.SIGINT)


def summary() -> str:
    """The one line: what stopped pilot, and the run it stopped (from the journal), or that none had
    started."""
    from pilot.journal.db import started_in_this_process

    what = "stopped by SIGTERM" if received == signal.SIGTERM else "interrupted (Ctrl-C)"
    if len(started_in_this_process) <= _runs_before:
        return f"pilot: {what} before any run started: nothing was changed"
    path, run_id = started_in_this_process[-1]
    try:
        run, before, blocking = _run_and_stage_before(path, run_id)
    except Exception as exc:  # the journal itself may be what failed; the line must still be printed
        return f"pilot: {what} during run {run_id}; its state is unknown ({exc}): pilot status"
    return f"pilot: {what}: {describe(run, before, blocking)}"


def describe(run: Run, before: str | None, blocking: bool = True) -> str:
    """Run 12's state in words, with what to do next. `blocking`: the journal holds the run as one that
    left devices mid-change (an interrupted run that pushed nothing leaves nothing to resume)."""
    name = f"run {run.id} ({run.command} {run.stage or ''}".rstrip() + ")"
    back = f"pilot rollback --to {before or '<stage>'}"
    if run.command not in CHANGING_COMMANDS:
        return f"{name} stopped ({run.state}); it changes no device: nothing was changed"
    if run.state in (INTERRUPTED, RUNNING) and not blocking:
        return (
            f"{name} is {run.state}: it left no device mid-change (none had to change); pilot verify checks the network"
        )
    if run.state in (INTERRUPTED, RUNNING):
        return (
            f"{name} is interrupted: devices may be mid-change; next: pilot apply --resume "
            f"(re-applies {run.stage}), or {back}"
        )
    if run.state in ("failed", "cancelled"):
        return f"{name} is {run.state}: it stopped before any device changed: nothing was changed"
    return f"{name} is {run.state}: pilot show {run.id}"


def _run_and_stage_before(path: Path, run_id: int) -> tuple[Run, str | None, bool]:
    from pilot.journal import Journal

    with Journal.open(path, read_only=True) as journal:
        run = journal.get_run(run_id)
        stages = journal.device_stages(run.inventory)
        unfinished = journal.unfinished(run.inventory)
    return run, _common(stages, run.devices), unfinished is not None and unfinished.id == run.id


def _common(stages: Mapping[str, object], devices: tuple[str, ...]) -> str | None:
    """The stage the run's devices were at before it (a run's own stage is recorded only once it
    ends applied), when they were all at one."""
    seen = {getattr(stages.get(d), "stage", None) for d in devices}
    return str(next(iter(seen))) if len(seen) == 1 and None not in seen else None
