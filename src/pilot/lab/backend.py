"""The lab backend interface, its result types, and backend registration through entry points.

Backends (the namespace engine, containerlab) all take the same containerlab.yml and answer with the
same plain typed objects, so the CLI and the inventory writer never know which one ran the lab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol

from pilot.errors import PilotError
from pilot.topology.model import Topology

Progress = Callable[[str], None]


def no_progress(_: str) -> None:
    pass


@dataclass
class Daemon:
    pid: int
    name: str
    rss_kb: int = 0


@dataclass
class NodeStatus:
    name: str
    role: str
    kind: str
    platform: str
    state: str  # running | stopped | unknown
    mgmt_ipv6: str | None
    pid: int | None = None
    daemons: list[Daemon] = field(default_factory=list)
    interfaces: list[dict[str, Any]] = field(default_factory=list)
    container: str | None = None


@dataclass
class LabStatus:
    name: str
    backend: str
    state: str  # running | creating | destroying | stale
    topology: str
    mgmt_subnet: str | None = None
    mgmt_gateway: str | None = None
    root_ifname: str | None = None
    stale_reason: str | None = None
    nodes: list[NodeStatus] = field(default_factory=list)
    bridges: list[str] = field(default_factory=list)
    ssh_config: str | None = None
    known_hosts: str | None = None
    user_key: str | None = None
    created: float | None = None  # when this build of the lab came up (epoch seconds), if known

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DownReport:
    name: str
    removed: list[str] = field(default_factory=list)  # what was cleaned, for the user and the tests


class LabBackend(Protocol):
    """What a lab backend does. Errors the user can fix are `PilotError`s."""

    name: str

    def up(self, topo: Topology, progress: Progress = no_progress) -> LabStatus: ...

    def down(self, name: str, *, force: bool = False, progress: Progress = no_progress) -> DownReport: ...

    def status(self, name: str, *, detail: bool = True) -> LabStatus: ...

    def exec_argv(self, name: str, node: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
        """The command line (and environment) that runs `argv` inside `node`; the CLI execs it."""
        ...


ENTRY_POINT_GROUP = "pilot.lab_backends"


def get_backend(name: str) -> LabBackend:
    """Load a backend by name from the `pilot.lab_backends` entry points (nornir-style registration)."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        # Installed in development without entry points: fall back to the built-in ones.
        from pilot.lab.clab import ContainerlabBackend
        from pilot.lab.nsbackend import NamespaceBackend

        builtin: dict[str, Callable[[], LabBackend]] = {
            "namespace": NamespaceBackend,
            "containerlab": ContainerlabBackend,
        }
        if name not in builtin:
            choices = ", ".join(sorted(set(found) | set(builtin)))
            raise PilotError(f"unknown lab backend '{name}'", fix=f"use one of: {choices}")
        return builtin[name]()
    backend: LabBackend = found[name].load()()
    return backend
