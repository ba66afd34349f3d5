"""Render devices with Jinja2, following each platform's descriptor (data-driven, netlab style)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pilot.errors import PilotError
from pilot.render.kernel import expected_state
from pilot.render.platforms import ArtifactDef, Platform
from pilot.stages.model import Device


@dataclass(frozen=True)
class RenderedFile:
    device: str
    artifact: str
    path: str  # absolute path on the device, e.g. /etc/frr/frr.conf
    text: str
    owner: str
    mode: str
    validate: str | None
    hook: str | None = None
    service: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class RenderedDevice:
    device: Device
    files: tuple[RenderedFile, ...]
    services: dict[str, bool]  # every service the platform knows: should it run at this stage?
    reconnect: tuple[str, ...] = ()  # restarted when the device's stage changes (clients reconnecting)
    expect: dict[str, Any] | None = None  # the live kernel state the files imply (pilot.render.kernel)

    def manifest(self) -> dict[str, Any]:
        return {
            "node": self.device.name,
            "stage": self.device.stage.name,
            "platform": self.device.platform,
            "role": self.device.role,
            "files": [
                {
                    "path": f.path,
                    "sha256": f.sha256,
                    "owner": f.owner,
                    "mode": f.mode,
                    "hook": f.hook,
                    "service": f.service,
                }
                for f in self.files
            ],
            "services": self.services,
            "reconnect": list(self.reconnect),
            "expect": self.expect,
            "notes": list(self.device.notes),
        }

    def manifest_text(self) -> str:
        return json.dumps(self.manifest(), indent=2) + "\n"


def _env(directory: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,  # a typo in a template is an error, never an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["json"] = lambda value: json.dumps(str(value) if not isinstance(value, (int, bool, list)) else value)
    return env


@cache
def _environment(directory: Path) -> jinja2.Environment:
    return _env(directory)


@cache
def _expression(directory: Path, source: str) -> Callable[..., Any]:
    return _environment(directory).compile_expression(source, undefined_to_none=False)


def render_device(device: Device, platform: Platform) -> RenderedDevice:
    env = _environment(platform.directory)
    context = {"device": device, "stage": device.stage}
    files: list[RenderedFile] = []
    for artifact in platform.artifacts:
        if not _true(platform, artifact.when, context, device, artifact.name):
            continue
        items: list[Any] = [None]
        if artifact.foreach:
            items = list(_evaluate(platform, artifact.foreach, context, device, artifact.name) or [])
        for item in items:
            local = {**context, "item": item}
            path = env.from_string(artifact.path).render(local) if artifact.foreach else artifact.path
            text = _render(env, artifact, local, device)
            files.append(
                RenderedFile(
                    device.name,
                    artifact.name,
                    path,
                    text,
                    artifact.owner,
                    artifact.mode,
                    artifact.validator,
                    artifact.hook,
                    artifact.service,
                )
            )
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths):
        raise PilotError(
            f"device '{device.name}': two artifacts of platform {platform.name} write the same file",
            fix=f"check {platform.directory / 'platform.yml'}",
        )
    services = {s.name: _true(platform, s.when, context, device, f"service {s.name}") for s in platform.services}
    reconnect = tuple(s.name for s in platform.services if s.restart == "reconnect" and services[s.name])
    expect = expected_state(device) if platform.can("linux_kernel") else None
    return RenderedDevice(device, tuple(files), services, reconnect, expect)


def _render(env: jinja2.Environment, artifact: ArtifactDef, context: dict[str, Any], device: Device) -> str:
    try:
        return env.get_template(artifact.template).render(context)
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{artifact.template}:{line}" if line else artifact.template
        raise PilotError(f"device '{device.name}': template {where}: {exc}", fix="correct the template") from None


def _evaluate(platform: Platform, source: str, context: dict[str, Any], device: Device, what: str) -> Any:
    try:
        return _expression(platform.directory, source)(**context)
    except jinja2.TemplateError as exc:
        raise PilotError(
            f"device '{device.name}': {platform.name}/platform.yml, {what}: cannot evaluate '{source}': {exc}",
            fix="correct the expression",
        ) from None


def _true(platform: Platform, source: str, context: dict[str, Any], device: Device, what: str) -> bool:
    return bool(_evaluate(platform, source, context, device, what))
