"""Read containerlab.yml into a validated `Topology`, with containerlab's semantics.

Inheritance follows containerlab (types/topology.go): scalars come from the node, else its group,
else its kind, else `defaults`; maps (labels, env, sysctls) merge defaults < kind < group < node;
lists (exec) concatenate defaults, kind, group, node without repeats; binds are keyed by their
target path, the most specific level winning.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pilot import yamlsrc
from pilot.docranges import RangeProblem, lab_network
from pilot.errors import PilotError
from pilot.platforms import default_platform, is_router_image, platform_of_kind
from pilot.topology import schema
from pilot.topology.model import (
    PLATFORM_LABEL,
    ROLE_LABEL,
    Bind,
    Endpoint,
    Link,
    Mgmt,
    Node,
    Role,
    Topology,
)
from pilot.yamlsrc import Source, YamlPath

# Lab and node names end up in namespace names, hostnames and file names: keep them boring.
LAB_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
NODE_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# Linux accepts most bytes in an interface name; we accept what every tool quotes safely.
IFNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
IFNAME_MAX = 15
MGMT_IFACE = "eth0"
RESERVED_PORT_PREFIX = "mgmt-"  # the lab's own ports in the bridge namespace


def load_topology(file: Path | str, *, name: str | None = None) -> Topology:
    """Read and validate a containerlab topology file. `name` overrides the file's lab name."""
    path = Path(file)
    src = yamlsrc.load(path, what="topology file")
    topo = _Reader(src).read()
    if name is not None:
        check_lab_name(name, src)
        topo = topo.with_name(name)
    return topo


def check_lab_name(name: str, src: Source | None = None, option: str = "--name") -> None:
    if not LAB_NAME_RE.match(name):
        message = f"lab name '{name}' is not a safe identifier"
        fix = "use 1-40 letters, digits, '-' or '_', starting with a letter or digit"
        if src is not None and src.data.get("name") == name:
            raise src.error(("name",), message, fix)
        raise PilotError(f"{option}: {message}", fix=fix)


class _Reader:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.warnings: list[str] = []

    # -- structure ------------------------------------------------------------------------------
    def read(self) -> Topology:
        data = self._screen_keys(self.src.data)
        lab = yamlsrc.validate(
            self.src, schema.LabDefinition, data, _explain, missing_fix="add it (see containerlab's topology schema)"
        )
        if not isinstance(lab.name, str) or not lab.name:
            raise self.src.error(("name",), "the lab needs a name", "add 'name: <lab-name>' at the top")
        check_lab_name(lab.name, self.src)
        if not lab.topology.nodes:
            raise self.src.error(("topology", "nodes"), "the topology has no nodes", "add nodes under topology.nodes")
        mgmt = self._mgmt(lab.mgmt)
        nodes = {name: self._node(name, lab.topology) for name in lab.topology.nodes}
        links = self._links(lab.topology.links or [], nodes)
        nodes = _with_interfaces(nodes, links)
        self._check_mgmt_addresses(mgmt, nodes)
        return Topology(
            name=lab.name,
            source=self.src.file,
            prefix=lab.prefix,
            mgmt=mgmt,
            nodes=nodes,
            links=tuple(links),
            warnings=tuple(self.warnings),
        )

    def _screen_keys(self, data: dict[str, Any]) -> dict[str, Any]:
        """Refuse keys containerlab does not know; drop (with a warning) those pilot leaves to it."""
        self._check_keys(data, (), schema.TOP_KEYS, frozenset({"settings", "debug"}))
        clean = {k: v for k, v in data.items() if k not in ("settings", "debug")}
        if isinstance(clean.get("mgmt"), dict):
            clean["mgmt"] = self._filter(clean["mgmt"], ("mgmt",), schema.MGMT_KEYS_USED, schema.MGMT_KEYS_IGNORED)
        topo = clean.get("topology")
        if isinstance(topo, dict):
            self._check_keys(topo, ("topology",), schema.TOPOLOGY_KEYS, frozenset())
            topo = dict(topo)
            if isinstance(topo.get("defaults"), dict):
                topo["defaults"] = self._node_keys(topo["defaults"], ("topology", "defaults"))
            for section in ("kinds", "groups", "nodes"):
                entries = topo.get(section)
                if isinstance(entries, dict):
                    topo[section] = {
                        key: self._node_keys(value, ("topology", section, key)) if isinstance(value, dict) else value
                        for key, value in entries.items()
                    }
            if isinstance(topo.get("links"), list):
                topo["links"] = [
                    self._link_keys(link, ("topology", "links", i)) for i, link in enumerate(topo["links"])
                ]
            clean["topology"] = topo
        return clean

    def _node_keys(self, entry: dict[str, Any], path: YamlPath) -> dict[str, Any]:
        return self._filter(entry, path, schema.NODE_KEYS_USED, schema.NODE_KEYS_IGNORED)

    def _link_keys(self, link: Any, path: YamlPath) -> Any:
        if not isinstance(link, dict):
            return link
        clean = self._filter(link, path, frozenset({"type", "endpoints", "mtu"}), schema.LINK_KEYS)
        if isinstance(clean.get("endpoints"), list):
            clean["endpoints"] = [
                self._filter(ep, (*path, "endpoints", i), frozenset({"node", "interface", "mac"}), schema.ENDPOINT_KEYS)
                if isinstance(ep, dict)
                else ep
                for i, ep in enumerate(clean["endpoints"])
            ]
        return clean

    def _filter(
        self, entry: dict[str, Any], path: YamlPath, used: frozenset[str], ignored: frozenset[str]
    ) -> dict[str, Any]:
        self._check_keys(entry, path, used, ignored)
        for key in entry:
            if key in ignored and key not in used:
                self.warnings.append(
                    f"{self.src.where((*path, key))}: '{key}' is left to containerlab; the namespace backend ignores it"
                )
        return {k: v for k, v in entry.items() if k in used}

    def _check_keys(self, entry: dict[str, Any], path: YamlPath, used: frozenset[str], ignored: frozenset[str]) -> None:
        known = used | ignored
        for key in entry:
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1)
                fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(used))}"
                raise self.src.error((*path, key), f"unknown key '{key}'", fix)

    # -- mgmt -----------------------------------------------------------------------------------
    def _mgmt(self, mgmt: schema.MgmtDefinition | None) -> Mgmt:
        if mgmt is None:
            return Mgmt()
        v6 = (
            self._network(mgmt.ipv6_subnet, ("mgmt", "ipv6-subnet"), 6)
            if mgmt.ipv6_subnet not in (None, "auto")
            else None
        )
        v4 = (
            self._network(mgmt.ipv4_subnet, ("mgmt", "ipv4-subnet"), 4)
            if mgmt.ipv4_subnet not in (None, "auto")
            else None
        )
        gw = None
        if mgmt.ipv6_gw is not None:
            gw = self._address(mgmt.ipv6_gw, ("mgmt", "ipv6-gw"))
            if v6 is None or gw not in v6:
                raise self.src.error(
                    ("mgmt", "ipv6-gw"),
                    f"gateway {gw} is outside mgmt.ipv6-subnet",
                    "pick an address inside the subnet",
                )
        return Mgmt(network=mgmt.network, ipv6_subnet=v6, ipv6_gw=gw, ipv4_subnet=v4)

    def _network(self, text: str | None, path: YamlPath, version: int) -> Any:
        try:
            return lab_network(text, version)
        except RangeProblem as problem:
            raise self.src.error(path, problem.message, problem.fix) from None

    def _address(self, text: str, path: YamlPath) -> ipaddress.IPv6Address:
        try:
            return ipaddress.IPv6Address(str(text).split("/")[0])
        except ValueError:
            raise self.src.error(
                path, f"'{text}' is not an IPv6 address", "write an address such as 3fff:0:1000::10"
            ) from None

    def _check_mgmt_addresses(self, mgmt: Mgmt, nodes: Mapping[str, Node]) -> None:
        shell_nodes = [n for n in nodes.values() if n.role.has_shell]
        subnet = mgmt.ipv6_subnet
        seen: dict[ipaddress.IPv6Address, str] = {}
        for node in shell_nodes:
            if node.mgmt_ipv6 is None:
                continue
            path: YamlPath = ("topology", "nodes", node.name, "mgmt-ipv6")
            if subnet is None:
                raise self.src.error(
                    path,
                    "a fixed mgmt-ipv6 needs mgmt.ipv6-subnet",
                    "set mgmt.ipv6-subnet, or drop mgmt-ipv6 to get an address automatically",
                )
            if node.mgmt_ipv6 not in subnet:
                raise self.src.error(
                    path, f"{node.mgmt_ipv6} is outside mgmt.ipv6-subnet {subnet}", f"pick an address inside {subnet}"
                )
            gateway = mgmt.ipv6_gw or subnet[1]
            if node.mgmt_ipv6 in (subnet[0], gateway):
                raise self.src.error(
                    path, f"{node.mgmt_ipv6} is reserved (subnet-router anycast or the gateway)", "pick another address"
                )
            if node.mgmt_ipv6 in seen:
                raise self.src.error(
                    path,
                    f"{node.mgmt_ipv6} is also the address of node '{seen[node.mgmt_ipv6]}'",
                    "give each node its own address",
                )
            seen[node.mgmt_ipv6] = node.name
        if subnet is not None:
            room = subnet.num_addresses - 2  # minus the subnet-router anycast address and the gateway
            if room < len(shell_nodes):
                raise self.src.error(
                    ("mgmt", "ipv6-subnet"),
                    f"{subnet} has room for {room} nodes, the topology has {len(shell_nodes)}",
                    "use a /64",
                )

    # -- nodes ----------------------------------------------------------------------------------
    def _node(self, name: str, topo: schema.TopologyDefinition) -> Node:
        path: YamlPath = ("topology", "nodes", name)
        if not NODE_NAME_RE.match(name):
            raise self.src.error(
                path, f"node name '{name}' is not a valid host name", "use letters, digits and inner '-' (at most 63)"
            )
        own = topo.nodes.get(name) or schema.NodeDefinition()
        defaults = topo.defaults or schema.NodeDefinition()
        groups = topo.groups or {}
        kinds = topo.kinds or {}

        group_name = own.group
        kind_name = own.kind or (groups[group_name].kind if group_name in groups else None) or defaults.kind
        if group_name is None and kind_name in kinds:
            group_name = kinds[kind_name].group
        group_name = group_name or defaults.group
        if group_name is not None and group_name not in groups:
            where = (*path, "group") if own.group else ("topology", "defaults", "group")
            raise self.src.error(where, f"group '{group_name}' is not defined", _choices("topology.groups", groups))
        group = groups.get(group_name) if group_name else None
        if kind_name is None:
            kind_name = group.kind if group else None
        if kind_name is None:
            raise self.src.error(
                path, f"node '{name}' has no kind", "set kind on the node, its group or topology.defaults"
            )
        if kind_name not in schema.CONTAINERLAB_KINDS:
            close = difflib.get_close_matches(kind_name, sorted(schema.CONTAINERLAB_KINDS), n=1)
            raise self.src.error(
                _kind_path(path, own, group_name),
                f"unknown kind '{kind_name}'",
                f"did you mean '{close[0]}'?" if close else "use kind: linux (or bridge for a plain L2 segment)",
            )
        kind = kinds.get(kind_name)
        levels = [defaults, kind, group, own]  # least to most specific

        def scalar(attr: str) -> Any:
            for level in reversed(levels):
                if level is not None and getattr(level, attr) not in (None, ""):
                    return getattr(level, attr)
            return None

        labels = _merge_maps(level.labels for level in levels if level is not None)
        env = _merge_maps(level.env for level in levels if level is not None)
        sysctls = _merge_maps(level.sysctls for level in levels if level is not None)
        execs = _merge_lists(level.exec_ for level in levels if level is not None)
        binds = self._binds(path, levels)
        image = scalar("image")
        role = self._role(name, kind_name, image, labels, path)
        if role is Role.BRIDGE and len(name) > IFNAME_MAX:
            raise self.src.error(
                path,
                f"bridge name '{name}' is longer than {IFNAME_MAX} characters",
                "shorten it: it becomes an interface name",
            )
        mgmt_text = scalar("mgmt_ipv6")
        mgmt = self._address(mgmt_text, (*path, "mgmt-ipv6")) if mgmt_text else None
        return Node(
            name=name,
            kind=kind_name,
            role=role,
            # A label wins; then a vendor's containerlab kind; then the platform claiming the role.
            platform=labels.get(PLATFORM_LABEL)
            or platform_of_kind(kind_name or "")
            or default_platform(role.value)
            or "linux",  # a bridge: no platform of its own
            image=image,
            group=group_name,
            labels=labels,
            env=env,
            exec=tuple(execs),
            binds=binds,
            sysctls=sysctls,
            mgmt_ipv6=mgmt,
        )

    def _role(self, name: str, kind: str, image: str | None, labels: Mapping[str, str], path: YamlPath) -> Role:
        if kind == "bridge":
            return Role.BRIDGE
        declared = labels.get(ROLE_LABEL)
        if declared is not None:
            try:
                role = Role(declared)
            except ValueError:
                role = None
            if role is None or role is Role.BRIDGE:
                choices = ", ".join(r.value for r in Role if r is not Role.BRIDGE)
                raise self.src.error(
                    (*path, "labels", ROLE_LABEL), f"unknown role '{declared}'", f"use one of: {choices}"
                )
            return role
        if (image and is_router_image(image)) or platform_of_kind(kind) is not None:
            return Role.ROUTER  # a vendor's kind is a router unless its labels say switch
        raise self.src.error(
            path,
            f"cannot tell the role of node '{name}' from its image or labels",
            f"add labels: {{{ROLE_LABEL}: router|switch|service|client}} (or a router platform's image or kind)",
        )

    def _binds(self, path: YamlPath, levels: list[schema.NodeDefinition | None]) -> tuple[Bind, ...]:
        by_target: dict[str, Bind] = {}
        base = self.src.file.parent
        for level in levels:
            for text in (level.binds or []) if level is not None else []:
                parts = text.split(":")
                if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
                    raise self.src.error(
                        (*path, "binds"),
                        f"bind '{text}' is not source:/target[:ro]",
                        "write e.g. ./files:/srv/files:ro",
                    )
                if len(parts) == 3 and parts[2] not in ("ro", "rw"):
                    raise self.src.error(
                        (*path, "binds"), f"bind option '{parts[2]}' is not ro or rw", "use :ro or :rw"
                    )
                source = Path(parts[0])
                source = source if source.is_absolute() else (base / source)
                by_target[parts[1]] = Bind(source.resolve(), parts[1], len(parts) == 3 and parts[2] == "ro")
        return tuple(by_target.values())

    # -- links ----------------------------------------------------------------------------------
    def _links(self, defs: list[schema.LinkDefinition], nodes: Mapping[str, Node]) -> list[Link]:
        used: dict[tuple[str, str], int] = {}
        bridge_ports: dict[str, int] = {}
        links = []
        for index, link in enumerate(defs):
            path: YamlPath = ("topology", "links", index)
            if link.type not in (None, "veth"):
                raise self.src.error(
                    (*path, "type"),
                    f"link type '{link.type}' is not supported",
                    "use type: veth (or the brief endpoints form)",
                )
            ends = [
                self._endpoint(ep, (*path, "endpoints", i), nodes, link.type) for i, ep in enumerate(link.endpoints)
            ]
            a, b = ends
            if a.node == b.node:
                raise self.src.error(
                    (*path, "endpoints"), f"self-loop: both ends are on node '{a.node}'", "connect two different nodes"
                )
            roles = (nodes[a.node].role, nodes[b.node].role)
            if roles == (Role.BRIDGE, Role.BRIDGE):
                raise self.src.error(
                    (*path, "endpoints"),
                    "a link between two bridges is not supported",
                    "join the segments into one bridge",
                )
            for i, ep in enumerate(ends):
                key = (ep.node, ep.interface)
                if key in used:
                    raise self.src.error(
                        (*path, "endpoints", i),
                        f"endpoint {ep} is already used by link {used[key]}",
                        "give each link its own interface",
                    )
                used[key] = index
                if nodes[ep.node].role is Role.BRIDGE:
                    # Bridge ports all live in the lab's bridge namespace: names must be unique across bridges.
                    if ep.interface in bridge_ports:
                        raise self.src.error(
                            (*path, "endpoints", i),
                            f"bridge port name '{ep.interface}' is already used by link {bridge_ports[ep.interface]}",
                            "name each bridge port uniquely, e.g. <bridge>-<node>",
                        )
                    if ep.interface.startswith(RESERVED_PORT_PREFIX) or ep.interface in nodes:
                        raise self.src.error(
                            (*path, "endpoints", i),
                            f"bridge port name '{ep.interface}' is reserved or names a bridge",
                            f"do not start it with '{RESERVED_PORT_PREFIX}' or reuse a node name",
                        )
                    bridge_ports[ep.interface] = index
            links.append(Link(index=index, a=a, b=b, mtu=link.mtu))
        return links

    def _endpoint(
        self, ep: str | schema.EndpointDefinition, path: YamlPath, nodes: Mapping[str, Node], link_type: str | None
    ) -> Endpoint:
        if isinstance(ep, str):
            if link_type is not None:
                raise self.src.error(
                    path,
                    "extended links (with type:) take endpoint objects",
                    "write {node: X, interface: Y}, or drop type: for the brief form",
                )
            node, sep, iface = ep.partition(":")
            if not sep or not node or not iface or ":" in iface:
                raise self.src.error(path, f"malformed endpoint '{ep}'", "write it as node:interface, e.g. core:eth1")
            mac = None
        else:
            if link_type is None:
                raise self.src.error(
                    path,
                    "endpoint objects need the extended form",
                    "add type: veth to the link, or write 'node:interface'",
                )
            node, iface, mac = ep.node, ep.interface, ep.mac
        if node not in nodes:
            raise self.src.error(path, f"link to unknown node '{node}'", _choices("topology.nodes", nodes))
        if len(iface) > IFNAME_MAX:
            raise self.src.error(
                path, f"interface name '{iface}' is longer than {IFNAME_MAX} characters", "shorten it (Linux limit)"
            )
        if not IFNAME_RE.match(iface):
            raise self.src.error(
                path,
                f"interface name '{iface}' has characters Linux tools cannot take",
                "use letters, digits, '.', '-' and '_'",
            )
        if iface == MGMT_IFACE and nodes[node].role.has_shell:
            raise self.src.error(
                path, f"{node}:{MGMT_IFACE} is the management interface", "use eth1 and up for data links"
            )
        if mac is not None and not re.fullmatch(r"(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", mac):
            raise self.src.error(path, f"'{mac}' is not a MAC address", "write it as 02:00:00:00:00:01")
        return Endpoint(node=node, interface=iface, mac=mac.replace("-", ":").lower() if mac else None)


def _with_interfaces(nodes: dict[str, Node], links: list[Link]) -> dict[str, Node]:
    ifaces: dict[str, list[str]] = {name: [] for name in nodes}
    for link in links:
        for ep in link.endpoints:
            ifaces[ep.node].append(ep.interface)
    out = {}
    for name, node in nodes.items():
        out[name] = Node(**{**node.__dict__, "interfaces": tuple(ifaces[name])})
    return out


def _merge_maps(maps: Iterable[Mapping[str, Any] | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in maps:
        for key, value in (m or {}).items():
            out[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _merge_lists(lists: Iterable[list[str] | None]) -> list[str]:
    out: list[str] = []
    for items in lists:
        for item in items or []:
            if item not in out:
                out.append(item)
    return out


def _choices(section: str, names: Iterable[str]) -> str:
    names = sorted(names)
    return f"use one of {', '.join(names)} or define it under {section}" if names else f"define it under {section}"


def _kind_path(path: YamlPath, own: schema.NodeDefinition, group: str | None) -> YamlPath:
    if own.kind:
        return (*path, "kind")
    if group:
        return ("topology", "groups", group, "kind")
    return ("topology", "defaults", "kind")


def _explain(err: dict[str, Any], path: YamlPath) -> tuple[str, str] | None:
    if err["type"] in ("too_short", "too_long") and path and path[-1] == "endpoints":
        return ("a link needs exactly two endpoints", "write endpoints: ['nodeA:ethX', 'nodeB:ethY']")
    return None
