"""What the verification probes observe on a router, whatever its platform: typed results, and the
`RoutingProbes` each platform gives to produce them from its own commands.

Generic code (pilot.verify.routing) asks `routing_probes(platform)` and reads these results; how a
platform gets them (FRR's vtysh JSON, Junos `| display json`, TextFSM on show output, a NAPALM getter)
stays in the platform's package (`pilot.platforms.<platform>.probes`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pilot.errors import PilotError

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

Family = Literal["ipv4", "ipv6"]
OspfVersion = Literal[2, 3]
Address = ipaddress.IPv4Interface | ipaddress.IPv6Interface

ESTABLISHED = "Established"  # a session that is up, in every platform's results (Junos says "Establ")


@dataclass(frozen=True)
class OspfNeighbor:
    version: OspfVersion
    router_id: str
    state: str  # as the device says it: "Full/-" (FRR), "FULL/DR" (IOS, EOS), "Full" (Junos)
    interface: str = ""

    @property
    def full(self) -> bool:
        return self.state.lower().startswith("full")


@dataclass(frozen=True)
class BgpSession:
    family: Family  # the address family the session carries (a peer carrying both gives two sessions)
    peer: str  # the peer's address, normalised (IPv6 compressed, lower case)
    state: str  # ESTABLISHED when up, else the device's word for where it stands ("Idle (Admin)", "Active")
    prefixes_received: int

    @property
    def established(self) -> bool:
        return self.state == ESTABLISHED


@dataclass(frozen=True)
class InterfaceAddresses:
    interface: str
    addresses: tuple[Address, ...]


@dataclass(frozen=True)
class Ipv6Neighbor:
    address: str  # normalised (compressed, lower case)
    mac: str  # normalised to aa:bb:cc:dd:ee:ff; "" when the entry has none (incomplete)
    interface: str
    state: str  # as the device says it (REACH, STALE, reachable, ...)


@dataclass(frozen=True)
class Facts:
    vendor: str
    model: str
    os_version: str
    hostname: str


class NotObservable(Exception):
    """The platform has no way pilot knows to observe this (no getter, no parser for the command)."""


@runtime_checkable
class RoutingProbes(Protocol):
    """What the routing checks ask of a router's platform. Each method runs its commands through `shell`
    on `node` and returns what it saw; it raises NotObservable when the platform cannot tell."""

    def ospf_neighbors(self, shell: Shell, node: str, version: OspfVersion) -> list[OspfNeighbor]: ...

    def bgp_sessions(self, shell: Shell, node: str, family: Family) -> list[BgpSession]: ...

    def advertised(self, shell: Shell, node: str, family: Family, peer: str) -> set[str]:
        """The prefixes (normalised, 'P/len') the router sends to its BGP peer in that family."""
        ...


def routing_probes(platform: str) -> RoutingProbes:
    """The routing probes of a platform: its plugin's `routing_probes()`."""
    from pilot.platforms import get_platform  # the registry imports plugins: only when asked

    found = get_platform(platform).routing_probes()
    if not isinstance(found, RoutingProbes):
        raise PilotError(
            f"platform '{platform}' gives no routing probes",
            fix="make its plugin's routing_probes() return a pilot.platforms.probes.RoutingProbes",
        )
    return found


# -- normalising what devices print --------------------------------------------------------------------


def address(text: str) -> str:
    """An IP address as pilot writes it (IPv6 compressed, lower case); the text unchanged if it is none."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text.strip()


def prefix(text: str) -> str:
    """A prefix as pilot writes it ('2001:db8::/32'); the text unchanged if it is none."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return text.strip()


def mac(text: str) -> str:
    """A MAC address in any of the vendors' spellings (54e1.addb.200f, 707b-e8e9-d329, FE:54:00:08:EE:00)
    as aa:bb:cc:dd:ee:ff; '' for none ('-', 'INCOMPLETE')."""
    if not _MAC.fullmatch(text.strip().lower()):
        return ""
    digits = "".join(c for c in text.lower() if c in "0123456789abcdef")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


_MAC = re.compile(r"[0-9a-f]{4}([.-])[0-9a-f]{4}\1[0-9a-f]{4}|[0-9a-f]{2}([:-])[0-9a-f]{2}(\2[0-9a-f]{2}){4}")


def count(value: object) -> int:
    """A prefix count from a parser's field ('551', 7, '' or a state word when the session is down): 0
    when it is not a number."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else 0
