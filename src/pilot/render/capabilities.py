"""The capability table, enforced: what each device's intended state needs of its platform, checked
before anything is rendered. A stage that needs what a platform lacks is refused, naming the device,
the feature, the minimum OS version the table knows and the fix, unless the table names a fallback
(PREF64 -> RFC 7050: hosts find the NAT64 prefix through DNS64)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pilot.errors import PilotError
from pilot.render.platforms import Platform, load_platform
from pilot.stages.model import Device

# capability -> what needs it, in words (for the error)
FEATURES = {
    "ospfv3": "OSPFv3",
    "router_advertisements": "Router Advertisements",
    "rdnss_dnssl": "RDNSS and DNSSL in Router Advertisements (RFC 8106)",
    "pref64": "the PREF64 option in Router Advertisements (RFC 8781)",
    "dhcp_relay": "a DHCP relay",
    "option108": "DHCPv4 option 108, IPv6-Only Preferred (RFC 8925)",
    "ra_guard": "RA Guard on host ports (RFC 6105)",
    "dhcpv6_guard": "DHCPv6 Guard (DHCPv6-Shield, RFC 7610) on host ports",
}


def needed(device: Device) -> dict[str, str]:
    """{capability: where the device needs it} at its stage."""
    out: dict[str, str] = {}
    router = device.router
    if router is not None:
        if router.ospf6:
            out["ospfv3"] = "OSPFv3 on its links"
        for i in router.interfaces:
            if i.ra is None:
                continue
            out.setdefault("router_advertisements", f"RAs on {i.name}")
            if i.ra.rdnss or i.ra.dnssl:
                out.setdefault("rdnss_dnssl", f"RDNSS/DNSSL on {i.name}")
            if i.ra.pref64 is not None or i.ra.pref64_unsupported is not None:
                out.setdefault("pref64", f"PREF64 on {i.name}")
        if router.relays:
            out["dhcp_relay"] = "DHCP relay for its segments"
    switch = device.switch
    if switch is not None and switch.first_hop_security and switch.host_ports:
        out["ra_guard"] = f"RA Guard on {', '.join(switch.host_ports)}"
        out["dhcpv6_guard"] = f"DHCPv6 Guard on {', '.join(switch.host_ports)}"
    host = device.host
    if host is not None and host.dhcp is not None and any(s.v6only_wait for s in host.dhcp.subnets4):
        out["option108"] = "option 108 on its DHCPv4 subnets"
    return out


def check(devices: Sequence[Device], platform: Callable[[str], Platform]) -> list[str]:
    """Refuse (PilotError) the first device whose platform lacks a capability its stage needs and the
    table names no fallback for; return the notes: fallbacks used and capabilities used unconfirmed."""
    notes: list[str] = []
    for device in devices:
        plat = platform(device.platform)
        for capability, where in needed(device).items():
            detail = plat.detail(capability)
            if plat.can(capability):
                if detail.unconfirmed:
                    notes.append(
                        f"{FEATURES.get(capability, capability)} on {plat.name} is unconfirmed in the vendor's"
                        f" documentation ({device.name}: {where})"
                    )
                continue
            if detail.fallback:
                continue  # the builders already render the fallback and note it (PREF64 -> RFC 7050)
            since = f" (needs {detail.since})" if detail.since else ""
            doc = f"; see {detail.doc}" if detail.doc else ""
            raise PilotError(
                f"device '{device.name}' (platform {plat.name}): stage {device.stage.name} needs"
                f" {FEATURES.get(capability, capability)} ({where}), which {plat.name} lacks{since}{doc}",
                fix=f"upgrade it to an OS version that has it and say so in {plat.directory / 'platform.yml'},"
                " or keep its sites at an earlier stage",
            )
    return notes


# The routers' and switches' features, as `pilot platforms` shows them (option108 is the DHCP server's).
FEATURE_COLUMNS = tuple(c for c in FEATURES if c != "option108")


def capability_table(directory: Path) -> list[dict[str, Any]]:
    """Every registered platform that has templates: what it can do, since when, how pilot tests it (for
    `pilot platforms` and the README's table)."""
    from pilot.platforms import all_platforms

    rows = []
    for plugin in all_platforms():
        if not (plugin.template_dir(directory) / "platform.yml").exists():
            continue
        platform = load_platform(directory, plugin.name)
        features = {}
        for capability in FEATURE_COLUMNS:
            detail = platform.detail(capability)
            features[capability] = {
                "supported": platform.can(capability),
                "by": platform.provided_by(capability),
                "since": detail.since,
                "unconfirmed": detail.unconfirmed,
                "fallback": detail.fallback,
                "doc": detail.doc,
            }
        rows.append(
            {
                "platform": platform.name,
                "description": platform.description,
                "transport": plugin.transport,
                "napalm_driver": plugin.napalm_driver,
                "netmiko_type": plugin.netmiko_type,
                "containerlab_kinds": list(plugin.containerlab_kinds),
                "tested": list(platform.tested),
                "features": features,
            }
        )
    return rows


def cell(platform: str, feature: dict[str, Any]) -> str:
    if not feature["supported"]:
        return "fallback: DNS64 (RFC 7050)" if feature["fallback"] else "no"
    if feature["by"] != platform:
        return f"yes ({feature['by']})"  # a daemon beside it (FRR: radvd sends PREF64)
    text = "unconfirmed" if feature["unconfirmed"] else "yes"
    if feature["since"]:
        text += f" ({feature['since']})"
    return text


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The platforms x features table, in Markdown (README.md holds a copy a test keeps equal)."""
    head = ["platform", *FEATURE_COLUMNS, "tested"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [f"`{row['platform']}`", *(cell(row["platform"], row["features"][c]) for c in FEATURE_COLUMNS)]
        lines.append("| " + " | ".join([*cells, ", ".join(row["tested"]) or "-"]) + " |")
    return "\n".join(lines) + "\n"
