"""What every device builder needs to know about one stage: the intent, the plan, the stage's flags,
the platforms' capabilities, and the questions they keep asking (does this segment have IPv4 now?)."""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from pilot.addressing import HostAddr, Plan
from pilot.intent.model import Intent, Segment
from pilot.intent.schema import Dhcpv6, Purpose
from pilot.stages.model import Stage

Capability = Callable[[str, str], bool]  # (platform, capability) -> can it?


@dataclass(frozen=True)
class Context:
    intent: Intent
    plan: Plan
    stage: Stage
    can: Capability

    # -- where the services are ------------------------------------------------------------------
    def host_addr(self, node: str) -> HostAddr:
        """Static addresses of a service host, from the segment it sits on."""
        segment = self.intent.segment_of_host(node)
        if segment is not None and node in self.plan.segments[segment.key].hosts:
            return self.plan.segments[segment.key].hosts[node]
        if node in self.plan.exchange_hosts:
            return self.plan.exchange_hosts[node]
        raise KeyError(node)

    def dns4(self) -> IPv4Address:
        addr = self.host_addr(self.intent.services.dns64).ipv4
        assert addr is not None
        return addr.ip

    def dns6(self) -> IPv6Address:
        addr = self.host_addr(self.intent.services.dns64).ipv6
        assert addr is not None
        return addr.ip

    # -- what a segment has at this stage -------------------------------------------------------
    def has_ipv4(self, seg: Segment) -> bool:
        """IPv4 on the segment: always on servers and legacy exceptions, on user segments until ipv6-only."""
        return self.plan.segments[seg.key].ipv4 is not None and (not seg.is_user or self.stage.ipv4_users)

    def dhcp4(self, seg: Segment) -> bool:
        """DHCPv4 serves the segment: wherever it has IPv4, except server segments (static addresses)."""
        return self.has_ipv4(seg) and seg.purpose is not Purpose.SERVERS

    def dhcp6(self, seg: Segment) -> bool:
        return self.stage.dhcpv6 and seg.dhcpv6 is not Dhcpv6.NONE

    # -- paths --------------------------------------------------------------------------------------
    def upstream(self, router: str, target: str) -> str | None:
        """The interface of `router` on its shortest path to the router `target` (None when it is itself)."""
        if router == target:
            return None
        graph: dict[str, list[tuple[str, str]]] = {}
        for link in self.intent.router_links:
            graph.setdefault(link.a.node, []).append((link.b.node, link.a.interface))
            graph.setdefault(link.b.node, []).append((link.a.node, link.b.interface))
        first_hop: dict[str, str] = {}
        queue = deque([router])
        seen = {router}
        while queue:
            here = queue.popleft()
            for there, iface in graph.get(here, []):
                if there in seen:
                    continue
                seen.add(there)
                first_hop[there] = first_hop.get(here, iface) if here != router else iface
                if there == target:
                    return first_hop[there]
                queue.append(there)
        return None


def stable_id(key: str) -> int:
    """A subnet or zone id that stays the same across runs and stages (Kea keeps leases by subnet id)."""
    return zlib.crc32(key.encode()) % 0x7FFFFFFF + 1
