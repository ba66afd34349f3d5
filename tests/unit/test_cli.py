"""The command line: help that explains, one-line errors with exit 2, --json errors."""

import json

import pytest

from pilot.cli import main


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize("command", [[], ["lab"], ["lab", "up"], ["lab", "down"], ["lab", "status"],
                                     ["lab", "exec"], ["lab", "ssh"], ["lab", "inventory"]])  # fmt: skip
def test_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert run(monkeypatch, *command, "--help") == 0
    text = capsys.readouterr().out
    assert "Usage" in text and len(text) > 200


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
