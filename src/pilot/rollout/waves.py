"""In which order devices are pushed and restored.

A gateway's Router Advertisements and DHCP relay reach every port of a switch that still bridges them
together: a switch fresh from boot is one flat bridge, and a router that starts sending RAs before the
switch has separated its VLANs gives hosts on every VLAN an address from its segment (valid 30 days).
So a push goes: (1) the switches whose segments' gateways this push changes at a stage with RAs, on
their own; (2) everything else that is not a client: servers and routers side by side; (3) the clients
last, once routing has converged, reconnecting to a network that is whole. When no switch and gateway
of one segment change together (every stage after the first, or a stage without RAs), the first wave
is empty and costs nothing. A restore runs the first two in the opposite order (gateways stop or
change their RAs before the switch goes back), clients last.
"""

from __future__ import annotations

from collections.abc import Sequence

from pilot.rollout.inventory import Host
from pilot.rollout.plan import RunPlan


def switches_first(plan: RunPlan, hosts: Sequence[Host]) -> set[str]:
    """The switches (among `hosts`) that must be done before the gateways of their segments (among
    `hosts` too) change: only at a stage whose routers send RAs."""
    if not plan.stage.router_advertisements:
        return set()
    names = {h.name for h in hosts}
    return {
        seg.medium
        for seg in plan.inputs.intent.segments
        if seg.medium_is_switch and seg.medium in names and seg.gateway.node in names
    }


def clients_behind(plan: RunPlan, devices: set[str]) -> dict[str, list[str]]:
    """{client of the plan: the devices among `devices` that carry its segment (gateway, switch)}."""
    out: dict[str, list[str]] = {}
    for seg in plan.inputs.intent.segments:
        carriers = [n for n in (seg.medium if seg.medium_is_switch else None, seg.gateway.node) if n in devices]
        if carriers:
            for attachment in seg.hosts:
                if attachment.host in plan.rendered and plan.rendered[attachment.host].device.role == "client":
                    out[attachment.host] = carriers
    return out


def push_waves(plan: RunPlan, hosts: Sequence[Host]) -> list[list[Host]]:
    clients = plan.clients()
    first = switches_first(plan, hosts)
    waves = [
        [h for h in hosts if h.name in first],
        [h for h in hosts if h.name not in clients and h.name not in first],
        [h for h in hosts if h.name in clients],
    ]
    return [w for w in waves if w]


def restore_waves(plan: RunPlan, hosts: Sequence[Host]) -> list[list[Host]]:
    waves = push_waves(plan, hosts)
    clients = plan.clients()
    infrastructure = [w for w in waves if not any(h.name in clients for h in w)]
    return list(reversed(infrastructure)) + [w for w in waves if any(h.name in clients for h in w)]
