"""The containerlab backend: the same containerlab.yml deployed by containerlab on a Docker host.

containerlab and Docker cannot be installed on the machines pilot is developed on, so this backend is
a thin, testable layer: it builds the exact commands (`containerlab deploy/destroy/inspect`), runs them
through an injectable runner, and says precisely what is missing when it cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

from pilot.errors import LabError
from pilot.lab import preflight, procs
from pilot.lab.backend import DownReport, LabStatus, NodeStatus, Progress, no_progress
from pilot.lab.state import RUNNING, LabState, NodeState
from pilot.topology import load_topology
from pilot.topology.model import Topology
from pilot.transport.result import Completed

DOCKER_SOCKET = "/var/run/docker.sock"


Runner = Callable[[Sequence[str]], Completed]


def run_command(argv: Sequence[str]) -> Completed:
    result = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    return Completed(result.returncode, result.stdout, result.stderr)


def docker_reachable(path: str = DOCKER_SOCKET) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(path)
        return True
    except OSError:
        return False


class ContainerlabBackend:
    name = "containerlab"

    def __init__(
        self,
        runner: Runner = run_command,
        which: Callable[[str], str | None] = shutil.which,
        docker_ok: Callable[[], bool] = docker_reachable,
    ) -> None:
        self.runner = runner
        self.which = which
        self.docker_ok = docker_ok

    # -- what would run -------------------------------------------------------------------------
    def unavailable(self) -> list[str]:
        reasons = []
        if self.which("containerlab") is None:
            reasons.append("the containerlab binary is not on PATH")
        if self.which("docker") is None:
            reasons.append("the docker CLI is not installed")
        if not self.docker_ok():
            reasons.append(f"no Docker engine answers on {DOCKER_SOCKET}")
        return reasons

    def deploy_commands(self, topo: Topology) -> list[list[str]]:
        """containerlab expects `kind: bridge` bridges to exist on the host: create them first."""
        commands = []
        for bridge in topo.bridges:
            commands.append(["ip", "link", "add", "name", bridge.name, "type", "bridge"])
            commands.append(["ip", "link", "set", bridge.name, "up"])
        commands.append(["containerlab", "deploy", "--topo", str(topo.source), "--name", topo.name, "--reconfigure"])
        return commands

    def destroy_commands(self, topo: Topology) -> list[list[str]]:
        commands = [["containerlab", "destroy", "--topo", str(topo.source), "--name", topo.name, "--cleanup", "--yes"]]
        for bridge in topo.bridges:
            commands.append(["ip", "link", "del", bridge.name])
        return commands

    def inspect_command(self, topo: Topology) -> list[str]:
        return ["containerlab", "inspect", "--topo", str(topo.source), "--name", topo.name, "--format", "json"]

    # -- backend interface ----------------------------------------------------------------------
    def up(self, topo: Topology, progress: Progress = no_progress) -> LabStatus:
        self._require()
        preflight.require_root("pilot lab up --backend containerlab")
        existing = LabState.load(topo.name)
        if existing is not None:
            raise LabError(f"lab '{topo.name}' is already {existing.phase}", fix=f"pilot lab down --name {topo.name}")
        for argv in self.deploy_commands(topo):
            progress(" ".join(argv))
            self._run(argv, allow_exists=argv[:3] == ["ip", "link", "add"])
        st = LabState(
            name=topo.name,
            backend=self.name,
            topology=str(topo.source.resolve()),
            phase=RUNNING,
            owner_pid=os.getpid(),
            owner_started=procs.start_time(os.getpid()),
            created=time.time(),
            bridges=[b.name for b in topo.bridges],
            nodes={
                n.name: NodeState(n.name, n.role.value, n.kind, n.platform, topo.container_name(n.name))
                for n in topo.shell_nodes
            },
        )
        st.save()
        return self.status(topo.name)

    def down(self, name: str, *, force: bool = False, progress: Progress = no_progress) -> DownReport:
        st = LabState.load(name)
        if st is None:
            raise LabError(f"no containerlab lab named '{name}' was started by pilot", fix="pilot lab status")
        self._require()
        topo = load_topology(st.topology, name=name)
        report = DownReport(name)
        for argv in self.destroy_commands(topo):
            progress(" ".join(argv))
            result = self.runner(argv)
            if result.returncode != 0 and not force and argv[0] == "containerlab":
                raise LabError(f"containerlab destroy failed: {_last_line(result)}", fix="retry with --force")
            report.removed.append(" ".join(argv))
        shutil.rmtree(st.paths.root, ignore_errors=True)
        return report

    def status(self, name: str, *, detail: bool = True) -> LabStatus:
        st = LabState.load(name)
        if st is None:
            raise LabError(f"no containerlab lab named '{name}' was started by pilot", fix="pilot lab status")
        topo = load_topology(st.topology, name=name)
        status = LabStatus(name=name, backend=self.name, state=st.phase, topology=st.topology, bridges=st.bridges)
        containers = {}
        if not self.unavailable():
            result = self.runner(self.inspect_command(topo))
            if result.returncode == 0:
                containers = {c.get("name"): c for c in parse_inspect(result.stdout)}
        for node in topo.shell_nodes:
            info = containers.get(topo.container_name(node.name), {})
            address = str(info.get("ipv6_address") or "").split("/")[0] or None
            status.nodes.append(
                NodeStatus(
                    name=node.name,
                    role=node.role.value,
                    kind=node.kind,
                    platform=node.platform,
                    state=str(info.get("state", "unknown")),
                    mgmt_ipv6=address,
                    container=topo.container_name(node.name),
                    interfaces=[{"name": i} for i in ("eth0", *node.interfaces)],
                )
            )
        return status

    def exec_argv(self, name: str, node: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
        self._require()
        st = LabState.load(name)
        if st is None or node not in st.nodes:
            raise LabError(f"lab '{name}' has no node '{node}'", fix="pilot lab status")
        return ["docker", "exec", "-i", st.nodes[node].container, *argv], dict(os.environ)

    # -- helpers --------------------------------------------------------------------------------
    def _require(self) -> None:
        reasons = self.unavailable()
        if reasons:
            raise LabError(
                "the containerlab backend cannot run here: " + "; ".join(reasons),
                fix="install Docker and containerlab (https://containerlab.dev/install/), "
                "or use the default --backend namespace",
            )

    def _run(self, argv: Sequence[str], *, allow_exists: bool = False) -> Completed:
        result = self.runner(argv)
        if result.returncode != 0 and not (allow_exists and "exists" in result.stderr):
            raise LabError(f"'{' '.join(argv)}' failed: {_last_line(result)}", fix="see containerlab's output above")
        return result


def parse_inspect(text: str) -> list[dict[str, Any]]:
    """containerlab inspect --format json: {"<lab>": [...]} (0.5x and later) or {"containers": [...]} (older)."""
    data = json.loads(text or "{}")
    if isinstance(data, dict) and "containers" in data:
        return list(data["containers"])
    out: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for items in data.values():
            out.extend(items)
    return out


def _last_line(result: Completed) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"
