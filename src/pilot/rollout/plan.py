"""What a run will push: the stage rendered for the inventory's devices, as bundles, checked first.

Everything that can be wrong without touching a device is found here, before anything is connected:
an unknown stage, a device of the inventory the intent does not describe, allocations the record does
not hold yet, a template or validator error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pilot import limit as limits
from pilot.errors import Location, PilotError
from pilot.inputs import Inputs, load_inputs
from pilot.render import RenderedDevice, render_stage
from pilot.rollout.bundle import bundle_of, to_json
from pilot.rollout.inventory import Host, Inventory
from pilot.stages.model import Stage


@dataclass(frozen=True)
class RunPlan:
    stage: Stage
    inputs: Inputs
    hosts: tuple[Host, ...]  # the devices of this run, in the topology's order
    rendered: dict[str, RenderedDevice]
    notes: tuple[str, ...]

    def bundles(self, run: str) -> dict[str, str]:
        return {h.name: to_json(bundle_of(self.rendered[h.name], run)) for h in self.hosts}

    def clients(self) -> set[str]:
        return {h.name for h in self.hosts if self.rendered[h.name].device.role == "client"}


def plan_run(
    inventory: Inventory,
    stage: Stage,
    limit: str | None,
    templates: Path | None = None,
    *,
    strict_record: bool = True,
    check: bool = True,
) -> RunPlan:
    inputs = load_inputs(inventory.topology, inventory.intent, inventory.record)
    if strict_record and inputs.plan.new:
        raise PilotError(
            f"{len(inputs.plan.new)} address allocations are not in the record {inventory.record} yet",
            fix=f"run pilot addresses -t {inventory.topology} -i {inventory.intent} -r {inventory.record}, review and commit the record, then try again",
        )
    result = render_stage(inputs, stage, templates=templates, check=check)
    rendered = {rd.device.name: rd for rd in result.devices}
    names = limits.select(limit, [(h.name, h.role, h.platform) for h in inventory.hosts.values()])
    missing = [n for n in names if n not in rendered]
    if missing:
        raise PilotError(
            f"the inventory's {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no intended configuration at stage {stage.name}: the intent {inventory.intent.name} does not describe {'it' if len(missing) == 1 else 'them'}",
            fix="add them to the topology and intent, or leave them out with --limit",
            location=Location(inventory.directory / "hosts.yaml", missing[0]),
        )
    order = list(rendered)
    hosts = sorted((inventory.hosts[n] for n in names), key=lambda h: order.index(h.name))
    if not hosts:
        raise PilotError("--limit selected no device of the inventory", fix="check the expression")
    return RunPlan(stage, inputs, tuple(hosts), rendered, tuple(result.notes))
