"""The rollout journal: round trips, crash detection, device stages, the inventory lock, redaction, and
a second process reading while a run writes."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilot.errors import PilotError
from pilot.journal import Journal, RunLock, redact
from pilot.journal.schema import SCHEMA_VERSION
from pilot.lab import procs

INV = "/inventories/dost"
SECRET = "s3cretBGPkey"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"


def alive(pid: int, started: int | None) -> bool:
    return True


def dead(pid: int, started: int | None) -> bool:
    return False


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "j" / "journal.sqlite") as j:
        yield j


# -- opening ------------------------------------------------------------------------------------------
def test_open_creates_dirs_schema_wal_and_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "journal.sqlite"
    with Journal.open(path):
        pass
    assert path.stat().st_mode & 0o777 == 0o600
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()
    with Journal.open(path) as again:  # reopening an up-to-date file changes nothing
        assert again.runs() == []


def test_foreign_keys_are_enforced(journal: Journal) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        journal.event(999, "no such run")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(PilotError, match="newer than this pilot"):
        Journal.open(path)


def test_a_file_that_is_not_a_journal_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_text("not sqlite at all, but long enough to have a header of sorts\n" * 20)
    with pytest.raises(PilotError, match="cannot use the journal") as err:
        Journal.open(path)
    assert "\n" not in str(err.value) and "PILOT_JOURNAL" in str(err.value)


# -- runs ---------------------------------------------------------------------------------------------
def test_run_round_trip(journal: Journal) -> None:
    before = time.time()
    run = journal.start_run("apply", "dual-stack", "role=router", INV, ["core", "dost-rtr"])
    assert run.id >= 1 and run.state == "running" and run.finished is None
    assert run.started >= before and run.pid == os.getpid() and run.pid_started == procs.start_time(os.getpid())
    assert run.host == socket.gethostname() and run.user
    assert (run.command, run.stage, run.limit, run.inventory) == ("apply", "dual-stack", "role=router", INV)
    assert run.devices == ("core", "dost-rtr") and run.resolved_by is None

    journal.finish_run(run.id, "applied", "2 devices changed")
    done = journal.get_run(run.id)
    assert done.state == "applied" and done.detail == "2 devices changed"
    assert done.finished is not None and done.finished >= done.started


def test_runs_newest_first_and_limited(journal: Journal) -> None:
    ids = [journal.start_run("diff", "ipv4", None, INV, []).id for _ in range(5)]
    assert [r.id for r in journal.runs()] == ids[::-1]
    assert [r.id for r in journal.runs(limit=2)] == ids[:-3:-1]


def test_unknown_run_is_a_user_error(journal: Journal) -> None:
    with pytest.raises(PilotError, match="no run 42") as err:
        journal.get_run(42)
    assert err.value.fix == "pilot history lists the runs"


def test_states_are_checked(journal: Journal) -> None:
    with pytest.raises(ValueError, match="command"):
        journal.start_run("deploy", None, None, INV, [])
    run = journal.start_run("apply", "ipv4", None, INV, ["core"])
    with pytest.raises(ValueError, match="final state"):
        journal.finish_run(run.id, "running")
    with pytest.raises(ValueError, match="push state"):
        journal.set_push(run.id, "core", "done")
    with pytest.raises(ValueError, match="check phase"):
        journal.record_check(run.id, "before", "n", "core", "", "", True, 0.1)


# -- devices, checks, events ---------------------------------------------------------------------------
def test_devices_round_trip(journal: Journal) -> None:
    run = journal.start_run("apply", "dual-stack", None, INV, ["core", "dc"]).id
    (fresh,) = [d for d in journal.devices(run) if d.device == "core"]
    assert (fresh.push, fresh.platform, fresh.backup, fresh.diff) == ("pending", None, None, None)

    journal.record_device(run, "core", "frr", "napalm")
    journal.set_backup(run, "core", json.dumps({"frr.conf": "hostname core\n"}))
    journal.set_intended(run, "core", '{\n "node": "core"\n}')
    journal.set_diff(run, "core", "+ipv6 forwarding\n")
    journal.set_push(run, "core", "pushed")
    journal.record_device(run, "dc", "linux", "ansible")
    journal.set_diff(run, "dc", "")
    journal.set_push(run, "dc", "failed", "ssh: connection refused")
    journal.set_diff(run, "pc1", "+x\n")  # a device start_run did not name is still recorded

    core, dc, pc1 = journal.devices(run)
    assert (core.device, core.platform, core.transport, core.push, core.error) == (
        "core",
        "frr",
        "napalm",
        "pushed",
        "",
    )
    assert core.backup is not None and json.loads(core.backup) == {"frr.conf": "hostname core\n"}
    assert core.intended == '{\n "node": "core"\n}'  # nothing secret: the text is kept as written
    assert core.diff == "+ipv6 forwarding\n"
    assert (dc.push, dc.error, dc.diff, dc.backup) == ("failed", "ssh: connection refused", "", None)
    assert (pc1.device, pc1.diff, pc1.push) == ("pc1", "+x\n", "pending")
    assert journal.get_run(run).devices == ("core", "dc", "pc1")


def test_checks_round_trip(journal: Journal) -> None:
    run = journal.start_run("verify", "dual-stack", None, INV, []).id
    journal.record_check(run, "verify", "ping6 portal", "pc1", "reply", "reply", True, 0.25)
    journal.record_check(run, "after-rollback", "dns64", "pc2", "AAAA", "timeout", False, 3.0, skipped=True)
    first, second = journal.checks(run)
    assert (first.phase, first.name, first.node, first.expected, first.observed) == (
        "verify",
        "ping6 portal",
        "pc1",
        "reply",
        "reply",
    )
    assert first.passed is True and first.skipped is False and first.seconds == 0.25
    assert (second.phase, second.passed, second.skipped, second.observed) == ("after-rollback", False, True, "timeout")
    assert journal.checks(run + 1) == []


def test_events_round_trip(journal: Journal) -> None:
    run = journal.start_run("apply", "ipv4", None, INV, []).id
    journal.event(run, "rendering ipv4")
    journal.event(run, "pushing to 2 devices")
    events = journal.events(run)
    assert [m for _, m in events] == ["rendering ipv4", "pushing to 2 devices"]
    assert events[0][0] <= events[1][0] <= time.time()


# -- device stages ----------------------------------------------------------------------------------------
def test_device_stages_round_trip(journal: Journal) -> None:
    first = journal.start_run("apply", "ipv4", None, INV, ["core", "dc"]).id
    journal.set_device_stage(INV, "dc", "ipv4", first)
    journal.set_device_stage(INV, "core", "ipv4", first)
    second = journal.start_run("apply", "dual-stack", None, INV, ["core"]).id
    journal.set_device_stage(INV, "core", "dual-stack", second)
    journal.set_device_stage("/elsewhere", "core", "ipv6-only", second)

    stages = journal.device_stages(INV)
    assert list(stages) == ["core", "dc"]
    assert (stages["core"].stage, stages["core"].run_id, stages["core"].unknown) == ("dual-stack", second, False)
    assert (stages["dc"].stage, stages["dc"].run_id) == ("ipv4", first)
    assert stages["core"].updated is not None and stages["core"].describe() == "dual-stack"
    assert journal.device_stages("/nowhere") == {}


def test_an_interrupted_run_leaves_its_unfinished_devices_unknown(journal: Journal) -> None:
    base = journal.start_run("apply", "ipv4", None, INV, ["core", "dc", "pc1"]).id
    for device in ("core", "dc", "pc1"):
        journal.set_device_stage(INV, device, "ipv4", base)
    journal.finish_run(base, "applied")

    crashed = journal.start_run("apply", "dual-stack", None, INV, ["core", "dc", "pc1", "pc2"]).id
    journal.set_push(crashed, "core", "pushed")  # changed, never verified
    journal.set_push(crashed, "dc", "unchanged")  # known: nothing was pushed
    # pc1 and pc2 stay 'pending': mid-push for all we know; pc2 was never at any stage
    assert [r.id for r in journal.recover(dead)] == [crashed]

    stages = journal.device_stages(INV)
    assert {d for d, s in stages.items() if s.unknown} == {"core", "pc1", "pc2"}
    assert stages["core"].interrupted_run == crashed and stages["core"].stage == "ipv4"
    assert stages["core"].describe() == f"unknown: run {crashed} was interrupted (last known ipv4)"
    assert stages["pc2"].stage is None and stages["pc2"].describe() == f"unknown: run {crashed} was interrupted"
    assert not stages["dc"].unknown and stages["dc"].describe() == "ipv4"

    # A later run that applies a device on its own makes it known again, but cannot resolve the run:
    # the devices it did not touch stay unknown. A run over all of them resolves it.
    fix = journal.start_run("apply", "ipv4", "pc1", INV, ["pc1"]).id
    journal.set_device_stage(INV, "pc1", "ipv4", fix)
    assert not journal.device_stages(INV)["pc1"].unknown
    assert journal.resolve(crashed, fix) is False
    assert {d for d, s in journal.device_stages(INV).items() if s.unknown} == {"core", "pc2"}
    assert journal.unfinished(INV) is not None
    everything = journal.start_run("rollback", "ipv4", None, INV, ["core", "dc", "pc1", "pc2"]).id
    assert journal.resolve(crashed, everything) is True
    assert not any(s.unknown for s in journal.device_stages(INV).values())
    assert journal.unfinished(INV) is None


def test_a_failed_rollback_leaves_its_unrestored_devices_unknown(journal: Journal) -> None:
    base = journal.start_run("apply", "ipv4", None, INV, ["core", "dc", "pc1"]).id
    for device in ("core", "dc", "pc1"):
        journal.set_device_stage(INV, device, "ipv4", base)
    journal.finish_run(base, "applied")
    failed = journal.start_run("apply", "dual-stack", None, INV, ["core", "dc", "pc1"]).id
    journal.set_push(failed, "core", "restore-failed")
    journal.set_push(failed, "dc", "restored")
    journal.set_push(failed, "pc1", "failed")
    journal.finish_run(failed, "rollback-failed", "NOT every device could be restored")

    stages = journal.device_stages(INV)
    assert {d for d, s in stages.items() if s.unknown} == {"core", "pc1"}
    assert stages["core"].describe() == f"unknown: run {failed} ended rollback-failed (last known ipv4)"
    unfinished = journal.unfinished(INV)
    assert unfinished is not None and unfinished.id == failed

    # A lab built again starts from boot: the failed rollback leaves nothing to resolve.
    rebuilt = journal.lab_rebuilt(INV, "dost-pilot", 1795335996.0, ["core", "dc", "pc1"])
    assert rebuilt is not None and journal.get_run(failed).resolved_by == rebuilt.id
    assert journal.unfinished(INV) is None and journal.device_stages(INV) == {}


def test_a_failed_rollback_that_restored_every_device_blocks_nothing(journal: Journal) -> None:
    """Every device was put back (only the earlier stage's checks failed): nothing is unknown."""
    run = journal.start_run("apply", "dual-stack", None, INV, ["core", "dc"]).id
    journal.set_push(run, "core", "restored")
    journal.set_push(run, "dc", "unchanged")
    journal.finish_run(run, "rollback-failed")
    assert journal.unfinished(INV) is None and not any(s.unknown for s in journal.device_stages(INV).values())


def test_a_read_only_journal_reports_a_dead_run_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as writer:
        crashed = writer.start_run("apply", "dual-stack", None, INV, ["core"]).id
    before = path.read_bytes()
    with Journal.open(path, read_only=True) as reader:
        (found,) = reader.recover(dead)
        assert (found.id, found.state) == (crashed, "interrupted") and "mid-push" in found.detail
        assert reader.get_run(crashed).state == "interrupted"
        assert reader.device_stages(INV)["core"].unknown
        unfinished = reader.unfinished(INV)
        assert unfinished is not None and unfinished.id == crashed
        with pytest.raises(ValueError, match="read-only"):
            reader.event(crashed, "a reader never writes")
    assert path.read_bytes() == before
    with Journal.open(path) as writer:
        assert writer.get_run(crashed).state == "running"  # for the next pilot that writes to record


def test_a_missing_journal_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "journal.sqlite"
    with Journal.open(path, read_only=True) as reader:
        assert reader.runs() == [] and reader.device_stages(INV) == {} and reader.unfinished(INV) is None
        assert reader.recover(dead) == []
    assert not path.parent.exists()


def test_runs_of_one_inventory(journal: Journal) -> None:
    mine = journal.start_run("apply", "ipv4", None, INV, []).id
    other = journal.start_run("apply", "ipv4", None, "/other", []).id
    assert [r.id for r in journal.runs(inventory=INV)] == [mine]
    assert [r.id for r in journal.runs()] == [other, mine]


def test_an_interrupted_diff_leaves_nothing_unknown(journal: Journal) -> None:
    run = journal.start_run("diff", "dual-stack", None, INV, ["core"]).id
    (interrupted,) = journal.recover(dead)
    assert interrupted.id == run and "no device was being changed" in interrupted.detail
    assert journal.unfinished(INV) is None
    assert journal.device_stages(INV) == {}


# -- crash detection ------------------------------------------------------------------------------------
def test_recover_marks_a_dead_owner_interrupted_and_leaves_a_live_one(journal: Journal) -> None:
    run = journal.start_run("apply", "dual-stack", None, INV, ["core"])
    journal.event(run.id, "pushing")
    asked: list[tuple[int, int | None]] = []

    def recording_alive(pid: int, started: int | None) -> bool:
        asked.append((pid, started))
        return True

    assert journal.recover(recording_alive) == []
    assert asked == [(run.pid, run.pid_started)]
    assert journal.get_run(run.id).state == "running"

    (interrupted,) = journal.recover(dead)
    assert interrupted.id == run.id and interrupted.state == "interrupted" and interrupted.finished is not None
    assert "devices may have been left mid-push" in interrupted.detail
    assert "last recorded activity 20" in interrupted.detail and "found at 20" in interrupted.detail
    assert journal.recover(dead) == []  # finished business: not reported twice


def test_recover_leaves_finished_runs_and_other_hosts_alone(journal: Journal, tmp_path: Path) -> None:
    done = journal.start_run("apply", "ipv4", None, INV, []).id
    journal.finish_run(done, "applied")
    remote = journal.start_run("apply", "ipv4", None, INV, []).id
    raw = sqlite3.connect(journal.path)
    raw.execute("UPDATE runs SET host = 'another-host' WHERE id = ?", (remote,))
    raw.commit()
    raw.close()
    assert journal.recover(dead) == []
    assert journal.get_run(done).state == "applied" and journal.get_run(remote).state == "running"


def test_recover_with_real_processes(tmp_path: Path) -> None:
    """A child that starts a run and dies is interrupted; our own running run is not."""
    path = tmp_path / "journal.sqlite"
    Journal.open(path).close()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        code = 1
        try:
            with Journal.open(path) as j:
                j.start_run("apply", "dual-stack", None, INV, ["core"])
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.WEXITSTATUS(status) == 0
    with Journal.open(path) as journal:
        mine = journal.start_run("apply", "ipv4", None, "/other", ["dc"])
        (interrupted,) = journal.recover(procs.alive)
        assert interrupted.pid == child and interrupted.state == "interrupted"
        assert journal.get_run(mine.id).state == "running"


def test_unfinished_and_resolve(journal: Journal) -> None:
    assert journal.unfinished(INV) is None
    old = journal.start_run("apply", "ipv4", None, INV, ["core"]).id
    journal.recover(dead)
    newer = journal.start_run("rollback", "ipv4", None, INV, ["core"]).id
    other = journal.start_run("apply", "ipv4", None, "/other", ["core"]).id
    journal.recover(dead)

    found = journal.unfinished(INV)
    assert found is not None and found.id == newer and found.state == "interrupted"
    assert journal.unfinished("/other") is not None

    resume = journal.start_run("resume", "ipv4", None, INV, ["core"]).id
    journal.resolve(newer, resume)
    assert journal.get_run(newer).resolved_by == resume
    found = journal.unfinished(INV)
    assert found is not None and found.id == old  # the older one is still unresolved
    journal.resolve(old, resume)
    assert journal.unfinished(INV) is None
    assert journal.get_run(other).resolved_by is None

    with pytest.raises(ValueError, match="not interrupted"):
        journal.resolve(resume, resume)
    with pytest.raises(PilotError, match="no run 999"):
        journal.resolve(999, resume)


def test_a_lab_built_again_voids_stages_and_interrupted_runs_once_per_build(journal: Journal) -> None:
    base = journal.start_run("apply", "ipv4", None, INV, ["core", "pc1"]).id
    journal.set_device_stage(INV, "core", "ipv4", base)
    journal.finish_run(base, "applied")
    crashed = journal.start_run("apply", "dual-stack", None, INV, ["core", "pc1"]).id
    other = journal.start_run("apply", "ipv4", None, "/other", ["core"]).id
    journal.recover(dead)
    assert journal.unfinished(INV) is not None

    built = 1795335996.7436674
    run = journal.lab_rebuilt(INV, "dost-pilot", built, ["core", "pc1"])
    assert run is not None and run.command == "lab-rebuilt" and run.state == "recorded"
    assert "dost-pilot was built again" in run.detail and "2 devices" in run.detail
    assert journal.unfinished(INV) is None and journal.get_run(crashed).resolved_by == run.id
    assert journal.device_stages(INV) == {}
    assert journal.get_run(other).resolved_by is None  # another inventory's run is not this lab's

    assert journal.lab_rebuilt(INV, "dost-pilot", built, ["core", "pc1"]) is None  # same build: once
    assert journal.lab_rebuilt(INV, "dost-pilot", built + 60, ["core", "pc1"]) is not None


# -- the inventory lock -----------------------------------------------------------------------------------
def test_lock_names_its_holder(tmp_path: Path) -> None:
    from pilot.journal.lock import read_holders

    with RunLock(tmp_path, "apply") as first:
        first.note(7)
        (holder,) = read_holders(tmp_path)
        assert (holder.pid, holder.run_id, holder.command, holder.shared) == (os.getpid(), 7, "apply", False)
        with pytest.raises(PilotError) as err:
            RunLock(tmp_path, "rollback").acquire()
        text = str(err.value)
        assert "run 7 (apply)" in text and f"pid {os.getpid()}" in text and holder.user in text
        assert err.value.fix == f"wait for run 7 to finish, or check that pid {os.getpid()} is gone"
        assert "\n" not in text
    # Released: the next run gets it, and finds no stale holder in the file.
    assert read_holders(tmp_path) == []
    with RunLock(tmp_path, "rollback") as again:
        assert again.held
    assert not again.held


def test_lock_before_the_run_id_is_known(tmp_path: Path) -> None:
    with RunLock(tmp_path, "apply"), pytest.raises(PilotError) as err:
        RunLock(tmp_path).acquire()
    assert "pilot apply by" in str(err.value)
    assert err.value.fix == f"wait for pid {os.getpid()} to finish, or check that pid {os.getpid()} is gone"


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            os.close(ready_r)
            RunLock(tmp_path, "apply", run_id=42).acquire()
            os.write(ready_w, b"locked")
            while True:
                time.sleep(60)
        finally:
            os._exit(1)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 16) == b"locked"
        with pytest.raises(PilotError, match=f"run 42 \\(apply\\) by .*, pid {child} "):
            RunLock(tmp_path, "apply").acquire()
    finally:
        os.close(ready_r)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    with RunLock(tmp_path, "apply") as lock:  # the kernel dropped the dead child's lock
        assert lock.held


# -- secrets ----------------------------------------------------------------------------------------------
def test_redact_text() -> None:
    assert redact(f"neighbor 198.51.100.1 password {SECRET}\n remote-as 64500") == (
        "neighbor 198.51.100.1 password <redacted>\n remote-as 64500"
    )
    assert redact("snmp-server community public RO") == "snmp-server community <redacted>"
    assert redact("ip ospf message-digest-key 1 md5 k3y") == "ip ospf message-digest-key 1 md5 <redacted>"
    assert redact('  "password": "hunter2",') == '  "password": <redacted>'
    assert redact("PSK=abc") == "PSK=<redacted>"
    for keep in ("service password-encryption", "md5sum of the file", "enter the password", ""):
        assert redact(keep) == keep
    assert redact(f"x\n{PEM}y") == ("x\n-----BEGIN RSA PRIVATE KEY-----<redacted>-----END RSA PRIVATE KEY-----\ny")
    assert PEM_BODY not in redact(f"cut: -----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}")
    once = redact(f"key-string {SECRET}")
    assert redact(once) == once


def test_redact_options_and_variables() -> None:
    """A secret after an option (`--password x`) or in a variable (`FOO_PASSWORD=x`) is a secret too."""
    assert redact(f"ansible-playbook --user netops --password {SECRET} site.yml") == (
        "ansible-playbook --user netops --password <redacted>"
    )
    assert redact(f"--password={SECRET}") == "--password=<redacted>"
    assert redact(f"-p 22 -password {SECRET}") == "-p 22 -password <redacted>"
    assert redact(f"FOO_PASSWORD={SECRET}") == "FOO_PASSWORD=<redacted>"
    assert redact(f"export PILOT_SSH_PASSWORD={SECRET}\nls") == "export PILOT_SSH_PASSWORD=<redacted>\nls"
    assert redact(f"  snmp_community: {SECRET}") == "  snmp_community: <redacted>"
    assert redact(f"BGP_MD5={SECRET}") == "BGP_MD5=<redacted>"


def test_redact_keeps_what_is_not_a_secret() -> None:
    for keep in (
        "service password-encryption",
        "md5sum of the file",
        "PASSWORD_FILE=/run/secrets/netops",  # where the secret is, not the secret
        "Permission denied (publickey,password).",  # ssh's words, no value
        "SSH password:",
        "the password is wrong",
        "check the password and retry",
        "the community of practice meets on Monday",
        "no password for root",
        "md5 of the bundle matches",
    ):
        assert redact(keep) == keep, keep


def test_redact_json_keeps_it_json() -> None:
    backup: dict[str, object] = {
        "files": {"/etc/frr/frr.conf": f"router bgp 64500\n neighbor 198.51.100.1 password {SECRET}\n"},
        "kea": {"password": SECRET, "user": "kea", "nested": {"auth-key": [SECRET, 1]}},
    }
    out = redact(json.dumps(backup))
    assert SECRET not in out
    parsed = json.loads(out)
    assert parsed["files"]["/etc/frr/frr.conf"] == "router bgp 64500\n neighbor 198.51.100.1 password <redacted>\n"
    assert parsed["kea"] == {
        "password": "<redacted>",
        "user": "kea",
        "nested": {"auth-key": ["<redacted>", "<redacted>"]},
    }


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    backup = json.dumps({"frr.conf": f"hostname core\nneighbor 198.51.100.1 password {SECRET}\n", "key.pem": PEM})
    with Journal.open(path) as journal:
        run = journal.start_run("apply", "dual-stack", None, INV, ["core"]).id
        journal.set_backup(run, "core", backup)
        journal.set_intended(run, "core", json.dumps({"files": [{"text": f"password {SECRET}\n{PEM}"}]}))
        journal.set_diff(
            run, "core", f"-neighbor 198.51.100.1 password old\n+neighbor 198.51.100.1 password {SECRET}\n"
        )
        journal.set_push(run, "core", "failed", f"rejected: password {SECRET}")
        journal.record_check(run, "verify", "bgp", "core", f"secret {SECRET}", PEM, False, 1.0)
        journal.event(run, f"pushing community {SECRET}")
        journal.finish_run(run, "failed", f"md5 {SECRET}")
        # Before closing: the writes are in the WAL file, not yet in the main one.
        assert (tmp_path / "journal.sqlite-wal").stat().st_size > 0
        for f in tmp_path.iterdir():
            data = f.read_bytes()
            assert SECRET.encode() not in data and PEM_BODY.encode() not in data, f.name
        (core,) = journal.devices(run)
        assert core.backup is not None and "password <redacted>" in json.loads(core.backup)["frr.conf"]
    # Closing checkpoints the WAL into the main file.
    data = path.read_bytes()
    assert b"198.51.100.1 password <redacted>" in data
    assert SECRET.encode() not in data and PEM_BODY.encode() not in data


# -- concurrency ------------------------------------------------------------------------------------------
def test_a_reader_is_not_blocked_by_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as writer, Journal.open(path) as reader:
        run = writer.start_run("apply", "ipv4", None, INV, ["core"]).id
        assert reader.get_run(run).state == "running"
        # Another connection holds the write lock mid-transaction: the reader still reads, at once.
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE runs SET detail = 'uncommitted' WHERE id = ?", (run,))
        started = time.monotonic()
        assert reader.get_run(run).detail == ""
        with Journal.open(path) as third:  # opening during a write does not queue either
            assert third.runs()[0].id == run
        assert time.monotonic() - started < 2
        raw.execute("COMMIT")
        raw.close()
        assert reader.get_run(run).detail == "uncommitted"


def test_concurrent_writer_and_reader(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as j:
        run = j.start_run("apply", "ipv4", None, INV, []).id
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with Journal.open(path) as writer:
                for i in range(200):
                    writer.event(run, f"step {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=write)
    seen: list[int] = []
    with Journal.open(path) as reader:
        thread.start()
        while thread.is_alive():
            seen.append(len(reader.events(run)))
        thread.join()
        assert not errors
        assert seen == sorted(seen)  # each read is a consistent snapshot, never going back
        assert [m for _, m in reader.events(run)] == [f"step {i}" for i in range(200)]
