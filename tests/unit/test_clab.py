"""The containerlab backend: the exact commands it would run, and why it cannot run here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from pilot.errors import LabError
from pilot.lab.clab import ContainerlabBackend, parse_inspect
from pilot.topology import load_topology
from pilot.transport.result import Completed


class Recorder:
    def __init__(self, inspect: str = "{}") -> None:
        self.calls: list[list[str]] = []
        self.inspect = inspect

    def __call__(self, argv: Sequence[str]) -> Completed:
        self.calls.append(list(argv))
        if argv[:2] == ["containerlab", "inspect"]:
            return Completed(0, self.inspect, "")
        return Completed(0, "", "")


def backend(runner: Recorder, *, binaries: bool = True, docker: bool = True) -> ContainerlabBackend:
    return ContainerlabBackend(
        runner=runner,
        which=lambda name: f"/usr/bin/{name}" if binaries else None,
        docker_ok=lambda: docker,
    )


def test_says_exactly_why_it_cannot_run(pilot_topology: Path) -> None:
    clab = backend(Recorder(), binaries=False, docker=False)
    with pytest.raises(LabError) as info:
        clab.up(load_topology(pilot_topology))
    text = str(info.value)
    assert "the containerlab binary is not on PATH" in text
    assert "the docker CLI is not installed" in text
    assert "no Docker engine answers on /var/run/docker.sock" in text
    assert "--backend namespace" in text


def test_deploy_commands_create_bridges_first(pilot_topology: Path) -> None:
    topo = load_topology(pilot_topology, name="student1")
    commands = backend(Recorder()).deploy_commands(topo)
    assert commands[:4] == [
        ["ip", "link", "add", "name", "inet", "type", "bridge"],
        ["ip", "link", "set", "inet", "up"],
        ["ip", "link", "add", "name", "dc", "type", "bridge"],
        ["ip", "link", "set", "dc", "up"],
    ]
    assert commands[-1] == [
        "containerlab", "deploy", "--topo", str(pilot_topology), "--name", "student1", "--reconfigure",
    ]  # fmt: skip


def test_destroy_and_inspect_commands(pilot_topology: Path) -> None:
    topo = load_topology(pilot_topology)
    clab = backend(Recorder())
    destroy = clab.destroy_commands(topo)
    assert destroy[0] == [
        "containerlab", "destroy", "--topo", str(pilot_topology), "--name", "dost-pilot", "--cleanup", "--yes",
    ]  # fmt: skip
    assert ["ip", "link", "del", "dc"] in destroy
    assert clab.inspect_command(topo)[-2:] == ["--format", "json"]


def test_up_status_exec_down_with_a_recorded_runner(
    pilot_topology: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pilot.lab.preflight.require_root", lambda action: None)
    inspect = json.dumps(
        {
            "dost-pilot": [
                {"name": "clab-dost-pilot-core", "state": "running", "ipv6_address": "3fff:172:20:20::3/64"},
                {"name": "clab-dost-pilot-pc1", "state": "running", "ipv6_address": "3fff:172:20:20::9/64"},
            ]
        }
    )
    runner = Recorder(inspect)
    clab = backend(runner)
    status = clab.up(load_topology(pilot_topology))
    assert runner.calls[4][:2] == ["containerlab", "deploy"]
    core = next(n for n in status.nodes if n.name == "core")
    assert (core.state, core.mgmt_ipv6, core.container) == ("running", "3fff:172:20:20::3", "clab-dost-pilot-core")
    assert len(status.nodes) == 18
    argv, _ = clab.exec_argv("dost-pilot", "pc1", ["ip", "-br", "a"])
    assert argv == ["docker", "exec", "-i", "clab-dost-pilot-pc1", "ip", "-br", "a"]
    report = clab.down("dost-pilot")
    assert any(r.startswith("containerlab destroy") for r in report.removed)
    assert not (state_dir / "labs" / "dost-pilot").exists()


def test_parse_inspect_both_shapes() -> None:
    assert parse_inspect('{"containers": [{"name": "a"}]}') == [{"name": "a"}]
    assert parse_inspect('{"lab": [{"name": "a"}, {"name": "b"}]}') == [{"name": "a"}, {"name": "b"}]
