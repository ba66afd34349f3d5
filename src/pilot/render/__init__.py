"""Render a stage: every device's complete intended configuration files, validated, written atomically."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pilot import limit as limits
from pilot.errors import PilotError
from pilot.inputs import Inputs
from pilot.render import capabilities
from pilot.render.engine import RenderedDevice, RenderedFile, render_device
from pilot.render.platforms import Platform, load_platform, templates_dir
from pilot.render.validate import missing_validators, validate
from pilot.stages import build_devices, stages
from pilot.stages.model import Device, Stage
from pilot.stages.sitemap import StageMap

MANIFEST = "manifest.json"

__all__ = ["MANIFEST", "RenderResult", "RenderedDevice", "RenderedFile", "render_stage", "write_output"]


@dataclass
class RenderResult:
    stage: Stage  # the province-wide stage (the stage, when every site is at one)
    devices: list[RenderedDevice]
    notes: list[str] = field(default_factory=list)
    validated: bool = False
    stages: StageMap | None = None


def render_stage(
    inputs: Inputs,
    stage: Stage | StageMap,
    *,
    limit: str | None = None,
    templates: Path | None = None,
    check: bool = True,
) -> RenderResult:
    """Build and render every selected device for `stage` (one stage for the whole province, or a stage
    map: each site at its own); with `check`, run the offline validators. Any template or validation
    error raises a PilotError naming device, file and message."""
    stages = stage if isinstance(stage, StageMap) else StageMap.of(inputs.intent, stage)
    directory = templates_dir(templates)
    platforms: dict[str, Platform] = {}

    def platform(name: str) -> Platform:
        if name not in platforms:
            platforms[name] = load_platform(directory.resolve(), name)
        return platforms[name]

    devices = build_devices(inputs.intent, inputs.plan, stages, lambda p, c: platform(p).can(c), platform)
    chosen = set(limits.select(limit, [(d.name, d.role, d.platform) for d in devices]))
    unconfirmed = capabilities.check([d for d in devices if d.name in chosen], platform)
    rendered = [render_device(d, platform(d.platform)) for d in devices if d.name in chosen]
    lowest = min((s for _, s in stages.sites), key=lambda s: s.index, default=stages.province)
    notes = _notes(inputs, lowest, rendered) + sorted(set(unconfirmed))
    result = RenderResult(stages.province, rendered, notes=notes, stages=stages)
    if check:
        _check(inputs, result)
    return result


ROLLBACK_108 = "on a rollback to "  # the note that matters only when devices are at a later stage


def _notes(inputs: Inputs, stage: Stage, rendered: Sequence[RenderedDevice]) -> list[str]:
    # The same note on a thousand routers is one line naming a few of them, not a thousand lines.
    by_text: dict[str, list[str]] = {}
    for d in rendered:
        for note in d.device.notes:
            by_text.setdefault(re.sub(r" on [\w., -]+$", "", note), []).append(d.device.name)
    notes = []
    for text, names in by_text.items():
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        notes.append(f"{text}: {', '.join(names[:3])}{more}")
    later_108 = [s for s in stages() if s.option108 and s.index > stage.index]
    if later_108 and not stage.option108:
        wait = inputs.intent.province.v6only_wait
        notes.append(
            f"{ROLLBACK_108}{stage.name} from {later_108[0].name}: a client that received option 108 regains "
            f"IPv4 when its DHCP client starts again (pilot restarts those it manages) or after its "
            f"V6ONLY_WAIT ({wait} s, province.v6only_wait)"
        )
    if inputs.plan.new:
        notes.append(
            f"{len(inputs.plan.new)} address allocations are not recorded yet: run pilot addresses to record them"
        )
    return notes


def _check(inputs: Inputs, result: RenderResult) -> None:
    if os.geteuid() != 0:
        result.notes.append("files not validated: the validators run in scratch namespaces, which needs root")
        return
    missing = missing_validators(result.devices)
    if missing:
        raise PilotError(
            f"validators not installed: {', '.join(missing)}", fix="run scripts/setup.sh, or render with --no-validate"
        )
    issues = validate(result.devices, lambda name: _interfaces(result, name))
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise PilotError(
            f"device '{first.device}', file {first.path}: {first.validator} says: {first.message}{more}",
            fix="correct the template or the intent; nothing was written",
        )
    result.validated = True


def _interfaces(result: RenderResult, name: str) -> list[tuple[str, list[str]]]:
    device: Device = next(d.device for d in result.devices if d.device.name == name)
    out: list[tuple[str, list[str]]] = []
    if device.host is not None:
        for i in device.host.interfaces:
            out.append((i.name, [str(a) for a in (i.ipv4, i.ipv6) if a is not None]))
        if device.host.client is not None:
            out.append((device.host.client.interface, []))
    if device.switch is not None:
        ports = sorted({p for vlan in device.switch.vlans for p in vlan.ports})
        out += [(p, []) for p in ports]
    return out


def write_output(result: RenderResult, out: Path) -> list[Path]:
    """Write each device's files under out/<device>/<path>, plus its manifest; a device's folder is
    replaced whole, so what is there is always one complete rendering."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for rd in result.devices:
        final = out / rd.device.name
        tmp = out / f".{rd.device.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for f in rd.files:
            path = tmp / f.path.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.text)
            os.chmod(path, int(f.mode, 8))
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / MANIFEST).write_text(rd.manifest_text())
        old = out / f".{rd.device.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        written.append(final)
    return written
