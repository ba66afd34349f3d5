"""The command line: help that explains, one-line errors with exit 2, --json errors."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer

from pilot.cli import app, main
from testroot import ROOT


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


TOP_LEVEL = [
    "addresses",
    "render",
    "platforms",
    "diff",
    "apply",
    "rollback",
    "verify",
    "status",
    "history",
    "show",
    "lab",
]
LAB = ["up", "down", "status", "exec", "ssh", "inventory"]


def commands() -> list[tuple[list[str], Any]]:
    """Every command and subcommand of the real application, with its (typer's click) command object."""
    found: list[tuple[list[str], Any]] = []

    def walk(path: list[str], command: Any) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk([*path, name], sub)

    walk([], typer.main.get_command(app))
    return found


def flat(text: str) -> str:
    """Help as words: without rich's panel borders and the line breaks of its wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─*]", " ", text).split())


def test_the_commands_are_the_documented_ones() -> None:
    paths = [path for path, _ in commands()]
    assert sorted(p[0] for p in paths if len(p) == 1) == sorted(TOP_LEVEL)
    assert sorted(p[1] for p in paths if len(p) == 2) == sorted(LAB)


@pytest.mark.parametrize(("path", "command"), commands(), ids=[" ".join(p) or "pilot" for p, _ in commands()])
def test_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], path: list[str], command: Any
) -> None:
    """`pilot ... --help` exits 0 and shows the command's own text, and every option with its help."""
    monkeypatch.setenv("COLUMNS", "100")
    assert run(monkeypatch, *path, "--help") == 0
    text = flat(capsys.readouterr().out)
    assert f"Usage: pilot {' '.join(path)}".strip() in text
    own = flat(command.help or "")
    assert own, f"pilot {' '.join(path)} has no help text"
    assert own[:60] in text, "the command's own help"
    for param in command.params:
        name = " ".join(path) + " " + (param.opts[0] if param.param_type_name == "option" else str(param.name))
        if param.param_type_name == "option":
            for flag in param.opts + param.secondary_opts:
                assert flag in text.split(), f"{name}: {flag} missing from the help"
        else:
            usage = text[: text.index(own[:60])]  # Usage: pilot lab exec [OPTIONS] {node} {command}...
            assert re.search(rf"[{{[]{param.name}[}}\]]", usage), f"{name}: not in the usage line"
        assert param.help, f"{name} has no help"
        assert flat(param.help)[:40] in text, f"{name}: its help is not shown"


def test_unknown_lab_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], state_dir: object
) -> None:
    assert run(monkeypatch, "lab", "status", "--name", "nosuchlab") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no lab named 'nosuchlab'" in err and "fix:" in err


def test_json_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], state_dir: object) -> None:
    assert run(monkeypatch, "lab", "status", "--name", "nosuchlab", "--json") == 2
    data = json.loads(capsys.readouterr().out)
    assert data["error"] == "no lab named 'nosuchlab'"


def test_no_labs_status(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], state_dir: object) -> None:
    assert run(monkeypatch, "lab", "status", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_bad_name_option(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "lab", "down", "--name", "../etc") == 2
    assert "not a safe identifier" in capsys.readouterr().err


def test_unknown_backend(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pilot_topology) -> None:
    assert run(monkeypatch, "lab", "up", "-t", str(pilot_topology), "--backend", "vagrant") == 2
    assert "unknown lab backend 'vagrant'" in capsys.readouterr().err


def test_the_apply_question_keeps_stdout_for_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`apply --json` without --yes: the device table and the question go to stderr, never stdout."""
    from pilot.cli.rollout import _confirm
    from pilot.rollout.engine import DeviceReport, RunReport

    report = RunReport(7, "apply", "dual-stack", "running", devices=[DeviceReport("core", "napalm", "+ ipv6 x\n")])
    assert _confirm(report) is False  # no terminal under pytest: not confirmed
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "core" in captured.err and "not confirmed" in captured.err


def test_inputs_missing_from_another_directory_say_how_to_pass_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Run away from the repository, the default intent is not there: the fix must not point at -t."""
    monkeypatch.chdir(tmp_path)
    assert run(monkeypatch, "render", "--stage", "ipv4", "--out", "o", "-t", str(ROOT / "containerlab.yml")) == 2
    err = capsys.readouterr().err
    assert err.startswith("pilot: error: inventory/intent.yml: intent file not found; fix: ") and "-t/" not in err
    assert not (tmp_path / "o").exists()
