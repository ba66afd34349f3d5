"""The plan as rows: for the terminal, for --json, and as a CSV NetBox imports as prefixes.

Rows carry the titles of what they belong to (province, agency, site, segment) as one line of text:
the table, the JSON and the CSV's description show them, in Vietnamese as written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from pilot.addressing.plan import Plan
from pilot.intent.model import Intent
from pilot.text import one_line

NETBOX_DESCRIPTION_MAX = 200  # NetBox's description fields hold 200 characters; a longer one fails the import


@dataclass(frozen=True)
class Row:
    prefix: str
    status: str  # NetBox prefix status: container, active, reserved
    kind: str
    name: str
    description: str
    vlan: int | None = None
    is_pool: bool = False
    title: str = ""  # the titles of what the prefix belongs to, one line ('' when none is given)


def rows(plan: Plan, intent: Intent) -> list[Row]:
    province = one_line(intent.province.title or "")
    infrastructure = next((a for a in intent.agencies if a.code == 0), None)  # agency 0 holds the /48
    out = [
        Row(
            str(plan.province6),
            "container",
            "province",
            intent.province.name,
            "the province's IPv6 block",
            title=province,
        ),
        Row(
            str(plan.province4),
            "container",
            "province",
            intent.province.name,
            "the province's IPv4 (baseline)",
            title=province,
        ),
        Row(
            str(plan.infrastructure),
            "container",
            "site",
            "infrastructure",
            "loopbacks, router links, NAT64",
            title=one_line(intent.site_titles(infrastructure.name)) if infrastructure else "",
        ),
    ]
    for key, prefix in plan.sites.items():
        if prefix != plan.infrastructure:
            agency, _, site = key.partition("/")
            out.append(
                Row(
                    str(prefix),
                    "container",
                    "site",
                    key,
                    f"site {key}",
                    title=one_line(intent.site_titles(agency, site)),
                )
            )
    for seg in intent.segments:
        sp = plan.segments[seg.key]
        titles = one_line(seg.titles)
        what = f"{seg.purpose.value} VLAN {seg.vlan}, gateway {seg.gateway}"
        out.append(Row(str(sp.ipv6), "active", "segment", seg.key, what, seg.vlan, title=titles))
        if sp.ipv4 is not None:
            legacy = ", IPv4 exception" if seg.legacy_ipv4 else ""
            out.append(Row(str(sp.ipv4), "active", "segment", seg.key, what + legacy, seg.vlan, title=titles))
        for host, addr in sp.hosts.items():
            for iface in (addr.ipv6, addr.ipv4):
                if iface is not None:
                    text = f"{iface.ip}/{iface.max_prefixlen}"
                    out.append(Row(text, "active", "host", f"{seg.key}/{host}", f"{host} on {seg.key}", title=titles))
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
    """NetBox's prefix bulk import (IPAM > Prefixes > Import): prefix, status, is_pool, description.
    NetBox has no title field on prefixes, so the title leads the description."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["prefix", "status", "is_pool", "description"])
    for row in rows(plan, intent):
        writer.writerow([row.prefix, row.status, "true" if row.is_pool else "false", netbox_description(row)])
    return buffer.getvalue()


def netbox_description(row: Row) -> str:
    """'segment dost/hq/users (Sở Khoa học và Công nghệ / Trụ sở chính / Người dùng): users VLAN 10, ...',
    cut to NetBox's 200 characters with an ellipsis."""
    label = "" if row.kind == "province" else f"{row.kind} {row.name}"
    if row.title:
        label = f"{label} ({row.title})" if label else row.title
    text = f"{label}: {row.description}" if label else row.description
    if len(text) > NETBOX_DESCRIPTION_MAX:
        text = text[: NETBOX_DESCRIPTION_MAX - 1].rstrip() + "…"
    return text
