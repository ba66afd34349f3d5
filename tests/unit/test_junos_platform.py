"""Juniper Junos (issue 9): the brace-form configuration of every stage, for the router role (the example's
core, and dist and soyte-rtr relabelled junos) and the access switch (soyte-sw relabelled), its golden
files, hier_config round trips between stages, the capability table, human text, and the offline check.

Regenerate the goldens after an intended change: PILOT_UPDATE_GOLDEN=1 pytest tests/unit/test_junos_platform.py
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pilot.errors import PilotError
from pilot.inputs import Inputs, load_inputs
from pilot.platforms import PlatformPlugin
from pilot.platforms.junos import PLATFORM, check, plugin, recorded_stage, whole_deletes, without_comments, words
from pilot.render import render_stage
from pilot.stages import stage_names
from pilot.stages.catalog import get_stage
from testroot import ROOT
from vendorkit import EXAMPLE, TEMPLATES, assert_golden, relabelled

STAGES = list(stage_names())
ROLES = ("core", "dist", "soyte-rtr", "soyte-sw")  # relabelled Junos: routers and the access switch
LIMIT = "platform:junos"


@pytest.fixture(scope="module")
def templates() -> Path:
    return TEMPLATES


def render(inputs: Inputs, stage: str, templates: Path) -> dict[str, str]:
    result = render_stage(inputs, get_stage(stage), limit=LIMIT, templates=templates, check=False)
    return {d.device.name: d.files[0].text for d in result.devices}


@pytest.fixture(scope="module")
def example() -> Inputs:
    return load_inputs(EXAMPLE / "containerlab.yml", EXAMPLE / "intent.yml", EXAMPLE / "addresses.yml")


@pytest.fixture(scope="module")
def every_role(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    topology = relabelled(tmp_path_factory.mktemp("roles"), "junos", ROLES)
    return load_inputs(topology, EXAMPLE / "intent.yml", EXAMPLE / "addresses.yml")


@pytest.fixture(scope="module")
def rendered(example: Inputs, every_role: Inputs, templates: Path) -> dict[tuple[str, str, str], str]:
    """(case, stage, node) -> the rendered configuration, for the example and the every-role copy."""
    out = {}
    for case, inputs in (("example", example), ("roles", every_role)):
        for stage in STAGES:
            for node, text in render(inputs, stage, templates).items():
                out[(case, stage, node)] = text
    return out


# -- golden files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_the_example_renders_as_its_golden_files(example: Inputs, templates: Path, stage: str, tmp_path: Path) -> None:
    result = render_stage(example, get_stage(stage), limit=LIMIT, templates=templates, check=False)
    assert [d.device.name for d in result.devices] == ["core"]
    assert_golden(result, stage, ["core"], tmp_path)


def test_every_role_renders_every_stage(rendered: dict[tuple[str, str, str], str]) -> None:
    roles = {(stage, node) for case, stage, node in rendered if case == "roles"}
    assert roles == {(stage, node) for stage in STAGES for node in ROLES}
    switch = rendered[("roles", "dual-stack", "soyte-sw")]
    assert "family ethernet-switching {" in switch and "vlan-id 110;" in switch
    assert "interface ge-0/0/1.0 {\n                mark-interface block;" in switch  # a host port
    assert "interface ge-0/0/0.0 {" not in switch.split("vlans {")[0]  # the uplink passes RAs
    assert "mark-interface" not in rendered[("roles", "ipv4", "soyte-sw")]  # no first-hop security yet
    relay = rendered[("roles", "dual-stack", "soyte-rtr")]
    assert "dhcpv6 {\n            group pilot-relay6 {\n                interface ge-0/0/1.0;" in relay
    assert "pilot-dhcp4 {\n                198.51.100.116;" in relay
    assert "pilot-relay4" not in rendered[("roles", "ipv6-only", "soyte-rtr")]  # users lose IPv4


def test_a_stage_without_ipv6_renders_nothing_of_it(rendered: dict[tuple[str, str, str], str]) -> None:
    for (_, stage, node), text in rendered.items():
        if stage == "ipv4" and node != "soyte-sw":
            for v6 in ("inet6", "ospf3", "router-advertisement", "2001:db8", "3fff:"):
                assert v6 not in text, (node, v6)


def test_the_core_speaks_every_feature_the_model_asks_for(rendered: dict[tuple[str, str, str], str]) -> None:
    core = rendered[("example", "ipv6-mostly", "core")]
    for line in (
        '    ge-0/0/3 {\n        description "link to dist Ethernet1";\n        unit 0 {',
        "interface ge-0/0/3.0 {\n                interface-type p2p;\n                hello-interval 1;\n"
        "                dead-interval 4;\n                retransmit-interval 1;",
        "interface lo0.0 {\n                passive;",
        'neighbor 3fff:100:0:1000::3 {\n                description "Nha mang 1 (isp1)";\n'
        "                export PROVINCE-V6;\n                peer-as 64501;\n                family inet6 {",
        "route 198.51.100.0/24 discard;",
        "route 2001:db8:0:6464::/96 next-hop 2001:db8:100:2014::11;",
        "prefix 2001:db8:100:2014::/64 {\n                no-autonomous;\n                valid-lifetime 2592000;",
        "dns-server-address 2001:db8:100:2014::14 {\n                lifetime 30;",
        "dns-search-list pilot.test {\n                lifetime 30;",
        "nat-prefix 2001:db8:0:6464::/96 {\n                lifetime 32;",
        "export pilot-ospf3-export;",
        "from {\n                protocol bgp;\n                route-filter ::/0 exact;",
        "prefix-list NAT64-PREFIX;",
        'description "pilot stage=ipv6-mostly";',
    ):
        assert line in core, line
    # RAs only where the model has them: the server segment, not the router link or the uplinks.
    interfaces = [line.strip() for line in core.splitlines() if line.strip().startswith("interface ge-")]
    assert len(interfaces) == 1 + 2 * 2  # 1 RA interface, 2 OSPF interfaces in ospf and in ospf3
    stateful = rendered[("roles", "dual-stack", "soyte-rtr")]
    assert "other-stateful-configuration;" in stateful and "managed-configuration;" not in stateful


# -- hier_config round trips --------------------------------------------------------------------------


def set_lines(text: str) -> set[str]:
    lines = PLATFORM.set_lines(text)
    assert len(lines) == len(set(lines))
    return {line.removeprefix("set ") for line in lines}


def covered(line: str, deletes: list[tuple[str, ...]]) -> bool:
    w = words(line)
    return any(w[: len(d)] == d for d in deletes)


def assert_moves(old_text: str, new_text: str) -> list[str]:
    """The remediation from `old` to `new` removes exactly what `new` lacks, sets exactly what `old`
    lacks, and a changed single value is one `set` (its old line neither deleted nor left behind)."""
    old, new = set_lines(old_text), set_lines(new_text)
    remediation = PLATFORM.remediation(old_text, new_text).splitlines()
    assert all(line.startswith(("set ", "delete ")) for line in remediation), remediation
    deletes = [words(line.removeprefix("delete ")) for line in remediation if line.startswith("delete ")]
    sets = {line.removeprefix("set ") for line in remediation if line.startswith("set ")}
    assert sets == new - old
    gone = {line for line in old if covered(line, deletes)}
    assert not gone & new, "a line the intended configuration keeps is deleted"
    replaced = (old - new) - gone
    for line in replaced:  # left to a `set` of the same statement with another value
        assert any(words(line)[:-1] == words(s)[:-1] for s in sets), line
    assert not [s for s in sets if covered(s, deletes)], "a line both negated and set"
    assert all(any(covered(line, [d]) for line in old) for d in deletes), "a delete that removes nothing"
    return remediation


def test_remediation_from_nothing_is_the_configuration(rendered: dict[tuple[str, str, str], str]) -> None:
    for key, text in rendered.items():
        remediation = PLATFORM.remediation("", text)
        assert PLATFORM.set_lines(remediation) == PLATFORM.set_lines(text), key
        assert PLATFORM.remediation(text, text) == "", key


def test_each_stage_goes_back_and_forth_to_the_one_before(rendered: dict[tuple[str, str, str], str]) -> None:
    for (case, stage, node), text in rendered.items():
        if stage == STAGES[0]:
            continue
        before = rendered[(case, STAGES[STAGES.index(stage) - 1], node)]
        back = assert_moves(text, before)
        assert_moves(before, text)
        assert PLATFORM.rollback(before, text) == "\n".join(back)
        # The stage marker changes in one line, never a delete of the old one.
        assert f'set interfaces lo0 unit 0 description "pilot stage={STAGES[STAGES.index(stage) - 1]}"' in back
        assert not any(line.startswith("delete interfaces lo0 unit 0 description") for line in back)


def test_a_rollback_deletes_whole_statements_not_their_leaves(rendered: dict[tuple[str, str, str], str]) -> None:
    back = PLATFORM.remediation(rendered[("example", "dual-stack", "core")], rendered[("example", "ipv4", "core")])
    lines = back.splitlines()
    assert "delete protocols ospf3" in lines
    assert "delete protocols router-advertisement" in lines
    assert "delete interfaces ge-0/0/3 unit 0 family inet6" in lines
    assert "delete protocols bgp group pilot-ebgp neighbor 3fff:100:0:1000::3" in lines
    assert not [line for line in lines if "peer-as" in line or "address 3fff" in line]


def test_whole_deletes_cuts_at_the_first_word_the_intended_lacks() -> None:
    intended = ['set a b c "x y"', "set a d e"]
    remediation = ['delete a b c "x z"', "delete a f g h", "delete a f g i", "set a d e"]
    assert whole_deletes(remediation, intended) == ['delete a b c "x z"', "delete a f", "set a d e"]


def test_the_device_header_and_version_are_no_difference(rendered: dict[tuple[str, str, str], str]) -> None:
    text = rendered[("example", "ipv6-only", "core")]
    running = "## Last commit: 2026-11-30 00:00:00 UTC by pilot\nversion 23.4R2-S2.1;\n/* annotated */\n" + text
    assert "Last commit" not in without_comments(running)
    assert PLATFORM.remediation(running, text) == ""


def test_the_plugin_is_the_platform() -> None:
    assert plugin() is PLATFORM
    assert isinstance(PLATFORM, PlatformPlugin)
    assert PLATFORM.name == "junos"
    assert PLATFORM.template_dir(ROOT / "templates") == ROOT / "templates" / "junos"


# -- the capability table ------------------------------------------------------------------------------


def test_what_the_table_leaves_unconfirmed_renders_with_a_warning(
    example: Inputs, every_role: Inputs, templates: Path
) -> None:
    notes = render_stage(example, get_stage("ipv6-mostly"), limit=LIMIT, templates=templates, check=False).notes
    assert any("PREF64 option in Router Advertisements (RFC 8781) on junos is unconfirmed" in n for n in notes)
    assert any("RDNSS and DNSSL" in n and "on junos is unconfirmed" in n for n in notes)
    notes = render_stage(every_role, get_stage("dual-stack"), limit=LIMIT, templates=templates, check=False).notes
    assert any("RA Guard on host ports (RFC 6105) on junos is unconfirmed" in n for n in notes)
    assert any("DHCPv6 Guard" in n and "on junos is unconfirmed" in n for n in notes)
    ipv4 = render_stage(every_role, get_stage("ipv4"), limit=LIMIT, templates=templates, check=False).notes
    assert not any("junos" in n for n in ipv4)  # nothing unconfirmed is rendered at ipv4


def test_an_access_switch_is_refused_where_the_table_says_no_ra_guard(
    every_role: Inputs, templates: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(templates, copy)
    descriptor = copy / "junos" / "platform.yml"
    text = descriptor.read_text()
    assert text.count("  ra_guard:\n") == 1
    text = text.replace("  ra_guard:\n", "  ra_guard_before:\n").replace(
        "capabilities:\n", "capabilities:\n  ra_guard: false\n", 1
    )
    descriptor.write_text(text)
    render(every_role, "ipv4", copy)  # no first-hop security at ipv4
    with pytest.raises(PilotError, match=r"device 'soyte-sw' \(platform junos\): stage dual-stack needs RA Guard"):
        render(every_role, "dual-stack", copy)


# -- human text ----------------------------------------------------------------------------------------


HOSTILE = 'Máy chủ "trung tâm"\nset system root-authentication plain-text-password; } \\'


def _hostile_intent(tmp: Path) -> Path:
    data: Any = yaml.safe_load((EXAMPLE / "intent.yml").read_text())
    data["agencies"][1]["sites"][0]["segments"][0]["title"] = HOSTILE
    data["internet"]["operators"][0]["name"] = 'Nhà mạng "1"\n}'
    data["agencies"][3]["sites"][0]["segments"][0]["title"] = HOSTILE
    path = tmp / "intent.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_human_text_stays_one_quoted_line(templates: Path, tmp_path: Path) -> None:
    intent = _hostile_intent(tmp_path)
    for topology in (EXAMPLE / "containerlab.yml", relabelled(tmp_path, "junos", ROLES)):
        inputs = load_inputs(topology, intent, EXAMPLE / "addresses.yml")
        for stage in STAGES:
            for node, text in render(inputs, stage, templates).items():
                assert check(text) == [], (node, stage, check(text))
                assert PLATFORM.set_lines(PLATFORM.remediation("", text)) == PLATFORM.set_lines(text)
                assert "root-authentication" not in "".join(
                    line for line in text.splitlines() if not line.strip().startswith("description ")
                )
                if node == "core":
                    assert (
                        '        description "servers VLAN 20 (data-centre/main/servers): Trung tam du lieu tinh / '
                        'May chu \\"trung tam\\" set system root-authentication plain-text-password; } \\\\";\n'
                    ) in text
                    assert '                description "Nha mang \\"1\\" } (isp1)";\n' in text
                if node == "soyte-sw":
                    assert '        description "So Y te / Tru so So Y te / May chu \\"trung tam\\" set system' in text
    # hier_config keeps each description one statement: the quotes and braces inside do not open blocks.
    lines = PLATFORM.set_lines(text)
    assert not any("root-authentication" in line and "description" not in line for line in lines)


def test_a_one_word_description_is_bare_as_junos_prints_it(rendered: dict[tuple[str, str, str], str]) -> None:
    core = rendered[("example", "ipv4", "core")]
    assert (
        '    lo0 {\n        description loopback;\n        unit 0 {\n            description "pilot stage=ipv4";'
        in core
    )


# -- check() and recorded_stage() ----------------------------------------------------------------------


def test_check_passes_every_rendered_configuration(rendered: dict[tuple[str, str, str], str]) -> None:
    for key, text in rendered.items():
        assert check(text) == [], (key, check(text))


def test_recorded_stage_reads_back_each_render(rendered: dict[tuple[str, str, str], str]) -> None:
    for (_, stage, _node), text in rendered.items():
        assert recorded_stage(text) == stage
        assert recorded_stage(PLATFORM.remediation("", text)) == stage  # the `display set` form
    assert recorded_stage("system {\n    host-name x;\n}\n") is None


BROKEN = [
    ("interfaces {\n    ge-0/0/0 {\n        unit 0;\n    }\n", "block(s) not closed"),
    ("system {\n    host-name x;\n}\n}\n", "a closing brace without its block"),
    ("system {\n  host-name x;\n}\n", "indented 2 spaces, 4 expected"),
    ("system {\n    host-name x\n}\n", "a statement without `;`"),
    ("system {\n\thost-name x;\n}\n", "a tab"),
    ("system {\n    host-name x; \n}\n", "trailing white space"),
    ('system {\n    host-name "x;\n}\n', "an unclosed quote"),
    ("system {\n    host-name Sở;\n}\n", "outside ASCII"),
    (
        "interfaces {\n    ge-0/0/0 {\n        unit 0 {\n            family inet {\n"
        "                address 198.51.100.300/24;\n            }\n        }\n    }\n}\n",
        "address 198.51.100.300/24",
    ),
    (
        "interfaces {\n    ge-0/0/0 {\n        unit 0 {\n            family inet {\n"
        "                address 2001:db8::1/64;\n            }\n        }\n    }\n}\n",
        "IPv6 address 2001:db8::1/64 under family inet",
    ),
    ("routing-options {\n    static {\n        route 198.51.100.1/24 discard;\n    }\n}\n", "prefix 198.51.100.1/24"),
    (
        "protocols {\n    ospf {\n        area 0.0.0.0 {\n            interface ge-0/0/9.0;\n        }\n    }\n}\n",
        "interface ge-0/0/9.0 is not defined under interfaces",
    ),
    ("protocols {\n    ospf {\n        export nowhere;\n    }\n}\n", "policy-statement nowhere is not defined"),
    (
        "policy-options {\n    policy-statement p {\n        term t {\n            from {\n"
        "                prefix-list missing;\n            }\n            then accept;\n        }\n    }\n}\n",
        "prefix-list missing is not defined",
    ),
    (
        "interfaces {\n    ge-0/0/1 {\n        unit 0 {\n            family ethernet-switching {\n"
        "                vlan {\n                    members users;\n                }\n            }\n        }\n    }\n}\n",
        "VLAN users is not defined under vlans",
    ),
    ("system {\n    host-name x;\n}\n", "no stage marker"),
]


@pytest.mark.parametrize(("broken", "found"), BROKEN)
def test_check_finds_a_broken_configuration(broken: str, found: str) -> None:
    problems = check(broken)
    assert any(found in p for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_check_finds_a_broken_render(rendered: dict[tuple[str, str, str], str]) -> None:
    text = rendered[("example", "ipv6-only", "core")]
    assert check(text.replace("interface ge-0/0/3.0 {", "interface ge-0/0/7.0 {", 1))
    assert check(text.replace("export PROVINCE-V4;", "export PROVINCE-V9;", 1))
    assert check(text.replace("        }\n    }\n}\n", "        }\n    }\n", 1))


@pytest.mark.parametrize(
    "misread",
    [
        "interfaces {\n    ge-0/0/6 { unit 0 { family inet; } }\n}\n",  # hier_config drops it silently
        "protocols {\n  ospf {\n    area 0.0.0.0;\n  }\n}\n",  # hier_config: `set ospf area 0.0.0.0`
        "system {\n    host-name x;\n",
    ],
)
def test_a_layout_hier_config_would_misread_is_refused(misread: str) -> None:
    with pytest.raises(
        PilotError, match=r"^Junos configuration: (line \d+|end of file): .*; fix: give it as `show configuration`"
    ):
        PLATFORM.parse(misread)
    with pytest.raises(PilotError):
        PLATFORM.remediation(misread, "")
