"""An offline check of a rendered EOS configuration: cheap, pure Python, no device. It finds what a
template or model mistake would leave behind before a device refuses it halfway (or, worse, takes it):
text hier_config cannot read, layout EOS does not print, names used but never defined, malformed
addresses and prefixes, a missing stage marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_interface, ip_network

from hier_config import Platform, get_hconfig

INDENT = 3  # EOS indents each level of its running configuration by three spaces
LOOPBACK = "interface Loopback0"
MARKER = re.compile(r"^description pilot stage=(\S+)$")

# Lines naming something that must be defined elsewhere in the configuration: (pattern, what, definition)
_REFERENCES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^passive-interface (\S+)$"), "interface", "interface {}"),
    (re.compile(r"^neighbor \S+ route-map (\S+) (?:in|out)$"), "route-map", "route-map {} "),
    (re.compile(r"^redistribute \S+ route-map (\S+)$"), "route-map", "route-map {} "),
    (re.compile(r"^match ip address prefix-list (\S+)$"), "prefix-list", "ip prefix-list {}"),
    (re.compile(r"^match ipv6 address prefix-list (\S+)$"), "prefix-list", "ipv6 prefix-list {}"),
    (re.compile(r"^ipv6 access-group (\S+) (?:in|out)$"), "access-list", "ipv6 access-list {}"),
    (re.compile(r"^switchport access vlan (\d+)$"), "VLAN", "vlan {}"),
)
# Lines carrying an address on an interface (host bits allowed) or a prefix (host bits must be zero).
_INTERFACE_ADDRESS = re.compile(r"^ip(?:v6)? address (\S+)")
_PREFIXES = (
    re.compile(r"^ip(?:v6)? route (\S+) "),
    re.compile(r"^seq \d+ (?:permit|deny) (\S+)$"),
    re.compile(r"^network (\S+)$"),
    re.compile(r"^ipv6 nd prefix (\S+)"),
)


@dataclass(frozen=True)
class _Line:
    number: int
    depth: int
    text: str  # without its indentation
    parents: tuple[str, ...]


def _lines(text: str) -> Iterator[_Line]:
    """The configuration's lines that are not comments, each with the sections it sits in."""
    stack: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("!"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        depth = indent // INDENT
        del stack[depth:]
        yield _Line(number, depth, stripped, tuple(stack))
        stack.append(stripped)


def _layout(text: str) -> list[str]:
    problems = []
    depth = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw:
            problems.append(f"line {number}: a tab (EOS indents with spaces)")
        if raw != raw.rstrip():
            problems.append(f"line {number}: trailing white space")
        if not (raw.isascii() and raw.replace("\t", " ").isprintable()):
            problems.append(f"line {number}: not printable ASCII (EOS descriptions are ASCII here)")
        if not raw.strip() or raw.lstrip().startswith("!"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent % INDENT or indent // INDENT > depth:
            problems.append(f"line {number}: indented {indent} spaces (EOS uses {INDENT} per level)")
        depth = indent // INDENT + 1
    return problems


def _well_formed(line: _Line) -> list[str]:
    problems = []
    if (m := _INTERFACE_ADDRESS.match(line.text)) and line.parents[:1] and line.parents[0].startswith("interface "):
        try:
            ip_interface(m.group(1))
            if "/" not in m.group(1):
                raise ValueError("no prefix length")
        except ValueError as exc:
            problems.append(f"line {line.number}: bad address {m.group(1)!r} ({exc})")
    for pattern in _PREFIXES:
        if m := pattern.match(line.text):
            try:
                ip_network(m.group(1))
            except ValueError as exc:
                problems.append(f"line {line.number}: bad prefix {m.group(1)!r} ({exc})")
    return problems


def check(text: str) -> list[str]:
    """Problems found in a rendered EOS configuration, one line each; [] when none."""
    problems = _layout(text)
    try:
        get_hconfig(Platform.ARISTA_EOS, text)
    except Exception as exc:  # any failure to parse is the finding, whatever its type
        problems.append(f"hier_config cannot parse it: {type(exc).__name__}: {exc}")
    lines = list(_lines(text))
    top = {line.text for line in lines if line.depth == 0}
    for line in lines:
        problems += _well_formed(line)
        for pattern, what, definition in _REFERENCES:
            if (m := pattern.match(line.text)) and not _defined(definition.format(m.group(1)), top):
                problems.append(f"line {line.number}: {what} {m.group(1)} is used but not defined")
    problems += _neighbors(lines)
    if recorded_stage(text) is None:
        problems.append(f"no stage marker: `{LOOPBACK}` needs `description pilot stage=<stage>`")
    if not lines or lines[-1].text != "end":
        problems.append("the configuration does not end with `end`")
    return problems


def _defined(wanted: str, top: set[str]) -> bool:
    """A definition ending in a space is a prefix (`route-map NAME ` of `route-map NAME permit 10`)."""
    return any(t.startswith(wanted) for t in top) if wanted.endswith(" ") else wanted in top


def _neighbors(lines: list[_Line]) -> list[str]:
    """Every BGP neighbor an address family names has its remote-as in the same `router bgp`."""
    problems = []
    peers = {
        (line.parents[0], line.text.split()[1])
        for line in lines
        if line.depth == 1
        and line.parents[0].startswith("router bgp ")
        and re.match(r"^neighbor \S+ remote-as ", line.text)
    }
    for line in lines:
        if line.depth != 2 or not line.parents[0].startswith("router bgp ") or not line.text.startswith("neighbor "):
            continue
        if (line.parents[0], line.text.split()[1]) not in peers:
            problems.append(f"line {line.number}: BGP neighbor {line.text.split()[1]} has no remote-as")
    return problems


def recorded_stage(running: str) -> str | None:
    """The stage pilot recorded on the device: the loopback's `description pilot stage=<name>`."""
    for line in _lines(running):
        if line.depth == 1 and line.parents == (LOOPBACK,) and (m := MARKER.match(line.text)):
            return m.group(1)
    return None
