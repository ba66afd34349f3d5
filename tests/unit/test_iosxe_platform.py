"""Cisco IOS-XE (issue 9): templates/iosxe renders every stage for the router role (c8000v) and the access
switch role; hier_config round trips on every rendered configuration; the capability table's warnings
and refusals; human text kept on its line; the offline check and the stage marker.

Golden files: tests/golden/mixed-vendor/<stage>/<node>/ for the example's IOS-XE nodes. Regenerate after
an intended change: PILOT_UPDATE_GOLDEN=1 pytest tests/unit/test_iosxe_platform.py
"""

from __future__ import annotations

import itertools
import shutil
from functools import cache
from pathlib import Path

import pytest
import yaml
from hier_config import HConfig, MatchRule, WorkflowRemediation
from hier_config.child import HConfigChild

import vendorkit
from pilot.errors import PilotError
from pilot.platforms.iosxe import PLATFORM, plugin
from pilot.platforms.iosxe.check import check, recorded_stage
from pilot.render import RenderResult
from testroot import ROOT
from vendorkit import EXAMPLE, STAGES, TEMPLATES, assert_golden, configs, relabelled

IOSXE_NODES = ["soyte-rtr"]  # the example's IOS-XE nodes
EVERY_ROLE = {"core": "router", "dist": "router", "soyte-rtr": "router", "soyte-sw": "switch"}

ALL_FEATURES = ("ospfv3", "router_advertisements", "rdnss_dnssl", "pref64", "dhcp_relay", "ra_guard", "dhcpv6_guard")


@pytest.fixture(scope="module")
def templates() -> Path:
    return TEMPLATES


def render(templates: Path, stage: str, topology: Path | None = None, intent: Path | None = None) -> RenderResult:
    return vendorkit.render(
        "iosxe", stage, topology or EXAMPLE / "containerlab.yml", intent or EXAMPLE / "intent.yml", templates
    )


def every_role_topology(directory: Path) -> Path:
    """The example's topology with IOS-XE as the core and distribution routers, the agency router and
    the access switch."""
    return relabelled(directory, "iosxe", EVERY_ROLE)


@pytest.fixture(scope="module")
def every_role(templates: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """stage -> device -> rendered configuration, IOS-XE in every role."""
    topology = every_role_topology(tmp_path_factory.mktemp("every-role"))
    return {stage: configs(render(templates, stage, topology)) for stage in STAGES}


# -- golden files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_example_iosxe_nodes_match_golden_files(stage: str, templates: Path, tmp_path: Path) -> None:
    result = render(templates, stage)
    assert sorted(d.device.name for d in result.devices) == IOSXE_NODES
    assert_golden(result, stage, IOSXE_NODES, tmp_path)


# -- every role, every stage -------------------------------------------------------------------------


def test_every_role_renders_every_stage(every_role: dict[str, dict[str, str]]) -> None:
    for stage, rendered in every_role.items():
        assert sorted(rendered) == sorted(EVERY_ROLE), stage
        for device, text in rendered.items():
            assert check(text) == [], f"{stage}/{device}"
            assert recorded_stage(text) == stage
    only = every_role["ipv6-only"]
    assert "router bgp 64500" in only["core"] and "route-map PROVINCE-V6 out" in only["core"]
    assert "ipv6 route 2001:DB8::/32 Null0" in only["core"]
    assert "ip route 198.51.100.0 255.255.255.0 Null0" in only["core"]
    assert "  redistribute static route-map NAT64-PREFIX" in only["core"]
    switch = PLATFORM.parse(only["soyte-sw"])
    for port, host in (("GigabitEthernet2", False), ("GigabitEthernet3", True), ("GigabitEthernet4", True)):
        interface = switch.get_child(equals=f"interface {port}")
        assert interface is not None, port
        lines = {c.text for c in interface.children}
        assert {"switchport access vlan 110", "switchport mode access"} <= lines, port
        guards = {"ipv6 nd raguard attach-policy PILOT-HOSTS", "ipv6 dhcp guard attach-policy PILOT-CLIENTS"}
        assert (guards <= lines) if host else not (guards & lines), port
    assert switch.get_child(equals="ipv6 nd raguard policy PILOT-HOSTS") is not None
    assert "raguard" not in every_role["ipv4"]["soyte-sw"]  # first-hop security comes with IPv6


def test_a_stage_without_ipv6_renders_nothing_of_it(every_role: dict[str, dict[str, str]]) -> None:
    for device, text in every_role["ipv4"].items():
        lines = [line.strip() for line in text.splitlines() if not line.startswith("!")]
        assert not [line for line in lines if "ipv6" in line or "ospfv3" in line], device


def test_ra_where_the_model_has_it_suppressed_elsewhere(every_role: dict[str, dict[str, str]]) -> None:
    config = PLATFORM.parse(every_role["ipv6-only"]["soyte-rtr"])
    users = config.get_child(equals="interface GigabitEthernet3")
    uplink = config.get_child(equals="interface GigabitEthernet2")
    assert users is not None and uplink is not None
    assert {c.text for c in users.children} >= {
        "ipv6 nd ra interval 10",
        "ipv6 nd ra lifetime 30",
        "ipv6 nd prefix 2001:DB8:2000:106E::/64 2592000 604800",
        "ipv6 nd other-config-flag",
        "ipv6 nd ra nat64-prefix 2001:DB8:0:6464::/96 lifetime 32",
    }
    assert "ipv6 nd ra suppress all" in {c.text for c in uplink.children}


# -- hier_config round trips -------------------------------------------------------------------------

Path_ = tuple[str, ...]


def paths(config: HConfig) -> set[Path_]:
    return {tuple(c.path()) for c in config.all_children()}


def all_configs(every_role: dict[str, dict[str, str]]) -> list[tuple[str, dict[str, str]]]:
    """(device, stage -> configuration) for every device rendered here."""
    return [(device, {stage: every_role[stage][device] for stage in STAGES}) for device in EVERY_ROLE]


def test_remediation_from_nothing_reproduces_the_configuration(every_role: dict[str, dict[str, str]]) -> None:
    for device, by_stage in all_configs(every_role):
        for stage, text in by_stage.items():
            rebuilt = PLATFORM.parse(PLATFORM.remediation("", text))
            assert sorted(paths(rebuilt)) == sorted(paths(PLATFORM.parse(text))), f"{device} {stage}"


def test_remediation_from_a_stage_to_itself_is_empty(every_role: dict[str, dict[str, str]]) -> None:
    for device, by_stage in all_configs(every_role):
        for stage, text in by_stage.items():
            assert PLATFORM.remediation(text, text) == "", f"{device} {stage}"


def test_going_back_a_stage_removes_what_it_added_and_restores_what_it_removed(
    every_role: dict[str, dict[str, str]],
) -> None:
    for device, by_stage in all_configs(every_role):
        for before, after in itertools.pairwise(STAGES):
            later, earlier = PLATFORM.parse(by_stage[after]), PLATFORM.parse(by_stage[before])
            added, removed = paths(later) - paths(earlier), paths(earlier) - paths(later)
            remediation = WorkflowRemediation(later, earlier).remediation_config
            negated = [c for c in remediation.all_children() if c.text.startswith("no ")]
            setting = [c for c in remediation.all_children() if not c.text.startswith("no ")]
            what = f"{device}: {after} -> {before}"
            # what it sets is exactly what the later stage had removed (the rest are the sections around)
            assert {tuple(c.path()) for c in setting} - paths(later) == removed, what
            unnegated = {(*tuple(c.path())[:-1], c.text.removeprefix("no ")) for c in negated}
            assert unnegated <= added, what
            for path in added:
                parent_gone = any(path[:n] in unnegated for n in range(1, len(path)))
                replaced = any(p[:-1] == path[:-1] for p in removed) and _idempotent_twin(later, path, setting)
                assert path in unnegated or parent_gone or replaced, f"{what}: {path} stays"
            # a changed value is one replacement line, never a negation of the old one and the new one
            for child in setting:
                twin = PLATFORM.driver.idempotent_for(
                    child, [c for c in negated if c.parent.path() == child.parent.path()]
                )
                assert twin is None, f"{what}: {twin.text} and {child.text}"


def _idempotent_twin(config: HConfig, path: Path_, setting: list[HConfigChild]) -> bool:
    child = config.get_child_deep(tuple(MatchRule(equals=text) for text in path))
    return child is not None and PLATFORM.driver.idempotent_for(child, setting) is not None


# -- the capability table ----------------------------------------------------------------------------


def test_unconfirmed_capabilities_render_with_a_warning(templates: Path, tmp_path: Path) -> None:
    notes = render(templates, "ipv6-mostly").notes
    assert any("PREF64" in n and "iosxe is unconfirmed" in n and "soyte-rtr" in n for n in notes), notes
    assert any("RDNSS and DNSSL" in n and "iosxe is unconfirmed" in n for n in notes), notes
    assert not any(n.startswith("Router Advertisements on iosxe") for n in notes), notes  # confirmed (genielibs)
    assert not any("unconfirmed" in n for n in render(templates, "ipv4").notes)
    switch = render(templates, "ipv6-only", every_role_topology(tmp_path)).notes
    assert any("RA Guard" in n and "unconfirmed" in n and "soyte-sw" in n for n in switch), switch
    assert any("DHCPv6 Guard" in n and "unconfirmed" in n and "soyte-sw" in n for n in switch), switch


def _with_capability(templates: Path, tmp_path: Path, capability: str, value: object) -> Path:
    changed = tmp_path / "templates"
    shutil.copytree(templates, changed)
    descriptor = yaml.safe_load((changed / "iosxe" / "platform.yml").read_text())
    descriptor["capabilities"][capability] = value
    (changed / "iosxe" / "platform.yml").write_text(yaml.safe_dump(descriptor))
    return changed


def test_a_switch_without_dhcpv6_guard_is_refused(templates: Path, tmp_path: Path) -> None:
    changed = _with_capability(templates, tmp_path, "dhcpv6_guard", {"supported": False, "since": "IOS-XE 99.1"})
    topology = every_role_topology(tmp_path)
    with pytest.raises(PilotError) as refused:
        render(changed, "ipv6-only", topology)
    assert "soyte-sw" in str(refused.value) and "DHCPv6 Guard" in str(refused.value)
    assert "IOS-XE 99.1" in str(refused.value)
    assert configs(render(changed, "ipv4", topology))  # before first-hop security it renders


def test_without_pref64_the_prefix_is_left_to_dns64(templates: Path, tmp_path: Path) -> None:
    fallback = "hosts learn the NAT64 prefix through DNS64 (RFC 7050, ipv4only.arpa)"
    changed = _with_capability(templates, tmp_path, "pref64", {"supported": False, "fallback": fallback})
    text = configs(render(changed, "ipv6-only"))["soyte-rtr"]
    assert "nat64-prefix" not in text
    assert " ! PREF64 2001:DB8:0:6464::/96 not sent: hosts find the prefix through DNS64" in text


# -- human text ------------------------------------------------------------------------------------

HOSTILE = 'Sở Y tế "số 1"\n ip route 0.0.0.0 0.0.0.0 Null0'


@cache
def _hostile_intent(directory: Path) -> Path:
    intent = yaml.safe_load((EXAMPLE / "intent.yml").read_text())
    text = yaml.safe_dump(intent, allow_unicode=True)
    for title in ("Sở Y tế", "Nhà mạng 1", "Trụ sở Sở Y tế", "Người dùng", "Hạ tầng mạng tỉnh"):
        text = text.replace(f": {title}\n", f": {yaml.safe_dump(HOSTILE + title, allow_unicode=True).strip()}\n")
    path = directory / "intent.yml"
    path.write_text(text)
    return path


def test_human_text_stays_on_its_line_in_ascii(templates: Path, tmp_path: Path) -> None:
    topology = every_role_topology(tmp_path)
    hostile = _hostile_intent(tmp_path)
    for stage in STAGES:
        benign = configs(render(templates, stage, topology))
        rendered = configs(render(templates, stage, topology, hostile))
        reached = []
        for device, text in rendered.items():
            lines, plain = text.splitlines(), benign[device].splitlines()
            assert len(lines) == len(plain), f"{stage}/{device}: the text added lines"
            assert "ip route 0.0.0.0 0.0.0.0 Null0" not in [line.strip() for line in lines]
            assert check(text) == [], f"{stage}/{device}"
            changed = [line for line, before in zip(lines, plain, strict=True) if line != before]
            reached += changed
            for line in changed:
                assert line.lstrip().startswith(("description ", "neighbor ", "!")), line
                assert "So Y te" in line and line.isascii()
        assert len(reached) >= 3, f"{stage}: the human text reached too few lines: {reached}"


# -- check() and the stage marker ------------------------------------------------------------------


def test_check_finds_broken_configurations(every_role: dict[str, dict[str, str]]) -> None:
    good = every_role["ipv6-only"]["soyte-rtr"]
    core = every_role["ipv6-only"]["core"]
    switch = every_role["ipv6-only"]["soyte-sw"]
    broken = {
        "passive-interface GigabitEthernet9: no such interface": good.replace(
            "  passive-interface GigabitEthernet3", "  passive-interface GigabitEthernet9"
        ),
        "malformed address": good.replace("255.255.255.254", "255.0.255.0"),
        "trailing white space": good.replace("hostname soyte-rtr", "hostname soyte-rtr "),
        "a tab": good.replace(" no shutdown", "\tno shutdown"),
        "not printable ASCII": good.replace("link to dist", "liên kết tới dist"),
        "route-map PROVINCE-V4 is not defined": core.replace(
            "route-map PROVINCE-V4 permit 10", "route-map X permit 10"
        ),
        "no stage marker": good.replace("description pilot stage=", "description stage="),
        "does not end with `end`": good.removesuffix("end\n"),
        "indented 3 spaces": good.replace(" ipv6 nd ra lifetime", "   ipv6 nd ra lifetime"),
        "router ospfv3 1 is not defined": good.replace("router ospfv3 1", "router ospfv3 2"),
        "ipv6 dhcp guard policy PILOT-CLIENTS is not defined": switch.replace(
            "ipv6 dhcp guard policy PILOT-CLIENTS", "ipv6 dhcp guard policy OTHER"
        ),
    }
    assert check(good) == [] and check(switch) == []
    for problem, text in broken.items():
        found = check(text)
        assert any(problem in p for p in found), f"{problem}: {found}"


def test_recorded_stage_reads_the_loopback_description(every_role: dict[str, dict[str, str]]) -> None:
    for stage in STAGES:
        for device, text in every_role[stage].items():
            assert recorded_stage(text) == stage, device
    running = "hostname x\ninterface Loopback0\n description pilot stage=dual-stack\n ip address 198.51.100.1 255.255.255.255\n"
    assert recorded_stage(running) == "dual-stack"
    assert recorded_stage("hostname x\ninterface Loopback0\n description loopback\n") is None
    assert recorded_stage("hostname x\n") is None


def test_plugin_gives_the_platform() -> None:
    assert plugin() is PLATFORM
    assert PLATFORM.name == "iosxe"
    assert PLATFORM.template_dir(ROOT / "templates") == ROOT / "templates" / "iosxe"
    # a changed value is one replacement line
    old = "interface GigabitEthernet3\n ipv6 nd ra interval 10\n ip ospf hello-interval 1\n"
    new = "interface GigabitEthernet3\n ipv6 nd ra interval 30\n ip ospf hello-interval 5\n"
    assert PLATFORM.remediation(old, new).split("\n") == [
        "interface GigabitEthernet3",
        "  ipv6 nd ra interval 30",
        "  ip ospf hello-interval 5",
        "  exit",
    ]
