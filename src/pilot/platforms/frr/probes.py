"""FRR's routing probes: vtysh's JSON output (FRR 8.4), read into the platform-neutral results.

Commands: `show ip ospf neighbor json`, `show ipv6 ospf6 neighbor json`,
`show bgp {ipv4|ipv6} unicast summary json`, `show bgp {family} unicast neighbors P advertised-routes json`.
An answer that is not a JSON object (vtysh missing, the daemon down) reads as nothing seen.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

from pilot.platforms.probes import BgpSession, Family, OspfNeighbor, OspfVersion, address, count, prefix

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell


def vtysh_json(shell: Shell, node: str, command: str) -> dict[str, Any]:
    result = shell.run(node, f"vtysh -c {shlex.quote(command)}")
    try:
        data = json.loads(result.stdout or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def ospf_neighbors(data: dict[str, Any]) -> list[OspfNeighbor]:
    """`show ip ospf neighbor json`: {"neighbors": {router-id: [entry, ...]}}; an entry's ifaceName is
    'eth4:198.51.100.112' (interface:its address)."""
    found = []
    for rid, entries in (data.get("neighbors") or {}).items():
        for entry in entries if isinstance(entries, list) else []:
            iface = str(entry.get("ifaceName", "")).partition(":")[0]
            found.append(OspfNeighbor(2, rid, str(entry.get("nbrState", "?")), iface))
    return found


def ospf6_neighbors(data: dict[str, Any]) -> list[OspfNeighbor]:
    """`show ipv6 ospf6 neighbor json`: {"neighbors": [{"neighborId", "state", "interfaceName"}, ...]}."""
    return [
        OspfNeighbor(3, str(n.get("neighborId", "")), str(n.get("state", "?")), str(n.get("interfaceName", "")))
        for n in data.get("neighbors") or []
        if isinstance(n, dict)
    ]


def bgp_sessions(data: dict[str, Any], family: Family) -> list[BgpSession]:
    """`show bgp FAMILY unicast summary json`: {"peers": {address: {"state", "pfxRcd"}}} (no pfxRcd while
    the session is down)."""
    peers = data.get("peers") or {}
    return [
        BgpSession(family, address(peer), str(p.get("state", "?")), count(p.get("pfxRcd", 0)))
        for peer, p in peers.items()
        if isinstance(p, dict)
    ]


def advertised_routes(data: dict[str, Any]) -> set[str]:
    """`show bgp FAMILY unicast neighbors P advertised-routes json`: {"advertisedRoutes": {prefix: ...}}."""
    return {prefix(p) for p in data.get("advertisedRoutes") or {}}


class FrrProbes:
    def ospf_neighbors(self, shell: Shell, node: str, version: OspfVersion) -> list[OspfNeighbor]:
        if version == 2:
            return ospf_neighbors(vtysh_json(shell, node, "show ip ospf neighbor json"))
        return ospf6_neighbors(vtysh_json(shell, node, "show ipv6 ospf6 neighbor json"))

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]:
        return bgp_sessions(vtysh_json(shell, node, f"show bgp {family} unicast summary json"), family)

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        command = f"show bgp {family} unicast neighbors {peer} advertised-routes json"
        return advertised_routes(vtysh_json(shell, node, command))


PROBES = FrrProbes()
