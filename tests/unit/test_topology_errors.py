"""The expected-error folder: every bad topology gives one line naming file, place and fix, exit 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pilot.cli import main
from pilot.errors import PilotError
from pilot.topology import load_topology

CASES = sorted((Path(__file__).resolve().parent.parent / "cases" / "bad-topology").glob("*.yml"))


def expectation(case: Path) -> str:
    first = case.read_text().splitlines()[0]
    match = re.match(r"#\s*expect:\s*(.+)", first)
    assert match, f"{case.name}: first line must be '# expect: <text>'"
    return match.group(1).strip()


def test_the_folder_is_not_empty() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_gives_its_error(case: Path) -> None:
    with pytest.raises(PilotError) as info:
        load_topology(case)
    text = str(info.value)
    assert expectation(case) in text
    assert "\n" not in text
    assert str(case) in text, "the error names the file"
    assert "fix:" in text, "the error says how to fix it"
    if case.stem not in ("empty", "malformed-yaml"):
        assert re.search(r"\.yml:\d+:\d+: ", text), "the error names the line and column"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_cli_exit_2_one_line_nothing_created(
    case: Path, state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The machine is shared: other labs may come and go meanwhile. What matters is that none is this case's.
    name = re.search(r"(?m)^name:\s*\"?([^\"\n]+)", case.read_text())
    ours = {f"pilot-{name.group(1).strip() if name else case.stem}"}
    monkeypatch.setattr("sys.argv", ["pilot", "lab", "up", "-t", str(case)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pilot: error: ")
    assert "Traceback" not in captured.err + captured.out
    assert expectation(case) in lines[0]
    assert not state_dir.exists() or not any(state_dir.rglob("*")), "nothing created"
    after = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
    assert not ours & after, "no namespace created"


def test_the_console_script_gives_the_same_one_line(tmp_path: Path) -> None:
    """The in-process runs above call main(), the console script's function; `python -m pilot` agrees."""
    case = CASES[0]
    result = subprocess.run(
        [sys.executable, "-m", "pilot", "lab", "up", "-t", str(case)],
        capture_output=True,
        text=True,
        env={**os.environ, "PILOT_STATE_DIR": str(tmp_path / "state")},
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and expectation(case) in result.stderr and "Traceback" not in result.stderr
