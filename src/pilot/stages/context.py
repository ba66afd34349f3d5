"""What every device builder needs to know about one stage: the intent, the plan, the stage's flags,
the platforms' capabilities, and the questions they keep asking (does this segment have IPv4 now?)."""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from ipaddress import IPv4Address, IPv6Address
from typing import Protocol

from pilot.addressing import HostAddr, Plan
from pilot.intent.model import Intent, Segment
from pilot.intent.schema import Dhcpv6, Purpose
from pilot.stages.model import Stage
from pilot.stages.sitemap import StageMap, site_of

EVERY_STAGE = "every-stage"
Capability = Callable[[str, str], bool]  # (platform, capability) -> can it?


class Naming(Protocol):
    """How a platform names interfaces (pilot.render.platforms.Platform)."""

    @property
    def loopback(self) -> str: ...

    def ifname(self, topology_name: str, kind: str | None = None) -> str: ...


class SameNames:
    """The topology's names as they are (FRR and Linux: eth1, lo)."""

    loopback = "lo"

    def ifname(self, topology_name: str, kind: str | None = None) -> str:
        return topology_name


@dataclass(frozen=True)
class Context:
    intent: Intent
    plan: Plan
    stages: StageMap
    can: Capability
    names: Callable[[str], Naming] = lambda platform: SameNames()  # platform -> its interface naming

    def port(self, node: str, topology_name: str) -> str:
        """The node's own name for the topology's interface, as its platform names it on its kind
        (eth1: GigabitEthernet2 on a c8000v, GigabitEthernet1/0/1 on a Cat9kv, Ethernet0/1 on IOL)."""
        found = self.intent.topology.node(node)
        return self.names(found.platform).ifname(topology_name, found.kind)

    def loopback(self, platform: str) -> str:
        return self.names(platform).loopback

    @property
    def stage(self) -> Stage:
        """The stage of the province-wide parts: the highest any site is at (pilot.stages.sitemap)."""
        return self.stages.province

    @property
    def every_stage(self) -> Stage:
        """The stage of a device that does not migrate (the lab's Internet: operators, IPv4-only sites).
        Its name stays the same whatever stage the sites are at: moving a site never touches it."""
        return replace(self.stage, name=EVERY_STAGE, title="the lab's Internet, the same in every stage")

    def at(self, seg: Segment) -> Stage:
        """The stage a segment renders at: its site's."""
        return self.stages.stage_of(site_of(seg))

    # -- where the services are ------------------------------------------------------------------
    def host_addr(self, node: str) -> HostAddr:
        """Static addresses of a service host, from the segment it sits on."""
        segment = self.intent.segment_of_host(node)
        if segment is not None and node in self.plan.segments[segment.key].hosts:
            return self.plan.segments[segment.key].hosts[node]
        if node in self.plan.exchange_hosts:
            return self.plan.exchange_hosts[node]
        raise KeyError(node)

    def dns4(self, seg: Segment | None = None) -> IPv4Address:
        """The resolver a segment is told about over IPv4 (None: the plain one, for the servers themselves)."""
        addr = self._resolver(seg).ipv4 or self._resolver(None).ipv4
        assert addr is not None
        return addr.ip

    def dns6(self, seg: Segment | None = None) -> IPv6Address:
        addr = self._resolver(seg).ipv6 or self._resolver(None).ipv6
        assert addr is not None
        return addr.ip

    def _resolver(self, seg: Segment | None) -> HostAddr:
        """DNS64 for the segments of sites at a stage with NAT64, the plain resolver for the others: a site
        sees synthesized AAAA records only once it needs them, whatever stage the other sites are at."""
        if seg is not None and self.at(seg).nat64 and self.plan.resolver64 is not None:
            return self.plan.resolver64
        return self.host_addr(self.intent.services.dns64)

    def serving(self, segments: list[Segment]) -> tuple[Stage, tuple[str, ...]]:
        """The stage of a device serving `segments` (the highest of their sites', the province-wide one
        when it serves none), and a note when its sites are at different stages."""
        if not segments:
            return self.stage, ()
        by_site = {site_of(s): self.at(s) for s in segments}
        highest = max(by_site.values(), key=lambda s: s.index)
        if len({s.name for s in by_site.values()}) == 1:
            return highest, ()
        sites = ", ".join(f"{site} at {stage.name}" for site, stage in by_site.items())
        return highest, (f"serves sites at different stages: {sites}",)

    # -- what a segment has at this stage -------------------------------------------------------
    def has_ipv4(self, seg: Segment) -> bool:
        """IPv4 on the segment: always on servers and legacy exceptions, on user segments until ipv6-only."""
        return self.plan.segments[seg.key].ipv4 is not None and (not seg.is_user or self.at(seg).ipv4_users)

    def dhcp4(self, seg: Segment) -> bool:
        """DHCPv4 serves the segment: wherever it has IPv4, except server segments (static addresses)."""
        return self.has_ipv4(seg) and seg.purpose is not Purpose.SERVERS

    def dhcp6(self, seg: Segment) -> bool:
        return self.at(seg).dhcpv6 and seg.dhcpv6 is not Dhcpv6.NONE

    # -- paths --------------------------------------------------------------------------------------
    @cached_property
    def _graph(self) -> dict[str, list[tuple[str, str, str]]]:
        """router -> [(neighbour, own interface, neighbour's interface)] over the router links."""
        graph: dict[str, list[tuple[str, str, str]]] = {}
        for link in self.intent.router_links:
            graph.setdefault(link.a.node, []).append((link.b.node, link.a.interface, link.b.interface))
            graph.setdefault(link.b.node, []).append((link.a.node, link.b.interface, link.a.interface))
        return graph

    @cached_property
    def _paths(self) -> dict[str, dict[str, str]]:
        return {}

    def _toward(self, target: str) -> dict[str, str]:
        """For every router, its interface on a shortest path to `target` (one BFS from the target)."""
        if target in self._paths:
            return self._paths[target]
        out: dict[str, str] = self._paths.setdefault(target, {})
        queue, seen = deque([target]), {target}
        while queue:
            here = queue.popleft()
            for there, _own_if, there_if in self._graph.get(here, []):
                if there not in seen:
                    seen.add(there)
                    out[there] = there_if  # `there` reaches `target` through its link to `here`
                    queue.append(there)
        return out

    def upstream(self, router: str, target: str) -> str | None:
        """The interface of `router` on its shortest path to the router `target` (None when it is itself)."""
        return None if router == target else self._toward(target).get(router)

    @cached_property
    def _links_by_node(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, link in self.plan.links.items():
            out.setdefault(link.a_end.node, []).append(key)
            out.setdefault(link.b_end.node, []).append(key)
        return out

    @cached_property
    def router_link_keys(self) -> frozenset[str]:
        return frozenset(link.key for link in self.intent.router_links)

    def links_of(self, node: str) -> list[str]:
        """Keys of the plan's links (router links and uplinks) that have `node` at one end."""
        return self._links_by_node.get(node, [])


def stable_id(key: str) -> int:
    """A subnet or zone id that stays the same across runs and stages (Kea keeps leases by subnet id)."""
    return zlib.crc32(key.encode()) % 0x7FFFFFFF + 1
