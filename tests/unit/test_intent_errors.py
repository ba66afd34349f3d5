"""The expected-error folder for the intent: every bad intent (checked against the repository's
containerlab.yml, then planned from an empty record) gives one line naming file, place and fix, exit 2.

Each case is inventory/intent.yml plus one change (tests/intentcases.py says how a case is written and
materialised). Some errors come from the intent reader, some from the address plan: each case runs both.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from intentcases import BASE, Case, all_cases, expected_start
from pilot.addressing import Record, build_plan
from pilot.cli import main
from pilot.errors import PilotError
from pilot.intent import load_intent
from pilot.topology import load_topology
from testroot import ROOT

CASES = all_cases()
TOPOLOGY = ROOT / "containerlab.yml"
# No line to name: an empty file, a top-level key that is not there. (Address-plan errors name file and place.)
NO_LINE = {"empty", "missing-key"}
LOCATED = re.compile(r"^(?P<file>.+?\.yml):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$")


def ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def test_the_folder_is_not_empty() -> None:
    assert len(CASES) >= 50


def test_the_pilot_intent_itself_is_fine() -> None:
    """Every case is the pilot's intent with one thing broken: the unbroken one must pass."""
    intent = load_intent(BASE, load_topology(TOPOLOGY))
    plan = build_plan(intent, Record())
    assert not intent.warnings and not plan.notes


def test_the_base_written_out_is_still_the_pilot_intent(tmp_path: Path) -> None:
    """Materialising goes through yaml.safe_dump: with no change, the effective file must mean the same."""
    case = Case("unchanged", BASE, "-", patch=({"op": "test", "path": "/province/asn", "value": 64500},))
    written = case.materialise(tmp_path)
    assert yaml.safe_load(written.read_text()) == yaml.safe_load(BASE.read_text())
    topology = load_topology(TOPOLOGY)
    ours, theirs = load_intent(written, topology), load_intent(BASE, topology)
    assert (ours.province, ours.internet, ours.agencies, ours.segments, ours.clients) == (
        theirs.province,
        theirs.internet,
        theirs.agencies,
        theirs.segments,
        theirs.clients,
    )


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_case_gives_its_error(case: Case, tmp_path: Path) -> None:
    effective = case.materialise(tmp_path / "cases")
    topology = load_topology(TOPOLOGY)
    from_intent = True
    with pytest.raises(PilotError) as info:
        intent = load_intent(effective, topology)
        from_intent = False
        build_plan(intent, Record())
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    assert "fix:" in text, "the error says how to fix it"
    located = LOCATED.match(text)
    if from_intent and case.name not in NO_LINE:
        assert located, f"the intent reader names the file, line and column: {text}"
        assert located["file"] == str(effective), "the error names the case's effective file"
        assert located["rest"].startswith(case.expect), f"{case.source.name}: got {located['rest']!r}"
        _assert_points_at_its_place(effective, int(located["line"]), int(located["col"]), located["rest"])
    else:
        assert not located, f"only the intent reader knows lines: {text}"
        assert text.startswith(f"{effective}: "), "the error names the case's effective file"
        assert text[len(f"{effective}: ") :].startswith(case.expect), f"{case.source.name}: got {text!r}"


def _assert_points_at_its_place(effective: Path, line: int, col: int, rest: str) -> None:
    """The line and column are those of the place the error names, in the effective file: the key of
    a mapping entry, or the start of a list item (checked on the text, not through pilot's own reader)."""
    lines = effective.read_text().splitlines()
    assert 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]) + 1, f"{line}:{col} is outside the file"
    at = lines[line - 1][col - 1 :]
    place = rest.split(": ", 1)[0]
    if not re.fullmatch(r"[A-Za-z_][\w-]*(\[\d+\]|\.[\w-]+)*", place):
        return  # a problem with the YAML itself (malformed, not a mapping): no place, the parser's position
    data = yaml.safe_load(effective.read_text())
    expected = expected_start(data, place)
    assert at.startswith(expected), f"{effective.name}:{line}:{col} shows {at!r}, not {place} ({expected!r})"


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_cli_exit_2_one_line_no_record(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    effective = case.materialise(tmp_path / "cases")
    out = tmp_path / "out"
    out.mkdir()
    record = out / "addresses.yml"
    monkeypatch.setattr(
        "sys.argv", ["pilot", "addresses", "-t", str(TOPOLOGY), "-i", str(effective), "--record", str(record)]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pilot: error: {effective}"), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert case.expect in lines[0]
    assert not record.exists(), "no record written"
    assert list(out.iterdir()) == [], "nothing written beside it either"
