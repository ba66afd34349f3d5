"""The expected-error folder for the intent: every bad intent (checked against the repository's
containerlab.yml, then planned from an empty record) gives one line naming file, place and fix, exit 2.

Some errors come from the intent reader, some from the address plan: each case runs both.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilot.addressing import Record, build_plan
from pilot.cli import main
from pilot.errors import PilotError
from pilot.intent import load_intent
from pilot.topology import load_topology
from testroot import CASES as CASES_DIR
from testroot import ROOT

CASES = sorted((CASES_DIR / "bad-intent").glob("*.yml"))
TOPOLOGY = ROOT / "containerlab.yml"
# No line to name: an empty file, a top-level key that is not there. (Address-plan errors name file and place.)
NO_LINE = {"empty", "missing-key"}


def expectation(case: Path) -> str:
    first = case.read_text().splitlines()[0]
    match = re.match(r"#\s*expect:\s*(.+)", first)
    assert match, f"{case.name}: first line must be '# expect: <text>'"
    return match.group(1).strip()


def test_the_folder_is_not_empty() -> None:
    assert len(CASES) >= 30


def test_the_pilot_intent_itself_is_fine() -> None:
    """Every case is the pilot's intent with one thing broken: the unbroken one must pass."""
    intent = load_intent(ROOT / "inventory/intent.yml", load_topology(TOPOLOGY))
    plan = build_plan(intent, Record())
    assert not intent.warnings and not plan.notes


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_gives_its_error(case: Path) -> None:
    topology = load_topology(TOPOLOGY)
    from_intent = True
    with pytest.raises(PilotError) as info:
        intent = load_intent(case, topology)
        from_intent = False
        build_plan(intent, Record())
    text = str(info.value)
    assert expectation(case) in text
    assert "\n" not in text
    assert str(case) in text, "the error names the file"
    assert "fix:" in text, "the error says how to fix it"
    assert "Traceback" not in text
    if from_intent and case.stem not in NO_LINE:
        assert re.search(r"\.yml:\d+:\d+: ", text), "the intent reader names the line and column"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_cli_exit_2_one_line_no_record(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "addresses.yml"
    monkeypatch.setattr(
        "sys.argv", ["pilot", "addresses", "-t", str(TOPOLOGY), "-i", str(case), "--record", str(record)]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pilot: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert expectation(case) in lines[0]
    assert str(case) in lines[0]
    assert not record.exists(), "no record written"
    assert list(tmp_path.iterdir()) == [], "nothing written beside it either"
