"""Linux devices at a stage: the switch, the service hosts (DNS64, NAT64, DHCP, the portal), the
Internet's IPv4-only site, and the client hosts."""

from __future__ import annotations

import zlib
from ipaddress import IPv4Address, IPv6Address

from pilot.intent.model import Segment, SiteHost
from pilot.intent.schema import Dhcpv6
from pilot.stages.context import Context, stable_id
from pilot.stages.model import (
    Client,
    Device,
    Dhcp4Subnet,
    Dhcp6Subnet,
    DhcpService,
    DnsRecord,
    DnsService,
    Host,
    HostInterface,
    Nat64Service,
    StaticRoute,
    Switch,
    Vlan,
    WebService,
    Zone,
)

IPV4ONLY_ARPA = "ipv4only.arpa"
# RFC 7050: the well-known IPv4 addresses of ipv4only.arpa, which DNS64 turns into the NAT64 prefix.
IPV4ONLY_ADDRESSES = (IPv4Address("192.0.0.170"), IPv4Address("192.0.0.171"))
NAT64_TUN = "nat64"


def switch(ctx: Context, name: str) -> Device:
    segments = [s for s in ctx.intent.segments if s.medium == name and s.medium_is_switch]
    node = ctx.intent.topology.node(name)
    vlans, host_ports = [], []
    for seg in sorted(segments, key=lambda s: s.vlan):
        # Ports as the switch's platform names them (eth2 -> GigabitEthernet1/0/2 on a vendor switch).
        ports = [ctx.port(name, seg.uplink_port)] if seg.uplink_port else []
        hosts = [ctx.port(name, a.switch_port) for a in seg.hosts if a.switch_port]
        ports += hosts
        host_ports += hosts
        vlans.append(Vlan(seg.vlan, seg.name, tuple(p for p in ports if p), seg.titles))
    at, notes = ctx.serving(segments)
    fhs = any(ctx.at(s).first_hop_security for s in segments) if segments else ctx.stage.first_hop_security
    switch = Switch(tuple(vlans), tuple(sorted(host_ports)), fhs)
    return Device(name, "switch", node.platform, at, switch=switch, notes=notes)


def service_host(ctx: Context, name: str) -> Device:
    intent, stage = ctx.intent, ctx.stage
    seg = intent.segment_of_host(name)
    assert seg is not None, name
    attachment = next(a for a in seg.hosts if a.host == name)
    sp = ctx.plan.segments[seg.key]
    addr = sp.hosts[name]
    resolver64 = ctx.plan.resolver64 if name == intent.services.dns64 and stage.nat64 else None
    extra = () if resolver64 is None else tuple(a for a in (resolver64.ipv4, resolver64.ipv6) if a is not None)
    iface = HostInterface(
        attachment.interface,
        ipv4=addr.ipv4,
        ipv6=addr.ipv6 if stage.ipv6 else None,
        gateway4=sp.gateway4.ip if sp.gateway4 else None,
        gateway6=sp.gateway6.ip if stage.ipv6 else None,
        extra=extra,
    )
    nameservers: list[IPv4Address | IPv6Address] = [ctx.dns6()] if stage.ipv6 else []
    nameservers.append(ctx.dns4())
    services = intent.services
    host = Host(
        interfaces=(iface,),
        nameservers=tuple(nameservers),
        search=(intent.province.domain,),
        dns=_dns(ctx, iface) if name == services.dns64 else None,
        dhcp=_dhcp(ctx, iface) if name == services.dhcp else None,
        web=_web(ctx, iface, f"portal.{intent.province.domain}") if name == services.portal else None,
    )
    if name == services.nat64:
        host = _with_nat64(ctx, host, iface)
    return Device(name, "service", intent.topology.node(name).platform, stage, host=host)


def _with_nat64(ctx: Context, host: Host, iface: HostInterface) -> Host:
    plan, on = ctx.plan, ctx.stage.nat64
    nat64 = Nat64Service(on, NAT64_TUN, plan.nat64_pool[1], plan.nat64_pool, plan.nat64_prefix, iface.name)
    routes = (
        (
            StaticRoute(plan.nat64_pool, None, f"dev {NAT64_TUN}"),
            StaticRoute(plan.nat64_prefix, None, f"dev {NAT64_TUN}"),
        )
        if on
        else ()
    )
    # Explicit in every stage: a rollback to a stage without NAT64 must turn forwarding off again.
    forwarding = "1" if on else "0"
    sysctls = (("net.ipv4.ip_forward", forwarding), ("net.ipv6.conf.all.forwarding", forwarding))
    return Host(
        interfaces=host.interfaces,
        routes=routes,
        sysctls=sysctls,
        nameservers=host.nameservers,
        search=host.search,
        dns=host.dns,
        nat64=nat64,
        dhcp=host.dhcp,
        web=host.web,
    )


def _dns(ctx: Context, iface: HostInterface) -> DnsService:
    intent, stage, plan = ctx.intent, ctx.stage, ctx.plan
    records = []
    for seg in intent.segments:
        for name, addr in plan.segments[seg.key].hosts.items():
            records.append(
                DnsRecord(
                    name,
                    a=(addr.ipv4.ip,) if addr.ipv4 else (),
                    aaaa=(addr.ipv6.ip,) if ctx.at(seg).ipv6 and addr.ipv6 else (),
                )
            )
    for site in intent.internet.sites:  # IPv4-only sites: an A record only, in every stage
        exchange = plan.exchange_hosts[site.node]
        records.append(DnsRecord(site.name, a=(exchange.ipv4.ip,) if exchange.ipv4 else ()))
    records.sort(key=lambda r: r.name)
    primary = intent.services.dns64
    zones = (
        _zone(intent.province.domain, primary, tuple(records)),
        _zone(IPV4ONLY_ARPA, f"{primary}.{intent.province.domain}.", (DnsRecord("@", a=IPV4ONLY_ADDRESSES),)),
    )
    listen: list[IPv4Address | IPv6Address] = []
    if iface.ipv4:
        listen.append(iface.ipv4.ip)
    if iface.ipv6:
        listen.append(iface.ipv6.ip)
    allow = (plan.province4, plan.province6, intent.internet.ipv4)
    # DNS64 is a resolver of its own (a second unbound on its own addresses, in front of the plain one),
    # told only to the sites at a stage with NAT64: the others keep answers without synthesis.
    dns64 = stage.nat64 and plan.resolver64 is not None
    dns64_listen = tuple(a.ip for a in iface.extra) if dns64 else ()
    return DnsService(tuple(listen), allow, zones, plan.nat64_prefix if dns64 else None, dns64_listen)


def _zone(name: str, primary: str, records: tuple[DnsRecord, ...]) -> Zone:
    # The serial follows the content: the same records give the same serial, a change a new one.
    serial = zlib.crc32(repr((name, records)).encode()) or 1
    return Zone(name, serial, primary, records)


def _dhcp(ctx: Context, iface: HostInterface) -> DhcpService:
    intent, plan, stage = ctx.intent, ctx.plan, ctx.stage
    subnets4, subnets6 = [], []
    for seg in intent.segments:
        sp = plan.segments[seg.key]
        if ctx.dhcp4(seg) and sp.ipv4 is not None and sp.pool4 is not None and sp.gateway4 is not None:
            wait = intent.province.v6only_wait if ctx.at(seg).option108 and seg.is_user else None
            resolver4 = ctx.dns4(seg)  # a subnet names its own resolver only where it is not the server's
            dns4 = (resolver4,) if resolver4 != ctx.dns4() else ()
            subnets4.append(
                Dhcp4Subnet(stable_id(seg.key), seg.key, sp.ipv4, sp.pool4, sp.gateway4.ip, wait, seg.titles, dns4)
            )
        if ctx.dhcp6(seg):
            pool = sp.pool6 if seg.dhcpv6 is Dhcpv6.STATEFUL else None
            resolver6 = ctx.dns6(seg)
            dns6 = (resolver6,) if resolver6 != ctx.dns6() else ()
            subnets6.append(Dhcp6Subnet(stable_id(seg.key), seg.key, sp.ipv6, pool, seg.titles, dns6))
    return DhcpService(
        interface=iface.name,
        unicast6=iface.ipv6.ip if iface.ipv6 else None,
        dns4=(ctx.dns4(),),
        dns6=(ctx.dns6(),) if stage.ipv6 else (),
        domain=intent.province.domain,
        subnets4=tuple(subnets4),
        subnets6=tuple(subnets6) if stage.dhcpv6 else (),
    )


def _web(ctx: Context, iface: HostInterface, server_name: str) -> WebService:
    listen: list[IPv4Address | IPv6Address] = []
    if iface.ipv4:
        listen.append(iface.ipv4.ip)
    if iface.ipv6:
        listen.append(iface.ipv6.ip)
    # The same page in every stage: a portal does not change when the network migrates under it.
    return WebService(tuple(listen), server_name, ctx.intent.province.display)


def internet_site(ctx: Context, site: SiteHost) -> Device:
    """An IPv4-only web site on the lab's Internet: the same in every stage."""
    intent = ctx.intent
    addr = ctx.plan.exchange_hosts[site.node]
    first_operator = ctx.plan.exchange_hosts[intent.internet.operators[0].node]
    assert addr.ipv4 is not None and first_operator.ipv4 is not None
    iface = HostInterface(site.interface, ipv4=addr.ipv4, gateway4=first_operator.ipv4.ip, ipv6_disabled=True)
    server_name = f"{site.name}.{intent.province.domain}"
    host = Host(
        interfaces=(iface,),
        web=WebService((addr.ipv4.ip,), server_name, "An IPv4-only web site"),
        sysctls=((f"net.ipv6.conf.{site.interface}.disable_ipv6", "1"),),
    )
    return Device(site.node, "service", intent.topology.node(site.node).platform, ctx.every_stage, host=host)


def client(ctx: Context, name: str, seg: Segment | None) -> Device:
    intent = ctx.intent
    wanted = intent.clients.get(name)
    attachment = next((a for a in seg.hosts if a.host == name), None) if seg else None
    interface = attachment.interface if attachment else (intent.topology.node(name).interfaces or ("eth1",))[0]
    c = Client(interface, option108=bool(wanted and wanted.option108), ipv4_only=bool(wanted and wanted.ipv4_only))
    host = Host(client=c, sysctls=((f"net.ipv6.conf.{interface}.disable_ipv6", "1"),) if c.ipv4_only else ())
    # A client is at its site's stage: it reconnects when that changes, not when another site moves.
    at = ctx.at(seg) if seg is not None else ctx.stage
    return Device(name, "client", intent.topology.node(name).platform, at, host=host)
