"""The verification probes against outputs recorded on a lab (tests/unit/data/probes): each check of the
pilot's packs, as build_pack() makes it from the intent, says pass or fail and what it saw."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from pilot.inputs import Inputs, load_inputs
from pilot.stages import get_stage, stage_names
from pilot.transport.result import Completed
from pilot.verify import build_pack
from pilot.verify.dhcp import _offer6
from pilot.verify.model import Check
from testroot import ROOT

DATA = Path(__file__).with_name("data") / "probes"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


class FakeShell:
    """Replays recorded outputs: a command on a node gets the answers of the first (node, pattern) it
    matches, in the order given (the last one repeats). A command nothing answers is a test failure."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, re.Pattern[str], list[Completed]]] = []
        self.calls: list[tuple[str, str]] = []

    def on(self, node: str, pattern: str, stdout: str = "", returncode: int = 0, stderr: str = "") -> FakeShell:
        answer = Completed(returncode, stdout, stderr)
        for n, p, answers in self.answers:
            if n == node and p.pattern == pattern:
                answers.append(answer)
                return self
        self.answers.append((node, re.compile(pattern), [answer]))
        return self

    def replay(self, name: str) -> FakeShell:
        """A recorded exchange (data/probes/<name>): each command by its first line, in order."""
        for step in json.loads(recorded(name)):
            self.on(step["node"], "^" + re.escape(step["command"]), step["stdout"], step["returncode"], step["stderr"])
        return self

    def run(self, node: str, command: str, timeout: float = 30.0) -> Completed:
        self.calls.append((node, command))
        for n, pattern, answers in self.answers:
            if n == node and pattern.search(command):
                return answers.pop(0) if len(answers) > 1 else answers[0]
        raise AssertionError(f"no recorded answer for {command.splitlines()[0]!r} on {node}")


@cache
def _inputs() -> Inputs:
    return load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")


def check(stage: str, name: str) -> Check:
    inputs = _inputs()
    found = [c for c in build_pack(inputs.intent, inputs.plan, get_stage(stage)) if c.name == name]
    assert len(found) == 1, f"{stage} has no check {name!r}"
    return found[0]


def verdict(stage: str, name: str, shell: FakeShell) -> tuple[bool, str]:
    c = check(stage, name)
    return c.probe(shell, c.node)


# -- which checks each stage gets ---------------------------------------------------------------------

AGENCY_ROUTERS = ("dost-rtr", "soyte-rtr")  # each agency's router, linked to core
OSPF = [f"ospf core~{rtr}" for rtr in AGENCY_ROUTERS]
OSPF46 = [f"{kind} core~{rtr}" for rtr in AGENCY_ROUTERS for kind in ("ospf", "ospf6")]
ROUTING4 = [f"{kind}-ipv4 core~{isp}" for isp in ("isp1", "isp2") for kind in ("bgp", "bgp-export")]
ROUTING46 = [
    f"{kind}-{family} core~{isp}"
    for isp in ("isp1", "isp2")
    for family in ("ipv4", "ipv6")
    for kind in ("bgp", "bgp-export")
]
LEGACY = ["addressing legacy1", "dhcpv4-offer legacy1", "addressing rogue1", "legacy-ipv4 legacy1"]
FHS = ["ra-guard rogue1", "dhcpv6-shield rogue1"]


def _names(checks: str, *clients: str) -> list[str]:
    return [f"{check} {client}" for client in clients for check in checks.split()]


PACKS = {
    "ipv4": [
        *OSPF,
        *ROUTING4,
        *_names("addressing dhcpv4-offer dhcpv4 portal-ipv4 internet-ipv4", "pc1", "pc2"),
        *LEGACY,
        *_names("addressing dhcpv4-offer dhcpv4 portal-ipv4 internet-ipv4", "soyte-pc1", "soyte-pc2"),
    ],
    "dual-stack": [
        *OSPF46,
        *ROUTING46,
        *_names(
            "addressing dhcpv4-offer dhcpv6-offer dhcpv4 portal-ipv4 internet-ipv4 ra slaac dhcpv6 portal-ipv6 no-dns64",
            "pc1",
            "pc2",
        ),
        *LEGACY,
        "pref64 pc1",  # the RA carries no PREF64 yet
        *FHS,
        # soyte/hq: two clients, no IPv4-only printer nor rogue host; stateless DHCPv6 (no lease to hold)
        *_names(
            "addressing dhcpv4-offer dhcpv6-offer dhcpv4 portal-ipv4 internet-ipv4 ra slaac portal-ipv6 no-dns64",
            "soyte-pc1",
            "soyte-pc2",
        ),
        "pref64 soyte-pc1",
    ],
    # pc1 honours option 108: it holds no IPv4; pc2 does not, and keeps its lease.
    "ipv6-mostly": [
        *OSPF46,
        *ROUTING46,
        *_names("addressing dhcpv4-offer dhcpv6-offer option108 ra slaac dhcpv6 portal-ipv6 dns64 nat64", "pc1"),
        *_names(
            "addressing dhcpv4-offer dhcpv6-offer dhcpv4 portal-ipv4 internet-ipv4 ra slaac dhcpv6 portal-ipv6 dns64 nat64",
            "pc2",
        ),
        *LEGACY,
        "pref64 dost/hq",
        *FHS,
        *_names("addressing dhcpv4-offer dhcpv6-offer option108 ra slaac portal-ipv6 dns64 nat64", "soyte-pc1"),
        *_names(
            "addressing dhcpv4-offer dhcpv6-offer dhcpv4 portal-ipv4 internet-ipv4 ra slaac portal-ipv6 dns64 nat64",
            "soyte-pc2",
        ),
        "pref64 soyte/hq",
    ],
    # No IPv4 on user segments; the legacy printer keeps its IPv4.
    "ipv6-only": [
        *OSPF46,
        *ROUTING46,
        *_names("addressing dhcpv6-offer no-ipv4 ra slaac dhcpv6 portal-ipv6 dns64 nat64", "pc1", "pc2"),
        *LEGACY,
        "pref64 dost/hq",
        *FHS,
        *_names("addressing dhcpv6-offer no-ipv4 ra slaac portal-ipv6 dns64 nat64", "soyte-pc1", "soyte-pc2"),
        "pref64 soyte/hq",
    ],
}


@pytest.mark.parametrize("stage", stage_names())
def test_each_stage_gets_its_checks(stage: str) -> None:
    inputs = _inputs()
    checks = build_pack(inputs.intent, inputs.plan, get_stage(stage))
    assert [c.name for c in checks] == PACKS[stage]
    exclusive = [c.name for c in checks if c.exclusive]
    assert exclusive == [n for n in FHS if n in PACKS[stage]]  # injecting traffic: after the others
    skipped = {c.name: c.skip for c in checks if c.skip}
    assert list(skipped) == (["pref64 dost/hq", "pref64 soyte/hq"] if stage in ("ipv6-mostly", "ipv6-only") else [])


def test_pref64_is_checked_where_the_platform_can_send_it() -> None:
    """On the client that honours option 108, where a CLAT would need the prefix: pc1."""
    inputs = _inputs()
    for stage in ("ipv6-mostly", "ipv6-only"):
        checks = build_pack(inputs.intent, inputs.plan, get_stage(stage), pref64_capable=True)
        names = [c.name for c in checks]
        assert "pref64 dost/hq" not in names
        found = next(c for c in checks if c.name == "pref64 pc1")
        assert (found.node, found.expected, found.skip) == ("pc1", "RA carries PREF64 2001:db8:0:6464::/96", None)


# -- routing ----------------------------------------------------------------------------------------


def test_ospf_full_absent_or_not_yet_full() -> None:
    ok = FakeShell().on("core", "show ip ospf neighbor json", recorded("core.ospf-neighbor.json"))
    assert verdict("dual-stack", "ospf core~dost-rtr", ok) == (True, "neighbour 198.51.100.115: Full/-")
    down = FakeShell().on("core", "show ip ospf neighbor json", recorded("core.ospf-neighbor.link-down.json"))
    assert verdict("dual-stack", "ospf core~dost-rtr", down) == (False, "neighbour 198.51.100.115: absent")
    exstart = recorded("core.ospf-neighbor.json").replace('"nbrState":"Full\\/-"', '"nbrState":"ExStart\\/-"')
    starting = FakeShell().on("core", "show ip ospf neighbor json", exstart)
    assert verdict("dual-stack", "ospf core~dost-rtr", starting) == (False, "neighbour 198.51.100.115: ExStart/-")


def test_ospf6_full_or_absent() -> None:
    ok = FakeShell().on("core", "show ipv6 ospf6 neighbor json", recorded("core.ospf6-neighbor.json"))
    assert verdict("dual-stack", "ospf6 core~dost-rtr", ok) == (True, "neighbour 198.51.100.115: Full")
    down = FakeShell().on("core", "show ipv6 ospf6 neighbor json", recorded("core.ospf6-neighbor.link-down.json"))
    assert verdict("dual-stack", "ospf6 core~dost-rtr", down) == (False, "neighbour 198.51.100.115: absent")


def test_bgp_session_established_with_routes() -> None:
    shell = FakeShell().on("core", "show bgp ipv4 unicast summary json", recorded("core.bgp-ipv4-summary.json"))
    shell.on("core", "show bgp ipv6 unicast summary json", recorded("core.bgp-ipv6-summary.json"))
    for name in ("bgp-ipv4 core~isp1", "bgp-ipv4 core~isp2", "bgp-ipv6 core~isp1", "bgp-ipv6 core~isp2"):
        assert verdict("dual-stack", name, shell) == (True, "Established, 4 prefixes received")


def test_bgp_session_shut_down_fails_only_for_that_operator() -> None:
    shell = FakeShell().on(
        "core", "show bgp ipv4 unicast summary json", recorded("core.bgp-ipv4-summary.isp1-shutdown.json")
    )
    assert verdict("dual-stack", "bgp-ipv4 core~isp1", shell) == (False, "Idle (Admin), 0 prefixes received")
    assert verdict("dual-stack", "bgp-ipv4 core~isp2", shell) == (True, "Established, 4 prefixes received")


def test_bgp_established_without_routes_fails() -> None:
    none = recorded("core.bgp-ipv4-summary.json").replace('"pfxRcd":4', '"pfxRcd":0')
    shell = FakeShell().on("core", "show bgp ipv4 unicast summary json", none)
    assert verdict("dual-stack", "bgp-ipv4 core~isp1", shell) == (False, "Established, 0 prefixes received")


def test_bgp_answer_that_is_not_json_fails() -> None:
    shell = FakeShell().on("core", "summary json", "% BGP instance not found\n", returncode=1)
    assert verdict("dual-stack", "bgp-ipv4 core~isp1", shell) == (False, "absent, 0 prefixes received")


def test_the_province_advertises_its_own_aggregate() -> None:
    shell = FakeShell().on(
        "core",
        r"ipv6 unicast neighbors 3fff:100:0:1000::3 advertised-routes",
        recorded("core.bgp-ipv6-advertised-isp1.json"),
    )
    shell.on(
        "core", r"ipv4 unicast neighbors 203.0.113.9 advertised-routes", recorded("core.bgp-ipv4-advertised-isp1.json")
    )
    assert verdict("dual-stack", "bgp-export-ipv6 core~isp1", shell) == (True, "advertises 2001:db8::/32")
    assert verdict("dual-stack", "bgp-export-ipv4 core~isp1", shell) == (True, "advertises 198.51.100.0/24")


def test_a_leaked_default_route_and_the_other_operators_prefixes_fail_and_are_named() -> None:
    # Issue 7's drift on core: `route-map PROVINCE-V6 permit 10` without its `match`.
    shell = FakeShell().on(
        "core",
        r"ipv6 unicast neighbors 3fff:100:0:1000::3 advertised-routes",
        recorded("core.bgp-ipv6-advertised-isp1.route-map-drift.json"),
    )
    passed, observed = verdict("dual-stack", "bgp-export-ipv6 core~isp1", shell)
    assert not passed
    assert observed == (
        "advertises 2001:db8::/32, 3fff:100:0:1::/64, 3fff:100::1/128, 3fff:100::2/128, ::/0; "
        "NOT the province's: 3fff:100:0:1::/64, 3fff:100::1/128, 3fff:100::2/128, ::/0"
    )


def test_advertising_nothing_fails() -> None:
    empty = json.loads(recorded("core.bgp-ipv6-advertised-isp1.json"))
    empty["advertisedRoutes"], empty["totalPrefixCounter"] = {}, 0
    shell = FakeShell().on("core", "advertised-routes", json.dumps(empty))
    assert verdict("dual-stack", "bgp-export-ipv6 core~isp1", shell) == (False, "advertises nothing")


# -- a client's addresses -----------------------------------------------------------------------------


def pc1(addr6: str = "pc1.ip6-addr-eth1.json", route6: str = "pc1.ip6-route-eth1.json") -> FakeShell:
    shell = FakeShell()
    shell.on("pc1", r"^ip -4 -j addr show dev eth1 scope global$", recorded("pc1.ip4-addr-eth1.json"))
    shell.on("pc1", r"^ip -6 -j addr show dev eth1 scope global$", recorded(addr6))
    shell.on("pc1", r"^ip -4 -j route show dev eth1$", recorded("pc1.ip4-route-eth1.json"))
    shell.on("pc1", r"^ip -6 -j route show dev eth1$", recorded(route6))
    return shell


def test_nothing_foreign_on_a_client_link_local_and_default_routes_are_fine() -> None:
    assert verdict("dual-stack", "addressing pc1", pc1()) == (True, "nothing from another segment")


def test_an_address_and_on_link_route_from_another_segment_fail() -> None:
    # Issue 7, item 3: pc1 (users, VLAN 10) with an address from the printers' 2001:db8:1000:4028::/64.
    shell = pc1("pc1.ip6-addr-eth1.foreign.json", "pc1.ip6-route-eth1.foreign.json")
    assert verdict("dual-stack", "addressing pc1", shell) == (
        False,
        "FOREIGN: address 2001:db8:1000:4028::99/64, route 2001:db8:1000:4028::/64",
    )


def test_ipv6_left_from_a_later_stage_is_foreign_after_a_rollback_to_ipv4() -> None:
    passed, observed = verdict("ipv4", "addressing pc1", pc1())
    assert not passed
    assert observed == (
        "FOREIGN: address 2001:db8:1000:100a::1000/128, address 2001:db8:1000:100a:ccd:2dff:fedc:b74d/64, "
        "route 2001:db8:1000:100a::/64"
    )


def test_a_client_holds_its_leases_and_slaac_address() -> None:
    shell = pc1()
    assert verdict("dual-stack", "dhcpv4 pc1", shell) == (True, "198.51.100.16/26")
    assert verdict("dual-stack", "slaac pc1", shell) == (True, "2001:db8:1000:100a:ccd:2dff:fedc:b74d/64")
    assert verdict("dual-stack", "dhcpv6 pc1", shell) == (True, "2001:db8:1000:100a::1000")


def test_a_client_without_leases_fails() -> None:
    shell = FakeShell().on("pc1", r"addr show dev eth1 scope global", '[{"ifname":"eth1","addr_info":[{}]}]')
    assert verdict("dual-stack", "dhcpv4 pc1", shell) == (False, "none")
    assert verdict("dual-stack", "slaac pc1", shell) == (False, "none")
    assert verdict("dual-stack", "dhcpv6 pc1", shell) == (False, "no address from the pool")


def test_a_tentative_address_is_not_yet_held() -> None:
    tentative = recorded("pc1.ip6-addr-eth1.json").replace(
        '"dynamic":true,"noprefixroute"', '"tentative":true,"noprefixroute"'
    )
    shell = FakeShell().on("pc1", r"^ip -6 -j addr show dev eth1 scope global$", tentative)
    assert verdict("dual-stack", "dhcpv6 pc1", shell) == (False, "no address from the pool")


def test_option108_the_client_gives_up_ipv4() -> None:
    shell = FakeShell().on("pc1", r"^ip -4 -j addr show", recorded("pc1.ip4-addr-eth1.ipv6-mostly.json"))
    shell.on("pc1", r"^ip -4 route show default$", "")
    assert verdict("ipv6-mostly", "option108 pc1", shell) == (True, "no IPv4 address; no IPv4 default route")
    kept = FakeShell().on("pc1", r"^ip -4 -j addr show", recorded("pc1.ip4-addr-eth1.json"))
    kept.on("pc1", r"^ip -4 route show default$", recorded("pc1.ip4-route-default.txt"))
    assert verdict("ipv6-mostly", "option108 pc1", kept) == (
        False,
        "198.51.100.16/26; default default via 198.51.100.1 dev eth1 proto dhcp src 198.51.100.16 metric 1003",
    )


# -- what the network offers: RA, fresh DHCP exchanges --------------------------------------------------


def test_ra_with_prefix_rdnss_dnssl_and_the_managed_flag() -> None:
    shell = FakeShell().on("pc1", r"^rdisc6 -1 -r 3 -w 1000 eth1$", recorded("pc1.rdisc6.txt"))
    assert verdict("dual-stack", "ra pc1", shell) == (
        True,
        "prefix 2001:db8:1000:100a::/64, RDNSS 2001:db8:100:2014::10, DNSSL pilot.test, M=Yes, O=Yes",
    )


def test_ra_without_the_managed_flag_on_a_stateful_segment_fails() -> None:
    stateless = recorded("pc1.rdisc6.txt").replace(
        "Stateful address conf.    :          Yes", "Stateful address conf.    :           No"
    )
    shell = FakeShell().on("pc1", "rdisc6", stateless)
    passed, observed = verdict("dual-stack", "ra pc1", shell)
    assert not passed and "M=No" in observed


def test_no_ra_at_all_fails() -> None:
    shell = FakeShell().on(
        "pc1", "rdisc6", recorded("legacy1.rdisc6.txt"), 1, "Sending ICMPv6 packet: Network is unreachable\n"
    )
    assert verdict("dual-stack", "ra pc1", shell) == (False, "prefix none, RDNSS none, DNSSL none, M=?, O=?")


DHCP4 = r"^python3 - 4 eth1 3 --option108 <<'PILOT_EOF'\n"


def test_dhcpv4_offer_in_the_pool_from_the_right_router() -> None:
    shell = FakeShell().on("pc1", DHCP4, recorded("pc1.dhcp4.json"))
    assert verdict("dual-stack", "dhcpv4-offer pc1", shell) == (
        True,
        "offer 198.51.100.21 from 198.51.100.84, router 198.51.100.1, no option 108",
    )
    assert "import" in shell.calls[0][1]  # the probe script travels with the command


def test_dhcpv4_offer_of_another_segment_fails() -> None:
    # The printers' segment's offer (recorded on legacy1) where the users' segment is expected.
    shell = FakeShell().on("pc1", DHCP4, recorded("legacy1.dhcp4.json"))
    assert verdict("dual-stack", "dhcpv4-offer pc1", shell) == (
        False,
        "offer 198.51.100.102 from 198.51.100.84, router 198.51.100.97, no option 108",
    )


def test_option_108_present_exactly_where_the_stage_wants_it() -> None:
    mostly = FakeShell().on("pc1", DHCP4, recorded("pc1.dhcp4.ipv6-mostly.json"))
    assert verdict("ipv6-mostly", "dhcpv4-offer pc1", mostly) == (
        True,
        "offer 198.51.100.21 from 198.51.100.84, router 198.51.100.1, option 108 = 300 s",
    )
    assert not verdict("dual-stack", "dhcpv4-offer pc1", mostly)[0]  # 108 where the stage has none
    dual = FakeShell().on("pc1", DHCP4, recorded("pc1.dhcp4.json"))
    assert not verdict("ipv6-mostly", "dhcpv4-offer pc1", dual)[0]  # 108 missing
    pc2 = FakeShell().on("pc2", DHCP4, recorded("pc1.dhcp4.ipv6-mostly.json"))
    assert verdict("ipv6-mostly", "dhcpv4-offer pc2", pc2)[0]  # the segment has it, whoever asks


def test_a_stopped_dhcp_server_fails_at_once_with_the_probes_words() -> None:
    shell = FakeShell().on("pc1", DHCP4, recorded("pc1.dhcp4.server-stopped.json"))
    assert verdict("dual-stack", "dhcpv4-offer pc1", shell) == (False, "no DHCPv4 offer within 3 s")
    shell6 = FakeShell().on("pc1", r"^python3 - 6 eth1 3 <<", recorded("pc1.dhcp6.server-stopped.json"))
    assert verdict("dual-stack", "dhcpv6-offer pc1", shell6) == (False, "no DHCPv6 advertise within 3 s")


def test_dhcpv6_advertise_in_the_pool_with_the_name_server() -> None:
    shell = FakeShell().on("pc1", r"^python3 - 6 eth1 3 <<", recorded("pc1.dhcp6.json"))
    assert verdict("dual-stack", "dhcpv6-offer pc1", shell) == (
        True,
        "advertise 2001:db8:1000:100a::1005, DNS 2001:db8:100:2014::10",
    )
    outside = recorded("pc1.dhcp6.json").replace("2001:db8:1000:100a::1005", "2001:db8:1000:100a::5")
    passed, observed = verdict("dual-stack", "dhcpv6-offer pc1", FakeShell().on("pc1", "python3 - 6 ", outside))
    assert not passed and observed == "advertise 2001:db8:1000:100a::5, DNS 2001:db8:100:2014::10"


def test_dhcpv6_information_request_on_a_stateless_segment() -> None:
    probe = _offer6("eth1", None, ["2001:db8:100:2014::10"])
    shell = FakeShell().on("pc1", r"^python3 - 6i eth1 3 <<", recorded("pc1.dhcp6i.json"))
    assert probe(shell, "pc1") == (True, "DNS 2001:db8:100:2014::10")
    ipv4_only = FakeShell().on("legacy1", r"^python3 - 6i eth1 3 <<", recorded("legacy1.dhcp6i.json"))
    assert probe(ipv4_only, "legacy1") == (False, "eth1 has no link-local address")
    other_dns = FakeShell().on("pc1", r"^python3 - 6i ", recorded("pc1.dhcp6i.json").replace("2014::10", "2014::53"))
    assert probe(other_dns, "pc1") == (False, "DNS 2001:db8:100:2014::53")


def test_a_dhcp_probe_that_answers_nothing_fails_with_a_reason() -> None:
    shell = FakeShell().on("pc1", DHCP4, "", 127, "sh: 1: python3: not found\n")
    passed, observed = verdict("dual-stack", "dhcpv4-offer pc1", shell)
    assert not passed and observed == "the DHCP probe gave no answer: sh: 1: python3: not found"


# -- reaching services ----------------------------------------------------------------------------------


def test_the_portal_over_both_families() -> None:
    shell = FakeShell().on("pc1", r"^curl -4 .* http://portal\.pilot\.test/$", recorded("pc1.curl-portal4.txt"))
    shell.on("pc1", r"^curl -6 .* http://portal\.pilot\.test/$", recorded("pc1.curl-portal6.txt"))
    assert verdict("dual-stack", "portal-ipv4 pc1", shell) == (True, "HTTP 200 from 198.51.100.85")
    assert verdict("dual-stack", "portal-ipv6 pc1", shell) == (True, "HTTP 200 from 2001:db8:100:2014::13")


def test_the_portal_answering_from_another_address_fails() -> None:
    shell = FakeShell().on("pc1", r"^curl -6 ", "2001:db8:100:2014::99 200")
    assert verdict("dual-stack", "portal-ipv6 pc1", shell) == (False, "HTTP 200 from 2001:db8:100:2014::99")
    error = FakeShell().on("pc1", r"^curl -6 ", "2001:db8:100:2014::13 503")
    assert verdict("dual-stack", "portal-ipv6 pc1", error) == (False, "HTTP 503 from 2001:db8:100:2014::13")


def test_nat64_reaches_the_ipv4_only_site_through_the_prefix() -> None:
    shell = FakeShell().on(
        "pc1", r"^curl -6 .* http://v4web\.pilot\.test/$", recorded("pc1.curl-v4web6.ipv6-mostly.txt")
    )
    assert verdict("ipv6-mostly", "nat64 pc1", shell) == (True, "HTTP 200 from 2001:db8:0:6464::cb00:7103")
    # At dual-stack there is no AAAA for v4web: curl cannot connect.
    none = FakeShell().on(
        "pc1", r"^curl -6 ", recorded("pc1.curl-v4web6.txt"), 7, "curl: (7) Couldn't connect to server\n"
    )
    assert verdict("ipv6-mostly", "nat64 pc1", none) == (False, "curl: (7) Couldn't connect to server")
    direct = FakeShell().on("pc1", r"^curl -6 ", "2001:db8:100:2014::13 200")  # a 200, but not through NAT64
    assert verdict("ipv6-mostly", "nat64 pc1", direct)[0] is False


def test_ipv4_internet_from_a_dual_stack_client() -> None:
    shell = FakeShell().on(
        "pc2", r"^curl -4 .* http://v4web\.pilot\.test/$", recorded("pc2.curl-v4web4.ipv6-mostly.txt")
    )
    assert verdict("ipv6-mostly", "internet-ipv4 pc2", shell) == (True, "HTTP 200 from 203.0.113.3")


def test_dns64_synthesizes_ipv4only_arpa_in_the_province_prefix() -> None:
    shell = FakeShell().on(
        "pc1", r"^dig \+short \+time=2 \+tries=1 AAAA ipv4only\.arpa$", recorded("pc1.dig-ipv4only.ipv6-mostly.txt")
    )
    assert verdict("ipv6-mostly", "dns64 pc1", shell) == (True, "2001:db8:0:6464::c000:aa, 2001:db8:0:6464::c000:ab")
    assert verdict("ipv6-mostly", "dns64 pc1", FakeShell().on("pc1", "^dig ", "")) == (False, "no answer")


def test_the_legacy_printer_keeps_ipv4() -> None:
    shell = FakeShell().replay("legacy-ipv4.legacy1.json")
    assert verdict("ipv6-mostly", "legacy-ipv4 legacy1", shell) == (
        True,
        "198.51.100.100/28, gateway 198.51.100.97 answers",
    )
    silent = FakeShell().replay("legacy-ipv4.legacy1.json")
    silent.answers[1] = (silent.answers[1][0], silent.answers[1][1], [Completed(1, "", "")])
    assert verdict("ipv6-mostly", "legacy-ipv4 legacy1", silent) == (
        False,
        "198.51.100.100/28, gateway 198.51.100.97 silent",
    )


# -- first-hop security --------------------------------------------------------------------------------


def test_ra_guard_drops_the_rogue_ra_and_nothing_is_left_behind() -> None:
    shell = FakeShell().replay("ra-guard.rogue1.json")
    assert verdict("ipv6-mostly", "ra-guard rogue1", shell) == (
        True,
        "pc1 and the others: no rogue address or route; dost-sw dropped 9 RAs",
    )
    cleaned = {node for node, command in shell.calls if command.startswith("for a in $(ip -6 -o addr show dev eth1")}
    assert cleaned == {"pc1", "pc2"}  # every other host of the segment, not the victim alone
    assert not [c for n, c in shell.calls if n == "rogue1" and " 0 <<" in c]  # nothing got through: no withdrawal


def test_without_ra_guard_the_rogue_route_reaches_the_victim() -> None:
    shell = FakeShell().replay("ra-guard.rogue1.no-fhs-table.json")  # the switch's table deleted
    assert verdict("ipv6-mostly", "ra-guard rogue1", shell) == (
        False,
        "pc1: 2001:db8:bad:bad:ccd:2dff:fedc:b74d/64, route 2001:db8:bad:bad::/64;"
        " pc2: 2001:db8:bad:bad:e9:eeff:fee1:1b93/64, route 2001:db8:bad:bad::/64; dost-sw dropped 0 RAs",
    )
    assert [c.splitlines()[0] for n, c in shell.calls if n == "rogue1" and c.startswith("python3 -")][-1] == (
        "python3 - eth1 2001:db8:bad:bad:: 0 <<'PILOT_EOF'"  # the rogue router and prefix withdrawn
    )


def test_what_a_rogue_ra_left_behind_fails_the_check() -> None:
    steps = json.loads(recorded("ra-guard.rogue1.no-fhs-table.json"))
    routes = [i for i, s in enumerate(steps) if s["node"] == "pc1" and s["command"].startswith("ip -6 route show")]
    shell = FakeShell()
    for i, step in enumerate(steps):
        stdout = step["stdout"]
        if i == routes[-1]:  # the clean-up could not remove the route: it is still there at the end
            stdout = steps[routes[0]]["stdout"]
        shell.on(step["node"], "^" + re.escape(step["command"]), stdout, step["returncode"], step["stderr"])
    passed, observed = verdict("ipv6-mostly", "ra-guard rogue1", shell)
    assert not passed and observed.endswith("; LEFT BEHIND on pc1: route 2001:db8:bad:bad::/64")


def test_ra_guard_counter_read_from_nft_json() -> None:
    """The Linux switch's drop counters: the Linux platform plugin reads them (pilot.platforms.linux)."""
    from pilot.platforms.linux import LinuxPlatform

    def _counter(shell: FakeShell, node: str, guard: str) -> int | None:
        return LinuxPlatform().fhs_drops(shell, node, guard)

    shell = FakeShell().on(
        "dost-sw", r"^nft -j list chain bridge pilot_fhs forward$", recorded("dost-sw.nft-fhs-forward.json")
    )
    assert _counter(shell, "dost-sw", "RA Guard") == 9
    assert _counter(shell, "dost-sw", "DHCPv6-Shield") == 1
    assert _counter(shell, "dost-sw", "no such rule") == 0
    assert (
        _counter(FakeShell().on("dost-sw", "nft", "", 1, "Error: No such file or directory"), "dost-sw", "RA Guard")
        == 0
    )


def test_dhcpv6_shield_drops_server_messages_from_host_ports() -> None:
    ok = FakeShell().replay("dhcpv6-shield.rogue1.json")
    assert verdict("ipv6-mostly", "dhcpv6-shield rogue1", ok) == (
        True,
        "pc2 received: server port 547 no, control port 5470 yes",
    )
    leaked = FakeShell().replay("dhcpv6-shield.rogue1.no-fhs-table.json")
    assert verdict("ipv6-mostly", "dhcpv6-shield rogue1", leaked) == (
        False,
        "pc2 received: server port 547 YES, control port 5470 yes",
    )
