"""Ctrl-C and SIGTERM (issue 7): pilot marks the run in the journal, closes its connections and prints one
line naming the run, its state and what to do next; 130 for SIGINT, 143 for SIGTERM.

Each run is a pilot process of its own (the signal must be a real one, and SIGTERM would kill a pytest
that pilot did not handle it in), on the mock devices; the signal arrives while a device is being pushed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockinv import passing_check, write_inventory
from pilot.journal import Journal, Run
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage
from testroot import ROOT

# pilot's own main(), with the rollout made offline and a hook in the mock driver's commit.
DRIVER = """
import os, signal, sys, time
import pilot.cli.rollout as commands
from mockinv import offline
commands._options = offline(commands._options)
from pilot.drivers.mock import MockDriver
from pilot.rollout import engine, sites
at, how = os.environ.get("STOP_AT", ""), os.environ.get("STOP_WITH", "")

def stop():
    if how == "outside":  # tell the test, and give it time to send the signal itself
        open(os.environ["STOP_MARK"], "w").close()
        time.sleep(3)
    else:
        os.kill(os.getpid(), getattr(signal, how))
        time.sleep(0.5)

original_commit, original_compare, original_plan = MockDriver.commit_config, MockDriver.compare_config, engine.plan_run

def commit(self, *args, **kw):
    if self.name == at:
        stop()
    return original_commit(self, *args, **kw)

def compare(self, *args, **kw):
    if f"compare:{self.name}" == at:
        stop()
    return original_compare(self, *args, **kw)

def plan_run(*args, **kw):
    if at == "render":
        stop()
    return original_plan(*args, **kw)

MockDriver.commit_config, MockDriver.compare_config, engine.plan_run = commit, compare, plan_run
sites.plan_run = plan_run  # an apply plans through pilot.rollout.sites
from pilot.cli import main
sys.argv = ["pilot", *sys.argv[1:]]
main()
"""


def pilot(inventory: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    import pilot as package

    source = Path(package.__file__).resolve().parents[1]
    path = os.pathsep.join([str(source), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args, "-I", str(inventory)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, "PILOT_CREDENTIALS": str(inventory / "none.yml"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def journal_runs(inventory: Path) -> list[Run]:
    with Journal.open(inventory / "journal.sqlite", read_only=True) as journal:
        return journal.runs()


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Devices at ipv4, as far as the journal knows (each pilot process has its own mock devices)."""
    monkeypatch.delenv("PILOT_JOURNAL", raising=False)
    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "none.yml"))
    directory = write_inventory(tmp_path / "inventory")
    options = Options(yes=True, validate=False, checker=passing_check)
    assert Rollout(load_inventory(directory), options).apply(get_stage("ipv4")).state == "applied"
    return directory


@pytest.mark.parametrize(
    ("how", "code", "said"), [("SIGTERM", 143, "stopped by SIGTERM"), ("SIGINT", 130, "interrupted (Ctrl-C)")]
)
def test_a_signal_mid_push_leaves_the_run_interrupted_and_says_so(
    inventory: Path, how: str, code: int, said: str
) -> None:
    status, err = finish(pilot(inventory, "apply", "--stage", "dual-stack", "--yes", STOP_AT="pc1", STOP_WITH=how))
    assert status == code, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err == (
        f"pilot: {said}: run 2 (apply dual-stack) is interrupted: devices may be mid-change; "
        "next: pilot apply --resume (re-applies dual-stack), or pilot rollback --to ipv4\n"
    )
    run = journal_runs(inventory)[0]
    assert (run.id, run.state) == (2, "interrupted")
    assert ("SIGTERM" if how == "SIGTERM" else "Ctrl-C") in run.detail
    if how == "SIGTERM":  # the lock went with the process; the journal blocks an apply until resumed
        assert finish(pilot(inventory, "apply", "--stage", "dual-stack", "--yes"))[0] == 2
        assert finish(pilot(inventory, "apply", "--resume", "--yes"))[0] == 0


def test_sigterm_sent_from_outside_mid_push(inventory: Path, tmp_path: Path) -> None:
    mark = tmp_path / "pushing-pc1"
    process = pilot(
        inventory, "apply", "--stage", "dual-stack", "--yes", STOP_AT="pc1", STOP_WITH="outside", STOP_MARK=str(mark)
    )
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    status, err = finish(process)
    assert status == 143 and err.startswith("pilot: stopped by SIGTERM: run 2 (apply dual-stack) is interrupted"), err
    assert journal_runs(inventory)[0].state == "interrupted"


def test_a_signal_before_any_run_says_nothing_was_changed(inventory: Path) -> None:
    status, err = finish(
        pilot(inventory, "apply", "--stage", "dual-stack", "--yes", STOP_AT="render", STOP_WITH="SIGTERM")
    )
    assert (status, err) == (143, "pilot: stopped by SIGTERM before any run started: nothing was changed\n")
    assert [r.id for r in journal_runs(inventory)] == [1]


def test_a_signal_during_a_diff_says_it_changed_nothing(inventory: Path) -> None:
    status, err = finish(pilot(inventory, "diff", "--stage", "dual-stack", STOP_AT="compare:core", STOP_WITH="SIGINT"))
    assert status == 130, err
    assert (
        err
        == "pilot: interrupted (Ctrl-C): run 2 (diff dual-stack) stopped (failed); it changes no device: nothing was changed\n"
    )
    assert journal_runs(inventory)[0].state == "failed"


def test_a_child_forked_by_pilot_dies_of_sigterm_instead_of_unwinding_pilots_stack() -> None:
    """pyroute2 forks pilot to create a network namespace and stops the child with SIGTERM. With pilot's
    handler inherited, the child raised Terminated and unwound its copy of `lab up`'s stack, running
    its clean-up: it removed the namespace the parent was building ('No such file: /run/netns/...')."""
    from pilot import stop

    handlers = stop.install()
    try:
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: pilot's code below it must never see an exception
            try:
                os.write(ready_w, b"x")
                time.sleep(30)
            except BaseException:
                os._exit(42)
            os._exit(0)
        os.read(ready_r, 1)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM, status
        assert stop.received is None  # the parent was not stopped
    finally:
        stop.restore(handlers)


def test_an_interrupted_run_that_left_nothing_mid_change_does_not_send_the_user_to_resume() -> None:
    """Stopped during the verification of a run that had nothing to push: `apply --resume` would say there
    is no interrupted run to resume, so the line must not propose it."""
    from pilot.stop import describe

    run = Run(
        13, 0.0, 1.0, "root", "vm", 1, None, "apply", "ipv6-mostly", None, "/inv", "interrupted", "", None, ("pc1",)
    )
    assert describe(run, "ipv6-mostly", blocking=False) == (
        "run 13 (apply ipv6-mostly) is interrupted: it left no device mid-change (none had to change);"
        " pilot verify checks the network"
    )
    assert "pilot apply --resume" in describe(run, "dual-stack", blocking=True)
