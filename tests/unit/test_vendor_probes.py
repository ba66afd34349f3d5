"""The vendor platforms' probes and parsers on output recorded from real devices: NAPALM 5.2.0's and
ntc-templates' own test fixtures (tests/fixtures/devices/<platform>/<source>, NOTICE in each). NAPALM's
ios and eos getters run with their own parsing, their commands answered from the recorded files through a
fake Shell, the way the probes run them on a device; Junos's getters read NETCONF, so their recorded
results (expected_result.json) stand for the getter's answer."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_probes import check, recorded

from pilot.errors import PilotError
from pilot.platforms import readers
from pilot.platforms.eos import probes as eos
from pilot.platforms.frr import probes as frr
from pilot.platforms.iosxe import probes as iosxe
from pilot.platforms.junos import probes as junos
from pilot.platforms.probes import ESTABLISHED, BgpSession, Facts, NotObservable, RoutingProbes, routing_probes
from pilot.platforms.vrp import probes as vrp
from pilot.transport.result import Completed

DEVICES = Path(__file__).parents[1] / "fixtures" / "devices"
E = ESTABLISHED


def fixture(path: str) -> str:
    return (DEVICES / path).read_text()


def napalm_case(platform: str, getter: str, case: str = "normal") -> Path:
    return DEVICES / platform / "napalm" / f"test_{getter}" / case


def expected(platform: str, getter: str, case: str = "normal") -> Any:
    return json.loads((napalm_case(platform, getter, case) / "expected_result.json").read_text())


class RecordedCli:
    """A Shell answering each command from a folder of recorded output, named the way NAPALM's own test
    doubles name them (each non-alphanumeric character of the command as '_'); EOS's ssh transport asks
    '<command> | json', recorded as <command>.json. A command with no recording fails the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.commands: list[str] = []

    def run(self, node: str, command: str, timeout: float = 30.0) -> Completed:
        self.commands.append(command)
        base, json_pipe = command.removesuffix(" | json"), command.endswith(" | json")
        path = self.folder / (re.sub("[^a-zA-Z0-9]", "_", base) + (".json" if json_pipe else ".txt"))
        if not path.exists():
            raise AssertionError(f"no recorded output for {command!r} in {self.folder}")
        return Completed(0, path.read_text(), "")


class OneAnswer:
    """A Shell whose every command gets the same recorded output; it remembers what was asked."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.commands: list[str] = []

    def run(self, node: str, command: str, timeout: float = 30.0) -> Completed:
        self.commands.append(command)
        return Completed(0, self.output, "")


def genie(path: str) -> tuple[str, Any]:
    """A genieparser case: the recorded output and the parser's expected result (a Python literal, read as
    data: `expected_output = {...}`)."""
    output = DEVICES / path
    source = output.with_name(output.name.replace("_output.txt", "_expected.py.txt")).read_text()
    return output.read_text(), ast.literal_eval(source.split("=", 1)[1].strip())


def by_peer(sessions: list[BgpSession]) -> dict[str, tuple[str, int]]:
    return {s.peer: (s.state, s.prefixes_received) for s in sessions}


# -- the fixtures themselves: the renumbered output still parses to the recorded expectation --------------


@pytest.mark.parametrize("raw", sorted(DEVICES.glob("*/ntc-templates/*/*/*.raw")), ids=lambda p: p.stem)
def test_ntc_fixture_parses_to_its_recorded_result(raw: Path) -> None:
    platform, command = raw.parts[-3], raw.parts[-2].replace("_", " ")
    assert (
        readers.parse_show(platform, command, raw.read_text())
        == yaml.safe_load(raw.with_suffix(".yml").read_text())["parsed_sample"]
    )


def test_every_fixture_source_names_its_licence() -> None:
    assert "Apache License" in (DEVICES / "LICENSE-Apache-2.0.txt").read_text()
    for source in DEVICES.glob("*/*"):
        notice = (source / "NOTICE").read_text()
        assert "Apache License, Version 2.0" in notice and "commit" in notice and "github.com" in notice, source


# -- IOS-XE: NAPALM's ios getters over the Shell, ntc-templates on show output -------------------------


@pytest.mark.parametrize("getter", ["get_bgp_neighbors", "get_facts", "get_interfaces_ip", "get_ipv6_neighbors_table"])
def test_iosxe_napalm_getters_run_their_own_parsing_over_the_shell(getter: str) -> None:
    shell = RecordedCli(napalm_case("iosxe", getter))
    assert json.loads(json.dumps(iosxe.napalm_getter(shell, "r1", getter))) == expected("iosxe", getter)


def test_iosxe_bgp_sessions_both_families_from_the_getter() -> None:
    shell = RecordedCli(napalm_case("iosxe", "get_bgp_neighbors"))
    ipv4 = iosxe.PROBES.bgp_sessions(shell, "r1", "ipv4")
    assert shell.commands[0] == "show bgp all summary"
    assert by_peer(ipv4) == {
        "198.51.100.2": (E, 3142),
        "198.51.100.4": (E, 1),
        "198.51.100.6": (E, 0),
        "198.51.100.8": ("Down", 0),  # Active in the summary: NAPALM says only is_up
        "198.51.100.9": ("Admin down", 0),  # Idle (Admin)
        "198.51.100.10": (E, 629700),
    }
    ipv6 = by_peer(iosxe.PROBES.bgp_sessions(shell, "r1", "ipv6"))
    # IPv6 neighbours, printed by IOS on a line of their own, which ntc-templates' summary template drops
    assert ipv6["2001:db8::4"] == (E, 36387) and ipv6["2001:db8::3"] == ("Admin down", 0)
    assert len(ipv6) == 6


def test_iosxe_ntc_summary_template_misses_wrapped_ipv6_neighbours() -> None:
    """Why IOS-XE's BGP probe uses NAPALM's getter: the same recorded summary, read by the template."""
    summary = (napalm_case("iosxe", "get_bgp_neighbors") / "show_bgp_all_summary.txt").read_text()
    rows = readers.parse_show("cisco_ios", "show ip bgp all summary", summary)
    assert not [r for r in rows if ":" in r["bgp_neighbor"]]


def test_iosxe_other_getters_to_typed_results() -> None:
    facts = readers.facts_from_getter(expected("iosxe", "get_facts"))
    assert (facts.vendor, facts.model, facts.hostname) == ("Cisco", "WS-C2960G-8TC-L", "NS2903-ASW-01")
    assert "15.0(2)SE4" in facts.os_version
    interfaces = {
        i.interface: [str(a) for a in i.addresses]
        for i in readers.interfaces_from_getter(expected("iosxe", "get_interfaces_ip"))
    }
    assert interfaces["Vlan41"] == ["198.51.100.16/27", "198.51.100.17/24"]
    assert "2001:db8:ffff::1/64" in interfaces["Vlan20"]
    neighbours = readers.ipv6_neighbors_from_getter(expected("iosxe", "get_ipv6_neighbors_table"))
    assert neighbours[0].mac == "00:25:45:00:b4:00" and neighbours[0].state == "REACH"
    assert [n.state for n in neighbours].count("INCMP") == 4 and all(
        n.mac == "" for n in neighbours if n.state == "INCMP"
    )


def test_iosxe_ospf_neighbours_from_show_output() -> None:
    shell = OneAnswer(fixture("iosxe/ntc-templates/cisco_ios/show_ip_ospf_neighbor/four_neighbors.raw"))
    found = iosxe.PROBES.ospf_neighbors(shell, "r1", 2)
    assert shell.commands == ["show ip ospf neighbor"]
    assert [(n.router_id, n.state, n.interface) for n in found][:2] == [
        ("198.51.100.1", "FULL/BDR", "GigabitEthernet0/2.101"),
        ("198.51.100.3", "FULL/DR", "GigabitEthernet0/2.101"),
    ]
    assert len(found) == 4 and all(n.full for n in found)


def test_iosxe_ospfv3_neighbours_agree_with_genieparser() -> None:
    cases = "iosxe/genieparser/ShowOspfv3Neighbor/cli/equal"
    output, want = genie(f"{cases}/golden_1_output.txt")
    shell = OneAnswer(output)
    found = iosxe.PROBES.ospf_neighbors(shell, "r1", 3)
    assert shell.commands == ["show ospfv3 neighbor"]
    assert sorted((n.router_id, n.state, n.interface) for n in found) == sorted(
        (e["neighbor_id"], e["state"], e["interface"]) for e in want["interface_id"].values()
    )
    assert len(found) == 9 and all(n.full for n in found)
    # two address families of one process: only the IPv6 one is the OSPFv3 pilot runs
    output, want = genie(f"{cases}/golden_2_output.txt")
    assert [(n.router_id, n.state, n.interface) for n in iosxe.ospfv3_neighbors(output)] == [
        (e["neighbor_id"], e["state"], e["interface"]) for e in want["interface_id"].values()
    ]
    assert want["address_family"] == "ipv6"
    # `show ipv6 ospf neighbor`: the same table with no address-family line
    output, want = genie("iosxe/genieparser/ShowIpv6OspfNeighbor/cli/equal/ShowIpv6OspfNeighbor_output.txt")
    ((iface, data),) = want["interfaces"].items()
    ((rid, neighbour),) = data["neighbors"].items()
    assert [(n.router_id, n.state, n.interface, n.full) for n in iosxe.ospfv3_neighbors(output)] == [
        (rid, neighbour["state"], iface, True)
    ]


def test_iosxe_ipv4_summary_states_and_counts() -> None:
    sessions = iosxe.bgp_summary(
        fixture("iosxe/ntc-templates/cisco_ios/show_ip_bgp_summary/cisco_ios_show_ip_bgp_summary.raw")
    )
    found = by_peer(sessions)
    assert len(found) == 10
    assert found["198.51.100.8"] == (E, 558720) and found["198.51.100.10"] == (E, 0)
    assert found["198.51.100.17"] == ("Idle (Admin)", 0)  # the state in place of the count


def test_iosxe_advertised_routes() -> None:
    path = "iosxe/ntc-templates/cisco_ios/show_ip_bgp_neighbors_advertised-routes/show_ip_bgp_neighbors_advertised_routes.raw"
    shell = OneAnswer(fixture(path))
    sent = iosxe.PROBES.advertised(shell, "r1", "ipv4", "198.51.100.18")
    assert shell.commands == ["show ip bgp neighbors 198.51.100.18 advertised-routes"]
    assert sent == {f"203.0.113.{16 * k}/28" for k in range(7)}
    with pytest.raises(NotObservable):
        iosxe.PROBES.advertised(shell, "r1", "ipv6", "2001:db8::1")


def test_iosxe_ipv6_neighbours_from_show_output() -> None:
    found = iosxe.ipv6_neighbors(
        fixture("iosxe/ntc-templates/cisco_ios/show_ipv6_neighbors/cisco_ios_show_ipv6_neighbors1.raw")
    )
    assert len(found) == 10
    assert (found[0].address, found[0].mac, found[0].interface, found[0].state) == (
        "2001:db8:ffff::1",
        "54:e1:ad:db:20:0f",
        "Vl6",
        "STALE",
    )
    assert found[-1].mac == "" and found[-1].address == "fe80::9277:eeff:fe9b:4e00"  # '-': no link-layer address


# -- EOS: ntc-templates on show output, NAPALM's eos getters over the Shell (ssh transport, | json) -----------


@pytest.mark.parametrize("getter", ["get_bgp_neighbors", "get_interfaces_ip"])
def test_eos_napalm_getters_run_their_own_parsing_over_the_shell(getter: str) -> None:
    shell = RecordedCli(napalm_case("eos", getter))
    assert eos.napalm_getter(shell, "r1", getter) == expected("eos", getter)
    assert all(c.endswith(" | json") for c in shell.commands)


def test_eos_getters_to_typed_results() -> None:
    shell = RecordedCli(napalm_case("eos", "get_bgp_neighbors"))
    result = eos.napalm_getter(shell, "r1", "get_bgp_neighbors")
    ipv4, ipv6 = (
        by_peer(readers.bgp_sessions_from_getter(result, "ipv4")),
        by_peer(readers.bgp_sessions_from_getter(result, "ipv6")),
    )
    assert ipv4["198.51.100.1"] == (E, 3) and ipv4["198.51.100.3"] == ("Down", 0)
    assert ipv6["2001:db8:ffff::1"] == (E, 3)
    facts = readers.facts_from_getter(
        eos.napalm_getter(RecordedCli(napalm_case("eos", "get_facts")), "r1", "get_facts")
    )
    assert facts == readers.facts_from_getter(expected("eos", "get_facts"))
    assert (facts.vendor, facts.model, facts.os_version) == ("Arista", "vEOS", "4.15.5M-3054042.4155M")
    interfaces = {
        i.interface: {str(a) for a in i.addresses}
        for i in readers.interfaces_from_getter(expected("eos", "get_interfaces_ip"))
    }
    assert interfaces["Ethernet36"] == {"198.51.100.12/25", "fe80::2/64", "2001:db8:85a3:8d3:1319:8a2e:370:7349/64"}


def test_eos_ospf_neighbours() -> None:
    shell = OneAnswer(
        fixture("eos/ntc-templates/arista_eos/show_ip_ospf_neighbor/arista_eos_show_ip_ospf_neighbor.raw")
    )
    found = eos.PROBES.ospf_neighbors(shell, "r1", 2)
    assert shell.commands == ["show ip ospf neighbor"]
    assert [(n.router_id, n.state, n.interface, n.full) for n in found] == [
        ("198.51.100.1", "FULL/BDR", "Ethernet2", True),
        ("198.51.100.3", "FULL", "Ethernet3", True),
    ]
    with pytest.raises(NotObservable):
        eos.PROBES.ospf_neighbors(shell, "r1", 3)


@pytest.mark.parametrize(
    ("family", "command", "raw", "want"),
    [
        (
            "ipv4",
            "show ip bgp summary",
            "show_ip_bgp_summary/arista_eos_show_ip_bgp_summary",
            {"198.51.100.6": (E, 7), "198.51.100.7": (E, 7)},
        ),
        (
            "ipv4",
            "show ip bgp summary",
            "show_ip_bgp_summary/arista_eos_show_ip_bgp_summary2",
            {"198.51.100.9": ("Active", 0), "198.51.100.10": ("Idle(NoIf)", 0), "198.51.100.11": (E, 1)},
        ),
        (
            "ipv6",
            "show ipv6 bgp summary",
            "show_ipv6_bgp_summary/arista_eos_show_ipv6_bgp_summary",
            {"2001:db8:ff11::1": (E, 7), "2001:db8:ff12::2": (E, 7)},
        ),
        (
            "ipv6",
            "show ipv6 bgp summary",
            "show_ipv6_bgp_summary/arista_eos_show_ipv6_bgp_summary2",
            {"2001:db8:ffff::1": ("Active", 0), "2001:db8:fff1::1": ("Idle(NoIf)", 0), "2001:db8:fff2::1": (E, 1)},
        ),
    ],
)
def test_eos_bgp_sessions(family: Any, command: str, raw: str, want: dict[str, tuple[str, int]]) -> None:
    shell = OneAnswer(fixture(f"eos/ntc-templates/arista_eos/{raw}.raw"))
    sessions = eos.PROBES.bgp_sessions(shell, "r1", family)
    assert shell.commands == [command]
    assert by_peer(sessions) == want and {s.family for s in sessions} == {family}


# -- Junos: ntc-templates on show output; the NETCONF getters' recorded results --------------------------


def test_junos_ospf_neighbours() -> None:
    shell = OneAnswer(
        fixture("junos/ntc-templates/juniper_junos/show_ospf_neighbor/juniper_junos_show_ospf_neighbor.raw")
    )
    found = junos.PROBES.ospf_neighbors(shell, "r1", 2)
    assert shell.commands == ["show ospf neighbor"]
    assert [(n.router_id, n.state, n.interface) for n in found] == [
        ("198.51.100.2", "Full", "ge-0/0/2.0"),
        ("198.51.100.4", "Full", "ge-0/0/3.0"),
    ]


@pytest.mark.parametrize("case", ["golden_output_output.txt", "golden_output_1_output.txt"])
def test_junos_ospf3_neighbours_agree_with_genieparser(case: str) -> None:
    output, want = genie(f"junos/genieparser/ShowOspf3Neighbor/cli/equal/{case}")
    shell = OneAnswer(output)
    found = junos.PROBES.ospf_neighbors(shell, "r1", 3)
    assert shell.commands == ["show ospf3 neighbor"]
    assert [(n.router_id, n.state, n.interface) for n in found] == [
        (e["neighbor-id"], e["ospf-neighbor-state"], e["interface-name"])
        for e in want["ospf3-neighbor-information"]["ospf3-neighbor"]
    ]
    assert found and all(n.full for n in found)


def test_junos_advertised_routes_agree_with_genieparser() -> None:
    cases = "junos/genieparser/ShowRouteAdvertisingProtocol/cli/equal"
    output, want = genie(f"{cases}/golden_output_2_output.txt")
    peer = json.loads((DEVICES / cases / "golden_output_2_arguments.json").read_text())["neighbor"]
    shell = OneAnswer(output)
    sent = junos.PROBES.advertised(shell, "r1", "ipv4", peer)
    assert shell.commands == [f"show route advertising-protocol bgp {peer}"]
    assert sent == {rt["rt-destination"] for rt in want["route-information"]["route-table"]["rt"]}
    assert sent == {"0.0.0.0/0", "198.51.100.5/32", "198.51.100.6/32"}  # a leaked default route shows
    assert junos.PROBES.advertised(shell, "r1", "ipv6", peer) == set()  # the recording has only inet.0


def test_junos_bgp_summary_establ_and_families() -> None:
    shell = OneAnswer(fixture("junos/ntc-templates/juniper_junos/show_bgp_summary/show_bgp_summary.raw"))
    ipv4 = junos.PROBES.bgp_sessions(shell, "r1", "ipv4")
    assert shell.commands == ["show bgp summary"]
    assert [(s.peer, s.state, s.prefixes_received) for s in ipv4][:4] == [
        ("198.51.100.5", E, 224),  # 'Establ', tables wanTrusted.inet.0: 23/224/224/0
        ("198.51.100.6", E, 224),
        ("198.51.100.100", E, 226),
        ("198.51.100.200", E, 70),
    ]
    assert len(ipv4) == 6
    assert junos.PROBES.bgp_sessions(shell, "r1", "ipv6") == []  # every table is inet.0


def test_junos_getter_results_to_typed_results() -> None:
    result = expected("junos", "get_bgp_neighbors")
    assert by_peer(readers.bgp_sessions_from_getter(result, "ipv4")) == {
        "198.51.100.2": (E, 0),
        "198.51.100.4": (E, 0),
        "198.51.100.6": ("Down", 0),
    }
    facts = readers.facts_from_getter(expected("junos", "get_facts"))
    assert facts == Facts("Juniper", "FIREFLY-PERIMETER", "12.1X47-D20.7", "vsrx")
    neighbours = readers.ipv6_neighbors_from_getter(expected("junos", "get_ipv6_neighbors_table"))
    assert [(n.address, n.mac, n.state) for n in neighbours][:2] == [
        ("2001:db8:ffff::2", "fe:54:00:08:ee:00", "stale"),
        ("2001:db8:ffff::3", "fe:54:00:08:ee:00", "reachable"),
    ]
    interfaces = {
        i.interface: [str(a) for a in i.addresses]
        for i in readers.interfaces_from_getter(expected("junos", "get_interfaces_ip"))
    }
    assert interfaces["lo0.3"] == ["198.51.100.1/32"]
    assert "fe80::56e0:3200:280:68b3/128" in interfaces["xe-0/1/0.2"]


# -- VRP: ntc-templates on display output -----------------------------------------------------------------


def test_vrp_bgp_peers() -> None:
    shell = OneAnswer(fixture("vrp/ntc-templates/huawei_vrp/display_bgp_peer/huawei_vrp_display_bgp_peer.raw"))
    sessions = vrp.PROBES.bgp_sessions(shell, "sw1", "ipv4")
    assert shell.commands == ["display bgp peer"]
    assert by_peer(sessions) == {f"198.51.100.{n}": (E, 551) for n in (2, 3, 4, 5)}
    idle = vrp.bgp_peers(
        fixture("vrp/ntc-templates/huawei_vrp/display_bgp_peer/huawei_vrp_display_bgp_peer2.raw"), "ipv4"
    )
    assert by_peer(idle) == {"198.51.100.7": ("Idle", 0), "198.51.100.8": (E, 0)}
    vrp.PROBES.bgp_sessions(shell, "sw1", "ipv6")
    assert shell.commands[-1] == "display bgp ipv6 peer"


def test_vrp_ipv6_neighbours_and_what_it_cannot_observe() -> None:
    found = vrp.ipv6_neighbors(
        fixture(
            "vrp/ntc-templates/huawei_vrp/display_ipv6_neighbors/huawei_vrp_display_ipv6_neighbors_description1.raw"
        )
    )
    assert [(n.address, n.mac, n.interface, n.state) for n in found] == [
        ("2001:db8:ffff::1", "70:7b:e8:e9:d3:29", "GE0/0/0", "STALE"),
        ("fe80::727b:e8ff:fee9:d329", "70:7b:e8:e9:d3:29", "GE0/0/1", "STALE"),
    ]
    shell = OneAnswer("")
    for ask in (
        lambda: vrp.PROBES.ospf_neighbors(shell, "sw1", 2),
        lambda: vrp.PROBES.advertised(shell, "sw1", "ipv4", "198.51.100.1"),
    ):
        with pytest.raises(NotObservable):
            ask()
    assert shell.commands == []


def test_napalm_huawei_vrp_family_keys() -> None:
    """napalm-huawei-vrp keys a peer's families 'ipv4 unicast'; multicast and VPN families are not the session."""
    peer = {
        "is_up": True,
        "is_enabled": True,
        "address_family": {"ipv4 unicast": {"received_prefixes": 5}, "ipv4 multicast": {"received_prefixes": 9}},
    }
    result = {"global": {"router_id": "198.51.100.1", "peers": {"198.51.100.2": peer}}}
    assert by_peer(readers.bgp_sessions_from_getter(result, "ipv4")) == {"198.51.100.2": (E, 5)}
    assert readers.bgp_sessions_from_getter(result, "ipv6") == []


# -- FRR, and the generic routing checks on any platform ----------------------------------------------------


def test_frr_probes_read_vtysh_json() -> None:
    from test_probes import FakeShell

    shell = FakeShell().on("core", "show ip ospf neighbor json", recorded("core.ospf-neighbor.json"))
    shell.on("core", "show ipv6 ospf6 neighbor json", recorded("core.ospf6-neighbor.json"))
    shell.on("core", "show bgp ipv6 unicast summary json", recorded("core.bgp-ipv6-summary.json"))
    ospf = frr.PROBES.ospf_neighbors(shell, "core", 2)
    assert ("198.51.100.115", "Full/-", "eth4") in {(n.router_id, n.state, n.interface) for n in ospf}
    assert ("198.51.100.115", "Full", "eth4") in {
        (n.router_id, n.state, n.interface) for n in frr.PROBES.ospf_neighbors(shell, "core", 3)
    }
    assert by_peer(frr.PROBES.bgp_sessions(shell, "core", "ipv6"))["3fff:100:0:1000::3"] == (E, 4)
    assert all("vtysh -c" in command for _, command in shell.calls)


def test_routing_probes_found_through_the_platform_registry() -> None:
    assert isinstance(routing_probes("frr"), frr.FrrProbes)
    # CliPlatform instances (pilot.platforms.cli): the module their `probes=` names
    assert isinstance(routing_probes("iosxe"), iosxe.IosxeProbes)
    assert isinstance(routing_probes("eos"), eos.EosProbes)
    assert isinstance(routing_probes("junos"), junos.JunosProbes)
    assert isinstance(routing_probes("vrp"), vrp.VrpProbes)
    for probes in (iosxe.PROBES, eos.PROBES, junos.PROBES, vrp.PROBES):
        assert isinstance(probes, RoutingProbes)
    with pytest.raises(PilotError, match="linux"):
        routing_probes("linux")  # hosts run no routing protocol


def test_routing_checks_ask_the_nodes_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check on an IOS-XE core: its probes' commands, its state words, the same texts."""
    monkeypatch.setattr("pilot.verify.routing.routing_probes", lambda platform: iosxe.PROBES)
    recorded_ios = fixture("iosxe/ntc-templates/cisco_ios/show_ip_ospf_neighbor/four_neighbors.raw")
    shell = OneAnswer(recorded_ios.replace("198.51.100.1 ", "198.51.100.115 "))
    c = check("dual-stack", "ospf core~dost-rtr")
    assert c.expected == "OSPFv2 neighbour dost-rtr (198.51.100.115) Full"
    assert c.probe(shell, c.node) == (True, "neighbour 198.51.100.115: FULL/BDR")
    assert shell.commands == ["show ip ospf neighbor"]
    c6 = check("dual-stack", "ospf6 core~dost-rtr")
    assert c6.probe(OneAnswer(""), c6.node) == (False, "neighbour 198.51.100.115: absent")


def test_a_routing_check_the_platform_cannot_observe_fails_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pilot.verify.routing.routing_probes", lambda platform: vrp.PROBES)
    shell = OneAnswer("")
    c = check("dual-stack", "ospf6 core~dost-rtr")
    passed, observed = c.probe(shell, c.node)
    assert not passed and observed.startswith("cannot observe: VRP OSPF neighbours")
    assert shell.commands == []
