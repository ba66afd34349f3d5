"""The lab topology after reading and validation: plain, immutable, typed objects.

Everything downstream (the lab engine, the inventory writer, rendering) reads these, never the YAML.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Network, IPv6Address, IPv6Network
from pathlib import Path


class Role(enum.StrEnum):
    """What a node is in the network; decides sysctls, daemons and which templates render it."""

    ROUTER = "router"  # FRR router
    SWITCH = "switch"  # a node holding a VLAN-aware Linux bridge
    SERVICE = "service"  # a Linux service host (DNS64, NAT64, DHCP, web)
    CLIENT = "client"  # an end host (PC, printer, a rogue host)
    BRIDGE = "bridge"  # containerlab `kind: bridge`: a plain L2 segment, not a node with a shell

    @property
    def has_shell(self) -> bool:
        return self is not Role.BRIDGE


ROLE_LABEL = "pilot.role"
PLATFORM_LABEL = "pilot.platform"


@dataclass(frozen=True)
class Bind:
    source: Path
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class Endpoint:
    node: str
    interface: str
    mac: str | None = None

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


@dataclass(frozen=True)
class Link:
    index: int  # position in topology.links, used in error messages and stable ordering
    a: Endpoint
    b: Endpoint
    mtu: int | None = None

    @property
    def endpoints(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    role: Role
    platform: str  # "frr", "linux", later "cisco_iosxe", ...: picks templates and drivers
    image: str | None = None
    group: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    exec: tuple[str, ...] = ()
    binds: tuple[Bind, ...] = ()
    sysctls: Mapping[str, str] = field(default_factory=dict)
    mgmt_ipv6: IPv6Address | None = None
    interfaces: tuple[str, ...] = ()  # data interfaces, in link order (eth0 is management)


@dataclass(frozen=True)
class Mgmt:
    network: str | None = None
    ipv6_subnet: IPv6Network | None = None
    ipv6_gw: IPv6Address | None = None
    ipv4_subnet: IPv4Network | None = None


@dataclass(frozen=True)
class Topology:
    name: str
    source: Path
    prefix: str | None
    mgmt: Mgmt
    nodes: Mapping[str, Node]
    links: tuple[Link, ...]
    warnings: tuple[str, ...] = ()

    def node(self, name: str) -> Node:
        return self.nodes[name]

    @cached_property
    def _far_ends(self) -> dict[tuple[str, str], Endpoint]:
        ends: dict[tuple[str, str], Endpoint] = {}
        for link in self.links:
            ends[(link.a.node, link.a.interface)] = link.b
            ends[(link.b.node, link.b.interface)] = link.a
        return ends

    @cached_property
    def _by_node(self) -> dict[str, list[tuple[Endpoint, Endpoint]]]:
        out: dict[str, list[tuple[Endpoint, Endpoint]]] = {name: [] for name in self.nodes}
        for link in self.links:
            out[link.a.node].append((link.a, link.b))
            out[link.b.node].append((link.b, link.a))
        return out

    def peer(self, node: str, interface: str) -> Endpoint | None:
        """The other end of the link on node:interface, or None if nothing is linked there."""
        return self._far_ends.get((node, interface))

    def neighbours(self, node: str) -> list[tuple[Endpoint, Endpoint]]:
        """(own end, far end) of every link of `node`, in file order."""
        return self._by_node.get(node, [])

    @property
    def shell_nodes(self) -> list[Node]:
        """Nodes that run a shell and daemons (everything but bridges), in file order."""
        return [n for n in self.nodes.values() if n.role.has_shell]

    @property
    def bridges(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.role is Role.BRIDGE]

    def container_name(self, node: str) -> str:
        """containerlab's name for a node's container: `clab-<lab>-<node>` unless `prefix` says otherwise."""
        if self.prefix == "":
            return node
        prefix = "clab" if self.prefix is None else self.prefix
        if prefix == "__lab-name":
            return f"{self.name}-{node}"
        return f"{prefix}-{self.name}-{node}"

    def with_name(self, name: str) -> Topology:
        """The same topology under another lab name (`--name`, one copy per student)."""
        return Topology(name, self.source, self.prefix, self.mgmt, self.nodes, self.links, self.warnings)
