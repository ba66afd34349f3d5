"""Up and down with nothing left; labs side by side; failures and crashes at every step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from labkit import ROOT, TOPOLOGIES, assert_nothing_left, footprint, lab_exec, pilot, status, unique

from pilot.lab import procs
from pilot.lab.paths import LabPaths

SMALL = str(TOPOLOGIES / "small.yml")


def up(name: str, topology: str = "containerlab.yml", **env: str) -> subprocess.CompletedProcess[str]:
    return pilot("lab", "up", "-t", topology, "--name", name, env=env)


def test_up_then_down_leaves_no_namespace_holder_daemon_veth_bridge_mount_or_file() -> None:
    name = unique("td")
    links_before = set(Path("/sys/class/net").iterdir())
    result = up(name)
    assert result.returncode == 0, result.stderr
    data = status(name)
    pids = [n["pid"] for n in data["nodes"]] + [d["pid"] for n in data["nodes"] for d in n["daemons"]]
    assert len(pids) >= 18 + 18 + 5 * 6  # holders, every sshd, FRR on five routers
    before = footprint(name)
    assert before["netns"] and before["root_link"] and before["files"] and len(before["holders"]) == 18
    down = pilot("lab", "down", "--name", name, "--json")
    assert down.returncode == 0, down.stderr
    assert json.loads(down.stdout)[0]["name"] == name
    assert_nothing_left(name)
    assert [p for p in pids if procs.alive(p)] == []
    assert set(Path("/sys/class/net").iterdir()) == links_before  # no veth or bridge left in the root namespace


def test_two_labs_side_by_side() -> None:
    a, b = unique("ta"), unique("tb")
    try:
        assert up(a).returncode == 0
        assert up(b).returncode == 0
        sa, sb = status(a), status(b)
        assert sa["mgmt_subnet"] != sb["mgmt_subnet"]
        assert sa["root_ifname"] != sb["root_ifname"]
        assert LabPaths(a).bridge_netns != LabPaths(b).bridge_netns
        for lab in (a, b):
            assert lab_exec(lab, "core", "hostname").stdout.strip() == "core"
            ssh = subprocess.run(
                ["ssh", "-F", str(LabPaths(lab).ssh_config), "-o", "BatchMode=yes", "pc1", "hostname"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert ssh.stdout.strip() == "pc1", ssh.stderr
        assert pilot("lab", "down", "--name", a).returncode == 0
        assert_nothing_left(a)
        assert lab_exec(b, "pc2", "true").returncode == 0  # the other lab is untouched
    finally:
        for lab in (a, b):
            pilot("lab", "down", "--name", lab, "--force")
    assert_nothing_left(b)


def test_a_name_already_running_is_refused() -> None:
    name = unique("tr")
    try:
        assert up(name, SMALL).returncode == 0
        again = up(name, SMALL)
        assert again.returncode == 2
        assert f"lab '{name}' is already running" in again.stderr and "Traceback" not in again.stderr
    finally:
        assert pilot("lab", "down", "--name", name).returncode == 0
    assert_nothing_left(name)


def test_a_failure_half_way_removes_everything() -> None:
    name = unique("tf")
    result = up(name, str(TOPOLOGIES / "exec-fails.yml"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "node 'h1'" in lines[0] and "status 3" in lines[0]
    assert "node boot script failed" in lines[0]
    assert_nothing_left(name)


@pytest.mark.parametrize("step", ["up:recorded", "up:spawned", "up:wired", "up:booted"])
def test_sigkill_during_up_is_cleaned_by_down_force(step: str) -> None:
    name = unique("tk")
    result = up(name, SMALL, PILOT_FAULT=step)
    assert result.returncode == -signal.SIGKILL
    st = pilot("lab", "status", "--name", name, "--json")
    assert st.returncode == 0 and json.loads(st.stdout)[0]["state"] == "stale"
    refused = pilot("lab", "down", "--name", name)
    assert refused.returncode == 2 and "--force" in refused.stderr
    again = up(name, SMALL)
    assert again.returncode == 2 and "stale" in again.stderr
    assert pilot("lab", "down", "--name", name, "--force").returncode == 0
    assert_nothing_left(name)


def test_sigkill_during_down_is_cleaned_by_down_force() -> None:
    name = unique("tk")
    assert up(name, SMALL).returncode == 0
    # A plain down killed early, then a forced down killed after its first SIGKILL: still recoverable.
    for step, force in (("down:recorded", []), ("down:killing", ["--force"])):
        cut = pilot("lab", "down", "--name", name, *force, env={"PILOT_FAULT": step})
        assert cut.returncode == -signal.SIGKILL
        assert status(name)["state"] == "stale"
    assert pilot("lab", "down", "--name", name, "--force").returncode == 0
    assert_nothing_left(name)


def test_a_killed_holder_makes_the_lab_stale() -> None:
    name = unique("ts")
    assert up(name, SMALL).returncode == 0
    h1 = next(n for n in status(name)["nodes"] if n["name"] == "h1")
    os.kill(h1["pid"], signal.SIGKILL)
    data = status(name)
    assert data["state"] == "stale" and "'h1'" in data["stale_reason"]
    assert lab_exec(name, "h1", "true").returncode == 2
    assert pilot("lab", "down", "--name", name).returncode == 2
    assert pilot("lab", "down", "--name", name, "--force").returncode == 0
    assert_nothing_left(name)


def test_leftovers_without_a_record_are_found_by_name() -> None:
    name = unique("tl")
    assert up(name, SMALL).returncode == 0
    LabPaths(name).state_file.unlink()  # a lost record: holders, netns and the uplink remain
    refused = pilot("lab", "down", "--name", name)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert pilot("lab", "down", "--name", name, "--force").returncode == 0
    assert_nothing_left(name)


def test_a_management_subnet_on_a_host_route_is_refused(tmp_path: Path) -> None:
    name = unique("to")
    prefix = "3fff:0:1000:beef::/64"
    topo = tmp_path / "overlap.yml"
    small = (TOPOLOGIES / "small.yml").read_text()
    topo.write_text(small.replace("topology:", f"mgmt:\n  ipv6-subnet: {prefix}\ntopology:", 1))
    subprocess.run(["ip", "-6", "route", "add", "unreachable", prefix], check=True)
    try:
        result = up(name, str(topo))
    finally:
        subprocess.run(["ip", "-6", "route", "del", "unreachable", prefix], check=True)
    assert result.returncode == 2
    assert f"overlaps the host route {prefix}" in result.stderr and "mgmt.ipv6-subnet" in result.stderr
    assert_nothing_left(name)


def test_not_root_is_refused() -> None:
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         str(ROOT / ".venv" / "bin" / "pilot"), "lab", "up", "-t", SMALL, "--name", unique("tn")],
        capture_output=True, text=True, cwd="/", timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "needs root" in result.stderr and "Traceback" not in result.stderr


def test_topology_values_never_reach_a_shell() -> None:
    name = unique("th")
    try:
        result = up(name, str(TOPOLOGIES / "hostile.yml"))
        assert result.returncode == 0, result.stderr
        listing = lab_exec(name, "h1", "ls", "/tmp").stdout.splitlines()
        assert "literal; touch pwned-exec" in listing  # one file, named literally
        assert not [f for f in listing if f.startswith("pwned")]
        value = lab_exec(name, "h1", "cat", "/tmp/evil-value").stdout
        assert value == "$(touch /tmp/pwned-env); `touch /tmp/pwned-tick`"
        assert not list(Path("/tmp").glob("pwned*"))
    finally:
        assert pilot("lab", "down", "--name", name, "--force").returncode == 0
    assert_nothing_left(name)
