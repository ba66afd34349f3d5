"""Arista EOS (issue 9): templates/eos renders the router role (L3 switch with routed ports) and the access
switch role for every stage; the rendered configurations survive hier_config round trips (a changed
value is one replacement line); the capability table warns where EOS syntax is unconfirmed; human text
stays on its line, in ASCII; check() finds broken configurations; recorded_stage() reads the marker back.

Golden files: tests/golden/mixed-vendor/<stage>/<node>/ for the example's EOS nodes (dist).
Regenerate after an intended change: PILOT_UPDATE_GOLDEN=1 pytest tests/unit/test_eos_platform.py
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hier_config import HConfig

import vendorkit
from pilot.errors import PilotError
from pilot.inputs import load_inputs
from pilot.platforms import PlatformPlugin
from pilot.platforms.eos import PLATFORM, plugin
from pilot.platforms.eos.check import check, recorded_stage
from pilot.render import RenderResult, render_stage
from pilot.stages.catalog import get_stage
from testroot import ROOT
from vendorkit import EXAMPLE, STAGES, TEMPLATES, assert_golden, configs, relabelled

EOS_NODES = ["dist"]  # the example's nodes of platform eos
RELABELLED = ("core", "dist", "soyte-rtr", "soyte-sw")  # every vendor node, made EOS for the role tests


@pytest.fixture(scope="module")
def templates() -> Path:
    return TEMPLATES


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return relabelled_topology(tmp_path_factory.mktemp("eos-topology"))


def relabelled_topology(directory: Path) -> Path:
    """A copy of the example's topology where every vendor node runs EOS (routers and the access switch)."""
    return relabelled(directory, "eos", RELABELLED)


def render(
    templates: Path, stage: str, topology: Path = EXAMPLE / "containerlab.yml", intent: Path = EXAMPLE / "intent.yml"
) -> RenderResult:
    return vendorkit.render("eos", stage, topology, intent, templates)


Renders = dict[str, dict[str, str]]  # stage -> node -> config


@pytest.fixture(scope="module")
def every_role(templates: Path, topology: Path) -> Renders:
    """The example with every vendor node on EOS."""
    return {stage: configs(render(templates, stage, topology)) for stage in STAGES}


@pytest.fixture(scope="module")
def example(templates: Path) -> Renders:
    return {stage: configs(render(templates, stage)) for stage in STAGES}


def all_configs(*renders: Renders) -> Iterator[tuple[str, str, str]]:
    for rendered in renders:
        for stage, nodes in rendered.items():
            for node, text in nodes.items():
                yield stage, node, text


# -- goldens -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_example_eos_nodes_match_golden_files(templates: Path, stage: str, tmp_path: Path) -> None:
    result = render(templates, stage)
    assert sorted(d.device.name for d in result.devices) == EOS_NODES
    assert_golden(result, stage, EOS_NODES, tmp_path)


# -- what the configurations hold ------------------------------------------------------------------


def test_every_role_renders_every_stage_with_its_stage_marker(every_role: Renders) -> None:
    for stage, nodes in every_role.items():
        assert sorted(nodes) == sorted(RELABELLED)
        for node, text in nodes.items():
            assert f"interface Loopback0\n   description pilot stage={stage}\n" in text, node
            assert recorded_stage(text) == stage
    switch = every_role["dual-stack"]["soyte-sw"]
    assert "interface Ethernet1\n   switchport access vlan 110\n!" in switch  # the uplink: no guard
    assert "interface Ethernet2\n   switchport access vlan 110\n   ipv6 access-group PILOT-HOST-PORT in\n" in switch
    assert "no switchport" not in switch


def test_ipv4_stage_renders_nothing_ipv6(every_role: Renders) -> None:
    for node, text in every_role["ipv4"].items():
        commands = [line for line in text.splitlines() if not line.lstrip().startswith("!")]
        assert not [line for line in commands if "ipv6" in line], node
        assert "ip routing" in text or node == "soyte-sw"


def test_router_lines_cover_the_device_model(every_role: Renders) -> None:
    core = every_role["ipv6-mostly"]["core"]
    for line in (
        "   ip ospf network point-to-point\n   ip ospf hello-interval 1\n   ip ospf dead-interval 4\n",
        "   ipv6 ospf 1 area 0.0.0.0\n   ipv6 ospf network point-to-point\n",
        "   ipv6 nd prefix 2001:db8:100:2014::/64 2592000 604800 no-autoconfig\n",
        "   ipv6 nd ra dns-server 2001:db8:100:2014::14\n   ipv6 nd ra dns-suffix pilot.test\n",
        "ip route 198.51.100.0/24 Null0\n",
        "ipv6 prefix-list PROVINCE-V6\n   seq 10 permit 2001:db8::/32\n",
        "route-map PROVINCE-V6 permit 10\n   match ipv6 address prefix-list PROVINCE-V6\n",
        "   redistribute static route-map NAT64-PREFIX\n   default-information originate\n",
        "      neighbor 3fff:100:0:1000::3 activate\n      neighbor 3fff:100:0:1000::3 route-map PROVINCE-V6 out\n",
        "   passive-interface Ethernet3\n",
    ):
        assert line in core, line
    # RAs off on every v6 interface that sends none, loopback aside
    assert core.count("ipv6 nd ra disabled all") == 3
    rtr = every_role["dual-stack"]["soyte-rtr"]
    assert "   ip helper-address 198.51.100.116\n   ipv6 dhcp relay destination 2001:db8:100:2014::12\n" in rtr
    assert "   ipv6 nd prefix 2001:db8:2000:106e::/64 2592000 604800\n   ipv6 nd other-config-flag\n" in rtr


def test_pref64_falls_back_to_dns64_with_a_note(templates: Path, topology: Path) -> None:
    result = render(templates, "ipv6-mostly", topology)
    core = configs(result)["core"]
    assert "PREF64 2001:db8:0:6464::/96 not sent" in core and "RFC 7050" in core
    assert not [line for line in core.splitlines() if "nat64" in line and not line.lstrip().startswith("!")]
    assert any("PREF64" in note and "core" in note for note in result.notes)


# -- the capability table -----------------------------------------------------------------------------


def test_unconfirmed_capabilities_warn_at_render(templates: Path, topology: Path) -> None:
    notes = render(templates, "dual-stack", topology).notes
    for feature in ("RA Guard", "DHCPv6 Guard", "RDNSS and DNSSL"):
        assert any(feature in n and "on eos is unconfirmed" in n for n in notes), (feature, notes)
    # ipv4: nothing the stage needs is unconfirmed
    assert not [n for n in render(templates, "ipv4", topology).notes if "unconfirmed" in n]


def test_without_first_hop_security_in_the_table_the_access_switch_is_refused(
    templates: Path, topology: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "templates"
    shutil.copytree(templates, directory)
    descriptor = directory / "eos" / "platform.yml"
    data = yaml.safe_load(descriptor.read_text())
    data["capabilities"]["ra_guard"] = {"supported": False, "doc": "nowhere"}
    descriptor.write_text(yaml.safe_dump(data))
    inputs = load_inputs(topology, EXAMPLE / "intent.yml", EXAMPLE / "addresses.yml")
    render_stage(inputs, get_stage("ipv4"), limit="platform:eos", templates=directory, check=False)  # no FHS yet
    with pytest.raises(PilotError, match=r"soyte-sw.*RA Guard.*eos lacks"):
        render_stage(inputs, get_stage("dual-stack"), limit="platform:eos", templates=directory, check=False)


# -- hier_config round trips -----------------------------------------------------------------------


def paths(config: HConfig) -> set[tuple[str, ...]]:
    return {tuple(child.path()) for child in config.all_children()}


def _negated(path: tuple[str, ...]) -> tuple[str, ...] | None:
    return (*path[:-1], path[-1].removeprefix("no ")) if path[-1].startswith("no ") else None


@pytest.mark.parametrize("renders", ["example", "every_role"])
def test_remediation_from_empty_reproduces_the_config(example: Renders, every_role: Renders, renders: str) -> None:
    for stage, nodes in (example if renders == "example" else every_role).items():
        for node, text in nodes.items():
            remediation = PLATFORM.remediation("", text)
            assert paths(PLATFORM.parse(remediation)) == paths(PLATFORM.parse(text)), (stage, node)
            assert PLATFORM.remediation(text, text) == "", (stage, node)


@pytest.mark.parametrize(
    "step", range(1, len(STAGES)), ids=[f"{STAGES[i]}-to-{STAGES[i - 1]}" for i in range(1, len(STAGES))]
)
def test_rollback_one_stage_removes_what_it_added_and_restores_what_it_removed(
    example: Renders, every_role: Renders, step: int
) -> None:
    later, earlier = STAGES[step], STAGES[step - 1]
    for renders in (example, every_role):
        for node in renders[later]:
            for running, intended in (
                (renders[later][node], renders[earlier][node]),
                (renders[earlier][node], renders[later][node]),
            ):
                have, want = paths(PLATFORM.parse(running)), paths(PLATFORM.parse(intended))
                remediation = paths(PLATFORM.parse(PLATFORM.remediation(running, intended)))
                negated = {p for r in remediation if (p := _negated(r)) is not None}
                set_ = {r for r in remediation if _negated(r) is None}
                assert not negated & set_, (node, negated & set_)
                assert negated <= have - want, (node, negated - (have - want))
                assert want - have <= set_, (node, (want - have) - set_)
                # whatever else is set is the section a change sits in, never a line of its own
                for context in set_ - (want - have):
                    assert context in have & want and any(
                        r[: len(context)] == context and r != context for r in remediation
                    )
                # every line that goes is negated (itself or its section) or replaced by a new value
                for gone in have - want:
                    covered = any(gone[: len(n)] == n for n in negated)
                    replaced = any(p[:-1] == gone[:-1] for p in want - have)
                    assert covered or replaced, (node, later, earlier, gone)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("   description link to core ge-0/0/3\n", "   description link to the core\n"),
        ("   ip ospf hello-interval 1\n", "   ip ospf hello-interval 2\n"),
        ("   ipv6 ospf dead-interval 4\n", "   ipv6 ospf dead-interval 8\n"),
        ("   ip address 198.51.100.129/31\n", "   ip address 198.51.100.131/31\n"),
        ("   router-id 198.51.100.135\n", "   router-id 198.51.100.136\n"),
    ],
)
def test_a_changed_value_is_one_replacement_line(example: Renders, before: str, after: str) -> None:
    running = example["dual-stack"]["dist"]
    assert before in running
    intended = running.replace(before, after, 1)
    lines = [line.strip() for line in PLATFORM.remediation(running, intended).splitlines()]
    assert after.strip() in lines
    assert not [line for line in lines if line.startswith("no ")], lines


def test_changed_switch_and_ra_values_are_one_replacement_line(every_role: Renders) -> None:
    switch = every_role["dual-stack"]["soyte-sw"]
    lines = PLATFORM.remediation(switch, switch.replace("switchport access vlan 110", "switchport access vlan 120"))
    assert "no " not in lines and "switchport access vlan 120" in lines
    rtr = every_role["dual-stack"]["soyte-rtr"]
    for before, after in (
        ("ipv6 nd ra interval 10", "ipv6 nd ra interval 30"),
        ("106e::/64 2592000 604800", "106e::/64 2592000 0"),
        ("ip helper-address 198.51.100.116", "ip helper-address 198.51.100.117"),
    ):
        lines = PLATFORM.remediation(rtr, rtr.replace(before, after))
        assert "no " not in lines and after in lines, (before, lines)


# -- human text ---------------------------------------------------------------------------------------


def _retitle(data: Any, text: Any, counter: list[int]) -> None:
    """Every title and operator name of the intent becomes text(n), n counting the places."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "title" or (key == "name" and isinstance(value, str) and value.startswith("Nhà mạng")):
                counter[0] += 1
                data[key] = text(counter[0])
            else:
                _retitle(value, text, counter)
    elif isinstance(data, list):
        for item in data:
            _retitle(item, text, counter)


def _intent_with(tmp_path: Path, name: str, text: Any) -> Path:
    data = yaml.safe_load((EXAMPLE / "intent.yml").read_text())
    _retitle(data, text, [0])
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_human_text_stays_on_its_line_in_ascii(templates: Path, topology: Path, tmp_path: Path) -> None:
    benign = configs(render(templates, "ipv6-mostly", topology, _intent_with(tmp_path, "benign", lambda n: f"TOK{n}X")))
    hostile = configs(
        render(
            templates,
            "ipv6-mostly",
            topology,
            _intent_with(tmp_path, "hostile", lambda n: f'TOK{n}X Sở "Y tế"\n ip routing\r\nend !'),
        )
    )
    carrying = 0
    for node, text in hostile.items():
        assert text.isascii(), node
        lines, plain = text.splitlines(), benign[node].splitlines()
        assert len(lines) == len(plain), node  # not one line more: the newlines went nowhere
        for got, was in zip(lines, plain, strict=True):
            if "TOK" not in was:
                assert got == was
                continue
            carrying += 1
            token = was[was.index("TOK") : was.index("X", was.index("TOK")) + 1]
            assert f'{token} So "Y te" ip routing end !' in got, got
            assert got.split(token)[0] == was.split(token)[0]  # the text around is the template's
    assert carrying >= 6  # descriptions, BGP neighbor descriptions, VLAN titles


# -- check() and recorded_stage() -------------------------------------------------------------------


def test_check_passes_every_rendered_config(example: Renders, every_role: Renders) -> None:
    for stage, node, text in all_configs(example, every_role):
        assert check(text) == [], (stage, node)


BROKEN = {
    "undefined interface": (
        "   passive-interface Loopback0\n",
        "   passive-interface Ethernet9\n",
        "interface Ethernet9 is used but not defined",
    ),
    "bad prefix": ("   ip address 198.51.100.129/31\n", "   ip address 198.51.100.329/31\n", "bad address"),
    "host bits in a route": (
        "ipv6 router ospf 1\n",
        "ip route 198.51.100.1/24 Null0\nipv6 router ospf 1\n",
        "bad prefix",
    ),
    "tab": ("   ip ospf area 0.0.0.0\n", "\tip ospf area 0.0.0.0\n", "a tab"),
    "trailing space": ("hostname dist\n", "hostname dist \n", "trailing white space"),
    "bad indentation": ("   ip ospf area 0.0.0.0\n", "     ip ospf area 0.0.0.0\n", "indented 5 spaces"),
    "no marker": ("   description pilot stage=dual-stack\n", "   description loopback\n", "no stage marker"),
    "non-ASCII": ("   description link to core", "   description liên kết to core", "not printable ASCII"),
    "no end": ("\nend\n", "\n", "does not end with `end`"),
    "undefined route-map": (
        "   passive-interface Loopback0\n",
        "   redistribute static route-map NOPE\n",
        "route-map NOPE",
    ),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_check_finds_a_broken_config(example: Renders, kind: str) -> None:
    before, after, problem = BROKEN[kind]
    good = example["dual-stack"]["dist"]
    assert before in good
    found = check(good.replace(before, after, 1))
    assert any(problem in p for p in found), found


def test_check_finds_a_bgp_neighbor_without_remote_as(every_role: Renders) -> None:
    core = every_role["ipv6-only"]["core"]
    broken = core.replace("   neighbor 203.0.113.9 remote-as 64501\n", "")
    assert any("203.0.113.9 has no remote-as" in p for p in check(broken))


def test_recorded_stage(example: Renders, every_role: Renders) -> None:
    for stage, _, text in all_configs(example, every_role):
        assert recorded_stage(text) == stage
    assert recorded_stage("hostname x\n!\nend\n") is None
    # only the loopback's description counts
    assert recorded_stage("interface Ethernet1\n   description pilot stage=ipv4\n!\nend\n") is None


# -- the plugin --------------------------------------------------------------------------------------


def test_plugin() -> None:
    assert plugin() is PLATFORM
    assert isinstance(PLATFORM, PlatformPlugin)
    assert PLATFORM.name == "eos" and PLATFORM.template_dir(ROOT / "templates") == ROOT / "templates" / "eos"
    assert (PLATFORM.template_dir(ROOT / "templates") / "platform.yml").exists()
