"""The inventory lock shared by the runs that only probe (diff, verify) and exclusive for the ones that
change devices: several diffs together, none during an apply, an apply refused while one runs, and
every refusal naming the runs in the way, however many hold the lock."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockinv import mock_inventory, passing_check
from pilot.errors import PilotError
from pilot.journal import Journal, RunLock
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage


def holders(directory: Path) -> list[tuple[int, str, int | None, bool]]:
    from pilot.journal.lock import read_holders

    return [(h.pid, h.command, h.run_id, h.shared) for h in read_holders(directory)]


def test_shared_holders_run_together_and_keep_their_own_records(tmp_path: Path) -> None:
    me = os.getpid()
    first = RunLock(tmp_path, "diff", shared=True).acquire()
    second = RunLock(tmp_path, "verify", shared=True).acquire()
    first.note(11)
    second.note(12)
    assert sorted(holders(tmp_path)) == [(me, "diff", 11, True), (me, "verify", 12, True)]

    with pytest.raises(PilotError) as refused:
        RunLock(tmp_path, "apply").acquire()
    text = str(refused.value)
    assert "2 other pilot runs are working on this inventory" in text, text
    assert "run 11 (diff)" in text and "run 12 (verify)" in text and "\n" not in text
    assert refused.value.fix == f"wait for them to finish, or check that pids {me}, {me} are gone"

    first.release()  # the other holder's record stays right
    assert holders(tmp_path) == [(me, "verify", 12, True)]
    with pytest.raises(PilotError, match=r"run 12 \(verify\) by .*pid"):
        RunLock(tmp_path, "apply").acquire()
    second.release()
    assert holders(tmp_path) == []
    with RunLock(tmp_path, "apply") as lock:
        assert lock.held


def test_a_shared_lock_is_refused_while_an_apply_holds_it(tmp_path: Path) -> None:
    with RunLock(tmp_path, "apply") as apply:
        apply.note(7)
        with pytest.raises(PilotError) as refused:
            RunLock(tmp_path, "diff", shared=True).acquire()
        assert "another pilot run is working on this inventory: run 7 (apply)" in str(refused.value)
        assert refused.value.fix == f"wait for run 7 to finish, or check that pid {os.getpid()} is gone"


@pytest.fixture
def killed_holder(tmp_path: Path) -> Iterator[int]:
    """A child that took the lock shared and was SIGKILLed: its record stays, its flock is gone."""
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            os.close(ready_r)
            RunLock(tmp_path, "diff", run_id=41, shared=True).acquire()
            os.write(ready_w, b"locked")
            while True:
                time.sleep(60)
        finally:
            os._exit(1)
    os.close(ready_w)
    assert os.read(ready_r, 16) == b"locked"
    os.close(ready_r)
    try:
        with RunLock(tmp_path, "verify", run_id=42, shared=True):
            assert sorted(h[2] for h in holders(tmp_path)) == [41, 42]
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    yield child


def test_a_killed_holder_is_never_named(tmp_path: Path, killed_holder: int) -> None:
    assert list((tmp_path / ".pilot.lock.d").glob("*.json")), "the killed holder left its record"
    assert holders(tmp_path) == []  # ... which nobody reports, and the reader removed
    assert list((tmp_path / ".pilot.lock.d").glob("*.json")) == []
    with RunLock(tmp_path, "apply") as lock:
        assert lock.held


# -- diff and verify take it shared ------------------------------------------------------------------------
@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return mock_inventory(tmp_path, monkeypatch)


def rollout(inventory: Path) -> Rollout:
    return Rollout(load_inventory(inventory), Options(yes=True, validate=False, checker=passing_check))


def test_diff_and_verify_never_probe_during_an_apply(inventory: Path) -> None:
    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    with RunLock(inventory, "apply") as apply:
        apply.note(99)
        for action in (lambda r: r.diff(get_stage("dual-stack")), lambda r: r.verify(get_stage("ipv4"))):
            with pytest.raises(PilotError) as refused:
                action(rollout(inventory))
            assert "another pilot run is working on this inventory: run 99 (apply)" in str(refused.value)
    with Journal.open(inventory / "journal.sqlite") as journal:
        assert [r.command for r in journal.runs()] == ["apply"]  # the refused ones never started


def test_an_apply_is_refused_while_a_diff_runs_and_diffs_run_together(inventory: Path) -> None:
    seen: list[list[tuple[int, str, int | None, bool]]] = []

    def check(inv, plan, stage, capable):  # type: ignore[no-untyped-def]
        seen.append(holders(inventory))
        with pytest.raises(PilotError) as refused:  # an apply now would push under the probes
            rollout(inventory).apply(get_stage("dual-stack"))
        assert "run 2 (verify)" in str(refused.value)
        assert rollout(inventory).diff(get_stage("dual-stack")).state == "diffed"  # another reader: fine
        return passing_check(inv, plan, stage, capable)

    assert rollout(inventory).apply(get_stage("ipv4")).state == "applied"
    options = Options(yes=True, validate=False, checker=check)
    assert Rollout(load_inventory(inventory), options).verify(get_stage("ipv4")).state == "verified"
    assert seen == [[(os.getpid(), "verify", 2, True)]]
    assert holders(inventory) == []
