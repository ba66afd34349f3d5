"""Golden files: for each stage and each node of the pilot, the rendered files are in the repository
(tests/golden/<stage>/<node>/...). A change to a template, the intent or the plan shows here as a diff.
Mixed stage maps too (tests/golden/<map name>/): each site at its own stage, agency by agency.

Regenerate after an intended change: PILOT_UPDATE_GOLDEN=1 pytest tests/unit/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from pilot.inputs import load_inputs
from pilot.render import render_stage, write_output
from pilot.stages import stage_names
from pilot.stages.catalog import get_stage
from pilot.stages.model import Stage
from pilot.stages.sitemap import StageMap
from testroot import PILOT_NODES, ROOT

GOLDEN = ROOT / "tests" / "golden"


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


# Mixed maps the demo walks through: dost ahead of soyte, then soyte following one stage behind.
MIXED = {
    "mixed-dost-ipv6-only-soyte-dual-stack": {"dost/hq": "ipv6-only", "soyte/hq": "dual-stack"},
    "mixed-dost-ipv6-only-soyte-ipv6-mostly": {"dost/hq": "ipv6-only", "soyte/hq": "ipv6-mostly"},
}


@pytest.mark.parametrize("stage", [*stage_names(), *MIXED])
def test_rendering_matches_golden_files(stage: str, tmp_path: Path) -> None:
    inputs = load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")
    assert not inputs.plan.new, "the repository's address record must hold every allocation"
    wanted: Stage | StageMap = StageMap.from_names(MIXED[stage], "dual-stack") if stage in MIXED else get_stage(stage)
    result = render_stage(inputs, wanted, templates=ROOT / "templates", check=False)
    write_output(result, tmp_path)
    expected_dir = GOLDEN / stage
    if os.environ.get("PILOT_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tmp_path, expected_dir)
    got, expected = tree(tmp_path), tree(expected_dir)
    assert sorted(got) == sorted(expected), "files rendered differ from the golden set"
    diffs = []
    for name in sorted(got):
        if got[name] != expected[name]:
            diffs += difflib.unified_diff(
                expected[name].splitlines(),
                got[name].splitlines(),
                f"golden/{stage}/{name}",
                f"rendered/{name}",
                lineterm="",
            )
    assert not diffs, "\n".join(diffs)


def test_every_stage_and_node_has_golden_files() -> None:
    nodes = set(PILOT_NODES)
    for stage in [*stage_names(), *MIXED]:
        assert {p.name for p in (GOLDEN / stage).iterdir()} == nodes


@pytest.mark.parametrize("mixed", MIXED)
def test_in_a_mixed_map_each_sites_devices_are_those_of_its_stage(mixed: str) -> None:
    """Byte for byte: a site's gateway, switch and clients render in a mixed map exactly as in a province
    all at the site's stage (the golden files of that stage)."""
    serving = {"dost/hq": ("dost-rtr", "dost-sw", "pc1", "pc2", "legacy1", "rogue1"), "soyte/hq": ("soyte-rtr", "soyte-sw", "soyte-pc1", "soyte-pc2")}  # fmt: skip
    for site, stage in MIXED[mixed].items():
        for node in serving[site]:
            assert tree(GOLDEN / mixed / node) == tree(GOLDEN / stage / node), f"{node} in {mixed}"
