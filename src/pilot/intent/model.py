"""The intent after validation against the topology: plain, immutable, typed objects.

Everything the wiring implies (which switch port faces which host, which link joins two routers, which
link reaches an operator) is derived here from containerlab.yml, so nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path

from pilot.intent.schema import Dhcpv6, Purpose
from pilot.topology.model import Endpoint, Topology


def title_path(*titles: str | None) -> str:
    """Titles from the widest to the narrowest ('Sở Khoa học và Công nghệ / Trụ sở chính / Người dùng'),
    skipping those not given; '' when none is."""
    return " / ".join(t for t in titles if t)


@dataclass(frozen=True)
class Province:
    name: str  # a slug
    asn: int
    ipv6: IPv6Network
    ipv4: IPv4Network
    domain: str
    v6only_wait: int
    ra_interval: int
    ospf_hello: int | None = None
    ospf_dead: int | None = None
    ospf_retransmit: int | None = None  # LSA and LS request retransmission on router links (s)
    bgp_connect_retry: int | None = None  # seconds between attempts to open a BGP session that is down
    title: str | None = None  # human text, as written (escaped where it lands)

    @property
    def display(self) -> str:
        """How people call the province: its title, else its name."""
        return self.title or self.name


@dataclass(frozen=True)
class Services:
    dns64: str
    nat64: str
    dhcp: str
    portal: str


@dataclass(frozen=True)
class Operator:
    node: str
    asn: int
    name: str  # human text, as written (escaped where it lands)
    uplinks: tuple[tuple[Endpoint, Endpoint], ...]  # (province router end, operator end), from the topology
    exchange_port: str  # the operator's interface on the exchange bridge


@dataclass(frozen=True)
class SiteHost:
    node: str
    name: str
    interface: str  # its interface on the exchange


@dataclass(frozen=True)
class Internet:
    ipv4: IPv4Network
    ipv6: IPv6Network
    exchange: str
    operators: tuple[Operator, ...]
    sites: tuple[SiteHost, ...]


@dataclass(frozen=True)
class Attachment:
    """A host on a segment: its interface, and the switch port facing it when a switch is in between."""

    host: str
    interface: str
    switch_port: str | None = None


@dataclass(frozen=True)
class Segment:
    key: str  # "agency/site/segment", stable: it names the segment in the address record
    agency: str
    agency_code: int
    site: str
    site_number: int
    name: str
    purpose: Purpose
    vlan: int
    gateway: Endpoint
    hosts: tuple[Attachment, ...]
    dhcpv6: Dhcpv6
    legacy_ipv4: bool
    ipv4_hosts: int
    medium: str | None = None  # the switch or bridge node between gateway and hosts, None when direct
    medium_is_switch: bool = False
    uplink_port: str | None = None  # the switch port facing the gateway
    # Human text, as written (escaped where it lands); None when not given.
    agency_title: str | None = None
    site_title: str | None = None
    title: str | None = None

    @property
    def titles(self) -> str:
        """'Sở Khoa học và Công nghệ / Trụ sở chính / Người dùng', or '' when nothing has a title."""
        return title_path(self.agency_title, self.site_title, self.title)

    @property
    def is_user(self) -> bool:
        """User-like segments get DHCPv4 option 108 and lose IPv4 in ipv6-only (unless legacy)."""
        return self.purpose in (Purpose.USERS, Purpose.GUEST, Purpose.VOICE, Purpose.IOT) and not self.legacy_ipv4


@dataclass(frozen=True)
class RouterLink:
    """A point-to-point link between two province routers (a /64 reserved, /127 used)."""

    key: str
    a: Endpoint
    b: Endpoint


@dataclass(frozen=True)
class Client:
    option108: bool = False
    ipv4_only: bool = False
    rogue: bool = False


@dataclass(frozen=True)
class Agency:
    name: str
    code: int
    sites: tuple[tuple[str, int], ...]  # (site name, number)
    title: str | None = None
    site_titles: Mapping[str, str] = field(default_factory=dict)  # site name -> title, where given


@dataclass(frozen=True)
class Intent:
    source: Path
    topology: Topology
    province: Province
    services: Services
    internet: Internet
    routers: tuple[str, ...]
    ospf_area: Mapping[str, str]
    ipv4_routers: frozenset[str]
    agencies: tuple[Agency, ...]
    segments: tuple[Segment, ...]
    router_links: tuple[RouterLink, ...]
    clients: Mapping[str, Client] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    # Indexes, built once: a province has thousands of segments and every device asks these questions.
    @cached_property
    def _by_key(self) -> dict[str, Segment]:
        return {s.key: s for s in self.segments}

    @cached_property
    def _by_gateway(self) -> dict[str, list[Segment]]:
        out: dict[str, list[Segment]] = {}
        for s in self.segments:
            out.setdefault(s.gateway.node, []).append(s)
        return out

    @cached_property
    def _by_host(self) -> dict[str, Segment]:
        out: dict[str, Segment] = {}
        for s in self.segments:
            for a in s.hosts:
                out.setdefault(a.host, s)
        return out

    def segment(self, key: str) -> Segment:
        return self._by_key[key]

    def segments_of(self, router: str) -> list[Segment]:
        return self._by_gateway.get(router, [])

    def segment_of_host(self, host: str) -> Segment | None:
        return self._by_host.get(host)

    @cached_property
    def _agency(self) -> dict[str, Agency]:
        return {a.name: a for a in self.agencies}

    def site_titles(self, agency: str, site: str | None = None) -> str:
        """The titles of an agency (and one of its sites), as title_path gives them."""
        found = self._agency.get(agency)
        if found is None:
            return ""
        return title_path(found.title, found.site_titles.get(site) if site else None)
