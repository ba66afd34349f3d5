"""The expected-error folder: every bad topology gives one line naming file, place and fix, exit 2."""

from __future__ import annotations

import os
import re
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


@pytest.mark.parametrize("case", CASES[:8], ids=[c.stem for c in CASES[:8]])
def test_cli_exit_2_one_line_nothing_created(
    case: Path, state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    netns_before = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
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
    assert after == netns_before
