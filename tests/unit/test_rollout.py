"""The rollout's logic without a lab: every device is a NAPALM mock (`pilot_mock`) held in memory.

Backups before any change, the diff, pushes in two waves, a failure on one device restoring every
device of the run, verification failure doing the same, the journal telling the truth, the lock, an
interrupted run refusing further applies until resumed or rolled back.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from mockinv import mock_inventory
from pilot.drivers.mock import MockDevice, MockDriver
from pilot.errors import PilotError
from pilot.journal import Journal, RunLock
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage
from pilot.verify import CheckResult
from testroot import PILOT_NODES, ROOT

NODES = PILOT_NODES


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pilot's devices, all reached through the mock driver."""
    return mock_inventory(tmp_path, monkeypatch)


def checker(passed: bool = True):  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def check(inv, plan, stage, capable):  # type: ignore[no-untyped-def]
        calls.append(stage.name)
        return [
            CheckResult(
                f"fake {stage.name}", "pc1", "the network works", "it does" if passed else "it does not", passed, 0.01
            )
        ]

    check.calls = calls  # type: ignore[attr-defined]
    return check


def rollout(inventory: Path, **kw) -> Rollout:  # type: ignore[no-untyped-def]
    options = Options(yes=True, validate=False, checker=kw.pop("checker", checker()), **kw)
    return Rollout(load_inventory(inventory), options)


def files(node: str) -> dict[str, str]:
    return dict(MockDriver.devices[node].files)


def test_apply_pushes_every_device_and_records_the_run(inventory: Path) -> None:
    report = rollout(inventory).apply(get_stage("ipv4"))
    assert report.state == "applied", report.detail
    assert {d.name: d.push for d in report.devices} == dict.fromkeys(NODES, "pushed")
    assert "/etc/frr/frr.conf" in files("core") and files("dhcp")["/etc/kea/kea-dhcp4.conf"].startswith(
        "// dhcp: stage ipv4"
    )
    assert MockDriver.devices["dhcp"].services["kea-dhcp4-server"] is True
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        run = journal.get_run(report.run_id)
        assert (run.command, run.stage, run.state) == ("apply", "ipv4", "applied")
        stages = journal.device_stages(str(inventory))
        assert {n: s.stage for n, s in stages.items()} == dict.fromkeys(NODES, "ipv4")
        recorded = {d.device: d for d in journal.devices(report.run_id)}
        assert recorded["core"].backup is not None and recorded["core"].diff
        assert [c.name for c in journal.checks(report.run_id)] == ["fake ipv4"]


def test_a_second_apply_of_the_same_stage_changes_nothing(inventory: Path) -> None:
    rollout(inventory).apply(get_stage("dual-stack"))
    pushes = {n: MockDriver.devices[n].pushes for n in NODES}
    report = rollout(inventory).apply(get_stage("dual-stack"))
    assert report.state == "applied" and report.detail.startswith("0 devices changed")
    assert {d.name for d in report.devices if d.push == "unchanged"} == set(NODES)
    assert {n: MockDriver.devices[n].pushes for n in NODES} == pushes  # clients are not reconnected either
    assert MockDriver.devices["pc1"].reconnects == 1


def test_clients_reconnect_when_their_stage_changes_even_if_their_files_do_not(inventory: Path) -> None:
    rollout(inventory).apply(get_stage("dual-stack"))
    report = rollout(inventory).apply(get_stage("ipv6-mostly"))
    pc1 = next(d for d in report.devices if d.name == "pc1")
    assert pc1.push == "pushed" and "reconnect: stage dual-stack -> ipv6-mostly: dhcpcd restarts" in pc1.diff
    assert MockDriver.devices["pc1"].reconnects == 2


def test_diff_changes_nothing(inventory: Path) -> None:
    report = rollout(inventory).diff(get_stage("dual-stack"))
    assert report.state == "diffed" and all(d.diff for d in report.devices)
    assert all(not MockDriver.devices[n].files for n in NODES)


def test_the_option_108_rollback_note_appears_only_when_devices_are_past_it(inventory: Path) -> None:
    def notes(stage: str) -> list[str]:
        return [n for n in rollout(inventory).diff(get_stage(stage)).notes if "V6ONLY_WAIT" in n]

    assert notes("dual-stack") == []  # nothing applied yet: no client has option 108
    assert rollout(inventory).apply(get_stage("ipv6-mostly")).state == "applied"
    assert notes("dual-stack") and notes("dual-stack")[0].startswith("on a rollback to dual-stack from ipv6-mostly")
    assert notes("ipv6-only") == []  # forward: nothing to warn about


def test_a_diff_with_an_unreachable_device_is_an_error_naming_it(inventory: Path) -> None:
    MockDriver.devices["dns64"] = MockDevice(unreachable=True)
    with pytest.raises(PilotError) as info:
        rollout(inventory).diff(get_stage("dual-stack"))
    assert str(info.value).startswith(
        f"{inventory / 'hosts.yaml'}: dns64: dns64 (3fff:0:1000:ffff::6:22) is unreachable"
    )
    assert "--limit '!dns64'" in str(info.value)


def test_an_unreachable_device_stops_the_run_before_any_change(inventory: Path) -> None:
    MockDriver.devices["portal"] = MockDevice(unreachable=True)
    with pytest.raises(PilotError) as info:
        rollout(inventory).apply(get_stage("ipv4"))
    text = str(info.value)
    assert text.startswith(f"{inventory / 'hosts.yaml'}: portal: portal (3fff:0:1000:ffff::9:22) is unreachable")
    assert "nothing was changed" in text and "fix: " in text and "\n" not in text
    assert all(MockDriver.devices[n].pushes == 0 for n in NODES)
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        run = journal.runs(limit=1)[0]
        assert run.state == "failed" and run.detail.startswith("nothing was changed: portal: ")
        assert journal.unfinished(str(inventory)) is None  # nothing changed: no run to resume


def test_a_push_failing_half_way_restores_every_device_of_the_run(inventory: Path) -> None:
    rollout(inventory).apply(get_stage("ipv4"))
    before = {n: files(n) for n in NODES}
    MockDriver.devices["dhcp"].fail_push = "kea-dhcp4-server did not stay up"
    check = checker()
    report = rollout(inventory, checker=check).apply(get_stage("dual-stack"))
    assert report.state == "rolled-back", report.detail
    assert "dhcp: kea-dhcp4-server did not stay up" in report.detail
    assert {n: files(n) for n in NODES} == before, "every device is back on its previous configuration"
    restored = {r.name: r.passed for r in report.after_rollback if r.name.startswith("restored")}
    assert restored and all(restored.values())
    assert check.calls == ["ipv4"]  # the stage they went back to was verified again
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        assert journal.get_run(report.run_id).state == "rolled-back"
        assert {n: s.stage for n, s in journal.device_stages(str(inventory)).items()} == dict.fromkeys(NODES, "ipv4")


def test_failed_verification_restores_every_device(inventory: Path) -> None:
    rollout(inventory).apply(get_stage("dual-stack"))
    before = {n: files(n) for n in NODES}
    report = rollout(inventory, checker=checker(passed=False)).apply(get_stage("ipv6-mostly"))
    assert report.state in ("rolled-back", "rollback-failed") and "verification failed" in report.detail
    assert {n: files(n) for n in NODES} == before


def test_no_rollback_leaves_the_devices_for_debugging_and_the_run_interrupted(inventory: Path) -> None:
    """The devices keep a configuration nobody verified: the run must block the next apply and leave
    them unknown, like a run stopped mid-push, not end `failed` as if nothing had changed."""
    report = rollout(inventory, checker=checker(passed=False), rollback=False).apply(get_stage("ipv4"))
    assert report.state == "interrupted" and "--no-rollback" in report.detail
    assert files("core")
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        assert journal.get_run(report.run_id).state == "interrupted"
        unfinished = journal.unfinished(str(inventory))
        assert unfinished is not None and unfinished.id == report.run_id
        stages = journal.device_stages(str(inventory))
        assert all(stages[n].unknown and stages[n].interrupted_run == report.run_id for n in NODES)
    with pytest.raises(PilotError, match=f"run {report.run_id} .* was interrupted"):
        rollout(inventory).apply(get_stage("ipv4"))
    assert rollout(inventory).apply(None, resume=True).state == "applied"


def test_not_confirmed_changes_nothing(inventory: Path) -> None:
    options = Options(yes=False, validate=False, checker=checker(), confirm=lambda report: False)
    report = Rollout(load_inventory(inventory), options).apply(get_stage("ipv4"))
    assert report.state == "cancelled" and all(MockDriver.devices[n].pushes == 0 for n in NODES)


def test_two_runs_at_once_are_refused(inventory: Path) -> None:
    """The second run is refused before it contacts any device or records anything, and says which run is in
    its way and what to do."""
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        runs_before = journal.runs(limit=100)
    with RunLock(inventory, "apply", run_id=41), pytest.raises(PilotError) as info:
        rollout(inventory).apply(get_stage("ipv4"))
    message, _, fix = str(info.value).partition("; fix: ")
    assert str(inventory) in message and "run 41 (apply)" in message and f"pid {os.getpid()}" in message, message
    assert "run 41" in fix, fix
    assert MockDriver.devices == {}, "no device was contacted"
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        assert journal.runs(limit=100) == runs_before, "nothing recorded"


def test_an_interrupted_run_blocks_apply_until_resumed_or_rolled_back(inventory: Path) -> None:
    inv = load_inventory(inventory)
    with Journal.open(inv.journal_path) as journal:
        dead = journal.start_run("apply", "dual-stack", None, str(inventory), NODES)
    # The run's process is gone: pretend it was another pid that no longer exists.
    import sqlite3

    with sqlite3.connect(inv.journal_path) as db:
        db.execute("UPDATE runs SET pid = ?, pid_started = ? WHERE id = ?", (2**22 - 3, 1, dead.id))
    with pytest.raises(PilotError, match=f"run {dead.id} .* was interrupted"):
        rollout(inventory).apply(get_stage("ipv4"))
    report = rollout(inventory).apply(None, resume=True)
    assert report.state == "applied" and report.stage == "dual-stack"
    with Journal.open(inv.journal_path) as journal:
        assert journal.unfinished(str(inventory)) is None
        assert journal.get_run(dead.id).resolved_by == report.run_id


def test_a_device_the_intent_does_not_describe_is_refused(inventory: Path) -> None:
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    hosts["printer9"] = {"hostname": "3fff:0:1000:ffff::99", "platform": "linux", "groups": ["mock"]}
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    with pytest.raises(PilotError, match="printer9 has no intended configuration at stage ipv4"):
        rollout(inventory).apply(get_stage("ipv4"))
    assert not os.path.exists(load_inventory(inventory).journal_path) or all(
        MockDriver.devices.get(n) is None for n in NODES
    ), {n: d.files for n, d in MockDriver.devices.items()}  # nothing reached any device


def test_limit(inventory: Path) -> None:
    report = rollout(inventory, limit="core,dost-*").apply(get_stage("ipv4"))
    assert report.state == "applied" and {d.name for d in report.devices} == {"core", "dost-rtr", "dost-sw"}
    assert "pc1" not in MockDriver.devices or not files("pc1")


def test_secrets_in_the_inventory_are_refused(inventory: Path) -> None:
    defaults = yaml.safe_load((inventory / "defaults.yaml").read_text())
    defaults["password"] = "hunter2"
    (inventory / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    with pytest.raises(PilotError, match="secrets never live in the inventory"):
        load_inventory(inventory)


@pytest.mark.parametrize("sends", [False, True])
def test_the_pack_knows_whether_the_rendered_routers_send_pref64(inventory: Path, tmp_path: Path, sends: bool) -> None:
    """FRR 8.4 cannot put PREF64 in an RA, radvd >= 2.20 beside it can: whether the routers' platform
    sends it (here: with an older radvd, it does not) flips what verification expects."""
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    platform = templates / "frr" / "platform.yml"
    text = platform.read_text()
    assert text.count("    pref64: true") == 1  # radvd's, among the companions; FRR's own says false
    platform.write_text(text.replace("    pref64: true", f"    pref64: {str(sends).lower()}"))
    seen: list[bool] = []

    def check(inv, plan, stage, capable):  # type: ignore[no-untyped-def]
        seen.append(capable)
        return [CheckResult("fake", "pc1", "works", "works", True, 0.01)]

    for stage in ("ipv4", "ipv6-mostly"):
        assert rollout(inventory, checker=check, templates=templates).apply(get_stage(stage)).state == "applied"
    assert seen == [False, sends]  # ipv4 sends no PREF64 anywhere
    rendered = files("dost-rtr")
    assert ("    nat64prefix 2001:db8:0:6464::/96\n" in rendered["/etc/radvd.conf"]) is sends
    assert " ipv6 nd " not in rendered["/etc/frr/frr.conf"]  # one RA source: radvd


def test_a_fault_inside_a_run_leaves_the_journal_saying_failed(inventory: Path) -> None:
    """Whatever stops diff or verify half-way, the run does not stay 'running' in the journal."""
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"

    def broken(inv, plan, stage, capable):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # the operator's Ctrl-C while the probes run

    with pytest.raises(KeyboardInterrupt):
        rollout(inventory, checker=broken).verify(get_stage("ipv4"))
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        run = journal.runs(limit=1)[0]
        assert (run.command, run.state) == ("verify", "failed") and run.detail


def _interrupt_push_to(monkeypatch: pytest.MonkeyPatch, device: str, exc: BaseException) -> None:
    original = MockDriver.commit_config

    def commit(self, *args, **kw):  # type: ignore[no-untyped-def]
        if self.name == device:
            raise exc
        return original(self, *args, **kw)

    monkeypatch.setattr(MockDriver, "commit_config", commit)


def test_ctrl_c_mid_push_leaves_the_run_interrupted_until_resumed(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The routers are pushed, then Ctrl-C while the clients are: no rollback ran, so the journal must
    not say the devices are where they were, and the next apply must not start over them."""
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    _interrupt_push_to(monkeypatch, "pc1", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        rollout(inventory).apply(get_stage("dual-stack"))
    inv = load_inventory(inventory)
    with Journal.open(inv.journal_path) as journal:
        stopped = journal.runs(limit=1)[0]
        assert stopped.state == "interrupted" and "mid-push" in stopped.detail
        assert journal.unfinished(str(inventory)) is not None
        # pushed, never verified: the stage recorded is flagged as possibly stale
        assert journal.device_stages(str(inventory))["core"].interrupted_run == stopped.id
    with pytest.raises(PilotError, match=f"run {stopped.id} .* was interrupted"):
        rollout(inventory).apply(get_stage("dual-stack"))
    monkeypatch.undo()
    report = rollout(inventory).apply(None, resume=True)
    assert (report.state, report.stage) == ("applied", "dual-stack")
    with Journal.open(inv.journal_path) as journal:
        assert journal.get_run(stopped.id).resolved_by == report.run_id
        assert {s.stage for s in journal.device_stages(str(inventory)).values()} == {"dual-stack"}


def test_a_resume_that_changes_nothing_leaves_the_interrupted_run_to_resume(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_push_to(monkeypatch, "pc1", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        rollout(inventory).apply(get_stage("ipv4"))
    monkeypatch.undo()
    MockDriver.devices["dns64"].unreachable = True
    with pytest.raises(PilotError, match="unreachable"):
        rollout(inventory).apply(None, resume=True)
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        assert journal.unfinished(str(inventory)) is not None  # still there to resume


def test_a_transport_raising_fails_its_devices_and_the_run_rolls_back(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error escaping a pusher is a failed push (rolled back, journaled), not a traceback."""
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    from pilot.rollout.push import NapalmPusher

    def broken(self, bundles):  # type: ignore[no-untyped-def]
        raise RuntimeError("the SSH channel closed")

    monkeypatch.setattr(NapalmPusher, "apply", broken)
    report = rollout(inventory).apply(get_stage("dual-stack"))
    assert report.state == "rolled-back", report.detail
    assert "RuntimeError: the SSH channel closed" in report.detail
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        assert journal.get_run(report.run_id).state == "rolled-back"
        assert journal.unfinished(str(inventory)) is None


def test_a_failed_rollback_leaves_its_devices_unknown_until_a_rollback_resolves_it(inventory: Path) -> None:
    """core cannot be put back: what it runs is anyone's guess, and status must not say ipv4."""
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    MockDriver.devices["dhcp"].fail_push = "kea-dhcp4-server did not stay up"
    MockDriver.devices["core"].fail_restore = True
    report = rollout(inventory).apply(get_stage("dual-stack"))
    assert report.state == "rollback-failed", report.detail
    inv = load_inventory(inventory)
    with Journal.open(inv.journal_path) as journal:
        stages = journal.device_stages(str(inventory))
        assert stages["core"].unknown and stages["core"].interrupted_run == report.run_id
        assert stages["core"].describe() == f"unknown: run {report.run_id} ended rollback-failed (last known ipv4)"
        assert not stages["dhcp"].unknown and stages["dhcp"].describe() == "ipv4"  # restored, and checked
        unfinished = journal.unfinished(str(inventory))
        assert unfinished is not None and unfinished.id == report.run_id
    with pytest.raises(PilotError, match=f"run {report.run_id} \\(apply dual-stack\\) ended rollback-failed"):
        rollout(inventory).apply(get_stage("dual-stack"))
    MockDriver.devices["core"].fail_restore = False
    MockDriver.devices["dhcp"].fail_push = None
    back = rollout(inventory).apply(get_stage("ipv4"), command="rollback")
    assert back.state == "applied", back.detail
    with Journal.open(inv.journal_path) as journal:
        assert journal.get_run(report.run_id).resolved_by == back.run_id
        assert journal.unfinished(str(inventory)) is None
        assert not any(s.unknown for s in journal.device_stages(str(inventory)).values())


def test_a_narrower_rollback_leaves_the_other_devices_unknown(inventory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`rollback --limit core` after an interrupted run deals with core only: the devices it left out are
    as unknown as before, and the run still blocks an apply."""
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    _interrupt_push_to(monkeypatch, "pc1", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        rollout(inventory).apply(get_stage("dual-stack"))
    monkeypatch.undo()
    assert rollout(inventory, limit="core").apply(get_stage("ipv4"), command="rollback").state == "applied"
    inv = load_inventory(inventory)
    with Journal.open(inv.journal_path) as journal:
        stages = journal.device_stages(str(inventory))
        assert not stages["core"].unknown
        assert stages["dost-rtr"].unknown and stages["pc1"].unknown
        stopped = journal.unfinished(str(inventory))
        assert stopped is not None and stopped.resolved_by is None
    with pytest.raises(PilotError, match=f"run {stopped.id} .* was interrupted"):
        rollout(inventory).apply(get_stage("dual-stack"))


def test_resume_refuses_a_stage_or_limit_other_than_the_interrupted_runs(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_push_to(monkeypatch, "pc1", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        rollout(inventory, limit="platform:frr,pc1").apply(get_stage("dual-stack"))
    monkeypatch.undo()
    with pytest.raises(PilotError) as info:
        rollout(inventory).apply(get_stage("ipv6-only"), resume=True)
    text = str(info.value)
    assert "--resume re-applies run 1 (apply dual-stack) was interrupted as it was" in text and "\n" not in text
    assert "not --stage ipv6-only" in text and "fix: drop --stage" in text
    with pytest.raises(PilotError, match="not --limit core; fix: drop --limit"):
        rollout(inventory, limit="core").apply(None, resume=True)
    assert {n: d.pushes for n, d in MockDriver.devices.items() if d.pushes > 1} == {}  # the refusals pushed nothing
    # The same stage and limit, or none, is the resume.
    report = rollout(inventory, limit="platform:frr,pc1").apply(get_stage("dual-stack"), resume=True)
    assert (report.state, report.stage) == ("applied", "dual-stack")
    assert {d.name for d in report.devices} == {"isp1", "isp2", "core", "dost-rtr", "soyte-rtr", "pc1"}


def test_clients_reconnect_when_the_switch_or_gateway_of_their_segment_is_pushed(inventory: Path) -> None:
    """A drifted switch port gave a client another VLAN's addresses: repairing the switch does not take
    them back, the client must ask again. Clients of other segments stay as they are."""
    rollout(inventory).apply(get_stage("dual-stack"))
    switch = MockDriver.devices["dost-sw"]
    path = next(p for p in switch.files if p.endswith("interfaces.d/pilot"))
    switch.files[path] += "\n# changed by hand\niface extra inet manual\n"
    report = rollout(inventory).apply(get_stage("dual-stack"))
    devices = {d.name: d for d in report.devices}
    assert devices["dost-sw"].push == "pushed"
    for client in ("pc1", "pc2", "legacy1", "rogue1"):
        assert devices[client].push == "pushed", client
        assert devices[client].diff == "reconnect: its network changed (dost-sw): dhcpcd restarts\n"
        assert MockDriver.devices[client].reconnects == 2
    assert devices["dost-rtr"].push == "unchanged" and devices["core"].push == "unchanged"


def test_a_commit_not_confirmed_after_verification_rolls_the_run_back(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Confirmation (a revert timer, a commit confirmed) comes after verification passed; when it fails,
    the device would revert by itself: the run restores every device it pushed, as for a failed check."""
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    before = {n: files(n) for n in NODES}
    from pilot.rollout.push import NapalmPusher, Outcome

    asked: list[list[str]] = []

    def refuse(self, devices):  # type: ignore[no-untyped-def]
        asked.append(list(devices))
        return {d: Outcome(d, d != "core", error="" if d != "core" else "commit confirmed timed out") for d in devices}

    monkeypatch.setattr(NapalmPusher, "confirm", refuse)
    report = rollout(inventory).apply(get_stage("dual-stack"))
    assert asked and "core" in asked[0]
    assert report.state == "rolled-back", report.detail
    assert "confirming the commit failed: core: commit confirmed timed out" in report.detail
    assert {n: files(n) for n in NODES} == before, "every device is back on its previous configuration"
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        assert {n: s.stage for n, s in journal.device_stages(str(inventory)).items()} == dict.fromkeys(NODES, "ipv4")
