"""`pilot lab status` while another lab goes down: a node or a lab that vanishes while it is being
looked at is reported as stopped or left out, never an internal error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.lab import netlink, procs
from pilot.lab.state import LabState, NodeState


@pytest.fixture
def labs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PILOT_STATE_DIR", str(tmp_path / "state"))
    node = NodeState("core", "router", "linux", "frr", "core", "3fff:0:1000:1::2", ["eth1"], pid=os.getpid())
    LabState("going", "namespace", "containerlab.yml", "running", os.getpid(), None, 0.0, nodes={"core": node}).save()
    return tmp_path


def test_a_node_vanishing_mid_status_is_shown_stopped(labs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procs, "alive", lambda pid, started=None: True)

    def gone(pid: int) -> list[object]:
        raise FileNotFoundError(f"/proc/{pid}/ns/net")

    monkeypatch.setattr(procs, "processes_in_pidns", gone)
    monkeypatch.setattr(netlink, "node_links", gone)
    result = CliRunner().invoke(app, ["lab", "status", "--json"])
    assert result.exit_code == 0, result.output
    (lab,) = json.loads(result.stdout)
    assert lab["name"] == "going" and lab["nodes"][0]["state"] == "stopped"


def test_a_lab_removed_while_listing_is_left_out(labs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilot.lab import nsbackend

    original = nsbackend.NamespaceBackend.status

    def removed_first(self, name, *, detail=True):  # type: ignore[no-untyped-def]
        LabState.load(name).paths.state_file.unlink()  # type: ignore[union-attr]
        return original(self, name, detail=detail)

    monkeypatch.setattr(nsbackend.NamespaceBackend, "status", removed_first)
    result = CliRunner().invoke(app, ["lab", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
