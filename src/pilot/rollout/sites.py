"""Agency by agency: the stage map a run applies, and the devices a site move touches.

`pilot apply --stage S` moves the whole province; with `--site`/`--agency` only those sites move and
every other site keeps the stage the journal records for it. A site move touches the devices whose
intended configuration differs between the recorded map and the new one (found offline: rendering is a
pure function of the intent, the plan and the map) and the devices serving the moved sites (their
gateways, switches and clients, repaired on the way even when their configuration does not change).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from pilot import limit as limits
from pilot.errors import PilotError
from pilot.inputs import Inputs
from pilot.intent.model import Intent
from pilot.journal import Journal
from pilot.rollout.bundle import bundle_of, to_json
from pilot.rollout.inventory import Inventory
from pilot.rollout.plan import RunPlan, plan_run
from pilot.rollout.report import Options
from pilot.stages import get_stage, stage_names
from pilot.stages.model import Stage
from pilot.stages.sitemap import StageMap, migrating_sites, site_of


def recorded_stages(journal: Journal, inventory: str, intent: Intent) -> dict[str, str]:
    """{site: stage} the journal records for the intent's migrating sites (some may be missing). A
    journal from before stage maps knows devices only: when they all agree on one stage, every site is
    at it."""
    sites = migrating_sites(intent)
    known = journal.site_stages(inventory)
    if known:
        return {s: known[s].stage for s in sites if s in known}
    devices = journal.device_stages(inventory)
    stages = {d.stage for d in devices.values()}
    if devices and len(stages) == 1 and not any(d.unknown for d in devices.values()):
        only = stages.pop()
        if only in stage_names():
            return dict.fromkeys(sites, only)
    return {}


def recorded_map(recorded: Mapping[str, str], intent: Intent) -> StageMap | None:
    """The recorded stages as a map, when every migrating site has one."""
    sites = migrating_sites(intent)
    if not sites or any(s not in recorded for s in sites):
        return None
    names = {s: recorded[s] for s in sites}
    return StageMap.from_names(names, max(names.values(), key=lambda n: get_stage(n).index))


def target_map(intent: Intent, recorded: Mapping[str, str], stage: Stage, sites: Sequence[str]) -> StageMap:
    """The map a run applies: `stage` everywhere, or at `sites` with the others at their recorded stage."""
    if not sites:
        return StageMap.of(intent, stage)
    unknown = [s for s in migrating_sites(intent) if s not in recorded and s not in sites]
    if unknown:
        raise PilotError(
            f"no stage is recorded for {', '.join(unknown)}: moving {', '.join(sites)} keeps every other site at "
            "its recorded stage, and this one has none",
            fix=f"bring it to a stage first (pilot apply --stage S --site {unknown[0]}), or move the whole "
            "province (pilot apply --stage S, no --site)",
        )
    names = {s: stage.name if s in sites else recorded[s] for s in migrating_sites(intent)}
    return StageMap.from_names(names, stage.name)


def serving(intent: Intent, sites: Sequence[str]) -> set[str]:
    """The devices that serve `sites`: their segments' gateways and switches, and the hosts on them."""
    chosen = set(sites)
    out: set[str] = set()
    for seg in intent.segments:
        if site_of(seg) in chosen:
            out.add(seg.gateway.node)
            if seg.medium_is_switch and seg.medium:
                out.add(seg.medium)
            out.update(a.host for a in seg.hosts)
    return out


def changed_between(before: RunPlan, after: RunPlan) -> set[str]:
    """Devices whose intended configuration (files, services, stage) differs between two renderings."""
    out = set()
    for name, rd in after.rendered.items():
        old = before.rendered.get(name)
        if old is None or to_json(bundle_of(old, "-")) != to_json(bundle_of(rd, "-")):
            out.add(name)
    return out


def refuse_half_moves(selected: Sequence[str], needed: set[str], limit: str | None, moving: str) -> None:
    """`--limit` is a device filter for emergencies: it may narrow a run that moves no site (a repair),
    never leave a site half-moved. Refused before anything is connected."""
    left = sorted(needed - set(selected))
    if limit is None or not left:
        return
    shown = ", ".join(left[:8]) + (f" and {len(left) - 8} more" if len(left) > 8 else "")
    raise PilotError(
        f"--limit {limit} would leave {moving} half-moved: {shown} must change too",
        fix="drop --limit (a site move takes every device it changes), or add those devices to it",
    )


def plan_move(
    inv: Inventory,
    opt: Options,
    inputs: Inputs,
    target: StageMap,
    previous: StageMap | None,
    sites: Sequence[str],
    also: set[str],
) -> RunPlan:
    """The plan of an apply: the whole province's selected devices; for a site move, those it changes and
    those serving the moved sites (`also`: an interrupted run's, which this run takes over). A --limit
    that would leave a site half-moved is refused here, before anything is connected."""
    full = plan_run(inv, target, None, opt.templates, check=opt.validate, inputs=inputs)
    selected = limits.select(opt.limit, [(h.name, h.role, h.platform) for h in inv.hosts.values()])

    def narrowed(keep: set[str]) -> RunPlan:
        return dataclasses.replace(full, hosts=tuple(h for h in full.hosts if h.name in keep))

    if previous is None:
        # Nothing recorded (a new lab, a new journal): what a limited run leaves behind cannot be told.
        return full if opt.limit is None else narrowed(set(selected))
    if not sites and opt.limit is None:
        return full
    before = plan_run(inv, previous, None, opt.templates, check=False, inputs=inputs)
    needed = changed_between(before, full) & set(inv.hosts)
    moves = previous.names() != target.names()
    if moves:
        refuse_half_moves(selected, needed, opt.limit, ", ".join(sites) or f"the province ({previous.describe()})")
    if not sites or (not moves and opt.limit is not None):
        return narrowed(set(selected))  # the whole province, or a repair at the recorded stages of what --limit names
    return narrowed((needed | serving(inputs.intent, sites) | also) & set(selected))
