"""The capability table is enforced: a stage needing what a platform lacks is refused at render (device,
feature, minimum version, fix), unless the table names a fallback; a capability the table marks
unconfirmed renders with a warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilot.errors import PilotError
from pilot.inputs import Inputs, load_inputs
from pilot.render import render_stage
from pilot.stages import get_stage
from testroot import ROOT


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")


def templates_with(tmp_path: Path, old: str, new: str, *more: tuple[str, str]) -> Path:
    """A copy of the templates with FRR's platform.yml edited (each `old` must occur once)."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    descriptor = templates / "frr" / "platform.yml"
    text = descriptor.read_text()
    for a, b in ((old, new), *more):
        assert text.count(a) == 1, a
        text = text.replace(a, b)
    descriptor.write_text(text)
    return templates


def test_a_stage_needing_what_the_platform_lacks_is_refused(inputs: Inputs, tmp_path: Path) -> None:
    templates = templates_with(
        tmp_path, "  ospfv3: true", "  ospfv3: {supported: false, since: FRR 99.1, doc: https://docs.frrouting.org/}"
    )
    render_stage(inputs, get_stage("ipv4"), templates=templates, check=False)  # no OSPFv3 needed yet
    with pytest.raises(PilotError) as refused:
        render_stage(inputs, get_stage("dual-stack"), templates=templates, check=False)
    text = str(refused.value)
    assert text.startswith("device 'isp1'") is False  # the operators run no OSPF
    assert "device 'core' (platform frr): stage dual-stack needs OSPFv3 (OSPFv3 on its links)" in text
    assert "which frr lacks (needs FRR 99.1); see https://docs.frrouting.org/" in text
    assert "fix: upgrade it" in text and "\n" not in text


def test_a_fallback_renders_instead_and_says_so(inputs: Inputs, tmp_path: Path) -> None:
    # Without radvd beside it, FRR 8.4 cannot send PREF64: the table's fallback (RFC 7050) stands in.
    templates = templates_with(tmp_path, "    pref64: true", "    pref64: false")
    result = render_stage(inputs, get_stage("ipv6-mostly"), templates=templates, check=False)
    assert any("PREF64" in n and "not sent" in n for n in result.notes), result.notes
    # The same without a fallback in the table: refused.
    without = templates_with(
        tmp_path / "b", "    pref64: true", "    pref64: false", ("    fallback: hosts learn", "    doc: hosts learn")
    )
    with pytest.raises(PilotError, match="needs the PREF64 option in Router Advertisements"):
        render_stage(inputs, get_stage("ipv6-mostly"), templates=without, check=False)


def test_an_unconfirmed_capability_renders_with_a_warning(inputs: Inputs, tmp_path: Path) -> None:
    templates = templates_with(tmp_path, "  ospfv3: true", "  ospfv3: {supported: true, unconfirmed: true}")
    result = render_stage(inputs, get_stage("dual-stack"), templates=templates, check=False)
    assert any("OSPFv3 on frr is unconfirmed" in n for n in result.notes), result.notes


def test_an_access_switch_without_ra_guard_is_refused_once_first_hop_security_is_on(
    inputs: Inputs, tmp_path: Path
) -> None:
    """First-hop security is a capability of the switch's platform like any other (RA Guard, DHCPv6 Guard)."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    descriptor = templates / "linux" / "platform.yml"
    descriptor.write_text(descriptor.read_text().replace("  ra_guard: true", "  ra_guard: {supported: false}", 1))
    render_stage(inputs, get_stage("ipv4"), templates=templates, check=False)  # no first-hop security yet
    with pytest.raises(PilotError) as refused:
        render_stage(inputs, get_stage("dual-stack"), templates=templates, check=False)
    assert "device 'dost-sw' (platform linux): stage dual-stack needs RA Guard on host ports" in str(refused.value)
