"""Juniper Junos's routing probes and parsers.

What each probe runs (one command per SSH exec, through pilot's Shell):
- OSPFv2 neighbours: `show ospf neighbor`, parsed by ntc-templates (juniper_junos_show_ospf_neighbor).
- OSPFv3 neighbours: not observable yet (`show ospf3 neighbor` has no template; `| display json` is the way,
  not yet recorded from a device).
- BGP sessions: `show bgp summary`, parsed by ntc-templates (juniper_junos_show_bgp_summary): a peer's
  table line (inet.0 / inet6.0, also <instance>.inet.0) gives its family and Active/Received counts; a
  peer that is down has no table line, its address says the family.
- Advertised routes: not observable yet (`show route advertising-protocol bgp P` has no template).
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
    NotObservable,
    OspfNeighbor,
    OspfVersion,
    address,
    count,
)
from pilot.platforms.readers import parse_show

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

NTC_PLATFORM = "juniper_junos"


def ospf_neighbors(output: str) -> list[OspfNeighbor]:
    """`show ospf neighbor` -> OSPFv2 neighbours (state Full, 2Way, Init, ExStart, ...)."""
    rows = parse_show(NTC_PLATFORM, "show ospf neighbor", output)
    return [OspfNeighbor(2, r["neighbor_id"], r["state"], r["interface"]) for r in rows]


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
            raise NotObservable("Junos OSPFv3 neighbours: no parser for 'show ospf3 neighbor' yet")
        return ospf_neighbors(shell.run(node, "show ospf neighbor").stdout)

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]:
        return bgp_summary(shell.run(node, "show bgp summary").stdout, family)

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        raise NotObservable("Junos advertised routes: no parser for 'show route advertising-protocol bgp' yet")


PROBES = JunosProbes()
