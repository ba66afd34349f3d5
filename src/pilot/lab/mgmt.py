"""The lab's IPv6-only management network: which /64, which address for each node.

Without `mgmt.ipv6-subnet`, a lab gets a /64 from 3fff:0:1000::/48 picked from a hash of its name, so a
given lab name usually lands on the same subnet, and two labs side by side never share one.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from ipaddress import IPv6Address, IPv6Network

from pilot.docranges import MGMT_SUPERNET
from pilot.errors import LabError, Location
from pilot.lab.netlink import HostRoute
from pilot.topology.model import Topology

SUBNET_LEN = 64


def overlapping_route(subnet: IPv6Network, routes: Iterable[HostRoute]) -> HostRoute | None:
    for route in routes:
        if route.prefix.version == 6 and route.prefix.overlaps(subnet):
            return route
    return None


def choose_subnet(topo: Topology, routes: list[HostRoute], taken: Mapping[IPv6Network, str]) -> IPv6Network:
    """The management subnet for this lab, refusing any overlap with a host route or another lab."""
    explicit = topo.mgmt.ipv6_subnet
    if explicit is not None:
        where = Location(topo.source, "mgmt.ipv6-subnet")
        for other, lab in taken.items():
            if other.overlaps(explicit):
                raise LabError(
                    f"management subnet {explicit} is already used by lab '{lab}'",
                    fix="remove mgmt.ipv6-subnet from the file (each lab then gets its own) or pick another",
                    location=where,
                )
        hit = overlapping_route(explicit, routes)
        if hit is not None:
            raise LabError(
                f"management subnet {explicit} overlaps the host route {hit.prefix} on {hit.device}",
                fix="pick a subnet no host route covers, e.g. one under 3fff:0:1000::/48",
                location=where,
            )
        return explicit
    count = 1 << (SUBNET_LEN - MGMT_SUPERNET.prefixlen)
    start = zlib.crc32(topo.name.encode()) % count
    base = int(MGMT_SUPERNET.network_address)
    for step in range(count):
        index = (start + step) % count
        candidate = IPv6Network((base + (index << (128 - SUBNET_LEN)), SUBNET_LEN))
        if any(other.overlaps(candidate) for other in taken):
            continue
        if overlapping_route(candidate, routes) is not None:
            continue
        return candidate
    raise LabError(f"no free management /64 left in {MGMT_SUPERNET}", fix="take down labs you no longer use")


def gateway(topo: Topology, subnet: IPv6Network) -> IPv6Address:
    """The root namespace's address on the management network (containerlab's ipv6-gw, first address)."""
    return topo.mgmt.ipv6_gw or subnet[1]


def node_addresses(topo: Topology, subnet: IPv6Network) -> dict[str, IPv6Address]:
    """Fixed `mgmt-ipv6` where the file gives one; otherwise the next free address, in file order."""
    used = {subnet[0], gateway(topo, subnet)}
    used.update(n.mgmt_ipv6 for n in topo.shell_nodes if n.mgmt_ipv6 is not None)
    out: dict[str, IPv6Address] = {}
    cursor = 2
    for node in topo.shell_nodes:
        if node.mgmt_ipv6 is not None:
            out[node.name] = node.mgmt_ipv6
            continue
        while subnet[cursor] in used:
            cursor += 1
        out[node.name] = subnet[cursor]
        used.add(subnet[cursor])
    return out
