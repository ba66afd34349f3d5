"""The rollout on a real pilot lab, through the command line: the whole progression with every
verification pack passing, then each fault of issue 4 with the network and the journal checked after.

The tests share one lab and run in file order; each leaves the lab at a known stage for the next:
  (errors: nothing changes) -> ipv4 -> dual-stack -> ipv6-mostly -> ipv6-only -> rollback dual-stack
  -> verification fails (NAT64 killed): back at dual-stack -> two applies at once: ipv6-mostly
  -> a push fails half-way: back at ipv6-mostly -> SIGKILL mid-push, resumed: ipv6-only.
Every command runs with a password in PILOT_SSH_PASSWORD (the lab logs in with its key; the password
is only offered): the last test looks for it on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from labkit import ROOT, eventually, lab_exec, pilot, pilot_lab, why

from pilot.journal import Journal
from pilot.journal.lock import read_holders

MARKER = "pilot-test-password-9f4c1e"  # offered as the SSH password by every command of this module
STAGES = ["ipv4", "dual-stack", "ipv6-mostly", "ipv6-only"]


@dataclass
class Lab:
    name: str
    inventory: Path
    journal: Path
    env: dict[str, str] = field(repr=False)  # holds the password: kept out of pytest's reports
    work: Path
    started: float  # files older than the module's lab are not this run's

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 400
    ) -> subprocess.CompletedProcess[str]:
        return pilot(*args, "-I", str(self.inventory), env={**self.env, **(env or {})}, timeout=timeout)

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pilot", *args, "-I", str(self.inventory)],
            cwd=ROOT,
            env={**os.environ, **self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def report(self, *args: str, expect: int = 0) -> dict[str, Any]:
        result = self.run(*args, "--json")
        assert result.returncode == expect, (result.returncode, result.stderr[-3000:], why(result.stdout))
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def status(self) -> dict[str, Any]:
        result = self.run("status", "--json")
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def stages(self) -> dict[str, str]:
        return {d["device"]: d["stage"] for d in self.status()["devices"]}

    def file(self, node: str, path: str) -> str:
        result = lab_exec(self.name, node, "cat", path)
        return result.stdout if result.returncode == 0 else f"<missing: {result.stderr.strip()}>"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    work = tmp_path_factory.mktemp("rollout")
    with pilot_lab(work, "tr") as (name, inventory):
        env = {
            "PILOT_JOURNAL": str(work / "journal.sqlite"),
            "PILOT_CREDENTIALS": str(work / "no-credentials.yml"),  # not the user's own
            "PILOT_SSH_PASSWORD": MARKER,
        }
        yield Lab(name, inventory, work / "journal.sqlite", env, work, time.time())


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr, result.stdout)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("pilot: error: "), lines[0]
    return lines[0].removeprefix("pilot: error: ")


def copy_inventory(lab: Lab, name: str) -> Path:
    copy = lab.work / name
    shutil.copytree(lab.inventory, copy, ignore=shutil.ignore_patterns(".pilot", "*.lock"))
    return copy


def changed_on_devices(lab: Lab) -> list[str]:
    """Devices where a pilot transaction completed (the device agent's own record)."""
    return [d["device"] for d in lab.status()["devices"] if d["device_says"] != "nothing applied by pilot"]


def assert_all_pass(report: dict[str, Any], *names: str) -> None:
    checks = {c["name"]: c for c in report["checks"]}
    failed = {n: c["observed"] for n, c in checks.items() if not c["passed"]}
    assert not failed, failed
    missing = [n for n in names if n not in checks or checks[n]["skipped"]]
    assert not missing, f"checks not run: {missing}"


# -- bad requests: one line, exit 2, nothing changed ----------------------------------------------------


def test_a_stage_the_inventory_has_no_data_for(lab: Lab) -> None:
    line = one_line_error(lab.run("diff", "--stage", "ipv5"))
    assert "ipv5" in line and "ipv4, dual-stack, ipv6-mostly, ipv6-only" in line
    copy = copy_inventory(lab, "with-ghost")
    hosts = yaml.safe_load((copy / "hosts.yaml").read_text())
    hosts["ghost"] = dict(hosts["pc1"], hostname="3fff:0:1000:ffff::99")
    (copy / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    for command in (["diff", "--stage", "dual-stack"], ["apply", "--stage", "dual-stack", "--yes"]):
        line = one_line_error(pilot(*command, "-I", str(copy), env=lab.env))
        assert line.startswith(f"{copy / 'hosts.yaml'}: ghost: ") and "no intended configuration" in line
        assert "fix:" in line
    assert not lab.journal.exists() or not Journal.open(lab.journal).runs()
    assert changed_on_devices(lab) == []


def test_an_unreachable_device_stops_the_apply_before_any_change(lab: Lab) -> None:
    copy = copy_inventory(lab, "unreachable")
    hosts = yaml.safe_load((copy / "hosts.yaml").read_text())
    prefix = hosts["portal"]["hostname"].rsplit(":", 1)[0]
    hosts["portal"]["hostname"] = f"{prefix}:fe"  # in the management subnet, answered by nobody
    (copy / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    line = one_line_error(pilot("apply", "--stage", "ipv4", "--yes", "-I", str(copy), env=lab.env, timeout=300))
    assert line.startswith(f"{copy / 'hosts.yaml'}: portal: unreachable: ") and "nothing was changed" in line
    assert "fix:" in line and "--limit '!portal'" in line
    assert changed_on_devices(lab) == []
    with Journal.open(lab.journal) as journal:
        run = journal.runs(limit=1)[0]
        assert (run.command, run.state) == ("apply", "failed") and run.detail.startswith("nothing was changed")
        assert journal.unfinished(str(copy)) is None


def test_wrong_credentials_are_refused_before_any_change(lab: Lab) -> None:
    wrong = lab.work / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    line = one_line_error(lab.run("apply", "--stage", "ipv4", "--yes", env={"PILOT_SSH_KEY": str(wrong)}))
    # Devices failing alike are named together: the routers (NAPALM), then the Ansible hosts.
    assert "isp1, isp2, core, dost-rtr, soyte-rtr: authentication refused for user root" in line
    assert (
        "pc1, pc2, legacy1, rogue1, soyte-sw, soyte-pc1, soyte-pc2: unreachable: Permission denied (publickey)" in line
    )
    assert "fix: check the credentials" in line
    assert changed_on_devices(lab) == []


# -- the progression ------------------------------------------------------------------------------------


def test_the_progression_with_every_pack_passing(lab: Lab) -> None:
    expected = {
        "ipv4": ["ospf core~dost-rtr", "bgp-ipv4 core~isp1", "bgp-ipv4 core~isp2", "dhcpv4 pc1", "internet-ipv4 pc2"],
        "dual-stack": [
            "ospf6 core~dost-rtr",
            "bgp-ipv6 core~isp1",
            "ra pc1",
            "slaac pc1",
            "dhcpv6 pc2",
            "portal-ipv6 pc1",
            "ra-guard rogue1",
            "dhcpv6-shield rogue1",
        ],
        "ipv6-mostly": ["option108 pc1", "dhcpv4 pc2", "dns64 pc1", "nat64 pc1", "nat64 pc2", "ra-guard rogue1"],
        "ipv6-only": ["no-ipv4 pc1", "no-ipv4 pc2", "legacy-ipv4 legacy1", "nat64 pc2", "dhcpv6-shield rogue1"],
    }
    runs = []
    for stage in STAGES:
        report = lab.report("apply", "--stage", stage, "--yes")
        assert report["state"] == "applied", report["detail"]
        assert_all_pass(report, *expected[stage])
        assert all(d["push"] in ("pushed", "unchanged") for d in report["devices"])
        assert set(lab.stages().values()) == {stage}
        runs.append(report["run_id"])
    # The device is the truth: pc1 really has no IPv4 in ipv6-only, legacy1 keeps its own.
    assert "inet " not in lab_exec(lab.name, "pc1", "ip", "-4", "addr", "show", "dev", "eth1").stdout
    assert "inet 198.51.100." in lab_exec(lab.name, "legacy1", "ip", "-4", "addr", "show", "dev", "eth1").stdout
    assert "tayga" in lab_exec(lab.name, "nat64", "pgrep", "-a", "tayga").stdout

    back = lab.report("rollback", "--to", "dual-stack", "--yes")
    assert back["state"] == "applied" and back["command"] == "rollback"
    assert_all_pass(back, *expected["dual-stack"])
    assert set(lab.stages().values()) == {"dual-stack"}
    assert lab_exec(lab.name, "nat64", "pgrep", "tayga").returncode == 1  # NAT64 is gone again
    assert "v6-only-preferred" not in lab.file("dhcp", "/etc/kea/kea-dhcp4.conf")

    verified = lab.report("verify")
    assert verified["state"] == "verified" and verified["stage"] == "dual-stack"
    history = json.loads(lab.run("history", "--json").stdout)
    assert [r["id"] for r in history[:6]] == [verified["run_id"], back["run_id"], *reversed(runs)]
    shown = json.loads(lab.run("show", str(runs[1]), "--backups", "--json").stdout)
    devices = {d["device"]: d for d in shown["devices"]}
    assert "ipv6 address 2001:db8:" in devices["core"]["diff"] and devices["core"]["backup"] is not None
    assert any(c["name"] == "ra-guard rogue1" and c["passed"] for c in shown["checks"])


def test_diff_shows_what_would_change_and_changes_nothing(lab: Lab) -> None:
    before = {n: lab.file(n, p) for n, p in (("dhcp", "/etc/kea/kea-dhcp4.conf"), ("dost-rtr", "/etc/frr/frr.conf"))}
    running = lab_exec(lab.name, "dost-rtr", "vtysh", "-c", "show running-config").stdout
    report = lab.report("diff", "--stage", "ipv6-only")
    assert report["state"] == "diffed"
    diffs = {d["name"]: d["diff"] for d in report["devices"]}
    assert diffs["dhcp"].startswith("--- /etc/kea/kea-dhcp4.conf (running)")
    assert "no ip address" in diffs["dost-rtr"] and not diffs["isp1"]
    assert {
        n: lab.file(n, p) for n, p in (("dhcp", "/etc/kea/kea-dhcp4.conf"), ("dost-rtr", "/etc/frr/frr.conf"))
    } == before
    assert lab_exec(lab.name, "dost-rtr", "vtysh", "-c", "show running-config").stdout == running
    assert set(lab.stages().values()) == {"dual-stack"}


# -- faults ---------------------------------------------------------------------------------------------


def newest_run(lab: Lab) -> Any:
    with Journal.open(lab.journal) as journal:
        runs = journal.runs(limit=1)
        return runs[0] if runs else None


def test_a_failed_verification_restores_every_device(lab: Lab) -> None:
    """NAT64 dies right after the push: the pack fails, every device goes back to dual-stack, verified."""
    before_runs = newest_run(lab).id
    tayga_conf = lab.file("nat64", "/etc/tayga.conf")
    proc = lab.popen("apply", "--stage", "ipv6-mostly", "--yes", "--json")

    def nat64_pushed() -> bool:
        run = newest_run(lab)
        if run.id == before_runs or run.state != "running":
            return False
        with Journal.open(lab.journal) as journal:
            return any(d.device == "nat64" and d.push == "pushed" for d in journal.devices(run.id))

    eventually(nat64_pushed, timeout=120, what="nat64 pushed")
    assert lab_exec(lab.name, "nat64", "pkill", "-KILL", "-x", "tayga").returncode == 0
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 1, err
    report = json.loads(out)
    assert report["state"] == "rolled-back", why(out)
    failed = {c["name"] for c in report["checks"] if not c["passed"]}
    assert {"nat64 pc1", "nat64 pc2"} <= failed and "ospf core~dost-rtr" not in failed
    restored = [c for c in report["after_rollback"] if c["name"].startswith("restored ")]
    assert restored and all(c["passed"] for c in restored), restored
    again = [c for c in report["after_rollback"] if not c["name"].startswith("restored ")]
    assert any(c["name"] == "ra pc1" for c in again) and all(c["passed"] for c in again)
    assert {d["push"] for d in report["devices"]} <= {"restored", "unchanged"}
    assert lab.file("nat64", "/etc/tayga.conf") == tayga_conf
    assert set(lab.stages().values()) == {"dual-stack"}
    with Journal.open(lab.journal) as journal:
        assert journal.get_run(report["run_id"]).state == "rolled-back"


def test_two_applies_at_once(lab: Lab) -> None:
    before_runs = newest_run(lab).id
    first = lab.popen("apply", "--stage", "ipv6-mostly", "--yes", "--json")
    eventually(
        lambda: (r := newest_run(lab)).id != before_runs and r.state == "running", timeout=60, what="first run started"
    )
    first_run = newest_run(lab).id
    eventually(lambda: any(h.run_id == first_run for h in read_holders(lab.inventory)), what="the lock naming the run")
    line = one_line_error(lab.run("apply", "--stage", "ipv6-mostly", "--yes"))
    # The refusal names the run in the way, its pid, and says to wait for it; the refused call recorded
    # no run of its own and touched no device.
    assert "another pilot run is working on this inventory" in line
    assert f"run {first_run} (apply)" in line and f"pid {first.pid}" in line, line
    assert f"fix: wait for run {first_run}" in line, line
    assert newest_run(lab).id == first_run
    out, err = first.communicate(timeout=400)
    assert first.returncode == 0, err
    report = json.loads(out)
    assert report["state"] == "applied"
    assert_all_pass(report, "option108 pc1", "nat64 pc1")
    assert set(lab.stages().values()) == {"ipv6-mostly"}


def test_a_push_failing_half_way_restores_every_device(lab: Lab) -> None:
    """dhcp cannot write its configuration (read-only /etc/kea): dost-rtr, already pushed, goes back too."""
    files = {("dhcp", "/etc/kea/kea-dhcp4.conf"), ("dost-rtr", "/etc/frr/frr.conf")}
    before = {f: lab.file(*f) for f in files}
    running = lab_exec(lab.name, "dost-rtr", "vtysh", "-c", "show running-config").stdout
    assert lab_exec(lab.name, "dhcp", "mount", "--bind", "-o", "ro", "/etc/kea", "/etc/kea").returncode == 0
    try:
        report = lab.report("apply", "--stage", "ipv6-only", "--yes", expect=1)
    finally:
        assert lab_exec(lab.name, "dhcp", "umount", "/etc/kea").returncode == 0
    assert report["state"] == "rolled-back", why(json.dumps(report))
    devices = {d["name"]: d for d in report["devices"]}
    assert devices["dhcp"]["push"] == "restored" and "Read-only file system" in devices["dhcp"]["error"]
    assert devices["dost-rtr"]["push"] == "restored"
    assert devices["pc1"]["push"] == "pending"  # clients never reconnected to a half-migrated network
    assert report["checks"] == []
    assert all(c["passed"] for c in report["after_rollback"]) and report["after_rollback"]
    assert {f: lab.file(*f) for f in files} == before
    assert lab_exec(lab.name, "dost-rtr", "vtysh", "-c", "show running-config").stdout == running
    assert set(lab.stages().values()) == {"ipv6-mostly"}
    shown = json.loads(lab.run("show", str(report["run_id"]), "--json").stdout)
    assert shown["run"]["state"] == "rolled-back" and "dhcp" in shown["run"]["detail"]


def test_pilot_killed_mid_push_is_found_refused_on_and_resumed(lab: Lab) -> None:
    killed = lab.run("apply", "--stage", "ipv6-only", "--yes", env={"PILOT_FAULT": "push:detached"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    status = lab.status()
    interrupted = status["unfinished_run"]
    assert interrupted and interrupted["state"] == "interrupted" and interrupted["stage"] == "ipv6-only"
    stages = {d["device"]: d["stage"] for d in status["devices"]}
    unknown = f"unknown: run {interrupted['id']} was interrupted (last known ipv6-mostly)"
    # What the run was changing is unknown until resolved; what it had nothing to change for is known.
    assert {n: stages[n] for n in ("dost-rtr", "dhcp", "pc1")} == dict.fromkeys(("dost-rtr", "dhcp", "pc1"), unknown)
    assert stages["isp1"] == stages["portal"] == "ipv6-mostly"
    # The router's transaction went on without pilot: the device says it finished.
    eventually(
        lambda: (
            next(d for d in lab.status()["devices"] if d["device"] == "dost-rtr")["device_says"]
            == f"ipv6-only (run {interrupted['id']})"
        ),
        timeout=60,
        what="dost-rtr finishing its transaction",
    )
    line = one_line_error(lab.run("apply", "--stage", "ipv6-only", "--yes"))
    assert f"run {interrupted['id']}" in line and "interrupted" in line and "--resume" in line
    resumed = lab.report("apply", "--resume", "--yes")
    assert resumed["state"] == "applied" and resumed["stage"] == "ipv6-only" and resumed["command"] == "apply"
    assert_all_pass(resumed, "no-ipv4 pc1", "no-ipv4 pc2", "nat64 pc1")
    status = lab.status()
    assert status["unfinished_run"] is None and {d["stage"] for d in status["devices"]} == {"ipv6-only"}
    with Journal.open(lab.journal) as journal:
        assert journal.get_run(interrupted["id"]).resolved_by == resumed["run_id"]


def test_no_secret_on_disk(lab: Lab) -> None:
    """The password offered on every command is in no file: inventory, run directories, ansible-runner's
    private data and artifacts, the journal. No configuration is left in the run directories either."""
    leaks = []
    # os.walk, not rglob: other runs on the machine create and remove directories under /tmp meanwhile,
    # and a directory gone between listing and entering it is no leak.
    walked = (Path(d) / f for root in (lab.work, Path("/tmp")) for d, _, files in os.walk(root) for f in files)
    for path in walked:
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_mtime < lab.started:
                continue
            if MARKER.encode() in path.read_bytes():
                leaks.append(str(path))
        except OSError:
            continue
    assert not leaks
    # Nor any configuration, secrets and all: the agent scripts (each embeds its host's bundle) are gone
    # after their play, and ansible-runner wrote neither events nor output (they carry the backups).
    runs = lab.inventory / ".pilot" / "runs"
    assert list(runs.glob("*/ansible-*")), "the runs' ansible-runner directories exist"
    configurations = [
        str(path)
        for path in runs.rglob("*")
        if path.is_file() and any(text in path.read_bytes() for text in (b"Dhcp4", b"router ospf", b"EMBEDDED = "))
    ]
    assert configurations == []
    assert list(runs.rglob("agents")) == [] and list(runs.rglob("job_events")) == []
    artifacts = list(lab.inventory.rglob("artifacts/*/command"))
    assert artifacts, "ansible-runner's command artifacts exist"
    for command in artifacts:
        env = json.loads(command.read_text())["env"]
        assert not {k for k in env if k.startswith("PILOT_")}, env.keys()
        assert "--ask-pass" in json.loads(command.read_text())["command"]
