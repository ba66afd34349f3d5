"""An offline check of a rendered VRP configuration (templates/vrp/config.j2), cheap and pure Python.

VRP is merge-only and napalm-huawei-vrp discards the whole commit when one line errors, so what the device
would refuse is worth finding before anything is sent: a reference to an interface, peer, prefix list or
route policy the file does not define, an address or mask that is not one, a `?` (the CLI's help key), a
value out of the ranges NE40E V800R012C10's command reference gives, text the device would not keep as
written (a tab, a trailing space, a non-ASCII character, a description over 242 characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Interface, IPv6Network, ip_address

from pilot.platforms.vrp import PLATFORM

STAGE_MARKER = re.compile(r"^ description pilot stage=(\S+)$")
LOOPBACK = "interface LoopBack0"
# NE-CR: the longest description each view takes (interface, VLAN, BGP peer).
DESCRIPTION_MAX = {"interface": 242, "vlan": 80, "bgp": 255}

# (line pattern, (low, high)) of the RA timers: NE-CR `ipv6 nd ra`, `ipv6 nd ra router-lifetime`.
RANGES = (
    (re.compile(r"^ ipv6 nd ra max-interval (\d+)$"), (4, 1800)),
    (re.compile(r"^ ipv6 nd ra min-interval (\d+)$"), (3, 1350)),
    (re.compile(r"^ ipv6 nd ra router-lifetime (\d+)$"), (0, 9000)),
)


@dataclass
class _Seen:
    """What the file defines and what it refers to, each reference with its line number."""

    interfaces: set[str] = field(default_factory=set)
    peers: set[str] = field(default_factory=set)
    prefix_lists: set[tuple[str, str]] = field(default_factory=set)  # (ip | ipv6, name)
    policies: set[str] = field(default_factory=set)
    vlans: set[str] = field(default_factory=set)
    areas: set[str] = field(default_factory=set)  # "ospf 1 area 0.0.0.0", "ospfv3 1 area 0.0.0.0"
    wants: list[tuple[int, str, str]] = field(default_factory=list)  # (line, kind, name)


def check(text: str) -> list[str]:
    """Problems in a rendered configuration, one line each (`line N: ...`); [] when there are none."""
    problems: list[str] = []
    try:
        PLATFORM.parse(text)
    except Exception as exc:  # any parser failure is a problem to report, not to raise
        problems.append(f"hier_config cannot parse it: {type(exc).__name__}: {exc}")
    seen = _Seen()
    section, ipv6_enabled, marker = "", False, False
    for number, line in enumerate(text.splitlines(), 1):
        problems += [f"line {number}: {p}" for p in _text_problems(line)]
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        if not line.startswith(" "):
            section, ipv6_enabled = line, False
            if line.startswith("interface "):
                seen.interfaces.add(line.removeprefix("interface "))
        if section.startswith("interface ") and line == " ipv6 enable":
            ipv6_enabled = True
        if section == LOOPBACK and STAGE_MARKER.match(line):
            marker = True
        problems += [f"line {number}: {p}" for p in _line_problems(line, section, ipv6_enabled)]
        _collect(line, section, number, seen)
    if text.strip() and text.rstrip().splitlines()[-1] != "return":
        problems.append("the last line is not `return` (display current-configuration ends with it)")
    if not marker:
        problems.append(f"no stage marker: `{LOOPBACK}` needs ` description pilot stage=<stage>`")
    problems += _dangling(seen)
    return problems


def recorded_stage(running: str) -> str | None:
    """The stage pilot recorded on the device: the description of LoopBack0 (`pilot stage=<stage>`)."""
    section = ""
    for line in running.splitlines():
        if line and not line.startswith((" ", "#", "!")):
            section = line.rstrip()
        elif section == LOOPBACK and (m := STAGE_MARKER.match(line.rstrip())):
            return m.group(1)
    return None


def _text_problems(line: str) -> Iterator[str]:
    if "\t" in line:
        yield "a tab (VRP indents with spaces)"
    if line != line.rstrip():
        yield "trailing white space"
    if not line.isascii():
        yield "a non-ASCII character (VRP descriptions are ASCII here: utf8_descriptions is false)"
    if "?" in line and not line.startswith("!"):
        yield "a `?`: the VRP CLI takes it as a request for help, not as text"


def _line_problems(line: str, section: str, ipv6_enabled: bool) -> Iterator[str]:
    words = line.split()
    if words[0] == "description" or (words[0] == "peer" and words[2:3] == ["description"]):
        text = line.split(" description", 1)[1].strip()
        limit = DESCRIPTION_MAX.get(section.split()[0], DESCRIPTION_MAX["interface"])
        if not text:
            yield "an empty description (the command needs its text)"
        elif len(text) > limit:
            yield f"a description over {limit} characters (the most this view takes)"
    if line.startswith(" ip address ") and len(words) == 4:
        yield from _ipv4_mask(words[2], words[3])
    if line.startswith(" ipv6 address "):
        yield from _ipv6(words[2], interface=True)
        if section.startswith("interface ") and not ipv6_enabled:
            yield "an IPv6 address before `ipv6 enable` in its interface"
    if line.startswith(" ipv6 nd ra prefix "):
        yield from _ipv6(words[4], interface=False)
    if line.startswith("ip route-static ") and len(words) >= 5:
        yield from _ipv4_mask(words[2], words[3])
    if re.match(r"^ip (ip|ipv6)-prefix \S+ index \d+ permit ", line):
        yield from _prefix(words[1], words[6], words[7])
    for pattern, (low, high) in RANGES:
        if (m := pattern.match(line)) and not (low <= int(m.group(1)) <= high):
            yield f"{words[-2]} {m.group(1)} is outside {low}..{high}"


def _ipv4_mask(address: str, mask: str) -> Iterator[str]:
    try:
        IPv4Address(address)
        IPv4Network(f"0.0.0.0/{mask}")  # only a contiguous dotted mask is accepted as one
        if mask.count(".") != 3:
            raise ValueError(mask)
    except ValueError:
        yield f"{address} {mask} is not an IPv4 address and dotted mask"


def _ipv6(value: str, *, interface: bool) -> Iterator[str]:
    try:
        if interface:
            IPv6Interface(value)
        else:
            IPv6Network(value)
    except ValueError:
        yield f"{value} is not an IPv6 {'address/length' if interface else 'prefix'}"


def _prefix(family: str, address: str, length: str) -> Iterator[str]:
    try:
        network = f"{address}/{length}"
        if family == "ipv6-prefix":
            IPv6Network(network)
        else:
            IPv4Network(network)
    except ValueError:
        yield f"{address} {length} is not a {family} entry (an address with its host bits zero, and a length)"


def _collect(line: str, section: str, number: int, seen: _Seen) -> None:
    words = line.split()
    if section.startswith("ospf") and words[0] == "silent-interface":
        seen.wants.append((number, "interface", words[1]))
    if section.startswith("bgp "):
        if len(words) >= 3 and words[0] == "peer" and words[2] == "as-number":
            seen.peers.add(_canonical(words[1]))
        elif words[0] == "peer" and len(words) >= 2:
            seen.wants.append((number, "peer", _canonical(words[1])))
        if words[0] == "peer" and len(words) >= 4 and words[2] in ("ip-prefix", "ipv6-prefix"):
            seen.wants.append((number, "prefix list", f"{words[2].removesuffix('-prefix')} {words[3]}"))
    if re.match(r"^ip (ip|ipv6)-prefix ", line):
        seen.prefix_lists.add((words[1].removesuffix("-prefix"), words[2]))
    if line.startswith("vlan batch "):
        seen.vlans.update(words[2:])
    if line.startswith((" port default vlan ", " port trunk allow-pass vlan ")):
        seen.wants += [(number, "VLAN", vid) for vid in words[3 if words[1] == "default" else 4 :]]
    if re.match(r"^(ospf|ospfv3) \d+", section) and line.startswith(" area "):
        seen.areas.add(f"{' '.join(section.split()[:2])} area {words[1]}")
    if m := re.match(r"^ ospf enable (\d+) area (\S+)$", line):
        seen.wants.append((number, "area", f"ospf {m.group(1)} area {m.group(2)}"))
    if m := re.match(r"^ ospfv3 (\d+) area (\S+)$", line):
        seen.wants.append((number, "area", f"ospfv3 {m.group(1)} area {m.group(2)}"))
    if words[0] == "route-policy" and not line.startswith(" "):
        seen.policies.add(words[1])
    if "route-policy" in words and line.startswith(" "):
        seen.wants.append((number, "route-policy", words[words.index("route-policy") + 1]))
    if line.startswith(" if-match ipv6 address prefix-list "):
        seen.wants.append((number, "prefix list", f"ipv6 {words[-1]}"))


def _canonical(address: str) -> str:
    try:
        return str(ip_address(address))
    except ValueError:
        return address


def _dangling(seen: _Seen) -> list[str]:
    defined = {
        "interface": seen.interfaces,
        "peer": seen.peers,
        "prefix list": {f"{family} {name}" for family, name in seen.prefix_lists},
        "route-policy": seen.policies,
        "VLAN": seen.vlans,
        "area": seen.areas,
    }
    return [
        f"line {number}: {kind} {name} is not defined in the file"
        for number, kind, name in seen.wants
        if name not in defined[kind]
    ]
