"""Juniper Junos's routing probes and parsers.

What each probe runs (one command per SSH exec, through pilot's Shell):
- OSPFv2 neighbours: `show ospf neighbor`, parsed by ntc-templates (juniper_junos_show_ospf_neighbor).
- OSPFv3 neighbours: `show ospf3 neighbor`, parsed by pilot's own TextFSM template below (ntc-templates
  has none; tested on genieparser's recorded output).
- BGP sessions: `show bgp summary`, parsed by ntc-templates (juniper_junos_show_bgp_summary): a peer's
  table line (inet.0 / inet6.0, also <instance>.inet.0) gives its family and Active/Received counts; a
  peer that is down has no table line, its address says the family.
- Advertised routes: `show route advertising-protocol bgp P`, pilot's own TextFSM template below (the
  prefixes of the peer's family: inet.0 for IPv4, inet6.0 for IPv6).
NAPALM's junos driver reads over NETCONF (junos-eznc RPCs), not a shell: its getters' results
(get_bgp_neighbors, get_interfaces_ip, get_ipv6_neighbors_table, get_facts) convert with pilot.platforms.readers
for a caller holding a NAPALM connection.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from pilot.platforms.probes import (
    ESTABLISHED,
    BgpSession,
    Family,
    OspfNeighbor,
    OspfVersion,
    address,
    count,
    prefix,
)
from pilot.platforms.readers import parse_show, parse_textfsm

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

NTC_PLATFORM = "juniper_junos"

# `show ospf3 neighbor`: ID, Interface, State, Pri, Dead, then "Neighbor-address fe80::..." on a line of its own.
OSPF3_NEIGHBOR = r"""Value Required NEIGHBOR_ID (\d+\.\d+\.\d+\.\d+)
Value INTERFACE (\S+)
Value STATE (\S+)
Value PRIORITY (\d+)
Value DEAD (\d+)
Value ADDRESS (\S+)

Start
  ^\s*\d+\.\d+\.\d+\.\d+\s+\S+\s+\S+\s+\d+\s+\d+\s*$$ -> Continue.Record
  ^\s*${NEIGHBOR_ID}\s+${INTERFACE}\s+${STATE}\s+${PRIORITY}\s+${DEAD}\s*$$
  ^\s*Neighbor-address\s+${ADDRESS}
"""

# `show route advertising-protocol bgp P`: a table line ("inet.0: 10 destinations, ..."), a header, then a
# prefix per route, after the active tag (*, +, -) when there is one.
ADVERTISED = r"""Value Filldown TABLE (\S+)
Value Required PREFIX ([0-9a-fA-F:.]+/\d+)

Start
  ^\s*${TABLE}:\s+\d+\s+destinations
  ^\s*[*+-]?\s*${PREFIX}(\s|$$) -> Record
"""


def ospf_neighbors(output: str) -> list[OspfNeighbor]:
    """`show ospf neighbor` -> OSPFv2 neighbours (state Full, 2Way, Init, ExStart, ...)."""
    rows = parse_show(NTC_PLATFORM, "show ospf neighbor", output)
    return [OspfNeighbor(2, r["neighbor_id"], r["state"], r["interface"]) for r in rows]


def ospf3_neighbors(output: str) -> list[OspfNeighbor]:
    """`show ospf3 neighbor` -> OSPFv3 neighbours."""
    return [
        OspfNeighbor(3, r["neighbor_id"], r["state"], r["interface"]) for r in parse_textfsm(OSPF3_NEIGHBOR, output)
    ]


def advertised_routes(output: str, family: Family) -> set[str]:
    """`show route advertising-protocol bgp P` -> the prefixes of `family` sent to the peer."""
    version = 4 if family == "ipv4" else 6
    prefixes = {prefix(r["prefix"]) for r in parse_textfsm(ADVERTISED, output)}
    return {p for p in prefixes if ipaddress.ip_network(p).version == version}


def _family(table: str, peer: str) -> Family:
    if table.endswith("inet6.0"):
        return "ipv6"
    if table.endswith("inet.0"):
        return "ipv4"
    try:
        return "ipv6" if ipaddress.ip_address(peer).version == 6 else "ipv4"
    except ValueError:
        return "ipv4"


def bgp_summary(output: str, family: Family) -> list[BgpSession]:
    """`show bgp summary` -> the sessions of one family (Junos writes Established as 'Establ')."""
    sessions = []
    for r in parse_show(NTC_PLATFORM, "show bgp summary", output):
        peer, state = address(r["peer_ip"]), r["state"].strip()
        if _family(r["interface"].strip(), peer) != family:
            continue
        up = state.startswith("Establ")
        sessions.append(BgpSession(family, peer, ESTABLISHED if up else state, count(r["received"])))
    return sessions


class JunosProbes:
    def ospf_neighbors(self, shell: Shell, node: str, version: OspfVersion) -> list[OspfNeighbor]:
        if version == 3:
            return ospf3_neighbors(shell.run(node, "show ospf3 neighbor").stdout)
        return ospf_neighbors(shell.run(node, "show ospf neighbor").stdout)

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]:
        return bgp_summary(shell.run(node, "show bgp summary").stdout, family)

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        return advertised_routes(shell.run(node, f"show route advertising-protocol bgp {peer}").stdout, family)


PROBES = JunosProbes()
