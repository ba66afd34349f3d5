"""The kernel state a Linux-based device's configuration implies, as data the device agent checks.

Files say what a device should run; the running system can drift away from them while the files stay
the same (an address deleted by hand, a link set down, a switch port moved to another VLAN's bridge, a
default route removed). The device agent compares these expectations with the live kernel at every
diff and apply, and repairs what differs: addresses FRR owns through FRR, the rest directly.

Only what pilot's configuration decides is listed: interfaces it names, their global static addresses
(exactly: one added by hand is drift too), bridge membership on the switch, and the routes its files
install. Clients get nothing here: what they hold is what the network offers, which verification checks.
"""

from __future__ import annotations

from typing import Any

from pilot.stages.model import Device

# The switch's VLAN bridges, as templates/linux/interfaces.j2 names them.
VLAN_BRIDGE = "vlan{vid}"


def expected_state(device: Device) -> dict[str, Any] | None:
    links: dict[str, dict[str, Any]]
    if device.router is not None:
        links = {
            i.name: {"up": True, "addresses": [str(a) for a in (*i.ipv4, *i.ipv6)]} for i in device.router.interfaces
        }
        return {"owner": "frr", "links": links, "routes": []}
    if device.switch is not None:
        links = {}
        for vlan in device.switch.vlans:
            bridge = VLAN_BRIDGE.format(vid=vlan.vid)
            links[bridge] = {"up": True, "addresses": []}  # an L2 switch: no address on its data bridges
            for port in vlan.ports:
                links[port] = {"up": True, "master": bridge, "addresses": []}
        return {"owner": "ifupdown", "links": links, "routes": []}
    host = device.host
    if host is None or host.client is not None:
        return None
    links = {}
    routes: list[dict[str, Any]] = []
    for i in host.interfaces:
        own = [str(a) for a in (i.ipv4, i.ipv6) if a is not None]
        links[i.name] = {"up": True, "addresses": own + [str(a) for a in i.extra]}
        for gateway, address in ((i.gateway4, i.ipv4), (i.gateway6, i.ipv6)):
            if gateway is not None and address is not None:  # ifupdown sets a gateway with its address
                routes.append({"dst": "default", "via": str(gateway), "dev": i.name})
    if host.nat64 is not None and host.nat64.enabled:
        links[host.nat64.tun] = {"up": True}
        routes += [{"dst": str(r.prefix), "via": None, "dev": host.nat64.tun} for r in host.routes]
    return {"owner": "ifupdown", "links": links, "routes": routes}
