"""Read inventory/intent.yml and check it against the topology.

Every mismatch between the two (a gateway interface the topology does not have, a host not wired to
its segment, a service on a node that is not a service host) is a one-line error naming the intent
file's line and the fix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pilot import yamlsrc
from pilot.docranges import RangeProblem, lab_network
from pilot.intent import schema
from pilot.intent.model import (
    Agency,
    Attachment,
    Client,
    Intent,
    Internet,
    Operator,
    Province,
    RouterLink,
    Segment,
    Services,
    SiteHost,
)
from pilot.intent.schema import Dhcpv6, Purpose
from pilot.prefixes import as_v4, as_v6, overlaps
from pilot.text import SLUG_MAX, SLUG_RULE, one_line, suggest_slug
from pilot.topology.model import Endpoint, Role, Topology
from pilot.yamlsrc import Source, YamlPath

INTERNET_LEN = 48  # the plan puts the exchange, operator loopbacks and uplinks in the Internet block's first /48
DEFAULT_DHCPV6 = {Purpose.USERS: Dhcpv6.STATELESS, Purpose.IOT: Dhcpv6.STATELESS, Purpose.GUEST: Dhcpv6.STATELESS}


def load_intent(file: Path | str, topology: Topology) -> Intent:
    src = yamlsrc.load(Path(file), what="intent file")
    return read_intent(src, topology)


def read_intent(src: Source, topology: Topology) -> Intent:
    """The intent from already parsed YAML (what load_intent reads from a file)."""
    return _Reader(src, topology).read()


class _Reader:
    def __init__(self, src: Source, topo: Topology) -> None:
        self.src = src
        self.topo = topo
        self.warnings: list[str] = []

    def read(self) -> Intent:
        d = yamlsrc.validate(self.src, schema.IntentDef, explain=_explain)
        province = self._province(d.province)
        services = self._services(d.services)
        routers = self._routers(d.routers)
        internet = self._internet(d.internet, province, routers)
        agencies, segments = self._agencies(d.agencies, routers)
        links = self._router_links(routers)
        clients = self._clients(d.clients)
        self._check_coverage(routers, segments, links, internet)
        return Intent(
            source=self.src.file,
            topology=self.topo,
            province=province,
            services=services,
            internet=internet,
            routers=tuple(routers),
            ospf_area={r: (d.routers[r] or schema.RouterDef()).ospf_area for r in routers},
            ipv4_routers=frozenset(r for r in routers if (d.routers[r] or schema.RouterDef()).ipv4),
            agencies=tuple(agencies),
            segments=tuple(segments),
            router_links=tuple(links),
            clients=clients,
            warnings=tuple(self.warnings),
        )

    # -- helpers --------------------------------------------------------------------------------
    def _text(self, text: str | None, path: YamlPath) -> str | None:
        """Human text (a title, an operator's name): anything, as long as something of it is visible."""
        if text is not None and not one_line(text):
            raise self.src.error(
                path,
                f"{path[-1]} {text!r} has no visible text",
                "write the name people use (Vietnamese is fine), or remove the key",
            )
        return text

    def _node(self, name: str, path: YamlPath, roles: tuple[Role, ...]) -> str:
        if name not in self.topo.nodes:
            raise self.src.error(
                path, f"node '{name}' is not in the topology ({self.topo.source.name})", _nodes_fix(self.topo, roles)
            )
        role = self.topo.node(name).role
        if role not in roles:
            wanted = " or ".join(r.value for r in roles)
            raise self.src.error(path, f"node '{name}' is a {role.value}, not a {wanted}", _nodes_fix(self.topo, roles))
        return name

    def _prefix(self, text: str, path: YamlPath, version: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        try:
            return lab_network(text, version)
        except RangeProblem as problem:
            raise self.src.error(path, problem.message, problem.fix) from None

    def _endpoint(self, text: str, path: YamlPath) -> Endpoint:
        node, sep, iface = text.partition(":")
        if not sep or not node or not iface:
            raise self.src.error(path, f"'{text}' is not node:interface", "write e.g. dost-rtr:eth2")
        if node not in self.topo.nodes:
            raise self.src.error(
                path,
                f"node '{node}' is not in the topology ({self.topo.source.name})",
                _nodes_fix(self.topo, (Role.ROUTER,)),
            )
        if iface not in self.topo.node(node).interfaces:
            ifaces = ", ".join(self.topo.node(node).interfaces) or "none"
            raise self.src.error(
                path,
                f"{node}:{iface} is not in the topology ({self.topo.source.name})",
                f"use one of {node}'s interfaces: {ifaces}",
            )
        return Endpoint(node, iface)

    # -- sections -------------------------------------------------------------------------------
    def _province(self, p: schema.ProvinceDef) -> Province:
        v6 = self._prefix(p.ipv6, ("province", "ipv6"), 6)
        v4 = self._prefix(p.ipv4, ("province", "ipv4"), 4)
        if (p.ospf_hello is None) != (p.ospf_dead is None) or (
            p.ospf_hello and p.ospf_dead and p.ospf_dead <= p.ospf_hello
        ):
            raise self.src.error(
                ("province", "ospf_dead"),
                "ospf_hello and ospf_dead go together, dead longer than hello",
                "set both, e.g. ospf_hello: 1 and ospf_dead: 4",
            )
        title = self._text(p.title, ("province", "title"))
        return Province(
            p.name,
            p.asn,
            as_v6(v6),
            as_v4(v4),
            p.domain,
            p.v6only_wait,
            p.ra_interval,
            p.ospf_hello,
            p.ospf_dead,
            p.ospf_retransmit,
            p.bgp_connect_retry,
            title,
        )

    def _services(self, s: schema.ServicesDef) -> Services:
        for key in ("dns64", "nat64", "dhcp", "portal"):
            self._node(getattr(s, key), ("services", key), (Role.SERVICE,))
        return Services(s.dns64, s.nat64, s.dhcp, s.portal)

    def _internet(self, i: schema.InternetDef, province: Province, routers: list[str]) -> Internet:
        v4 = self._prefix(i.ipv4, ("internet", "ipv4"), 4)
        v6 = self._prefix(i.ipv6, ("internet", "ipv6"), 6)
        for key, net, theirs in (("ipv4", v4, province.ipv4), ("ipv6", v6, province.ipv6)):
            if overlaps(net, theirs):
                raise self.src.error(
                    ("internet", key),
                    f"the Internet's {net} overlaps the province's {theirs}",
                    "give the lab's Internet its own documentation prefix (e.g. 203.0.113.0/24, 3fff:100::/32)",
                )
        if v6.prefixlen > INTERNET_LEN:
            raise self.src.error(
                ("internet", "ipv6"),
                f"the lab's Internet needs a /{INTERNET_LEN} or larger, not a /{v6.prefixlen}",
                "use e.g. 3fff:100::/32 (its first /48 holds the exchange, the operators' loopbacks and uplinks)",
            )
        exchange = self._node(i.exchange, ("internet", "exchange"), (Role.BRIDGE,))
        operators: list[Operator] = []
        for n, op in enumerate(i.operators):
            path: YamlPath = ("internet", "operators", n, "node")
            self._node(op.node, path, (Role.ROUTER,))
            if any(other.node == op.node for other in operators):
                raise self.src.error(path, f"operator '{op.node}' is listed twice", "list each operator once")
            if op.node in routers:
                raise self.src.error(
                    path,
                    f"'{op.node}' is an operator and also listed under routers",
                    f"remove {op.node} from routers: the province's routers are its own, the operators' are not",
                )
            uplinks, port = [], None
            for own, far in self.topo.neighbours(op.node):
                if far.node == exchange:
                    port = own.interface
                elif far.node in routers:  # an uplink reaches a province router (not another operator)
                    uplinks.append((far, own))
            if port is None:
                raise self.src.error(
                    path,
                    f"operator '{op.node}' has no link to the exchange '{exchange}'",
                    f"link it to {exchange} in {self.topo.source.name}",
                )
            name = self._text(op.name, ("internet", "operators", n, "name"))
            assert name is not None
            operators.append(Operator(op.node, op.asn, name, tuple(uplinks), port))
        sites = []
        for n, site in enumerate(i.sites):
            path = ("internet", "sites", n, "node")
            self._node(site.node, path, (Role.SERVICE, Role.CLIENT))
            port = next((own.interface for own, far in self.topo.neighbours(site.node) if far.node == exchange), None)
            if port is None:
                raise self.src.error(
                    path,
                    f"'{site.node}' has no link to the exchange '{exchange}'",
                    f"link it to {exchange} in {self.topo.source.name}",
                )
            sites.append(SiteHost(site.node, site.name, port))
        return Internet(as_v4(v4), as_v6(v6), exchange, tuple(operators), tuple(sites))

    def _routers(self, routers: Mapping[str, schema.RouterDef | None]) -> list[str]:
        for name in routers:
            self._node(name, ("routers", name), (Role.ROUTER,))
        return list(routers)

    def _agencies(self, agencies: list[schema.AgencyDef], routers: list[str]) -> tuple[list[Agency], list[Segment]]:
        out: list[Agency] = []
        segments: list[tuple[Segment, YamlPath]] = []
        codes: dict[int, str] = {}
        agency_names: set[str] = set()
        for a, agency in enumerate(agencies):
            apath: YamlPath = ("agencies", a)
            if agency.name in agency_names:  # the name keys its sites and segments in the address record
                raise self.src.error(
                    (*apath, "name"), f"agency '{agency.name}' is defined twice", "give each agency its own name"
                )
            agency_names.add(agency.name)
            if agency.code in codes:
                raise self.src.error(
                    (*apath, "code"),
                    f"agency code {agency.code:#04x} is also that of agency '{codes[agency.code]}'",
                    "give each agency its own code",
                )
            codes[agency.code] = agency.name
            self._text(agency.title, (*apath, "title"))
            numbers: dict[int, str] = {}
            site_names: set[str] = set()
            for s, site in enumerate(agency.sites):
                spath: YamlPath = (*apath, "sites", s)
                if site.name in site_names:
                    raise self.src.error(
                        (*spath, "name"),
                        f"site '{site.name}' is defined twice in agency '{agency.name}'",
                        "give each site of an agency its own name",
                    )
                site_names.add(site.name)
                if site.number in numbers:
                    raise self.src.error(
                        (*spath, "number"),
                        f"site number {site.number} is also that of site '{numbers[site.number]}'",
                        "give each site of an agency its own number",
                    )
                numbers[site.number] = site.name
                self._text(site.title, (*spath, "title"))
                vlans: dict[int, str] = {}
                names: set[str] = set()
                for g, seg in enumerate(site.segments):
                    gpath: YamlPath = (*spath, "segments", g)
                    if seg.name in names:
                        raise self.src.error(
                            (*gpath, "name"),
                            f"segment '{seg.name}' is defined twice in site '{site.name}'",
                            "give each segment its own name",
                        )
                    names.add(seg.name)
                    if seg.vlan in vlans:
                        raise self.src.error(
                            (*gpath, "vlan"),
                            f"duplicate VLAN {seg.vlan}: segment '{vlans[seg.vlan]}' of this site uses it",
                            "give each segment of a site its own VLAN",
                        )
                    vlans[seg.vlan] = seg.name
                    self._text(seg.title, (*gpath, "title"))
                    segments.append((self._segment(agency, site, seg, gpath, routers), gpath))
            out.append(
                Agency(
                    agency.name,
                    agency.code,
                    tuple((s.name, s.number) for s in agency.sites),
                    agency.title,
                    {s.name: s.title for s in agency.sites if s.title},
                )
            )
        gateways: dict[tuple[str, str], str] = {}
        attached: dict[tuple[str, str], str] = {}
        for segment, gpath in segments:
            key = (segment.gateway.node, segment.gateway.interface)
            if key in gateways:
                raise self.src.error(
                    (*gpath, "gateway"),
                    f"segments '{gateways[key]}' and '{segment.key}' share the gateway {segment.gateway}: a tagged trunk needs 802.1Q, which the lab's kernel lacks",
                    "give each segment its own router interface (one uplink per VLAN)",
                )
            gateways[key] = segment.key
            for h, attachment in enumerate(segment.hosts):
                end = (attachment.host, attachment.interface)
                if end in attached:  # one interface, one segment: its addresses and DHCP come from one place
                    raise self.src.error(
                        (*gpath, "hosts", h),
                        f"host '{attachment.host}' ({attachment.host}:{attachment.interface}) is already on segment '{attached[end]}'",
                        f"list {attachment.host} under one segment only",
                    )
                attached[end] = segment.key
        return out, [segment for segment, _ in segments]

    def _segment(
        self, agency: schema.AgencyDef, site: schema.SiteDef, seg: schema.SegmentDef, path: YamlPath, routers: list[str]
    ) -> Segment:
        gateway = self._endpoint(seg.gateway, (*path, "gateway"))
        if gateway.node not in routers:
            raise self.src.error(
                (*path, "gateway"),
                f"'{gateway.node}' serves segment '{seg.name}' but is not listed under routers",
                f"add {gateway.node} under routers, or pick one of {', '.join(routers)}",
            )
        far = self.topo.peer(gateway.node, gateway.interface)
        assert far is not None  # _endpoint checked the interface is linked
        medium, is_switch, uplink = None, False, None
        far_role = self.topo.node(far.node).role
        if far_role is Role.ROUTER:
            raise self.src.error(
                (*path, "gateway"),
                f"gateway {gateway} faces the router {far} (a router link or an operator uplink, not a segment)",
                f"pick an interface of {gateway.node} that faces a switch, a bridge or a host",
            )
        if far_role in (Role.BRIDGE, Role.SWITCH):
            medium, is_switch = far.node, far_role is Role.SWITCH
            uplink = far.interface if is_switch else None
        hosts = []
        for h, host in enumerate(seg.hosts):
            hpath: YamlPath = (*path, "hosts", h)
            self._node(host, hpath, (Role.SERVICE, Role.CLIENT))
            attachment = self._attachment(host, gateway, medium, is_switch)
            if attachment is None:
                where = f"the {far_role.value} '{medium}'" if medium else f"{gateway} directly"
                raise self.src.error(
                    hpath,
                    f"host '{host}' is not wired to segment '{seg.name}' (reached through {where})",
                    f"link {host} to {medium or gateway.node} in {self.topo.source.name}, or move it to its own segment",
                )
            hosts.append(attachment)
        return Segment(
            key=f"{agency.name}/{site.name}/{seg.name}",
            agency=agency.name,
            agency_code=agency.code,
            site=site.name,
            site_number=site.number,
            name=seg.name,
            purpose=seg.purpose,
            vlan=seg.vlan,
            gateway=gateway,
            hosts=tuple(hosts),
            dhcpv6=seg.dhcpv6 or DEFAULT_DHCPV6.get(seg.purpose, Dhcpv6.NONE),
            legacy_ipv4=seg.legacy_ipv4,
            ipv4_hosts=seg.ipv4_hosts,
            medium=medium,
            medium_is_switch=is_switch,
            uplink_port=uplink,
            agency_title=agency.title,
            site_title=site.title,
            title=seg.title,
        )

    def _attachment(self, host: str, gateway: Endpoint, medium: str | None, is_switch: bool) -> Attachment | None:
        for own, far in self.topo.neighbours(host):
            if medium is None and (far.node, far.interface) == (gateway.node, gateway.interface):
                return Attachment(host, own.interface)
            if medium is not None and far.node == medium:
                return Attachment(host, own.interface, far.interface if is_switch else None)
        return None

    def _router_links(self, routers: list[str]) -> list[RouterLink]:
        inside = set(routers)
        links = []
        for link in self.topo.links:
            if link.a.node in inside and link.b.node in inside:
                a, b = sorted((link.a, link.b), key=str)
                links.append(RouterLink(f"{a}~{b}", a, b))
        return links

    def _clients(self, clients: Mapping[str, schema.ClientDef | None]) -> dict[str, Client]:
        out = {}
        for name, c in clients.items():
            self._node(name, ("clients", name), (Role.CLIENT,))
            c = c or schema.ClientDef()
            out[name] = Client(c.option108, c.ipv4_only, c.rogue)
        return out

    def _check_coverage(
        self, routers: list[str], segments: list[Segment], links: list[RouterLink], internet: Internet
    ) -> None:
        """Warn about router interfaces the intent leaves unused: usually a forgotten segment."""
        used = {(s.gateway.node, s.gateway.interface) for s in segments}
        used |= {(e.node, e.interface) for link in links for e in (link.a, link.b)}
        used |= {(e.node, e.interface) for op in internet.operators for up in op.uplinks for e in up}
        for router in routers:
            for iface in self.topo.node(router).interfaces:
                if (router, iface) not in used:
                    self.warnings.append(
                        f"{self.src.file}: {router}:{iface} is linked in the topology but no segment or link uses it"
                    )


def _explain(err: dict[str, Any], path: YamlPath) -> tuple[str, str] | None:
    """A name that is not a slug is almost always a title written where the name goes: say so."""
    if err["type"] != "string_pattern_mismatch" or not path or path[-1] != "name":
        return None
    value = str(err.get("input"))
    if re.fullmatch(r"[a-z0-9-]+", value) and len(value) > SLUG_MAX:
        return (
            f"'{value}' has {len(value)} characters: {SLUG_RULE}",
            "shorten it; a longer description belongs in `title`",
        )
    example = f"name: {suggest_slug(value)}"
    if path[:2] == ("internet", "sites"):  # a DNS label, and nothing else: these sites have no title
        return (f"{value!r} is not a slug: {SLUG_RULE}", f"write e.g. {example} (it becomes <name>.<domain>)")
    return (
        f"{value!r} is not a slug: {SLUG_RULE}",
        f"put the Vietnamese name in `title` and an ASCII slug in `name`, e.g. {example}",
    )


def _nodes_fix(topo: Topology, roles: tuple[Role, ...]) -> str:
    names = [n.name for n in topo.nodes.values() if n.role in roles]
    return f"use one of: {', '.join(names)}" if names else "add the node to the topology"
