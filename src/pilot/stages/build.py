"""Build every device's intended state for one stage, from the intent and the address plan."""

from __future__ import annotations

from collections.abc import Callable

from pilot.addressing import Plan
from pilot.errors import PilotError
from pilot.intent.model import Intent
from pilot.stages import hosts, routers
from pilot.stages.context import Capability, Context, Naming
from pilot.stages.model import Device, Stage
from pilot.stages.sitemap import StageMap
from pilot.topology.model import Role


def build_devices(
    intent: Intent,
    plan: Plan,
    stage: Stage | StageMap,
    can: Capability,
    names: Callable[[str], Naming] | None = None,
) -> list[Device]:
    """One Device per node of the topology the intent covers, in the topology's order: every segment at
    its site's stage (a Stage alone: the whole province at it)."""
    stages = stage if isinstance(stage, StageMap) else StageMap.of(intent, stage)
    ctx = Context(intent, plan, stages, can) if names is None else Context(intent, plan, stages, can, names)
    operators = {op.node: op for op in intent.internet.operators}
    sites = {s.node: s for s in intent.internet.sites}
    devices = []
    for node in intent.topology.shell_nodes:
        name = node.name
        if name in intent.routers:
            devices.append(routers.province_router(ctx, name))
        elif name in operators:
            devices.append(routers.operator_router(ctx, operators[name]))
        elif name in sites:
            devices.append(hosts.internet_site(ctx, sites[name]))
        elif node.role is Role.SWITCH:
            devices.append(hosts.switch(ctx, name))
        elif node.role is Role.SERVICE:
            if intent.segment_of_host(name) is None:
                raise PilotError(
                    f"service host '{name}' is on no segment of the intent",
                    fix="list it under the hosts of its segment in the intent file",
                )
            devices.append(hosts.service_host(ctx, name))
        elif node.role is Role.CLIENT:
            devices.append(hosts.client(ctx, name, intent.segment_of_host(name)))
    return devices
