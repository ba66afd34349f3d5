"""Arista EOS's routing probes and parsers.

What each probe runs (one command per SSH exec, through pilot's Shell):
- OSPFv2 neighbours: `show ip ospf neighbor`, parsed by ntc-templates (arista_eos_show_ip_ospf_neighbor).
- OSPFv3 neighbours: not observable (no template for `show ipv6 ospf neighbor`; NAPALM has no OSPF getter).
- BGP sessions: `show ip bgp summary` (IPv4) and `show ipv6 bgp summary` (IPv6), parsed by ntc-templates:
  they keep EOS's own state words (Estab, Active, Idle(NoIf)).
- Advertised routes: not observable (no template; eAPI's JSON of
  `show ip bgp neighbors P advertised-routes` is the way, not yet recorded from a device).
NAPALM's eos getters (get_bgp_neighbors, get_interfaces_ip, get_facts) run here with their own parsing over
the Shell (`napalm_getter`: NAPALM's ssh transport appends `| json` to each command). EOS has no
get_ipv6_neighbors_table, and ntc-templates no `show ipv6 neighbors` template: the IPv6 neighbour cache is
not read on EOS yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from pilot.platforms.readers import ShellCli, parse_show

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

NTC_PLATFORM = "arista_eos"
SUMMARY = {"ipv4": "show ip bgp summary", "ipv6": "show ipv6 bgp summary"}


def ospf_neighbors(output: str) -> list[OspfNeighbor]:
    """`show ip ospf neighbor` -> OSPFv2 neighbours (state FULL, FULL/DR, 2WAY/DROTHER, ...)."""
    rows = parse_show(NTC_PLATFORM, "show ip ospf neighbor", output)
    return [OspfNeighbor(2, r["neighbor_id"], r["state"], r["interface"]) for r in rows]


def bgp_summary(output: str, family: Family) -> list[BgpSession]:
    """`show ip bgp summary` / `show ipv6 bgp summary` -> sessions. Older EOS prints one State/PfxRcd
    column (a count when up), newer a State column (Estab when up) beside PfxRcd."""
    sessions = []
    for r in parse_show(NTC_PLATFORM, SUMMARY[family], output):
        state, received = r["state"].strip(), r["state_pfxrcd"].strip()
        up = state in ("", "Estab", "Established") and received.isdigit()
        sessions.append(
            BgpSession(family, address(r["bgp_neigh"]), ESTABLISHED if up else state or received, count(received))
        )
    return sessions


def napalm_getter(shell: Shell, node: str, getter: str) -> Any:
    """Run one of NAPALM's eos getters with its own parsing, over its ssh transport answered by `shell`."""
    from napalm.eos.eos import EOSDriver  # NAPALM loads netmiko and pyeapi: only when a probe asks

    driver = EOSDriver(node, "", "", optional_args={"transport": "ssh"})
    driver._netmiko_device = ShellCli(shell, node)
    return getattr(driver, getter)()


class EosProbes:
    def ospf_neighbors(self, shell: Shell, node: str, version: OspfVersion) -> list[OspfNeighbor]:
        if version == 3:
            raise NotObservable(
                "EOS OSPFv3 neighbours: no parser for 'show ipv6 ospf neighbor' (NAPALM, ntc-templates)"
            )
        return ospf_neighbors(shell.run(node, "show ip ospf neighbor").stdout)

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]:
        return bgp_summary(shell.run(node, SUMMARY[family]).stdout, family)

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        raise NotObservable("EOS advertised routes: no parser yet (eAPI JSON not recorded from a device)")


PROBES = EosProbes()
