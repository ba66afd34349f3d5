"""Which lab a command means: named (--name for lab commands, --lab for rollout commands), or the only
one up; never a guess. `pilot lab down` refuses while a run holds the lab's inventory."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pilot.cli import main
from pilot.journal import RunLock
from pilot.lab.backend import DownReport, LabStatus, NodeStatus
from pilot.lab.state import LabState
from testroot import ROOT


class FakeBackend:
    """Stands in for the namespace backend: records what the CLI asked of which lab."""

    name = "namespace"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def status(self, name: str, *, detail: bool = True) -> LabStatus:
        self.calls.append(("status", name))
        node = NodeStatus("core", "router", "linux", "frr", "running", "3fff:0:1000:1::2")
        return LabStatus(name, "namespace", "running", str(ROOT / "containerlab.yml"), nodes=[node])

    def down(self, name: str, *, force: bool = False, progress: Any = None) -> DownReport:
        self.calls.append(("down", name))
        return DownReport(name, ["holder of core"])

    def exec_argv(self, name: str, node: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
        raise AssertionError(f"would exec in lab {name}")  # never replace the test process


class Exec(BaseException):  # not an Exception: main() turns those into one line
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv


@pytest.fixture
def backend(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    fake = FakeBackend()
    monkeypatch.setattr("pilot.lab.backend.get_backend", lambda name: fake)

    def no_exec(file: str, argv: list[str], *env: Any) -> None:
        raise Exec(argv)

    monkeypatch.setattr(os, "execvp", no_exec)
    monkeypatch.setattr(os, "execvpe", no_exec)
    monkeypatch.setenv("PILOT_CREDENTIALS", str(state_dir / "no-credentials.yml"))
    for name in ("PILOT_INVENTORY", "PILOT_JOURNAL"):
        monkeypatch.delenv(name, raising=False)
    return fake


def lab(name: str) -> str:
    LabState(name, "namespace", str(ROOT / "containerlab.yml"), "running", os.getpid(), None, time.time()).save()
    return name


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


COMMANDS_NAMING_A_LAB = [
    ["lab", "exec", "core", "--", "true"],
    ["lab", "ssh", "core", "--", "true"],
    ["lab", "down"],
    ["lab", "inventory"],
    ["diff", "--stage", "ipv4"],
    ["apply", "--stage", "ipv4", "--yes"],
    ["rollback", "--to", "ipv4", "--yes"],
    ["verify"],
    ["status", "--no-ask"],
    ["history"],
    ["show", "1"],
]


@pytest.mark.parametrize("argv", COMMANDS_NAMING_A_LAB, ids=lambda a: " ".join(a[:2]))
def test_with_several_labs_up_every_command_refuses_and_lists_them(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """./containerlab.yml names dost-pilot, but with two labs up neither it nor any lab is guessed."""
    lab("alpha"), lab("bravo"), lab("dost-pilot")
    code, _, err = run(monkeypatch, capsys, *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and "several labs are up (alpha, bravo, dost-pilot)" in err, err
    assert ("--lab NAME" if argv[0] != "lab" else "--name NAME") in err
    assert [c for c in backend.calls if c[0] != "status"] == []


def test_with_no_lab_up_a_lab_command_refuses(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "lab", "down")
    assert code == 2 and "no lab is up" in err and backend.calls == []


def test_the_only_lab_up_is_the_one_meant(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lab("alpha")
    code, _, err = run(monkeypatch, capsys, "lab", "down")
    assert code == 0, err
    assert backend.calls == [("down", "alpha")]


def test_lab_ssh_keeps_the_arguments_of_the_command(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ssh joins its arguments with spaces and the node's shell splits them again: pilot quotes them."""
    LabState(
        "alpha", "namespace", "x", "running", os.getpid(), None, time.time(),
        nodes={"pc1": {"name": "pc1", "role": "client", "kind": "linux", "platform": "linux", "container": "pc1"}},  # type: ignore[dict-item]
    ).save()  # fmt: skip
    command = ["printf", "%s|", "a b", "c'd", "$HOME", "*", ""]
    monkeypatch.setattr("sys.argv", ["pilot", "lab", "ssh", "--name", "alpha", "pc1", "--", *command])
    with pytest.raises(Exec) as info:
        main()
    argv = info.value.argv
    assert argv[:2] == ["ssh", "-F"] and argv[-3:-1] == ["--", "pc1"]
    # What the node's shell makes of the one string ssh sends: the same words as `lab exec` passes.
    remote = subprocess.run(["sh", "-c", argv[-1]], capture_output=True, text=True, check=True).stdout
    assert remote == "a b|c'd|$HOME|*||"


def mock_inventory(directory: Path) -> Path:
    directory.mkdir(parents=True)
    hosts = {"core": {"hostname": "3fff:0:1000:ffff::2", "platform": "frr"}}
    pilot = {k: str(ROOT / v) for k, v in (("topology", "containerlab.yml"), ("intent", "inventory/intent.yml"),
                                           ("record", "inventory/addresses.yml"))}  # fmt: skip
    (directory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (directory / "defaults.yaml").write_text(yaml.safe_dump({"data": {"pilot": pilot}}))
    return directory


def written_by_lab_inventory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, *out: str
) -> None:
    code, _, err = run(monkeypatch, capsys, "lab", "inventory", "--name", name, *out,
                       "-i", str(ROOT / "inventory/intent.yml"), "-r", str(ROOT / "inventory/addresses.yml"))  # fmt: skip
    assert code == 0, err


def test_lab_means_the_inventory_lab_inventory_wrote_from_any_directory(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lab("alpha"), lab("bravo")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    written_by_lab_inventory(monkeypatch, capsys, "alpha")  # default place: inventory/labs/alpha
    assert (checkout / "inventory/labs/alpha/hosts.yaml").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(monkeypatch, capsys, "status", "--lab", "alpha", "--no-ask", "--json")
    assert code == 0, err
    assert json.loads(out)["inventory"] == str(checkout / "inventory/labs/alpha")
    # bravo has no inventory: said so, with the command that writes it.
    code, _, err = run(monkeypatch, capsys, "history", "--lab", "bravo")
    assert code == 2 and "lab 'bravo' has no inventory" in err and "pilot lab inventory --name bravo" in err


def test_lab_with_a_conflicting_inventory_is_refused(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lab("alpha")
    monkeypatch.chdir(tmp_path)
    written_by_lab_inventory(monkeypatch, capsys, "alpha")
    other = mock_inventory(tmp_path / "other")
    code, _, err = run(monkeypatch, capsys, "history", "--lab", "alpha", "-I", str(other))
    assert code == 2 and "--lab alpha means the inventory" in err and str(other) in err, err
    code, _, err = run(monkeypatch, capsys, "history", "--lab", "alpha", "-I", "inventory/labs/alpha", "--json")
    assert code == 0, err


def test_an_unsafe_lab_name_is_refused(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "history", "--lab", "../etc")
    assert code == 2 and "--lab: lab name '../etc' is not a safe identifier" in err


def test_lab_down_refuses_while_a_run_holds_an_inventory_of_the_lab(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Wherever `pilot lab inventory --out` put it: the lab remembers every inventory written for it."""
    lab("alpha")
    monkeypatch.chdir(tmp_path)
    written_by_lab_inventory(monkeypatch, capsys, "alpha", "--out", str(tmp_path / "somewhere/else"))
    written_by_lab_inventory(monkeypatch, capsys, "alpha")
    for directory in (tmp_path / "somewhere/else", tmp_path / "inventory/labs/alpha"):
        with RunLock(directory, "apply", run_id=7):
            code, _, err = run(monkeypatch, capsys, "lab", "down", "--name", "alpha")
            assert code == 2 and err.count("\n") == 1, err
            assert "lab 'alpha' is in use: run 7 (apply)" in err and str(directory) in err
            assert "--force" in err
            assert backend.calls.count(("down", "alpha")) == 0
    with RunLock(tmp_path / "somewhere/else", "apply", run_id=8):
        code, out, err = run(monkeypatch, capsys, "lab", "down", "--name", "alpha", "--force", "--json")
        assert code == 0, err
        assert "breaking run 8 (apply)" in err
        assert json.loads(out)[0]["broke"][0].startswith("run 8 (apply)")
    assert backend.calls.count(("down", "alpha")) == 1


def test_lab_down_holds_the_inventories_while_it_tears_down(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No run can start on the lab's inventory half-way through its teardown."""
    lab("alpha")
    monkeypatch.chdir(tmp_path)
    written_by_lab_inventory(monkeypatch, capsys, "alpha")
    seen: list[str] = []

    def down(name: str, *, force: bool = False, progress: Any = None) -> DownReport:
        try:
            RunLock(tmp_path / "inventory/labs/alpha", "apply").acquire().release()
            seen.append("free")
        except Exception as exc:
            seen.append(str(exc))
        return DownReport(name)

    monkeypatch.setattr(backend, "down", down)
    code, _, err = run(monkeypatch, capsys, "lab", "down", "--name", "alpha")
    assert code == 0, err
    assert len(seen) == 1 and "lab down alpha" in seen[0]
    RunLock(tmp_path / "inventory/labs/alpha", "apply").acquire().release()  # and released after


FAKE_PILOT = """#!/usr/bin/env bash
echo "$*" >> "$PILOT_CALLS"
case "$1 $2" in
  "lab status") [ -n "${LAB_EXISTS:-}" ] && exit 0 || { echo "pilot: error: no lab named '$4'" >&2; exit 2; } ;;
  "lab up") [ -n "${UP_ERR:-}" ] && echo "$UP_ERR" >&2; exit "${UP_EXIT:-0}" ;;
esac
exit "$( [ "$1" = "${FAIL_AT:-}" ] && echo 1 || echo 0 )"
"""


def demo(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """scripts/demo.sh in a copy of the repository whose setup does nothing and whose pilot logs its calls."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    (root / ".venv/bin").mkdir(parents=True)
    (root / "scripts/demo.sh").write_text((ROOT / "scripts/demo.sh").read_text())
    (root / "scripts/setup.sh").write_text("true\n")
    (root / ".venv/bin/pilot").write_text(FAKE_PILOT)
    (root / ".venv/bin/pilot").chmod(0o755)
    calls = tmp_path / "calls"
    calls.touch()
    result = subprocess.run(
        ["bash", str(root / "scripts/demo.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "PILOT_CALLS": str(calls), **env},
        timeout=60,
    )
    return result, calls.read_text().splitlines()


def test_demo_refuses_a_lab_it_did_not_start(tmp_path: Path) -> None:
    result, calls = demo(tmp_path, LAB_EXISTS="1")
    assert result.returncode != 0
    assert "a lab named 'dost-pilot' is already up" in result.stderr and "DEMO_LAB=" in result.stderr
    assert not [c for c in calls if c.startswith(("lab down", "lab up"))], calls


def test_demo_leaves_a_lab_that_appeared_after_its_check(tmp_path: Path) -> None:
    """Another user's `lab up` between the demo's check and its own: the demo's is refused, theirs stays."""
    result, calls = demo(tmp_path, UP_EXIT="2", UP_ERR="pilot: error: lab 'dost-pilot' is already creating")
    assert result.returncode != 0 and "already creating" in result.stderr
    assert not [c for c in calls if c.startswith("lab down")], calls


def test_demo_takes_down_the_lab_it_started_and_names_it_everywhere(tmp_path: Path) -> None:
    result, calls = demo(tmp_path, DEMO_LAB="demo-own")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lab up --name demo-own" in calls and calls[-1] == "lab down --name demo-own --force"
    rollout = [c for c in calls if c.split()[0] in ("diff", "apply", "rollback", "verify", "status", "history")]
    assert rollout and all("--lab demo-own" in c for c in rollout), rollout


@pytest.mark.parametrize("failing", [{"UP_EXIT": "1"}, {"FAIL_AT": "apply"}])
def test_demo_cleans_up_its_own_lab_when_a_step_fails(tmp_path: Path, failing: dict[str, str]) -> None:
    result, calls = demo(tmp_path, **failing)
    assert result.returncode != 0
    assert calls[-1] == "lab down --name dost-pilot --force", calls


def test_lab_written_from_two_checkouts_is_not_guessed_between(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lab("alpha")
    for checkout in ("one", "two"):
        (tmp_path / checkout).mkdir()
        monkeypatch.chdir(tmp_path / checkout)
        written_by_lab_inventory(monkeypatch, capsys, "alpha")
    code, out, err = run(monkeypatch, capsys, "status", "--lab", "alpha", "--no-ask", "--json")
    assert code == 0, err
    assert json.loads(out)["inventory"] == str(tmp_path / "two/inventory/labs/alpha")  # the checkout's own
    monkeypatch.chdir(tmp_path)
    code, _, err = run(monkeypatch, capsys, "history", "--lab", "alpha")
    assert code == 2 and "lab 'alpha' has inventories in several places" in err
    assert str(tmp_path / "one/inventory/labs/alpha") in err and str(tmp_path / "two/inventory/labs/alpha") in err
