"""Huawei VRP (issue 9): templates/vrp, pilot.platforms.vrp and its offline check.

VRP is merge-only: the hier_config remediation from the device's running configuration to the rendered
one is what reaches it, so the round trips are the heart of this file. Every rendered configuration, in
every role (the example's access switch soyte-sw, and a copy of the example where core, dist and
soyte-rtr are VRP routers too), at every stage:
- from an empty configuration, the remediation is the configuration;
- from a stage to itself, nothing;
- from a stage to the one before (and back), the remediation removes exactly what the stage added and
  adds back what it removed, a changed value being one replacement line, never undone and set at once.

Golden files: tests/golden/mixed-vendor/<stage>/<node>/ for the example's VRP nodes.
Regenerate after an intended change: PILOT_UPDATE_GOLDEN=1 pytest tests/unit/test_vrp_platform.py
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from hier_config import HConfig, HConfigChild, Platform

import vendorkit
from pilot.errors import PilotError
from pilot.inputs import load_inputs
from pilot.platforms import PlatformPlugin
from pilot.platforms.vrp import PLATFORM, VrpPlatform, canonical_ipv6, plugin
from pilot.platforms.vrp.check import check, recorded_stage
from pilot.render import RenderResult, render_stage
from pilot.render.engine import render_device
from pilot.render.platforms import load_platform
from pilot.stages.catalog import get_stage
from pilot.stages.model import Device, Switch, Vlan
from testroot import ROOT
from vendorkit import EXAMPLE, GOLDEN, STAGES, TEMPLATES, assert_golden, configs

VRP_NODES = ["soyte-sw"]  # the example's VRP nodes
ROUTERS = ["core", "dist", "soyte-rtr", "isp1"]  # relabelled VRP for the every-role renders (isp1: an operator)

Lineage = tuple[str, ...]


# -- rendering ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tpl() -> Path:
    """The templates to render with: the repository's."""
    return TEMPLATES


def relabelled(directory: Path, nodes: list[str] = ROUTERS) -> Path:
    """The example's topology with `nodes` as VRP devices (pilot.platform: vrp)."""
    return vendorkit.relabelled(directory, "vrp", nodes)


def render(templates: Path, topology: Path, stage: str, intent: Path = EXAMPLE / "intent.yml") -> RenderResult:
    return vendorkit.render("vrp", stage, topology, intent, templates)


@pytest.fixture(scope="module")
def every_role(tmp_path_factory: pytest.TempPathFactory, tpl: Path) -> dict[tuple[str, str], str]:
    """(stage, node) -> config, for the relabelled routers and the access switch."""
    topology = relabelled(tmp_path_factory.mktemp("every-role"))
    out = {}
    for stage in STAGES:
        for node, text in configs(render(tpl, topology, stage)).items():
            out[(stage, node)] = text
    assert {node for _, node in out} == {*ROUTERS, *VRP_NODES}
    return out


# -- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_the_examples_vrp_nodes_match_their_golden_files(stage: str, tmp_path: Path, tpl: Path) -> None:
    result = render(tpl, EXAMPLE / "containerlab.yml", stage)
    assert sorted(d.device.name for d in result.devices) == VRP_NODES
    assert_golden(result, stage, VRP_NODES, tmp_path)


def test_the_access_switch_guards_its_host_ports_from_dual_stack_on(tpl: Path) -> None:
    ipv4, dual = (configs(render(tpl, EXAMPLE / "containerlab.yml", s))["soyte-sw"] for s in ("ipv4", "dual-stack"))
    for line in ("nd snooping enable", "dhcp snooping enable", "dhcp enable"):
        assert line in dual.splitlines() and line not in ipv4.splitlines()
    uplink = section(dual, "interface Ethernet1/0/0")
    assert " nd snooping trusted" in uplink and " dhcp snooping trusted" in uplink
    for host in ("interface Ethernet1/0/1", "interface Ethernet1/0/2"):  # eth2, eth3: untrusted host ports
        assert section(dual, host) == [host, " port link-type access", " port default vlan 110"]


def test_a_port_in_several_vlans_is_a_trunk(tpl: Path) -> None:
    """The example has one VLAN; a switch with two shares its uplink between them (802.1Q toward the gateway)."""
    switch = Switch(
        (Vlan(110, "users", ("Ethernet1/0/0", "Ethernet1/0/1"), "Người dùng"), Vlan(120, "guests", ("Ethernet1/0/0", "Ethernet1/0/2"))),
        ("Ethernet1/0/1", "Ethernet1/0/2"),
        first_hop_security=True,
    )  # fmt: skip
    device = Device("sw9", "switch", "vrp", get_stage("dual-stack"), switch=switch)
    (config,) = render_device(device, load_platform(tpl.resolve(), "vrp")).files
    uplink = section(config.text, "interface Ethernet1/0/0")
    assert uplink[1:3] == [" port link-type trunk", " port trunk allow-pass vlan 110 120"]
    assert " nd snooping trusted" in uplink and "vlan batch 110 120" in config.text.splitlines()
    assert section(config.text, "interface Ethernet1/0/2")[1:] == [" port link-type access", " port default vlan 120"]
    assert check(config.text) == [] and PLATFORM.remediation(config.text, config.text) == ""


def section(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header)
    end = next(n for n in range(start + 1, len(lines)) if lines[n] == "#")
    return lines[start:end]


# -- round trips ----------------------------------------------------------------------------------


def children(config: HConfig) -> dict[Lineage, HConfigChild]:
    return {tuple(c.text for c in child.lineage()): child for child in config.all_children()}


def test_every_rendering_is_what_the_remediation_from_nothing_sends(every_role: dict[tuple[str, str], str]) -> None:
    for (stage, node), text in every_role.items():
        pushed = PLATFORM.remediation("", text)
        assert "return" not in pushed.splitlines() and "#" not in pushed, f"{stage}/{node}"
        assert set(children(PLATFORM.parse(pushed))) == set(children(PLATFORM.parse(text))), f"{stage}/{node}"


def test_a_stage_over_itself_sends_nothing(every_role: dict[tuple[str, str], str]) -> None:
    for (stage, node), text in every_role.items():
        assert PLATFORM.remediation(text, text) == "", f"{stage}/{node}"


STEPS = [(later, earlier) for earlier, later in pairwise(STAGES)]


@pytest.mark.parametrize(("running", "target"), [*STEPS, *((b, a) for a, b in STEPS)])
def test_a_stage_change_sends_exactly_the_difference(
    running: str, target: str, every_role: dict[tuple[str, str], str]
) -> None:
    for node in (*ROUTERS, *VRP_NODES):
        problems = list(step_problems(every_role[(running, node)], every_role[(target, node)]))
        assert not problems, f"{running} -> {target} on {node}:\n" + "\n".join(problems)


def step_problems(
    running_text: str, target_text: str, remediation: Callable[[str, str], str] = PLATFORM.remediation
) -> Iterator[str]:
    """What is wrong with the remediation from `running_text` to `target_text`, line by line."""
    running, target = children(PLATFORM.parse(running_text)), children(PLATFORM.parse(target_text))
    pushed = children(PLATFORM.parse(remediation(running_text, target_text)))
    added = set(target) - set(running)
    removed = set(running) - set(target)
    negations = {line for line in pushed if line not in target}

    def negates(negation: Lineage, line: Lineage) -> bool:
        """`negation` takes `line` away: same place, the line's words (or the first of them) undone."""
        text = negation[-1]
        plain = text.removeprefix("undo ") if text.startswith("undo ") else f"undo {text}"
        return negation[:-1] == line[:-1] and (line[-1] == plain or line[-1].startswith(plain + " "))

    def replaced(line: Lineage) -> bool:
        """An idempotent line of the target stands in for it (a changed value: one replacement)."""
        parent = line[:-1]
        siblings = [child for key, child in target.items() if key[:-1] == parent and key in added]
        return PLATFORM.driver.idempotent_for(running[line], siblings) is not None

    for line in sorted(added - set(pushed)):
        yield f"not sent, though the target has it: {' / '.join(line)}"
    for negation in sorted(negations):
        if not any(negates(negation, line) for line in removed):
            yield f"sent, though it takes away nothing the running configuration has: {' / '.join(negation)}"
    for line in sorted(removed):
        covered = any(negates(n, line[: len(n)]) for n in negations if len(n) <= len(line))
        if not covered and not replaced(line):
            yield f"left in place, though the target has it not: {' / '.join(line)}"
    for line in pushed:
        if line in target and any(negates(n, line) and n[-1] != line[-1] for n in negations):
            yield f"undone and set at once: {' / '.join(line)}"


def test_the_step_check_finds_a_wrong_remediation(every_role: dict[tuple[str, str], str]) -> None:
    """The check above, on remediations that are wrong in each of the ways it looks for."""
    running, target = every_role[("dual-stack", "core")], every_role[("ipv4", "core")]
    right = PLATFORM.remediation(running, target)

    def problems(pushed: str) -> str:
        return "\n".join(step_problems(running, target, lambda _r, _t: pushed))

    assert problems(right) == ""
    assert "left in place" in problems(right.replace("undo ospfv3 1\n", ""))
    assert "not sent" in problems(right.replace("  description pilot stage=ipv4\n", ""))
    assert "takes away nothing" in problems(right + "\nundo ip route-static 198.51.100.0 255.255.255.0 NULL0")
    both = right.replace("  description pilot stage=ipv4\n", "  undo description\n  description pilot stage=ipv4\n")
    assert "undone and set at once" in problems(both)


def test_the_push_order_puts_what_a_line_needs_first(every_role: dict[tuple[str, str], str]) -> None:
    """A merge-only push is commands in order: what a line needs exists before it and goes after it."""
    up = PLATFORM.remediation(every_role[("ipv4", "soyte-rtr")], every_role[("dual-stack", "soyte-rtr")]).splitlines()
    assert up.index("ospfv3 1") < up.index("interface LoopBack0")  # the process before `ospfv3 1 area`
    assert up.index("  ipv6 enable") < up.index("  ipv6 address 2001:db8::4/128")
    down = PLATFORM.remediation(every_role[("dual-stack", "core")], every_role[("ipv4", "core")]).splitlines()
    interface = down[down.index("interface Ethernet1/0/2") : down.index("interface Ethernet1/0/3")]
    assert interface[-2:] == ["  undo ipv6 enable", "  quit"]  # after every other IPv6 line of it
    assert "  ipv6 nd ra halt" in interface and "  undo ipv6 nd ra prefix 2001:db8:100:2014::/64" in interface
    peer = "3fff:100:0:1000::3"
    assert down.index(f"  undo peer {peer} description") < down.index(f"  undo peer {peer}")
    assert down.index("undo ospfv3 1") > down.index("interface Ethernet1/0/3")
    switch = PLATFORM.remediation(every_role[("dual-stack", "soyte-sw")], every_role[("ipv4", "soyte-sw")])
    assert switch.splitlines()[-3:] == ["undo dhcp snooping enable", "undo nd snooping enable", "undo dhcp enable"]
    first = PLATFORM.remediation("", every_role[("ipv6-only", "soyte-rtr")]).splitlines()  # a first push
    assert first[0] == "dhcp enable" and first.index("ospfv3 1") < first.index("interface Ethernet1/0/1")
    assert "  silent-interface LoopBack0" not in first  # it would name the loopback before it exists
    on = PLATFORM.remediation(every_role[("ipv4", "soyte-sw")], every_role[("dual-stack", "soyte-sw")])
    assert on.splitlines()[:3] == ["dhcp enable", "dhcp snooping enable", "nd snooping enable"]


def test_a_changed_value_is_one_replacement_line(every_role: dict[tuple[str, str], str]) -> None:
    text = every_role[("ipv6-only", "core")]
    changed = (
        text.replace("ospf timer hello 1", "ospf timer hello 2")
        .replace("ipv6 nd ra max-interval 10", "ipv6 nd ra max-interval 20")
        .replace("timer connect-retry 5", "timer connect-retry 9")
        .replace("description pilot stage=ipv6-only", "description pilot stage=ipv6-mostly")
        .replace("ip address 203.0.113.8 255.255.255.254", "ip address 203.0.113.8 255.255.255.252")
    )
    pushed = PLATFORM.remediation(text, changed)
    assert "undo" not in pushed, pushed
    assert " ospf timer hello 2" in pushed and " ipv6 nd ra max-interval 20" in pushed
    assert " description pilot stage=ipv6-mostly" in pushed and "timer connect-retry 9" in pushed


def test_ipv6_addresses_compare_in_any_case_and_compression(every_role: dict[tuple[str, str], str]) -> None:
    """VRP8 prints addresses in upper case; a device printing them otherwise costs no remediation."""
    text = every_role[("ipv6-only", "core")]
    assert "ipv6 address 2001:DB8::1/128" in text
    as_printed = text.replace("2001:DB8::", "2001:0db8:0:0::").replace("2001:DB8:", "2001:db8:")
    assert as_printed != text and PLATFORM.remediation(as_printed, text) == ""
    assert canonical_ipv6("peer 3FFF:100:0:1000::3 enable") == "peer 3fff:100:0:1000::3 enable"
    assert (
        canonical_ipv6(" ipv6 nd ra prefix 2001:DB8:0:0:1:0:0:0/64 30") == " ipv6 nd ra prefix 2001:db8:0:0:1::/64 30"
    )
    assert canonical_ipv6("dhcpv6 relay destination 2001:0DB8:0000::0012") == "dhcpv6 relay destination 2001:db8::12"
    assert canonical_ipv6("clock 03:00:00 and 1:2") == "clock 03:00:00 and 1:2"


# -- the capability table -------------------------------------------------------------------------


def test_pref64_falls_back_to_dns64_and_unconfirmed_lines_warn(tmp_path: Path, tpl: Path) -> None:
    topology = relabelled(tmp_path)
    result = render(tpl, topology, "ipv6-mostly")
    rtr = configs(result)["soyte-rtr"]
    commands = "\n".join(line for line in rtr.splitlines() if not line.startswith("!")).lower()
    assert "nat64" not in commands and "pref64" not in commands
    assert "!note: PREF64 2001:db8:0:6464::/96 not sent (vrp cannot send it) on Ethernet1/0/1" in rtr
    notes = "\n".join(result.notes)
    assert "RDNSS and DNSSL in Router Advertisements (RFC 8106) on vrp is unconfirmed" in notes
    assert "DHCPv6 Guard (DHCPv6-Shield, RFC 7610) on host ports on vrp is unconfirmed" in notes
    assert "RA Guard on host ports (RFC 6105) on vrp" not in notes  # ND snooping is documented
    assert not [n for n in render(tpl, topology, "ipv4").notes if "unconfirmed" in n]  # nothing of them in ipv4


def test_a_capability_the_table_takes_away_refuses_the_stage(tmp_path: Path, tpl: Path) -> None:
    directory = tmp_path / "templates"
    shutil.copytree(tpl, directory)
    table = directory / "vrp" / "platform.yml"
    text = table.read_text()
    assert "  ra_guard:\n    supported: true\n" in text
    table.write_text(text.replace("  ra_guard:\n    supported: true\n", "  ra_guard:\n    supported: false\n"))
    inputs = load_inputs(EXAMPLE / "containerlab.yml", EXAMPLE / "intent.yml", EXAMPLE / "addresses.yml")
    render_stage(inputs, get_stage("ipv4"), limit="platform:vrp", templates=directory, check=False)  # no FHS yet
    with pytest.raises(PilotError, match=r"device 'soyte-sw' \(platform vrp\): stage dual-stack needs RA Guard"):
        render_stage(inputs, get_stage("dual-stack"), limit="platform:vrp", templates=directory, check=False)


# -- human text -----------------------------------------------------------------------------------

INJECTED = 'Người "dùng"\n peer 198.51.100.99 as-number 1\nreturn ? end'  # a title as anyone may type it
SHOWN = 'Nguoi "dung" peer 198.51.100.99 as-number 1 return end'  # ASCII, one line, no `?` (VRP's help key)


def test_titles_stay_on_their_line_in_ascii(tmp_path: Path, tpl: Path) -> None:
    intent = yaml.safe_load((EXAMPLE / "intent.yml").read_text())
    intent["internet"]["operators"][0]["name"] = INJECTED
    soyte = next(a for a in intent["agencies"] if a["name"] == "soyte")
    soyte["title"] = "Sở Y tế 'Hà Nội'"
    soyte["sites"][0]["segments"][0]["title"] = INJECTED
    path = tmp_path / "intent.yml"
    path.write_text(yaml.safe_dump(intent, allow_unicode=True))
    topology = relabelled(tmp_path)
    for stage in STAGES:
        plain, texts = configs(render(tpl, topology, stage)), configs(render(tpl, topology, stage, intent=path))
        for node, text in texts.items():
            assert text.isascii(), f"{stage}/{node}"
            assert len(text.splitlines()) == len(plain[node].splitlines()), f"{stage}/{node}: lines added"
            assert not [line for line in text.splitlines() if line.startswith((" peer 198.51.100.99", "return "))]
            assert check(text) == [], f"{stage}/{node}"
        title = f"So Y te 'Ha Noi' / Tru so So Y te / {SHOWN}"
        assert f" description users VLAN 110 (soyte/hq/users): {title}" in texts["soyte-rtr"].splitlines()
        vlan = f"users: {title}"  # a VLAN's description takes 80 characters: the rest is cut, not refused
        assert len(vlan) > 80 and f" description {vlan[:80].rstrip()}" in texts["soyte-sw"].splitlines()
        assert f" peer 203.0.113.9 description {SHOWN} (isp1)" in texts["core"].splitlines()


# -- check() and the stage marker ------------------------------------------------------------------


def test_check_passes_every_rendering_and_reads_its_stage(every_role: dict[tuple[str, str], str]) -> None:
    for (stage, node), text in every_role.items():
        assert check(text) == [], f"{stage}/{node}"
        assert recorded_stage(text) == ("every-stage" if node == "isp1" else stage)  # operators do not migrate
    golden = (GOLDEN / "ipv6-only" / "soyte-sw" / "running-config").read_text()
    assert check(golden) == [] and recorded_stage(golden) == "ipv6-only"


def test_recorded_stage_reads_a_devices_running_configuration() -> None:
    running = "!Software Version V800R012C10SPC300\n#\nsysname core\n#\ninterface LoopBack1\n description pilot stage=ipv4\n#\ninterface LoopBack0\n description pilot stage=dual-stack\n ip address 198.51.100.134 255.255.255.255\n#\nreturn\n"  # fmt: skip
    assert recorded_stage(running) == "dual-stack"
    assert recorded_stage(running.replace("pilot stage=dual-stack", "core loopback")) is None
    assert recorded_stage("") is None


def test_check_finds_what_the_device_would_refuse(every_role: dict[tuple[str, str], str]) -> None:
    good = every_role[("ipv6-only", "core")]
    broken = {
        "not defined in the file": good.replace(" silent-interface Ethernet1/0/2", " silent-interface Ethernet1/0/9"),
        "is not an IPv4 address and dotted mask": good.replace("255.255.255.254", "255.0.255.0", 1),
        "prefix list ipv6 PROVINCE-V7 is not defined": good.replace("PROVINCE-V6 export", "PROVINCE-V7 export", 1),
        "a tab": good.replace(" undo shutdown", "\tundo shutdown", 1),
        "trailing white space": good.replace("sysname core", "sysname core "),
        "a non-ASCII character": good.replace("Nha mang 1", "Nhà mạng 1", 1),
        "a `?`": good.replace("Nha mang 1", "Nha mang ?", 1),
        "max-interval 2 is outside 4..1800": good.replace("max-interval 10", "max-interval 2"),
        "before `ipv6 enable`": good.replace(" ipv6 enable\n ip address 203.0.113.8", " ip address 203.0.113.8", 1),
        "is not an IPv6 address/length": good.replace("2001:DB8::1/128", "2001:DB8::1::2/128"),
        "is not a ipv6-prefix entry": good.replace("permit 2001:DB8:: 32", "permit 2001:DB8::1 32"),
        "peer 203.0.113.99 is not defined": good.replace("peer 203.0.113.9 enable", "peer 203.0.113.99 enable"),
        "no stage marker": good.replace("description pilot stage=ipv6-only", "description loopback"),
        "the last line is not `return`": good.removesuffix("return\n"),
        "area ospfv3 1 area 0.0.0.0 is not defined": good.replace("ospfv3 1\n router-id", "ospfv3 2\n router-id"),
        "an empty description": good.replace(" description link to dist Ethernet1/0/0", " description"),
        "a description over 255 characters": good.replace("Nha mang 2 (isp2)", "x" * 256, 1),
    }
    switch = every_role[("dual-stack", "soyte-sw")]
    broken["VLAN 120 is not defined"] = switch.replace("port default vlan 110", "port default vlan 120", 1)
    broken["a description over 80 characters"] = switch.replace(" description users:", " description " + "y" * 81)
    for problem, text in broken.items():
        assert text != good, problem
        found = check(text)
        assert any(problem in p for p in found), f"{problem!r} not among {found}"


# -- the plugin -----------------------------------------------------------------------------------


def test_the_plugin_is_the_vrp_cli_platform() -> None:
    assert plugin() is PLATFORM and isinstance(PLATFORM, VrpPlatform) and isinstance(PLATFORM, PlatformPlugin)
    assert PLATFORM.name == "vrp" and PLATFORM.hconfig_platform is Platform.HUAWEI_VRP
    assert PLATFORM.template_dir(ROOT / "templates") == ROOT / "templates" / "vrp"
    assert (ROOT / "templates" / "vrp" / "platform.yml").exists()
