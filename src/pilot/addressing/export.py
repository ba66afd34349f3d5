"""The plan as rows: for the terminal, for --json, and as a CSV NetBox imports as prefixes."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from pilot.addressing.plan import Plan
from pilot.intent.model import Intent


@dataclass(frozen=True)
class Row:
    prefix: str
    status: str  # NetBox prefix status: container, active, reserved
    kind: str
    name: str
    description: str
    vlan: int | None = None
    is_pool: bool = False


def rows(plan: Plan, intent: Intent) -> list[Row]:
    out = [
        Row(str(plan.province6), "container", "province", intent.province.name, "the province's IPv6 block"),
        Row(str(plan.province4), "container", "province", intent.province.name, "the province's IPv4 (baseline)"),
        Row(str(plan.infrastructure), "container", "site", "infrastructure", "loopbacks, router links, NAT64"),
    ]
    for key, prefix in plan.sites.items():
        if prefix != plan.infrastructure:
            out.append(Row(str(prefix), "container", "site", key, f"site {key}"))
    for seg in intent.segments:
        sp = plan.segments[seg.key]
        what = f"{seg.purpose.value} VLAN {seg.vlan}, gateway {seg.gateway}"
        out.append(Row(str(sp.ipv6), "active", "segment", seg.key, what, seg.vlan))
        if sp.ipv4 is not None:
            legacy = ", IPv4 exception" if seg.legacy_ipv4 else ""
            out.append(Row(str(sp.ipv4), "active", "segment", seg.key, what + legacy, seg.vlan))
        for host, addr in sp.hosts.items():
            for iface in (addr.ipv6, addr.ipv4):
                if iface is not None:
                    text = f"{iface.ip}/{iface.max_prefixlen}"
                    out.append(Row(text, "active", "host", f"{seg.key}/{host}", f"{host} on {seg.key}"))
    for node, addr in plan.loopbacks.items():
        for iface in (addr.ipv6, addr.ipv4):
            if iface is not None:
                out.append(Row(str(iface.network), "active", "loopback", node, f"loopback of {node}"))
    for key, link in plan.links.items():
        out.append(Row(str(link.reserved6), "reserved", "link", key, "reserved for the link (RFC 6164)"))
        assert link.a.ipv6 is not None
        out.append(
            Row(
                str(link.a.ipv6.network),
                "active",
                "link",
                key,
                f"{link.a_end} {link.a.ipv6.ip}, {link.b_end} {link.b.ipv6.ip if link.b.ipv6 else ''}",
            )
        )
        if link.a.ipv4 is not None and link.b.ipv4 is not None:
            out.append(
                Row(
                    str(link.a.ipv4.network),
                    "active",
                    "link",
                    key,
                    f"{link.a_end} {link.a.ipv4.ip}, {link.b_end} {link.b.ipv4.ip}",
                )
            )
    out.append(Row(str(plan.nat64_prefix), "active", "nat64", "prefix", "NAT64 network-specific prefix (RFC 6052)"))
    out.append(
        Row(
            str(plan.nat64_pool),
            "active",
            "nat64",
            "pool",
            "NAT64 dynamic IPv4 pool (NAT44 behind the translator)",
            is_pool=True,
        )
    )
    out.append(Row(str(plan.exchange6), "active", "internet", "exchange", "the lab's Internet exchange"))
    out.append(Row(str(plan.exchange4), "active", "internet", "exchange", "the lab's Internet exchange"))
    return out


def to_json(plan: Plan, intent: Intent) -> dict[str, object]:
    return {
        "province": str(plan.province6),
        "nat64_prefix": str(plan.nat64_prefix),
        "prefixes": [asdict(r) for r in rows(plan, intent)],
        "new": list(plan.new),
        "notes": list(plan.notes),
    }


def to_csv(plan: Plan, intent: Intent) -> str:
    """NetBox's prefix bulk import (IPAM > Prefixes > Import): prefix, status, is_pool, description."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["prefix", "status", "is_pool", "description"])
    for row in rows(plan, intent):
        name = f"{row.kind} {row.name}: " if row.kind not in ("province",) else ""
        writer.writerow([row.prefix, row.status, "true" if row.is_pool else "false", f"{name}{row.description}"])
    return buffer.getvalue()
