"""Where a run keeps its working files (`<inventory>/.pilot/runs/<run>/`: ansible-runner's private data),
and what is checked before a run that changes devices, so that nothing it needs fails after it began.

Before a run changes anything: the journal is sound and a copy of it is kept (it will hold the run's
backups), the journal can be written, and the runs directory can be written. A failure is one line
naming the file and the fix; nothing has been pushed.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from pilot.errors import PilotError
from pilot.journal import Journal

RUNS = Path(".pilot") / "runs"


def runs_dir(inventory_dir: Path) -> Path:
    return inventory_dir / RUNS


def before_changing_run(journal: Journal, inventory_dir: Path) -> None:
    """Refuse (PilotError) a run that could not record what it does; call it under the inventory's
    exclusive lock, before the run starts."""
    journal.check_health()
    runs = check_runs_dir(inventory_dir)
    from pilot.rollout import ansible

    ansible.scrub_runs(runs)  # under the exclusive lock no play runs: what is there, a killed pilot left


def check_runs_dir(inventory_dir: Path) -> Path:
    """The runs directory, created if needed and proved writable."""
    runs = runs_dir(inventory_dir)
    try:
        runs.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=runs, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _error(runs, exc) from exc
    return runs


def run_workdir(inventory_dir: Path, run: int | str) -> Path:
    """The run's own directory (private: its plays' data describe the network)."""
    work = runs_dir(inventory_dir) / str(run)
    try:
        work.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(work, exc) from exc
    return work


def _error(path: Path, exc: OSError) -> PilotError:
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        fix = f"move aside what is in the way ({_in_the_way(path)} is not a directory)"
    elif exc.errno == errno.EROFS:
        fix = "use a copy of the inventory on a writable filesystem"
    else:
        fix = "run pilot as the user who owns the inventory, or fix the directory's permissions"
    return PilotError(f"{path}: cannot write the run's working files: {exc.strerror} (nothing was changed)", fix=fix)


def _in_the_way(path: Path) -> Path:
    """The first component of `path` that exists and is not a directory."""
    for parent in [*reversed(path.parents), path]:
        if parent.exists() and not parent.is_dir():
            return parent
    return path
