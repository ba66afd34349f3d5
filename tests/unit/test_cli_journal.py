"""What the rollout commands print from the journal: only this inventory's runs, devices a failed rollback
left unknown, and `apply --resume` refusing a stage or limit it would not apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pilot.cli.rollout as commands
from mockinv import offline, passing_check, write_inventory
from pilot.cli import main
from pilot.drivers.mock import MockDriver
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "no-credentials.yml"))
    monkeypatch.delenv("PILOT_JOURNAL", raising=False)
    monkeypatch.setattr(commands, "_options", offline(commands._options))
    MockDriver.devices.clear()
    return write_inventory(tmp_path / "inventory")


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def apply(inventory: Path, stage: str, **options: object) -> str:
    chosen = Options(yes=True, validate=False, checker=passing_check, **options)  # type: ignore[arg-type]
    return Rollout(load_inventory(inventory), chosen).apply(get_stage(stage)).state


def test_history_shows_this_inventorys_runs_unless_asked_for_all(
    inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two inventories share one journal (PILOT_JOURNAL): each one's history and status are its own."""
    monkeypatch.setenv("PILOT_JOURNAL", str(tmp_path / "shared.sqlite"))
    other = write_inventory(tmp_path / "other")
    assert apply(inventory, "ipv4") == "applied"
    assert apply(other, "dual-stack", limit="core") == "applied"

    code, out, _ = run(monkeypatch, capsys, "history", "-I", str(inventory), "--json")
    assert code == 0 and [(r["id"], r["inventory"]) for r in json.loads(out)] == [(1, str(inventory))]
    code, out, _ = run(monkeypatch, capsys, "history", "-I", str(inventory), "--all", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [2, 1]
    code, out, _ = run(monkeypatch, capsys, "status", "--no-ask", "-I", str(inventory), "--json")
    assert code == 0 and json.loads(out)["last_run"]["id"] == 1


def test_status_marks_what_a_failed_rollback_left_unknown(
    inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert apply(inventory, "ipv4") == "applied"
    MockDriver.devices["dhcp"].fail_push = "kea-dhcp4-server did not stay up"
    MockDriver.devices["core"].fail_restore = True
    assert apply(inventory, "dual-stack") == "rollback-failed"
    code, out, err = run(monkeypatch, capsys, "status", "--no-ask", "-I", str(inventory))
    assert code == 0, err
    assert "unknown: run 2 ended rollback-failed (last known ipv4)" in out
    assert "run 2 (apply dual-stack) ended rollback-failed" in out and "pilot rollback --to" in out
    code, out, _ = run(monkeypatch, capsys, "status", "--no-ask", "-I", str(inventory), "--json")
    status = json.loads(out)
    assert status["unfinished_run"]["id"] == 2
    assert next(d for d in status["devices"] if d["device"] == "core")["stage"].startswith("unknown: run 2")
    assert next(d for d in status["devices"] if d["device"] == "dhcp")["stage"] == "ipv4"


def test_apply_resume_refuses_another_stage_and_resumes_without_one(
    inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = MockDriver.commit_config

    def commit(self, *args, **kw):  # type: ignore[no-untyped-def]
        if self.name == "pc1":
            raise KeyboardInterrupt
        return original(self, *args, **kw)

    monkeypatch.setattr(MockDriver, "commit_config", commit)
    code, _, err = run(monkeypatch, capsys, "apply", "--stage", "dual-stack", "--yes", "-I", str(inventory))
    assert code == 130
    monkeypatch.setattr(MockDriver, "commit_config", original)

    code, _, err = run(monkeypatch, capsys, "apply", "--resume", "--stage", "ipv4", "--yes", "-I", str(inventory))
    assert code == 2 and err.count("\n") == 1, err
    assert "--resume re-applies run 1 (apply dual-stack) was interrupted as it was" in err and "not --stage ipv4" in err
    code, _, err = run(monkeypatch, capsys, "apply", "--resume", "--limit", "pc1", "--yes", "-I", str(inventory))
    assert code == 2 and "not --limit pc1" in err
    code, out, err = run(monkeypatch, capsys, "apply", "--resume", "--yes", "-I", str(inventory), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["state"], report["stage"], len(report["devices"])) == ("applied", "dual-stack", 18)


def test_ctrl_c_at_the_question_is_one_line_and_changes_nothing(
    inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --yes pilot asks; Ctrl-C there stops it like anywhere else (not typer's "Aborted!")."""
    import typer
    from rich.console import Console

    def ctrl_c(*args: object, **kwargs: object) -> bool:
        raise typer.Abort()  # what typer.confirm raises on Ctrl-C

    monkeypatch.setattr(commands.os, "isatty", lambda fd: True)
    monkeypatch.setattr(commands, "err", Console(stderr=True, force_terminal=True, width=200))
    monkeypatch.setattr(typer, "confirm", ctrl_c)
    code, out, err = run(monkeypatch, capsys, "apply", "--stage", "ipv4", "-I", str(inventory), "--json")
    assert code == 130 and out == ""
    assert err.splitlines()[-1] == (
        "pilot: interrupted (Ctrl-C): run 1 (apply ipv4) is failed: it stopped before any device changed: "
        "nothing was changed"
    )
    assert "Aborted" not in err and all(d.pushes == 0 for d in MockDriver.devices.values())
