"""Huawei VRP's routing probes and parsers.

What each probe runs (one command per SSH exec, through pilot's Shell):
- OSPF neighbours (v2 and v3): not observable (no template for `display ospf peer brief` or
  `display ospfv3 peer`; napalm-huawei-vrp has no OSPF getter).
- BGP sessions: IPv4 `display bgp peer`, parsed by ntc-templates (huawei_vrp_display_bgp_peer). IPv6
  `display bgp ipv6 peer` with the same template: its table has the same columns, but no IPv6 output has
  been recorded from a device (unconfirmed; napalm-huawei-vrp 1.2.0 also leaves its IPv6 peer command out).
- Advertised routes: not observable (no template for `display bgp routing-table peer P advertised-routes`).
Also parsed: `display ipv6 neighbors` (ntc-templates; napalm-huawei-vrp has no get_ipv6_neighbors_table).
napalm-huawei-vrp's getters (get_bgp_neighbors, get_interfaces_ip, get_facts) are not installed with pilot;
their results convert with pilot.platforms.readers (its address families are keyed 'ipv4 unicast'). Its
1.2.0 test expectations are copies of other drivers' (a Cisco model in its NE40E facts), not device output,
so none is used here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
)
from pilot.platforms.readers import parse_show

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

NTC_PLATFORM = "huawei_vrp"
PEERS = {"ipv4": "display bgp peer", "ipv6": "display bgp ipv6 peer"}


def bgp_peers(output: str, family: Family) -> list[BgpSession]:
    """`display bgp peer` (or `display bgp ipv6 peer`) -> sessions (state Established, Idle, Active, ...)."""
    sessions = []
    for r in parse_show(NTC_PLATFORM, "display bgp peer", output):
        state = r["state"].strip()
        up = state == ESTABLISHED
        sessions.append(BgpSession(family, address(r["peer"]), state, count(r["pref_rcvd"]) if up else 0))
    return sessions


def ipv6_neighbors(output: str) -> list[Ipv6Neighbor]:
    """`display ipv6 neighbors` -> the neighbour cache (state REACH, STALE, ...)."""
    rows = parse_show(NTC_PLATFORM, "display ipv6 neighbors", output)
    return [Ipv6Neighbor(address(r["ipv6_address"]), mac(r["mac_address"]), r["interface"], r["state"]) for r in rows]


class VrpProbes:
    def ospf_neighbors(self, shell: Shell, node: str, version: OspfVersion) -> list[OspfNeighbor]:
        raise NotObservable("VRP OSPF neighbours: no parser for 'display ospf peer brief' (NAPALM, ntc-templates)")

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]:
        return bgp_peers(shell.run(node, PEERS[family]).stdout, family)

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        raise NotObservable(
            "VRP advertised routes: no parser for 'display bgp routing-table peer ... advertised-routes'"
        )


PROBES = VrpProbes()
