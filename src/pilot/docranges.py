"""The address rule every lab address obeys.

Lab addresses come only from documentation ranges: an allow-list, anything outside it is refused. The
development machines' own uplink sits in IPv4 TEST-NET-1 and a ULA /64, which the list leaves out on
purpose: a lab address there would leak packets to the real network.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network, IPv6Network

LAB_IPV6 = (ipaddress.ip_network("2001:db8::/32"), ipaddress.ip_network("3fff::/20"))
LAB_IPV4 = (ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("203.0.113.0/24"))
# Default management supernet: each lab gets its own /64 from here unless mgmt.ipv6-subnet says otherwise.
MGMT_SUPERNET = ipaddress.ip_network("3fff:0:1000::/48")

ALLOWED_TEXT = "IPv6 2001:db8::/32 or 3fff::/20, IPv4 198.51.100.0/24 or 203.0.113.0/24"


def outside_lab_ranges(net: IPv4Network | IPv6Network) -> bool:
    """True when `net` is not wholly inside one of the documentation ranges the lab may use."""
    ranges = LAB_IPV6 if net.version == 6 else LAB_IPV4
    return not any(net.subnet_of(r) for r in ranges)  # type: ignore[arg-type]


class RangeProblem(ValueError):
    """Why a prefix cannot be a lab prefix, and how to fix it (the caller knows where it was written)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def lab_network(text: object, version: int) -> IPv4Network | IPv6Network:
    """`text` as an IPv`version` prefix inside the documentation ranges, or RangeProblem."""
    try:
        net = ipaddress.ip_network(str(text), strict=True)
    except ValueError as exc:
        raise RangeProblem(
            f"not a valid prefix (IPv{version}): {exc}", "write it as address/length with no host bits"
        ) from None
    if net.version != version:
        raise RangeProblem(f"{net} is not an IPv{version} prefix", f"write an IPv{version} prefix")
    if outside_lab_ranges(net):
        raise RangeProblem(
            f"{net} is outside the documentation ranges the lab may use", f"use a prefix inside {ALLOWED_TEXT}"
        )
    return net
