"""Cisco IOS-XE's routing probes and parsers.

What each probe runs (one command per SSH exec, through pilot's Shell):
- OSPFv2 neighbours: `show ip ospf neighbor`, parsed by ntc-templates (cisco_ios_show_ip_ospf_neighbor).
- OSPFv3 neighbours: `show ospfv3 neighbor` (the IPv6 address family), parsed by pilot's own TextFSM
  template below: neither NAPALM nor ntc-templates reads it (tested on genieparser's recorded output).
- BGP sessions, both families: NAPALM's own get_bgp_neighbors (`show bgp all summary`, then
  `show bgp <afi> <safi> neighbors`), run through the Shell. ntc-templates' summary template drops IPv6
  neighbours, whose address IOS prints on a line of its own.
- Advertised routes: IPv4 `show ip bgp neighbors P advertised-routes` (ntc-templates); IPv6 not observable
  (no template, and IPv6 prefixes wrap the same way).
Other getters NAPALM's ios driver has, for callers with a NAPALM connection or the Shell: get_interfaces_ip,
get_ipv6_neighbors_table (also `show ipv6 neighbors` with ntc-templates), get_facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilot.platforms.probes import (
    ESTABLISHED,
    BgpSession,
    Family,
    Ipv6Neighbor,
    NotObservable,
    OspfNeighbor,
    OspfVersion,
    address,
    count,
    mac,
    prefix,
)
from pilot.platforms.readers import ShellCli, bgp_sessions_from_getter, parse_show, parse_textfsm

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

NTC_PLATFORM = "cisco_ios"  # ntc-templates has no IOS-XE platform of its own; IOS-XE's output is IOS's

# `show ospfv3 neighbor`: a table per process and address family ("OSPFv3 1 address-family ipv6
# (router-id ...)"); `show ipv6 ospf neighbor` prints the same table without that line. A state may hold
# spaces ("FULL/  -" on point-to-point links).
OSPFV3_NEIGHBOR = r"""Value Filldown ADDRESS_FAMILY (ipv4|ipv6)
Value Required NEIGHBOR_ID (\d+\.\d+\.\d+\.\d+)
Value PRIORITY (\d+)
Value STATE (\S+/\s*\S+|\S+)
Value DEAD_TIME (\S+)
Value INTERFACE_ID (\d+)
Value INTERFACE (\S+)

Start
  ^\s*OSPFv3\s+\d+\s+address-family\s+${ADDRESS_FAMILY}\s
  ^\s*${NEIGHBOR_ID}\s+${PRIORITY}\s+${STATE}\s+${DEAD_TIME}\s+${INTERFACE_ID}\s+${INTERFACE}\s*$$ -> Record
"""


def ospf_neighbors(output: str) -> list[OspfNeighbor]:
    """`show ip ospf neighbor` -> OSPFv2 neighbours (state FULL/DR, FULL/-, INIT/DROTHER, ...)."""
    rows = parse_show(NTC_PLATFORM, "show ip ospf neighbor", output)
    return [OspfNeighbor(2, r["neighbor_id"], r["state"], r["interface"]) for r in rows]


def ospfv3_neighbors(output: str) -> list[OspfNeighbor]:
    """`show ospfv3 neighbor` (or `show ipv6 ospf neighbor`) -> the OSPFv3 neighbours of the IPv6 address
    family (an OSPFv3 ipv4 address family is not what pilot runs: its IPv4 is OSPFv2)."""
    rows = parse_textfsm(OSPFV3_NEIGHBOR, output)
    return [
        OspfNeighbor(3, r["neighbor_id"], r["state"], r["interface"])
        for r in rows
        if r["address_family"] in ("", "ipv6")
    ]


def bgp_summary(output: str, family: Family = "ipv4") -> list[BgpSession]:
    """`show ip bgp summary` (IPv4 unicast) -> sessions. Its last column is the prefix count when the
    session is up, else the state (Active, Idle (Admin), ...). Not for IPv6: see the module's note."""
    rows = parse_show(NTC_PLATFORM, "show ip bgp summary", output)
    sessions = []
    for r in rows:
        last = r["state_or_prefixes_received"].strip()
        up = last.isdigit()
        sessions.append(BgpSession(family, address(r["bgp_neighbor"]), ESTABLISHED if up else last, count(last)))
    return sessions


def advertised_routes(output: str) -> set[str]:
    """`show ip bgp neighbors P advertised-routes` -> the prefixes sent."""
    return {prefix(r["network"]) for r in parse_show(NTC_PLATFORM, "show ip bgp neighbors advertised-routes", output)}


def ipv6_neighbors(output: str) -> list[Ipv6Neighbor]:
    """`show ipv6 neighbors` -> the neighbour cache (state REACH, STALE, DELAY, INCMP, ...)."""
    rows = parse_show(NTC_PLATFORM, "show ipv6 neighbors", output)
    return [Ipv6Neighbor(address(r["address"]), mac(r["mac_address"]), r["interface"], r["type"]) for r in rows]


def napalm_getter(shell: Shell, node: str, getter: str) -> Any:
    """Run one of NAPALM's ios getters with its own parsing, its commands sent through `shell`."""
    from napalm.ios.ios import IOSDriver  # NAPALM loads netmiko: only when a probe asks

    driver = IOSDriver(node, "", "")
    driver.device = ShellCli(shell, node)
    return getattr(driver, getter)()


class IosxeProbes:
    def ospf_neighbors(self, shell: Shell, node: str, version: OspfVersion) -> list[OspfNeighbor]:
        if version == 3:
            return ospfv3_neighbors(shell.run(node, "show ospfv3 neighbor").stdout)
        return ospf_neighbors(shell.run(node, "show ip ospf neighbor").stdout)

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]:
        return bgp_sessions_from_getter(napalm_getter(shell, node, "get_bgp_neighbors"), family)

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        if family == "ipv6":
            raise NotObservable("IOS-XE IPv6 advertised routes: no parser (ntc-templates reads only IPv4)")
        return advertised_routes(shell.run(node, f"show ip bgp neighbors {peer} advertised-routes").stdout)


PROBES = IosxeProbes()
