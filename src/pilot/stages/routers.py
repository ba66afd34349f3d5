"""Routers at a stage: the province's (OSPF inside, eBGP to the operators, RA and DHCP relay on their
segments) and the operators' (the lab's Internet: the same in every stage, both address families)."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv4Network, IPv6Interface, IPv6Network

from pilot.intent.model import Operator, Segment
from pilot.intent.schema import Dhcpv6, Purpose
from pilot.stages.context import Context
from pilot.stages.model import (
    Bgp,
    BgpNeighbor,
    Device,
    DhcpRelay,
    Interface,
    OspfInterface,
    PrefixList,
    RaPrefix,
    Router,
    RouterAdvert,
    StaticRoute,
)

TO_OPERATORS_V4, TO_OPERATORS_V6, NAT64_ONLY = "PROVINCE-V4", "PROVINCE-V6", "NAT64-PREFIX"


def _natural(name: str) -> tuple[str, int]:
    stem = name.rstrip("0123456789")
    return (stem, int(name[len(stem) :] or -1))


def _far(ctx: Context, node: str, interface: str) -> str:
    """The far end's interface as its own platform names it."""
    return ctx.port(node, interface)


def province_router(ctx: Context, name: str) -> Device:
    intent, plan, stage = ctx.intent, ctx.plan, ctx.stage
    node = intent.topology.node(name)
    plat = node.platform
    area = intent.ospf_area[name]
    lo = plan.loopbacks[name]
    interfaces = [
        Interface(
            ctx.loopback(plat),
            "loopback",
            ipv4=(lo.ipv4,) if lo.ipv4 else (),
            ipv6=(lo.ipv6,) if stage.ipv6 and lo.ipv6 else (),
            ospf=OspfInterface(area, passive=True) if lo.ipv4 else None,
            ospf6=OspfInterface(area, passive=True) if stage.ipv6 else None,
        )
    ]
    router_links = ctx.router_link_keys
    p2p = OspfInterface(
        area,
        point_to_point=True,
        hello=intent.province.ospf_hello,
        dead=intent.province.ospf_dead,
        retransmit=intent.province.ospf_retransmit,
    )
    for key in ctx.links_of(name):
        if key not in router_links:
            continue
        own, addr, far, _ = plan.links[key].end(name)
        interfaces.append(
            Interface(
                ctx.port(name, own.interface),
                f"link to {far.node} {_far(ctx, far.node, far.interface)}",
                ipv4=(addr.ipv4,) if addr.ipv4 else (),
                ipv6=(addr.ipv6,) if stage.ipv6 and addr.ipv6 else (),
                ospf=p2p if addr.ipv4 else None,
                ospf6=p2p if stage.ipv6 else None,
            )
        )
    neighbors: list[BgpNeighbor] = []
    for op in intent.internet.operators:
        for own, far in op.uplinks:
            if own.node != name:
                continue
            link = plan.links[f"{own}~{far}"]
            _, addr, _, far_addr = link.end(name)
            interfaces.append(
                Interface(
                    ctx.port(name, own.interface),
                    f"uplink to {op.name} ({far.node} {_far(ctx, far.node, far.interface)})",
                    ipv4=(addr.ipv4,) if addr.ipv4 else (),
                    ipv6=(addr.ipv6,) if stage.ipv6 and addr.ipv6 else (),
                )
            )
            if far_addr.ipv4:
                neighbors.append(
                    BgpNeighbor(far_addr.ipv4.ip, op.asn, f"{op.name} ({far.node})", False, None, TO_OPERATORS_V4)
                )
            if stage.ipv6 and far_addr.ipv6:
                neighbors.append(
                    BgpNeighbor(far_addr.ipv6.ip, op.asn, f"{op.name} ({far.node})", False, None, TO_OPERATORS_V6)
                )
    for seg in intent.segments_of(name):
        interfaces.append(_segment_interface(ctx, seg, node.platform, area))
    interfaces.sort(key=lambda i: (i.name != ctx.loopback(plat), _natural(i.name)))

    statics: list[StaticRoute] = []
    prefix_lists: list[PrefixList] = []
    redistribute6 = None
    bgp = None
    if neighbors:  # a border router: announce the province's aggregates, originate a default inside
        statics.append(StaticRoute(plan.province4, None, "the province's aggregate, announced to the operators"))
        prefix_lists.append(PrefixList(TO_OPERATORS_V4, "ipv4", (plan.province4,)))
        networks6: tuple[IPv6Network, ...] = ()
        if stage.ipv6:
            statics.append(StaticRoute(plan.province6, None, "the province's aggregate, announced to the operators"))
            prefix_lists.append(PrefixList(TO_OPERATORS_V6, "ipv6", (plan.province6,)))
            networks6 = (plan.province6,)
        bgp = Bgp(
            intent.province.asn,
            plan.router_id(name),
            tuple(neighbors),
            (plan.province4,),
            networks6,
            connect_retry=intent.province.bgp_connect_retry,
        )
    nat64_segment = intent.segment_of_host(intent.services.nat64)
    if stage.nat64 and nat64_segment is not None and nat64_segment.gateway.node == name:
        nat64 = ctx.host_addr(intent.services.nat64).ipv6
        assert nat64 is not None
        statics.append(StaticRoute(plan.nat64_prefix, nat64.ip, "NAT64 network-specific prefix, to the translator"))
        redistribute6 = PrefixList(NAT64_ONLY, "ipv6", (plan.nat64_prefix,))
        prefix_lists.append(redistribute6)
    router = Router(
        router_id=plan.router_id(name),
        interfaces=tuple(interfaces),
        ospf=any(i.ospf for i in interfaces),
        ospf6=any(i.ospf6 for i in interfaces),
        ospf_default_originate=bool(neighbors),
        ospf6_redistribute=redistribute6,
        bgp=bgp,
        static_routes=tuple(statics),
        prefix_lists=tuple(prefix_lists),
        relays=_relays(ctx, name),
        serves_segments=bool(intent.segments_of(name)),
    )
    unsent = [i.name for i in interfaces if i.ra and i.ra.pref64_unsupported]
    at, notes = ctx.serving(intent.segments_of(name))
    if unsent:
        notes += (f"PREF64 {plan.nat64_prefix} not sent ({node.platform} cannot send it) on {', '.join(unsent)}",)
    return Device(name, "router", node.platform, at, router=router, notes=notes)


def _segment_interface(ctx: Context, seg: Segment, platform: str, area: str) -> Interface:
    stage, sp = ctx.at(seg), ctx.plan.segments[seg.key]
    v4 = ctx.has_ipv4(seg) and sp.gateway4 is not None
    ra = None
    if stage.router_advertisements:
        wanted64 = ctx.plan.nat64_prefix if stage.pref64 else None
        capable = ctx.can(platform, "pref64")
        ra = RouterAdvert(
            interval=ctx.intent.province.ra_interval,
            prefixes=(RaPrefix(sp.ipv6, autonomous=seg.purpose is not Purpose.SERVERS),),
            rdnss=(ctx.dns6(seg),),
            dnssl=(ctx.intent.province.domain,),
            managed=ctx.dhcp6(seg) and seg.dhcpv6 is Dhcpv6.STATEFUL,
            other=ctx.dhcp6(seg),
            pref64=wanted64 if capable else None,
            pref64_unsupported=wanted64 if not capable else None,
        )
    gateway4: tuple[IPv4Interface, ...] = (sp.gateway4,) if v4 and sp.gateway4 else ()
    gateway6: tuple[IPv6Interface, ...] = (sp.gateway6,) if stage.ipv6 else ()
    described = f"{seg.purpose.value} VLAN {seg.vlan} ({seg.key})"
    return Interface(
        ctx.port(seg.gateway.node, seg.gateway.interface),
        f"{described}: {seg.titles}" if seg.titles else described,
        ipv4=gateway4,
        ipv6=gateway6,
        ospf=OspfInterface(area, passive=True) if gateway4 else None,
        ospf6=OspfInterface(area, passive=True) if gateway6 else None,
        ra=ra,
    )


def _relays(ctx: Context, name: str) -> tuple[DhcpRelay, ...]:
    intent = ctx.intent
    dhcp_segment = intent.segment_of_host(intent.services.dhcp)
    if dhcp_segment is None:
        return ()
    server = ctx.host_addr(intent.services.dhcp)
    mine = [s for s in intent.segments_of(name) if s.key != dhcp_segment.key]
    upstream = ctx.port(name, ctx.upstream(name, dhcp_segment.gateway.node) or dhcp_segment.gateway.interface)
    relays = []
    down4 = tuple(ctx.port(name, s.gateway.interface) for s in mine if ctx.dhcp4(s))
    if down4 and server.ipv4:
        relays.append(DhcpRelay(4, server.ipv4.ip, down4, upstream))
    down6 = tuple(ctx.port(name, s.gateway.interface) for s in mine if ctx.dhcp6(s))
    if down6 and server.ipv6 and ctx.stage.ipv6:
        relays.append(DhcpRelay(6, server.ipv6.ip, down6, upstream))
    return tuple(relays)


def operator_router(ctx: Context, op: Operator) -> Device:
    """An operator of the lab's Internet: both address families in every stage (it does not migrate)."""
    intent, plan = ctx.intent, ctx.plan
    lo = plan.loopbacks[op.node]
    exchange = plan.exchange_hosts[op.node]
    plat = intent.topology.node(op.node).platform
    interfaces = [
        Interface(
            ctx.loopback(plat), "loopback", ipv4=(lo.ipv4,) if lo.ipv4 else (), ipv6=(lo.ipv6,) if lo.ipv6 else ()
        ),
        Interface(
            ctx.port(op.node, op.exchange_port),
            f"the Internet exchange ({intent.internet.exchange})",
            ipv4=(exchange.ipv4,) if exchange.ipv4 else (),
            ipv6=(exchange.ipv6,) if exchange.ipv6 else (),
        ),
    ]
    neighbors: list[BgpNeighbor] = []
    for province_end, own in op.uplinks:
        link = plan.links[f"{province_end}~{own}"]
        _, addr, _, far = link.end(op.node)
        interfaces.append(
            Interface(
                ctx.port(op.node, own.interface),
                f"customer {intent.province.display} ({province_end.node} {_far(ctx, province_end.node, province_end.interface)})",
                ipv4=(addr.ipv4,) if addr.ipv4 else (),
                ipv6=(addr.ipv6,) if addr.ipv6 else (),
            )
        )
        for peer in (far.ipv4, far.ipv6):
            if peer is not None:
                neighbors.append(
                    BgpNeighbor(
                        peer.ip, intent.province.asn, f"customer {intent.province.display}", default_originate=True
                    )
                )
    for other in intent.internet.operators:
        if other.node == op.node:
            continue
        other_addr = plan.exchange_hosts[other.node]
        for address in (other_addr.ipv4, other_addr.ipv6):
            if address is not None:
                neighbors.append(BgpNeighbor(address.ip, other.asn, f"peer {other.name} ({other.node})"))
    interfaces.sort(key=lambda i: (i.name != ctx.loopback(plat), _natural(i.name)))
    networks4: list[IPv4Network] = [plan.exchange4]
    networks6: list[IPv6Network] = [plan.exchange6]
    if lo.ipv4:
        networks4.append(lo.ipv4.network)
    if lo.ipv6:
        networks6.append(lo.ipv6.network)
    router = Router(
        router_id=plan.router_id(op.node),
        interfaces=tuple(interfaces),
        ospf=False,
        ospf6=False,
        bgp=Bgp(
            op.asn,
            plan.router_id(op.node),
            tuple(neighbors),
            tuple(networks4),
            tuple(networks6),
            connect_retry=intent.province.bgp_connect_retry,  # the lab's operators retry as fast
        ),
    )
    return Device(op.node, "router", plat, ctx.every_stage, router=router)
