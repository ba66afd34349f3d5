"""Render devices with Jinja2, following each platform's descriptor (data-driven, netlab style).

Human text (titles, operator names) reaches templates as written. Each template passes it through the
filter for its file's syntax: `description` (a device description: the rest of the line), `comment`
(inside a `#`, `!`, `;` or `//` comment), `html` (the portal's page), `json` (Kea). The filters
transliterate to ASCII where the platform's capability table says `utf8_descriptions: false`.
Belt and braces: the environment refuses to interpolate any other value holding a character outside
printable ASCII (a newline, a control character, a Vietnamese letter), so a template that forgets a
filter fails at render, naming device and template, instead of writing a line the template did not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pilot import text
from pilot.errors import PilotError
from pilot.platforms import get_platform
from pilot.render.platforms import ArtifactDef, Platform
from pilot.stages.model import Device

UTF8 = "utf8_descriptions"  # the capability: the platform keeps UTF-8 text in descriptions and comments


class Escaped(str):
    """Output of an escaping filter: safe in the syntax it was escaped for."""


class UnescapedText(jinja2.TemplateRuntimeError):
    """A template interpolated text that went through no escaping filter and could break its file."""


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
    expect: dict[str, Any] | None = (
        None  # the live kernel state the files imply (its platform's: pilot.agent.kernel for FRR and Linux)
    )

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


def _finalize(value: Any) -> Any:
    """Every `{{ ... }}` passes here: escaped text goes through, anything else must be printable ASCII."""
    if isinstance(value, (Escaped, int, float)):
        return value
    shown = value if isinstance(value, str) else str(value)
    if not (shown.isascii() and shown.isprintable()):
        raise UnescapedText(
            f"{shown[:60]!a} is not printable ASCII and went through no escaping filter "
            "(description, comment, html, json)"
        )
    return value


def _env(directory: Path, utf8: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,  # a typo in a template is an error, never an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_finalize,
    )
    env.filters["description"] = lambda value: Escaped(text.description(str(value), utf8))
    env.filters["comment"] = lambda value: Escaped(text.comment(str(value), utf8))
    env.filters["html"] = lambda value: Escaped(text.html_text(str(value)))
    env.filters["json"] = lambda value: Escaped(text.json_value(value, utf8))
    return env


@cache
def _environment(directory: Path, utf8: bool) -> jinja2.Environment:
    return _env(directory, utf8)


@cache
def _expression(directory: Path, source: str) -> Callable[..., Any]:
    # `when` and `foreach` give values, not text: the UTF-8 flag makes no difference to them.
    return _environment(directory, True).compile_expression(source, undefined_to_none=False)


def render_device(device: Device, platform: Platform) -> RenderedDevice:
    env = _environment(platform.directory, platform.can(UTF8))
    # `platform` too: a template or a `when` may depend on who does what on the platform (its RAs come
    # from FRR itself or from radvd beside it: platform.ra_daemon).
    context = {"device": device, "stage": device.stage, "platform": platform}
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
    expect = get_platform(device.platform).expected_state(device)
    return RenderedDevice(device, tuple(files), services, reconnect, expect)


def _render(env: jinja2.Environment, artifact: ArtifactDef, context: dict[str, Any], device: Device) -> str:
    template = None
    try:
        template = env.get_template(artifact.template)
        return template.render(context)
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc, template)
        where = f"{artifact.template}:{line}" if line else artifact.template
        fix = "pass the value through its file's escaping filter" if isinstance(exc, UnescapedText) else None
        raise PilotError(
            f"device '{device.name}': template {where}: {exc}", fix=fix or "correct the template"
        ) from None


def _template_line(exc: BaseException, template: jinja2.Template | None) -> int | None:
    """The template line a render error comes from (Jinja rewrites the traceback to show it)."""
    if template is None or template.filename is None:
        return None
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == template.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


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
