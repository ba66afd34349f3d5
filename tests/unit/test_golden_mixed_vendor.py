"""The mixed-vendor example (inventory/examples/mixed-vendor): every stage renders for every node, the
Junos core, EOS distribution, IOS-XE agency router and VRP access switch beside the FRR and Linux pilot,
and each rendered file is in the repository (tests/golden/mixed-vendor/<stage>/<node>/...).

Each vendor's own test (tests/unit/test_<platform>_platform.py) checks its nodes against the same files
and runs the hier_config round trips; this one holds the whole example, FRR and Linux nodes included.
Regenerate after an intended change: PILOT_UPDATE_GOLDEN=1 pytest tests/unit/test_golden_mixed_vendor.py
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
from testroot import ROOT
from vendorkit import EXAMPLE, GOLDEN, tree


@pytest.mark.parametrize("stage", stage_names())
def test_every_node_of_the_mixed_vendor_example_renders_as_its_golden_files(stage: str, tmp_path: Path) -> None:
    inputs = load_inputs(EXAMPLE / "containerlab.yml", EXAMPLE / "intent.yml", EXAMPLE / "addresses.yml")
    assert not inputs.plan.new, "the example's address record must hold every allocation"
    platforms = {n.platform for n in inputs.topology.nodes.values() if n.role.has_shell}
    assert {"iosxe", "junos", "eos", "vrp", "frr", "linux"} <= platforms
    result = render_stage(inputs, get_stage(stage), templates=ROOT / "templates", check=False)
    write_output(result, tmp_path)
    if os.environ.get("PILOT_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN / stage, ignore_errors=True)
        shutil.copytree(tmp_path, GOLDEN / stage)
    got, expected = tree(tmp_path), tree(GOLDEN / stage)
    assert sorted(got) == sorted(expected), "files rendered differ from the golden set"
    diffs = []
    for name in sorted(got):
        if got[name] != expected[name]:
            diffs += difflib.unified_diff(
                expected[name].splitlines(), got[name].splitlines(), f"golden/{name}", f"rendered/{name}", lineterm=""
            )
    assert not diffs, "\n".join(diffs)
