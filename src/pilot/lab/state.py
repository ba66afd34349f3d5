"""The record of a lab, written before anything is created and updated as it is built.

`lab up` writes the state file first (phase "creating") and records each holder as soon as it exists,
so a crash at any point leaves a record that `lab status` reports as stale and `lab down --force` uses.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pilot.errors import LabError
from pilot.lab import procs
from pilot.lab.paths import LabPaths, labs_dir

CREATING, RUNNING, DESTROYING = "creating", "running", "destroying"


@dataclass
class NodeState:
    name: str
    role: str
    kind: str
    platform: str
    container: str
    mgmt_ipv6: str | None = None
    interfaces: list[str] = field(default_factory=list)
    pid: int | None = None  # the holder: PID 1 of the node's namespaces, as seen from the root namespace
    started: int | None = None  # its start time, so a reused PID is never mistaken for it


@dataclass
class LabState:
    name: str
    backend: str
    topology: str
    phase: str
    owner_pid: int  # the pilot process creating or destroying the lab
    owner_started: int | None
    created: float
    mgmt_subnet: str | None = None
    mgmt_gateway: str | None = None
    root_ifname: str | None = None
    bridge_netns: str | None = None
    nodes: dict[str, NodeState] = field(default_factory=dict)
    bridges: list[str] = field(default_factory=list)

    @property
    def paths(self) -> LabPaths:
        return LabPaths(self.name)

    # -- persistence ----------------------------------------------------------------------------
    def save(self) -> None:
        path = self.paths.state_file
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=1)  # node order = file order
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic: a reader sees the old or the new record, never half of one

    @classmethod
    def load(cls, name: str) -> LabState | None:
        path = LabPaths(name).state_file
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LabError(
                f"lab '{name}': state file {path} is unreadable ({exc})",
                fix=f"pilot lab down --name {name} --force",
            ) from None
        nodes = {k: NodeState(**v) for k, v in raw.pop("nodes", {}).items()}
        return cls(nodes=nodes, **raw)

    # -- health ---------------------------------------------------------------------------------
    def owner_alive(self) -> bool:
        return procs.alive(self.owner_pid, self.owner_started)

    def stale_reason(self) -> str | None:
        """Why this record no longer describes a working lab, or None if it does."""
        if self.phase in (CREATING, DESTROYING):
            if self.owner_alive():
                return None  # another pilot process is working on it right now
            verb = "lab up" if self.phase == CREATING else "lab down"
            return f"'{verb}' (pid {self.owner_pid}) stopped before finishing"
        if self.backend != "namespace":
            return None
        for node in self.nodes.values():
            if node.pid is not None and not procs.alive(node.pid, node.started):
                return f"the holder of node '{node.name}' (pid {node.pid}) is gone"
        return None


def known_labs() -> list[str]:
    root = labs_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "state.json").exists())


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive flock on a directory, created if missing: serialises allocation across pilot processes."""
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
