"""Offline checks of a rendered IOS-XE configuration: cheap, pure Python, one problem per line.

They catch what a template or a hand edit can break before a device ever sees the file: it parses
with hier_config; only printable ASCII (IOS-XE descriptions are not documented to keep UTF-8), no tab,
no trailing space, one space of indentation per level; every IPv4 address/mask and IPv6 prefix well
formed; every interface, route-map, prefix-list, first-hop security policy and OSPF process a line
names is defined; every BGP neighbour
activated or given a policy has a remote-as; the file ends with `end`; the stage marker is there.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Interface, IPv6Network

from hier_config import HConfig, Platform, get_hconfig

STAGE_MARKER = re.compile(r"^ description pilot stage=(\S+)$")
_IP_ADDRESS = re.compile(r"^ ip address (\S+) (\S+)( secondary)?$")
_IP_ROUTE = re.compile(r"^ip route (\S+) (\S+) (\S+)$")
_IPV6_PREFIX = re.compile(r"^ (?:ipv6 address|ipv6 nd prefix|ipv6 nd ra nat64-prefix) (\S+)")
_PREFIX_LIST = re.compile(r"^(ip|ipv6) prefix-list (\S+) seq \d+ (?:permit|deny) (\S+)$")
_ROUTE_MAP = re.compile(r"^route-map (\S+) (?:permit|deny) \d+$")
_MAP_USE = re.compile(r"route-map (\S+)")
_LIST_USE = re.compile(r"^\s+match (?:ip|ipv6) address prefix-list (\S+)$")
_PASSIVE = re.compile(r"^\s+passive-interface (\S+)$")
_NEIGHBOR = re.compile(r"^\s+neighbor (\S+) (\S+)")
_POLICY = re.compile(r"^(ipv6 nd raguard|ipv6 dhcp guard) policy (\S+)$")
_ATTACH = re.compile(r"^ (ipv6 nd raguard|ipv6 dhcp guard) attach-policy (\S+)$")
_PROCESS_USE = re.compile(r"^ (?:ip ospf (\d+) area|ospfv3 (\d+) ipv6 area) ")
_PROCESS = re.compile(r"^router (ospf|ospfv3) (\d+)$")


def check(text: str) -> list[str]:
    """Problems of a rendered configuration, one line each (empty: none found)."""
    problems: list[str] = []
    lines = text.splitlines()
    interfaces = {line.split(" ", 1)[1] for line in lines if line.startswith("interface ")}
    route_maps: set[str] = set()
    prefix_lists: set[str] = set()
    used_maps: list[tuple[int, str]] = []
    used_lists: list[tuple[int, str]] = []
    remote_as: set[str] = set()
    neighbors_used: list[tuple[int, str]] = []
    policies: set[tuple[str, str]] = set()
    attached: list[tuple[int, tuple[str, str]]] = []
    processes: set[tuple[str, str]] = set()
    process_uses: list[tuple[int, tuple[str, str]]] = []
    depth = 0
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        if "\t" in line:
            problems.append(f"{where}: a tab (IOS-XE indents with spaces)")
        if line != line.rstrip():
            problems.append(f"{where}: trailing white space")
        if not (line.isascii() and line.isprintable()):
            problems.append(f"{where}: not printable ASCII: {line.strip()[:60]!a}")
        if line.lstrip().startswith("!") or not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent > depth + 1:
            problems.append(f"{where}: indented {indent} spaces under a line indented {depth}")
        depth = indent
        problems += [f"{where}: {p}" for p in _addresses(line)]
        if m := _ROUTE_MAP.match(line):
            route_maps.add(m.group(1))
        elif m := _POLICY.match(line):
            policies.add((m.group(1), m.group(2)))
        elif m := _ATTACH.match(line):
            attached.append((n, (m.group(1), m.group(2))))
        elif m := _PROCESS.match(line):
            processes.add((m.group(1), m.group(2)))
        elif m := _PROCESS_USE.match(line):
            process_uses.append((n, ("ospf", m.group(1)) if m.group(1) else ("ospfv3", m.group(2))))
        elif m := _PREFIX_LIST.match(line):
            prefix_lists.add(m.group(2))
        elif m := _LIST_USE.match(line):
            used_lists.append((n, m.group(1)))
        elif m := _PASSIVE.match(line):
            if m.group(1) not in interfaces:
                problems.append(f"{where}: passive-interface {m.group(1)}: no such interface")
        elif m := _NEIGHBOR.match(line):
            if m.group(2) == "remote-as":
                remote_as.add(m.group(1))
            else:
                neighbors_used.append((n, m.group(1)))
        if (m := _MAP_USE.search(line)) and not line.startswith("route-map "):
            used_maps.append((n, m.group(1)))
    problems += [f"line {n}: route-map {name} is not defined" for n, name in used_maps if name not in route_maps]
    problems += [f"line {n}: prefix-list {name} is not defined" for n, name in used_lists if name not in prefix_lists]
    problems += [f"line {n}: neighbor {a} has no remote-as" for n, a in neighbors_used if a not in remote_as]
    problems += [
        f"line {n}: {kind} policy {name} is not defined" for n, (kind, name) in attached if (kind, name) not in policies
    ]
    problems += [
        f"line {n}: router {kind} {pid} is not defined"
        for n, (kind, pid) in process_uses
        if (kind, pid) not in processes
    ]
    if [line for line in lines if line.strip()][-1:] != ["end"]:
        problems.append("the configuration does not end with `end`")
    if recorded_stage(text) is None:
        problems.append("no stage marker: interface Loopback0 needs `description pilot stage=<stage>`")
    try:
        get_hconfig(Platform.CISCO_IOS, text)
    except Exception as exc:  # hier_config raises several types; any of them is a broken file
        problems.append(f"hier_config cannot parse it: {type(exc).__name__}: {exc}")
    return problems


def _addresses(line: str) -> list[str]:
    """Problems of the addresses on one line: IPv4 address and mask, a route's network, IPv6 prefixes."""
    try:
        if m := _IP_ADDRESS.match(line):
            IPv4Network(f"{IPv4Address(m.group(1))}/{m.group(2)}", strict=False)
        elif m := _IP_ROUTE.match(line):
            IPv4Network(f"{m.group(1)}/{m.group(2)}")  # strict: host bits set is an error
            if m.group(3) != "Null0":
                IPv4Address(m.group(3))
        elif m := _IPV6_PREFIX.match(line):
            if line.startswith(" ipv6 address"):
                IPv6Interface(m.group(1))
            else:
                IPv6Network(m.group(1))
        elif m := _PREFIX_LIST.match(line):
            (IPv4Network if m.group(1) == "ip" else IPv6Network)(m.group(3))
    except ValueError as exc:
        return [f"malformed address: {exc}"]
    return []


def recorded_stage(running: str) -> str | None:
    """The stage pilot last applied, from the loopback's description (`pilot stage=<stage>`)."""
    config: HConfig = get_hconfig(Platform.CISCO_IOS, running)
    loopback = config.get_child(equals="interface Loopback0")
    if loopback is None:
        return None
    for child in loopback.children:
        if m := STAGE_MARKER.match(f" {child.text}"):
            return m.group(1)
    return None
