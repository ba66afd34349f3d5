"""Small helpers for code that handles IPv4 and IPv6 prefixes together."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

Prefix = IPv4Network | IPv6Network


def as_v4(prefix: Prefix | None) -> IPv4Network:
    assert isinstance(prefix, IPv4Network), prefix
    return prefix


def as_v6(prefix: Prefix | None) -> IPv6Network:
    assert isinstance(prefix, IPv6Network), prefix
    return prefix


def subnet_of(a: Prefix, b: Prefix) -> bool:
    return a.version == b.version and a.subnet_of(b)  # type: ignore[arg-type]


def overlaps(a: Prefix, b: Prefix) -> bool:
    """Overlap across a mixed list: prefixes of different families never overlap."""
    return a.version == b.version and a.overlaps(b)
