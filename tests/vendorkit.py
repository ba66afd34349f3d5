"""What the vendor platforms' tests share: the mixed-vendor example (inventory/examples/mixed-vendor),
rendered for one platform's nodes, with a copy of its topology where chosen nodes run that platform, and
the example's golden files (tests/golden/mixed-vendor/<stage>/<node>/...).

A module of its own (like testroot.py and mockinv.py): the tests of each platform import it.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import yaml

from pilot.inputs import load_inputs
from pilot.render import RenderResult, render_stage, write_output
from pilot.stages import stage_names
from pilot.stages.catalog import get_stage
from testroot import ROOT

EXAMPLE = ROOT / "inventory" / "examples" / "mixed-vendor"
GOLDEN = ROOT / "tests" / "golden" / "mixed-vendor"
TEMPLATES = ROOT / "templates"
STAGES = stage_names()  # ipv4, dual-stack, ipv6-mostly, ipv6-only: each one adds to the one before


def relabelled(directory: Path, platform: str, nodes: Iterable[str]) -> Path:
    """A copy of the example's topology where `nodes` run `platform` (their pilot.platform label)."""
    data = yaml.safe_load((EXAMPLE / "containerlab.yml").read_text())
    for node in nodes:
        data["topology"]["nodes"][node].setdefault("labels", {})["pilot.platform"] = platform
    path = directory / "containerlab.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def render(
    platform: str,
    stage: str,
    topology: Path = EXAMPLE / "containerlab.yml",
    intent: Path = EXAMPLE / "intent.yml",
    templates: Path = TEMPLATES,
) -> RenderResult:
    """The example's nodes of `platform` rendered for `stage`, without the offline validators."""
    inputs = load_inputs(topology, intent, EXAMPLE / "addresses.yml")
    return render_stage(inputs, get_stage(stage), limit=f"platform:{platform}", templates=templates, check=False)


def configs(result: RenderResult) -> dict[str, str]:
    """node -> its rendered configuration (the `config` artifact of a CLI platform)."""
    return {d.device.name: next(f.text for f in d.files if f.artifact == "config") for d in result.devices}


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_golden(result: RenderResult, stage: str, nodes: Iterable[str], scratch: Path) -> None:
    """Each node's rendered files equal its golden files, a unified diff on failure.
    Regenerate after an intended change: PILOT_UPDATE_GOLDEN=1."""
    write_output(result, scratch)
    for node in nodes:
        expected_dir = GOLDEN / stage / node
        if os.environ.get("PILOT_UPDATE_GOLDEN"):
            shutil.rmtree(expected_dir, ignore_errors=True)
            shutil.copytree(scratch / node, expected_dir)
        got, expected = tree(scratch / node), tree(expected_dir)
        assert sorted(got) == sorted(expected), f"{node}: files rendered differ from the golden set"
        diffs: list[str] = []
        for name in sorted(got):
            diffs += difflib.unified_diff(
                expected[name].splitlines(), got[name].splitlines(), f"golden/{stage}/{node}/{name}", name, lineterm=""
            )
        assert not diffs, "\n".join(diffs)
