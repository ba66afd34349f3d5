"""The intended state of every device at a stage: platform-neutral, plain typed objects.

Templates per platform (templates/<platform>/) render these; nothing here names an FRR command or a
file path, so Cisco IOS-XE, Junos, EOS and VRP only add templates and capability tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    index: int
    ipv4_users: bool
    ipv6: bool
    router_advertisements: bool
    dhcpv6: bool
    first_hop_security: bool
    nat64: bool
    pref64: bool
    option108: bool


# -- routers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OspfInterface:
    area: str
    passive: bool = False
    point_to_point: bool = False
    hello: int | None = None  # seconds; None keeps the platform's default
    dead: int | None = None
    retransmit: int | None = None  # None keeps the platform's default (5 s on FRR)


@dataclass(frozen=True)
class RaPrefix:
    prefix: IPv6Network
    autonomous: bool = True  # A flag: hosts build SLAAC addresses (off on server segments)


@dataclass(frozen=True)
class RouterAdvert:
    interval: int
    prefixes: tuple[RaPrefix, ...]
    rdnss: tuple[IPv6Address, ...] = ()
    dnssl: tuple[str, ...] = ()
    managed: bool = False  # M flag: addresses from DHCPv6
    other: bool = False  # O flag: other configuration from DHCPv6
    pref64: IPv6Network | None = None  # sent only where the platform can (capability "pref64")
    pref64_unsupported: IPv6Network | None = None  # wanted, but this platform cannot send it


# Fields marked "human text" may hold anything a person typed (newlines included): templates pass them
# through the escaping filter of their file's syntax (pilot.render.engine), never interpolate them raw.


@dataclass(frozen=True)
class Interface:
    name: str
    description: str = ""  # human text
    ipv4: tuple[IPv4Interface, ...] = ()
    ipv6: tuple[IPv6Interface, ...] = ()
    ospf: OspfInterface | None = None
    ospf6: OspfInterface | None = None
    ra: RouterAdvert | None = None


@dataclass(frozen=True)
class BgpNeighbor:
    address: IPAddress
    remote_as: int
    description: str  # human text
    default_originate: bool = False
    import_policy: str | None = None  # prefix-list name; None accepts everything
    export_policy: str | None = None

    @property
    def family(self) -> str:
        return "ipv4" if self.address.version == 4 else "ipv6"


@dataclass(frozen=True)
class Bgp:
    asn: int
    router_id: IPv4Address
    neighbors: tuple[BgpNeighbor, ...]
    networks4: tuple[IPv4Network, ...] = ()
    networks6: tuple[IPv6Network, ...] = ()
    connect_retry: int | None = None  # seconds between attempts to open a session; None: the platform's

    def neighbors_of(self, family: str) -> list[BgpNeighbor]:
        return [n for n in self.neighbors if n.family == family]


@dataclass(frozen=True)
class StaticRoute:
    prefix: IPv4Network | IPv6Network
    via: IPAddress | None  # None: a blackhole (an aggregate announced in BGP)
    description: str = ""


@dataclass(frozen=True)
class PrefixList:
    name: str
    family: str  # ipv4 | ipv6
    prefixes: tuple[IPv4Network | IPv6Network, ...]


@dataclass(frozen=True)
class DhcpRelay:
    """DHCP relay toward the central server: client-facing interfaces, the upstream one, the server."""

    version: int
    server: IPAddress
    downstream: tuple[str, ...]
    upstream: str


@dataclass(frozen=True)
class Router:
    router_id: IPv4Address
    interfaces: tuple[Interface, ...]
    ospf: bool
    ospf6: bool
    ospf_default_originate: bool = False
    ospf6_redistribute: PrefixList | None = None  # static routes to carry in OSPFv3 (the NAT64 prefix)
    bgp: Bgp | None = None
    static_routes: tuple[StaticRoute, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    relays: tuple[DhcpRelay, ...] = ()
    serves_segments: bool = False  # a gateway of the province's segments (so it may relay DHCP)

    @property
    def advertising(self) -> tuple[Interface, ...]:
        """The interfaces this router sends Router Advertisements on at this stage."""
        return tuple(i for i in self.interfaces if i.ra is not None)

    def relay(self, version: int) -> DhcpRelay | None:
        return next((r for r in self.relays if r.version == version), None)


# -- the switch -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vlan:
    vid: int
    name: str
    ports: tuple[str, ...]  # the uplink toward the gateway first
    title: str = ""  # human text: the segment's titles


@dataclass(frozen=True)
class Switch:
    vlans: tuple[Vlan, ...]
    host_ports: tuple[str, ...]  # ports facing hosts: RA Guard and DHCPv6-Shield apply here
    first_hop_security: bool


# -- hosts and their services ------------------------------------------------------------------------


@dataclass(frozen=True)
class HostInterface:
    name: str
    ipv4: IPv4Interface | None = None
    ipv6: IPv6Interface | None = None
    gateway4: IPv4Address | None = None
    gateway6: IPv6Address | None = None
    ipv6_disabled: bool = False  # an IPv4-only host
    extra: tuple[IPv4Interface | IPv6Interface, ...] = ()  # more addresses of its own (the DNS64 resolver's)


@dataclass(frozen=True)
class DnsRecord:
    name: str
    a: tuple[IPv4Address, ...] = ()
    aaaa: tuple[IPv6Address, ...] = ()


@dataclass(frozen=True)
class Zone:
    name: str
    serial: int
    primary: str  # the name server's own name in the zone
    records: tuple[DnsRecord, ...]


@dataclass(frozen=True)
class DnsService:
    listen: tuple[IPAddress, ...]
    allow: tuple[IPv4Network | IPv6Network, ...]
    zones: tuple[Zone, ...]
    dns64_prefix: IPv6Network | None  # the DNS64 resolver runs (a second unbound) when set
    dns64_listen: tuple[IPAddress, ...] = ()  # the DNS64 resolver's addresses


@dataclass(frozen=True)
class Nat64Service:
    enabled: bool  # the translator host keeps its configuration in every stage; it runs from ipv6-mostly on
    tun: str
    ipv4_address: IPv4Address  # the translator's own IPv4 address, inside its pool
    pool: IPv4Network
    prefix: IPv6Network
    egress: str  # interface the pool is masqueraded out of (NAT44)


@dataclass(frozen=True)
class Dhcp4Subnet:
    id: int
    segment: str
    subnet: IPv4Network
    pool: tuple[IPv4Address, IPv4Address]
    router: IPv4Address
    v6only_wait: int | None = None  # option 108 on this subnet
    title: str = ""  # human text: the segment's titles
    dns: tuple[IPv4Address, ...] = ()  # the subnet's own resolvers (the DNS64 one); () the server's


@dataclass(frozen=True)
class Dhcp6Subnet:
    id: int
    segment: str
    subnet: IPv6Network
    pool: tuple[IPv6Address, IPv6Address] | None = None  # stateful segments only
    title: str = ""  # human text: the segment's titles
    dns: tuple[IPv6Address, ...] = ()  # the subnet's own resolvers (the DNS64 one); () the server's


@dataclass(frozen=True)
class DhcpService:
    interface: str
    unicast6: IPv6Address | None  # relays send to this address
    dns4: tuple[IPv4Address, ...]
    dns6: tuple[IPv6Address, ...]
    domain: str
    subnets4: tuple[Dhcp4Subnet, ...]
    subnets6: tuple[Dhcp6Subnet, ...]


@dataclass(frozen=True)
class WebService:
    listen: tuple[IPAddress, ...]
    server_name: str
    title: str  # human text: the page's heading


@dataclass(frozen=True)
class Client:
    """A DHCP/SLAAC client host (dhcpcd). The same in every stage: what changes is what the network offers."""

    interface: str
    option108: bool = False
    ipv4_only: bool = False


@dataclass(frozen=True)
class Host:
    interfaces: tuple[HostInterface, ...] = ()
    routes: tuple[StaticRoute, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    nameservers: tuple[IPAddress, ...] = ()
    search: tuple[str, ...] = ()
    dns: DnsService | None = None
    nat64: Nat64Service | None = None
    dhcp: DhcpService | None = None
    web: WebService | None = None
    client: Client | None = None


# -- a device -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    name: str
    role: str  # router | switch | service | client
    platform: str
    stage: Stage
    router: Router | None = None
    switch: Switch | None = None
    host: Host | None = None
    notes: tuple[str, ...] = field(default=())  # rendered as comments: why something is absent
