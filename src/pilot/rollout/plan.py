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
from pilot.stages.sitemap import StageMap


@dataclass(frozen=True)
class RunPlan:
    stage: Stage  # the province-wide stage (the stage, when every site is at one)
    stages: StageMap  # each site's stage
    inputs: Inputs
    hosts: tuple[Host, ...]  # the devices of this run, in the topology's order
    rendered: dict[str, RenderedDevice]
    notes: tuple[str, ...]

    def bundles(self, run: str) -> dict[str, str]:
        return {h.name: to_json(bundle_of(self.rendered[h.name], run)) for h in self.hosts}

    def clients(self) -> set[str]:
        return {h.name for h in self.hosts if self.rendered[h.name].device.role == "client"}


def run_inputs(inventory: Inventory) -> Inputs:
    return load_inputs(inventory.topology, inventory.intent, inventory.record)


def plan_run(
    inventory: Inventory,
    stage: Stage | StageMap,
    limit: str | None,
    templates: Path | None = None,
    *,
    strict_record: bool = True,
    check: bool = True,
    inputs: Inputs | None = None,
) -> RunPlan:
    """The run's devices (the inventory's, selected by `limit`) with the stage (or stage map) rendered
    for them; `inputs` when the caller has loaded them already."""
    inputs = inputs or run_inputs(inventory)
    stages = stage if isinstance(stage, StageMap) else StageMap.of(inputs.intent, stage)
    if strict_record and inputs.plan.new:
        raise PilotError(
            f"{len(inputs.plan.new)} address allocations are not in the record {inventory.record} yet",
            fix=f"run pilot addresses -t {inventory.topology} -i {inventory.intent} -r {inventory.record}, review and commit the record, then try again",
        )
    result = render_stage(inputs, stages, templates=templates, check=check)
    rendered = {rd.device.name: rd for rd in result.devices}
    names = limits.select(limit, [(h.name, h.role, h.platform) for h in inventory.hosts.values()])
    missing = [n for n in names if n not in rendered]
    if missing:
        raise PilotError(
            f"the inventory's {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no intended configuration at stage {stages.label}: the intent {inventory.intent.name} does not describe {'it' if len(missing) == 1 else 'them'}",
            fix="add them to the topology and intent, or leave them out with --limit",
            location=Location(inventory.directory / "hosts.yaml", missing[0]),
        )
    order = {name: i for i, name in enumerate(rendered)}
    hosts = sorted((inventory.hosts[n] for n in names), key=lambda h: order[h.name])
    if not hosts:
        raise PilotError("--limit selected no device of the inventory", fix="check the expression")
    return RunPlan(stages.province, stages, inputs, tuple(hosts), rendered, tuple(result.notes))
