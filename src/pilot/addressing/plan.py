"""The address plan: hierarchical, on nibble boundaries, deterministic and persistent.

IPv6, from the province's block (2001:db8::/32 in the lab):
    2001:db8:AASS::/48      a site: AA = agency code, SS = site number (a /40 gives /44 per agency)
    2001:db8:AASS:PVVV::/64 a segment: P = purpose nibble, VVV = VLAN id
    agency 00, site 00 is the infrastructure /48:
        …:0:0::/64 loopbacks (/128 each)   …:0:1xxx::/64 one per router link (/127 used, RFC 6164)
        …:0:6464::/96 the NAT64 network-specific prefix (not 64:ff9b::/96: see the reference)
IPv4, from the province's IPv4 (the baseline) and the Internet's: first free block of the right size,
in a fixed order, recorded. Every allocation is kept in the record, so nothing existing is renumbered.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network

from pilot.addressing.record import PlanError, Record
from pilot.errors import Location
from pilot.intent.model import Intent, Segment
from pilot.prefixes import Prefix, as_v4, as_v6, overlaps, subnet_of
from pilot.topology.model import Endpoint, Role

SITE_LEN = 48
SEGMENT_LEN = 64
LINK_BASE = 0x1000  # …:0:1xxx::/64, one /64 reserved per point-to-point link
LINK_COUNT = 0x1000
LINK_RANGE_BITS = 12  # LINK_COUNT /64s: the router links' /52
NAT64_HEXTET = 0x6464
STATIC_HOST_BASE = 0x10  # static hosts on a segment: ::10, ::11, ... (::1 is the gateway)
# The DNS64 resolver's own addresses, on the DNS64 host: recorded as a host of its segment under this
# name (no node can be called so). Sites at ipv6-mostly and later are told to use it; the others keep the
# host's plain resolver, so a site's clients see DNS64 only once their own site needs it.
RESOLVER64 = "@dns64"


@dataclass(frozen=True)
class HostAddr:
    ipv4: IPv4Interface | None = None
    ipv6: IPv6Interface | None = None


@dataclass(frozen=True)
class SegmentPlan:
    key: str
    ipv6: IPv6Network
    ipv4: IPv4Network | None
    hosts: Mapping[str, HostAddr]  # static addresses of service hosts on the segment

    @property
    def gateway6(self) -> IPv6Interface:
        return IPv6Interface(f"{self.ipv6[1]}/{self.ipv6.prefixlen}")

    @property
    def gateway4(self) -> IPv4Interface | None:
        return IPv4Interface(f"{self.ipv4[1]}/{self.ipv4.prefixlen}") if self.ipv4 else None

    @property
    def pool4(self) -> tuple[IPv4Address, IPv4Address] | None:
        """The DHCPv4 pool: the upper three quarters of the subnet, clear of gateway and static hosts."""
        if self.ipv4 is None or self.ipv4.num_addresses < 8:
            return None
        statics = [int(h.ipv4.ip) for h in self.hosts.values() if h.ipv4 is not None]
        first = max([int(self.ipv4[self.ipv4.num_addresses // 4]), *(a + 1 for a in statics)])
        last = int(self.ipv4[-2])
        return (IPv4Address(first), IPv4Address(last)) if first <= last else None

    @property
    def pool6(self) -> tuple[IPv6Address, IPv6Address]:
        """The DHCPv6 pool for stateful segments: ::1000 to ::1fff."""
        return (self.ipv6[0x1000], self.ipv6[0x1FFF])


@dataclass(frozen=True)
class LinkPlan:
    key: str
    a_end: Endpoint
    b_end: Endpoint
    reserved6: IPv6Network
    a: HostAddr
    b: HostAddr

    def end(self, node: str) -> tuple[Endpoint, HostAddr, Endpoint, HostAddr]:
        """(own end, own addresses, far end, far addresses) as seen from `node`."""
        if self.a_end.node == node:
            return self.a_end, self.a, self.b_end, self.b
        return self.b_end, self.b, self.a_end, self.a


@dataclass(frozen=True)
class Plan:
    province6: IPv6Network
    province4: IPv4Network
    infrastructure: IPv6Network
    sites: Mapping[str, IPv6Network]
    segments: Mapping[str, SegmentPlan]
    links: Mapping[str, LinkPlan]  # router links and operator uplinks
    loopbacks: Mapping[str, HostAddr]  # province routers and operators
    nat64_prefix: IPv6Network
    nat64_pool: IPv4Network
    exchange4: IPv4Network
    exchange6: IPv6Network
    exchange_hosts: Mapping[str, HostAddr]
    resolver64: HostAddr | None = None  # the DNS64 resolver's addresses (RESOLVER64), on the DNS64 host
    new: tuple[str, ...] = ()  # "kind key prefix" of allocations made now, not yet in the record
    notes: tuple[str, ...] = ()
    record: Record = field(default_factory=Record)

    def router_id(self, node: str) -> IPv4Address:
        """The IPv4 loopback where there is one; an IPv6-only router gets the low 32 bits of its /128."""
        lo = self.loopbacks[node]
        if lo.ipv4 is not None:
            return lo.ipv4.ip
        assert lo.ipv6 is not None
        return IPv4Address(int(lo.ipv6.ip) & 0xFFFFFFFF)


def site_bits(block: IPv6Network, where: Location) -> tuple[int, int]:
    """(agency bits, site bits) for a province block: /32 -> 8+8, /36 -> 8+4, /40 -> 4+4, /44 -> 4+0.

    Both stay whole nibbles, so agency and site read straight off the address (2001:db8:AASS::/48).
    """
    total = SITE_LEN - block.prefixlen
    if total < 4:
        raise PlanError(
            f"province block {block} is too small for a /48 per site",
            fix="ask VNNIC for a /32 (a /44 at the very least)",
            location=where,
        )
    if block.prefixlen % 4:
        raise PlanError(
            f"province block {block} is not on a nibble boundary", fix="use a /32, /36, /40 or /44", location=where
        )
    site = 8 if total >= 16 else 4 if total >= 8 else 0
    return total - site, site


class _Pool:
    """First-free allocation of aligned subnets inside a block, around what is already used."""

    def __init__(self, block: Prefix, name: str) -> None:
        self.block = block
        self.name = name
        self.used: list[Prefix] = []

    def take(self, prefix: Prefix) -> None:
        self.used.append(prefix)

    def free(self, prefix: Prefix) -> bool:
        return not any(overlaps(prefix, u) for u in self.used)

    def allocate(self, length: int, what: str, where: Location) -> Prefix:
        if length < self.block.prefixlen:
            raise PlanError(
                f"{what} needs a /{length}, larger than all of {self.block}",
                fix="ask for fewer addresses",
                location=where,
            )
        self.used.sort(key=lambda p: int(p.network_address))
        step = 1 << (self.block.max_prefixlen - length)
        start, end = int(self.block.network_address), int(self.block.broadcast_address)
        cursor = start
        for used in [*self.used, None]:
            limit = end + 1 if used is None else int(used.network_address)
            aligned = (cursor + step - 1) // step * step
            if aligned + step <= limit and aligned + step - 1 <= end:
                prefix = ipaddress.ip_network((aligned, length))
                self.used.append(prefix)
                return prefix
            if used is not None:
                cursor = max(cursor, int(used.broadcast_address) + 1)
        raise PlanError(
            f"{self.name} {self.block} has no free /{length} left for {what}",
            fix="free addresses (delete unused entries from the record) or ask for a larger block",
            location=where,
        )


class _Planner:
    def __init__(self, intent: Intent, record: Record) -> None:
        self.intent = intent
        self.record = record
        self.new: list[str] = []
        self.notes: list[str] = []
        self.where = Location(intent.source, None)
        # The record's static IPv4 host entries before this plan, by segment key: released ones stay reserved.
        self.host4_before: dict[str, list[tuple[str, Prefix]]] = {}
        for key, prefix in record.entries.get("host4", {}).items():
            self.host4_before.setdefault(key.rsplit("/", 1)[0], []).append((key, prefix))

    def _at(self, place: str) -> Location:
        return Location(self.intent.source, place)

    def _recorded(self, kind: str, key: str, parent: Prefix, length: int) -> Prefix | None:
        prefix = self.record.get(kind, key)
        if prefix is None:
            return None
        if not subnet_of(prefix, parent) or prefix.prefixlen != length:
            raise PlanError(
                f"recorded {kind} {key} = {prefix} is not a /{length} inside {parent}",
                fix=f"delete that entry from {self.record.path or 'the record'} to allocate it again",
                location=Location(self.record.path, f"allocations.{kind}.{key}"),
            )
        return prefix

    def _remember(self, kind: str, key: str, prefix: Prefix) -> Prefix:
        if self.record.get(kind, key) is None:
            self.new.append(f"{kind} {key} {prefix}")
        self.record.put(kind, key, prefix)
        return prefix

    def _indexed(
        self, kind: str, keys: Iterable[str], base: IPv6Network, first: int, count: int, length: int, what: str
    ) -> dict[str, IPv6Network]:
        """Allocate /length slots numbered first..first+count-1 under `base`, keeping recorded ones."""
        out: dict[str, IPv6Network] = {}
        taken: set[int] = set()
        size = 1 << (128 - length)
        pending = []
        for key in keys:
            prefix = self._recorded(kind, key, base, length)
            if prefix is None:
                pending.append(key)
                continue
            out[key] = as_v6(prefix)
            taken.add((int(prefix.network_address) - int(base.network_address)) // size)
        for other_key, prefix in self.record.entries.get(kind, {}).items():  # released keys stay reserved
            if other_key not in out and subnet_of(prefix, base):
                taken.add((int(prefix.network_address) - int(base.network_address)) // size)
        index = first
        for key in pending:
            while index in taken:
                index += 1
            if index >= first + count:
                raise PlanError(
                    f"no {what} slot left in {base} for {key} ({count} in all)",
                    fix="delete unused entries from the record",
                    location=self.where,
                )
            taken.add(index)
            out[key] = as_v6(self._remember(kind, key, IPv6Network((int(base.network_address) + index * size, length))))
        for key, prefix in out.items():
            self.record.put(kind, key, prefix)
        return out

    # -- the plan -------------------------------------------------------------------------------
    def build(self) -> Plan:
        intent = self.intent
        block6, block4 = intent.province.ipv6, intent.province.ipv4
        agency_bits, site_bits_ = site_bits(block6, self._at("province.ipv6"))
        sites = self._sites(block6, agency_bits, site_bits_)
        infra = self._site_prefix(block6, 0, 0, site_bits_)
        segments6 = self._segments6(sites)
        routers = list(intent.routers)
        loop_base = IPv6Network((int(infra.network_address), 64))
        loop6 = self._indexed("loopback6", routers, loop_base, 1, 1 << 16, 128, "loopback")
        link_keys = [link.key for link in intent.router_links]
        links6 = self._indexed("link6", link_keys, infra, LINK_BASE, LINK_COUNT, 64, "router link")
        nat64 = self._fixed(
            "nat64", "prefix", IPv6Network((int(infra.network_address) + (NAT64_HEXTET << 64), 96)), infra
        )

        pool4 = _Pool(block4, "province IPv4")
        v4_segments = [s for s in intent.segments if s.ipv4_hosts > 0]
        v4_routers = [r for r in routers if r in intent.ipv4_routers]
        v4_links = [
            lk for lk in intent.router_links if lk.a.node in intent.ipv4_routers and lk.b.node in intent.ipv4_routers
        ]
        requests4: list[tuple[str, str, int]] = []
        requests4 += [("segment4", s.key, _v4_length(s.ipv4_hosts + 2)) for s in v4_segments]
        requests4 += [("nat64-pool", "pool", 28)]
        requests4 += [("loopback4", r, 32) for r in v4_routers]
        requests4 += [("link4", lk.key, 31) for lk in v4_links]
        got4 = self._ipv4(pool4, requests4)

        segments: dict[str, SegmentPlan] = {}
        resolver64 = None
        for seg in intent.segments:
            net4 = as_v4(got4[("segment4", seg.key)]) if ("segment4", seg.key) in got4 else None
            static = dict(self._static_hosts(seg, segments6[seg.key], net4))
            resolver64 = static.pop(RESOLVER64, resolver64)
            segments[seg.key] = SegmentPlan(seg.key, segments6[seg.key], net4, static)
        loopbacks = {
            r: HostAddr(
                IPv4Interface(f"{got4[('loopback4', r)].network_address}/32") if ("loopback4", r) in got4 else None,
                IPv6Interface(f"{loop6[r].network_address}/128"),
            )
            for r in routers
        }
        links: dict[str, LinkPlan] = {}
        for lk in intent.router_links:
            reserved = links6[lk.key]
            link4 = as_v4(got4[("link4", lk.key)]) if ("link4", lk.key) in got4 else None
            links[lk.key] = _p2p(lk.key, lk.a, lk.b, reserved, link4)

        exchange4, exchange6, exchange_hosts = self._internet(links, loopbacks)
        self._check_overlaps(segments, links, loopbacks, nat64, got4, sites, infra)
        self._stale_entries()
        return Plan(
            province6=block6,
            province4=block4,
            infrastructure=infra,
            sites=sites,
            segments=segments,
            links=links,
            loopbacks=loopbacks,
            nat64_prefix=as_v6(nat64),
            nat64_pool=as_v4(got4[("nat64-pool", "pool")]),
            exchange4=exchange4,
            exchange6=exchange6,
            exchange_hosts=exchange_hosts,
            resolver64=resolver64,
            new=tuple(self.new),
            notes=tuple(self.notes),
            record=self.record,
        )

    def _site_prefix(self, block: IPv6Network, code: int, number: int, sbits: int) -> IPv6Network:
        value = int(block.network_address) | (((code << sbits) | number) << (128 - SITE_LEN))
        return IPv6Network((value, SITE_LEN))

    def _sites(self, block: IPv6Network, abits: int, sbits: int) -> dict[str, IPv6Network]:
        out = {}
        for n, agency in enumerate(self.intent.agencies):
            if agency.code >= 1 << abits:
                raise PlanError(
                    f"agency '{agency.name}' code {agency.code:#x} does not fit the {abits} bits a {block} leaves for agencies",
                    fix=f"use a code below {1 << abits:#x}",
                    location=self._at(f"agencies[{n}].code"),
                )
            for site, number in agency.sites or (("site0", 0),):
                if number >= 1 << sbits:
                    raise PlanError(
                        f"site '{site}' number {number} does not fit the {sbits} bits a {block} leaves for sites",
                        fix=f"use a number below {1 << sbits}",
                        location=self._at(f"agencies[{n}].sites"),
                    )
                key = f"{agency.name}/{site}"
                out[key] = as_v6(self._fixed("site6", key, self._site_prefix(block, agency.code, number, sbits), block))
        return out

    def _segments6(self, sites: Mapping[str, IPv6Network]) -> dict[str, IPv6Network]:
        out = {}
        for seg in self.intent.segments:
            site = sites[f"{seg.agency}/{seg.site}"]
            value = int(site.network_address) | (((seg.purpose.nibble << 12) | seg.vlan) << 64)
            out[seg.key] = as_v6(self._fixed("segment6", seg.key, IPv6Network((value, SEGMENT_LEN)), site))
        return out

    def _fixed(self, kind: str, key: str, computed: Prefix, parent: Prefix) -> Prefix:
        """A prefix the scheme computes; the record wins if it differs (no silent renumbering)."""
        recorded = self._recorded(kind, key, parent, computed.prefixlen)
        if recorded is not None and recorded != computed:
            self.notes.append(
                f"{kind} {key}: keeping the recorded {recorded} (the intent now gives {computed}; delete the entry to renumber)"
            )
            return recorded
        return self._remember(kind, key, computed)

    def _ipv4(self, pool: _Pool, requests: list[tuple[str, str, int]]) -> dict[tuple[str, str], Prefix]:
        got: dict[tuple[str, str], Prefix] = {}
        for kind, key, length in requests:
            recorded = self._recorded(kind, key, pool.block, length)
            if recorded is not None:
                pool.take(recorded)
                got[(kind, key)] = recorded
        for kind in ("segment4", "nat64-pool", "loopback4", "link4", "internet4"):
            for other, prefix in self.record.entries.get(kind, {}).items():
                if (kind, other) not in got and subnet_of(prefix, pool.block):
                    pool.take(prefix)  # released entries stay reserved
        # Largest first keeps the block unfragmented; the key order makes it deterministic.
        for kind, key, length in sorted(requests, key=lambda r: (r[2], r[0], r[1])):
            if (kind, key) not in got:
                got[(kind, key)] = self._remember(kind, key, pool.allocate(length, f"{kind} {key}", self.where))
        return got

    def _static_hosts(self, seg: Segment, net6: IPv6Network, net4: IPv4Network | None) -> dict[str, HostAddr]:
        topo = self.intent.topology
        hosts = [a.host for a in seg.hosts if topo.node(a.host).role is Role.SERVICE]
        if self.intent.services.dns64 in hosts:
            hosts.append(RESOLVER64)
        out = {}
        host6 = self._indexed(
            "host6", [f"{seg.key}/{h}" for h in hosts], net6, STATIC_HOST_BASE, 0xFF0, 128, "static host"
        )
        host4: dict[str, Prefix] = {}
        if net4 is not None and hosts:
            pool = _Pool(net4, f"segment {seg.key}")
            pool.take(IPv4Network((int(net4.network_address), 31)))  # network address and gateway (.1)
            pool.take(IPv4Network((int(net4.broadcast_address), 32)))
            requests = [("host4", f"{seg.key}/{h}", 32) for h in hosts]
            for kind, key, _ in requests:
                recorded = self._recorded(kind, key, net4, 32)
                if recorded is not None:
                    pool.take(recorded)
                    host4[key] = recorded
            for key, prefix in self.host4_before.get(seg.key, []):
                if key not in host4 and subnet_of(prefix, net4):
                    pool.take(prefix)  # a host that left the segment keeps its address reserved
            for kind, key, length in requests:
                if key not in host4:
                    host4[key] = self._remember(kind, key, pool.allocate(length, key, self.where))
        for h in hosts:
            key = f"{seg.key}/{h}"
            v4 = host4.get(key)
            out[h] = HostAddr(
                IPv4Interface(f"{v4.network_address}/{net4.prefixlen}")
                if v4 is not None and net4 is not None
                else None,
                IPv6Interface(f"{host6[key].network_address}/64"),
            )
        return out

    def _internet(
        self, links: dict[str, LinkPlan], loopbacks: dict[str, HostAddr]
    ) -> tuple[IPv4Network, IPv6Network, dict[str, HostAddr]]:
        inet = self.intent.internet
        base6 = IPv6Network((int(inet.ipv6.network_address), 48))
        exchange6 = self._fixed(
            "internet6", "exchange", IPv6Network((int(base6.network_address) + (1 << 64), 64)), inet.ipv6
        )
        pool = _Pool(inet.ipv4, "Internet IPv4")
        members = [op.node for op in inet.operators] + [s.node for s in inet.sites]
        uplinks = [(op, own, far) for op in inet.operators for own, far in op.uplinks]
        requests = [("internet4", "exchange", _v4_length(len(members) + 2))]
        requests += [("internet4", f"loopback/{op.node}", 32) for op in inet.operators]
        requests += [("internet4", f"uplink/{own}~{far}", 31) for _, own, far in uplinks]
        got4 = self._ipv4(pool, requests)
        exchange4 = as_v4(got4[("internet4", "exchange")])
        up6 = self._indexed(
            "internet6-uplink", [f"{own}~{far}" for _, own, far in uplinks], base6, LINK_BASE, LINK_COUNT, 64, "uplink"
        )
        loop6 = self._indexed(
            "internet6-loopback",
            [op.node for op in inet.operators],
            IPv6Network((int(base6.network_address), 64)),
            1,
            1 << 16,
            128,
            "loopback",
        )
        for op in inet.operators:
            v4 = got4[("internet4", f"loopback/{op.node}")]
            loopbacks[op.node] = HostAddr(
                IPv4Interface(f"{v4.network_address}/32"), IPv6Interface(f"{loop6[op.node].network_address}/128")
            )
        for _, own, far in uplinks:
            key = f"{own}~{far}"
            links[key] = _p2p(key, own, far, up6[key], as_v4(got4[("internet4", f"uplink/{key}")]))
        hosts = {}
        for index, node in enumerate(members, start=1):
            v6 = IPv6Interface(f"{exchange6[index]}/64") if node in {op.node for op in inet.operators} else None
            hosts[node] = HostAddr(IPv4Interface(f"{exchange4[index]}/{exchange4.prefixlen}"), v6)
        return exchange4, as_v6(exchange6), hosts

    def _check_overlaps(
        self,
        segments: Mapping[str, SegmentPlan],
        links: Mapping[str, LinkPlan],
        loopbacks: Mapping[str, HostAddr],
        nat64: Prefix,
        got4: Mapping[tuple[str, str], Prefix],
        sites: Mapping[str, IPv6Network],
        infra: IPv6Network,
    ) -> None:
        named: list[tuple[str, Prefix]] = [("NAT64 prefix", nat64)]
        named += [(f"segment {k}", p.ipv6) for k, p in segments.items()]
        named += [(f"link {k}", p.reserved6) for k, p in links.items()]
        named += [(f"{kind} {key}", p) for (kind, key), p in got4.items()]
        loop_net = IPv6Network((int(infra.network_address), 64))
        named += [("loopbacks", loop_net)]
        link_range = IPv6Network((int(infra.network_address) + (LINK_BASE << 64), SEGMENT_LEN - LINK_RANGE_BITS))
        for key, seg in segments.items():  # …:0:1xxx::/64 belong to router links, present and future
            if overlaps(seg.ipv6, link_range):
                raise PlanError(
                    f"overlapping prefixes: segment {key} {seg.ipv6} is inside the range reserved for router links ({link_range})",
                    fix="change the VLAN, purpose or code of the segment",
                    location=self.where,
                )
        by_prefix: dict[IPv6Network, str] = {}
        for key, site in sites.items():  # every site is a /48: two on one (possible when the record wins) collide
            if site in by_prefix:
                raise PlanError(
                    f"overlapping prefixes: sites {by_prefix[site]} and {key} are both {site}",
                    fix=f"correct the site6 entries of {self.record.path or 'the record'}",
                    location=self.where,
                )
            by_prefix[site] = key
        for v in (4, 6):
            items = sorted(
                ((n, p) for n, p in named if p.version == v), key=lambda x: (int(x[1].network_address), -x[1].prefixlen)
            )
            for (name_a, a), (name_b, b) in itertools.pairwise(items):
                if overlaps(a, b):
                    raise PlanError(
                        f"overlapping prefixes: {name_a} {a} and {name_b} {b}",
                        fix="change the VLAN, purpose or code of one of them",
                        location=self.where,
                    )

    def _stale_entries(self) -> None:
        """Entries the intent no longer uses are kept reserved, and reported so nobody is surprised."""
        used = self._used_keys()
        for kind, key, prefix in self.record.items():
            if (kind, key) not in used:
                self.notes.append(
                    f"{kind} {key} {prefix} is no longer in the intent: kept reserved (delete it to release)"
                )

    def _used_keys(self) -> set[tuple[str, str]]:
        i = self.intent
        used = {("nat64", "prefix"), ("nat64-pool", "pool"), ("internet6", "exchange"), ("internet4", "exchange")}
        used |= {("site6", f"{a.name}/{s}") for a in i.agencies for s, _ in (a.sites or (("site0", 0),))}
        for seg in i.segments:
            used |= {("segment6", seg.key), ("segment4", seg.key)}
            used |= {(k, f"{seg.key}/{a.host}") for a in seg.hosts for k in ("host4", "host6")}
            if any(a.host == i.services.dns64 for a in seg.hosts):
                used |= {(k, f"{seg.key}/{RESOLVER64}") for k in ("host4", "host6")}
        used |= {(k, r) for r in i.routers for k in ("loopback6", "loopback4")}
        used |= {(k, lk.key) for lk in i.router_links for k in ("link6", "link4")}
        for op in i.internet.operators:
            used |= {("internet4", f"loopback/{op.node}"), ("internet6-loopback", op.node)}
            for own, far in op.uplinks:
                used |= {("internet4", f"uplink/{own}~{far}"), ("internet6-uplink", f"{own}~{far}")}
        return used


def _v4_length(addresses: int) -> int:
    length = 32
    while (1 << (32 - length)) < addresses:
        length -= 1
    return length


def _p2p(key: str, a: Endpoint, b: Endpoint, reserved: IPv6Network, v4: IPv4Network | None) -> LinkPlan:
    base = int(reserved.network_address)
    # ::2/127 and ::3/127: RFC 6164 /127, clear of the subnet-router anycast address some vendors refuse.
    a6, b6 = IPv6Interface((base + 2, 127)), IPv6Interface((base + 3, 127))
    a4 = IPv4Interface((int(v4.network_address), 31)) if v4 else None
    b4 = IPv4Interface((int(v4.network_address) + 1, 31)) if v4 else None
    return LinkPlan(key, a, b, reserved, HostAddr(a4, a6), HostAddr(b4, b6))


def build_plan(intent: Intent, record: Record) -> Plan:
    """The plan for `intent`, reusing every allocation in `record` (which it extends in place)."""
    return _Planner(intent, record).build()
