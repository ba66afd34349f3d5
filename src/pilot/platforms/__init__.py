"""Platforms as plugins: everything a platform does its own way lives in its package here (or in a
package of a third party), registered under the `pilot.platforms` entry point group.

A platform plugin gives, for devices of its platform:
- where its templates and platform.yml are (the capability table, naming, artifacts);
- for CLI platforms (IOS-XE, Junos, EOS, VRP), the hier_config platform and the idempotency rules its
  diff and remediation need (`pilot.platforms.cli`).

Generic code asks the registry (`get_platform`) and never names a platform's daemons or commands.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pilot.errors import PilotError

if TYPE_CHECKING:
    from pilot.stages.model import Device
    from pilot.transport.ssh import Target
    from pilot.verify.model import Shell

ENTRY_POINT_GROUP = "pilot.platforms"

# pilot's own platforms, also listed as entry points in pyproject.toml (a test keeps the two equal). The
# table is for a source checkout whose installed metadata predates a platform: the entry points win.
BUILTIN: dict[str, str] = {
    "frr": "pilot.platforms.frr:FrrPlatform",
    "linux": "pilot.platforms.linux:LinuxPlatform",
    "iosxe": "pilot.platforms.iosxe:plugin",
    "junos": "pilot.platforms.junos:plugin",
    "eos": "pilot.platforms.eos:plugin",
    "vrp": "pilot.platforms.vrp:plugin",
}


@dataclass(frozen=True)
class Validator:
    """An offline validator of a rendered file, named by platform.yml's `validate:`: a tool run on the
    file (`command(path)`, needing `binary`), or a pure Python `check(text)` giving one line per problem."""

    name: str
    binary: str | None = None
    command: Callable[[str], list[str]] | None = None
    # The tool reads the file and nothing else: it runs on a copy, with no sandbox to build. Otherwise it
    # looks at the machine too (interfaces, paths under /etc): it runs where the device's files sit at
    # their real paths and its interfaces exist (pilot.render.validate's sandbox).
    file_only: bool = True
    check: Callable[[str], list[str]] | None = None
    # Directories under /run the tool expects to exist in the sandbox (it writes its lock or pid there).
    run_dirs: tuple[str, ...] = ()


@runtime_checkable
class PlatformPlugin(Protocol):
    """What pilot asks of a platform. Attributes are read, methods called; nothing else is assumed."""

    name: str  # as in the topology's `pilot.platform` label and the folder of its templates
    description: str
    # How pilot pushes to it: "napalm" (Nornir + NAPALM, `napalm_driver`), "ansible" (ansible-runner), or
    # "cli" (pilot.platforms.cli's transport: netmiko/NAPALM with hier_config remediation).
    transport: str
    napalm_driver: str | None  # NAPALM's driver for its devices (a Nornir napalm connection's platform)
    netmiko_type: str | None  # netmiko's device type (a Nornir netmiko connection's platform)
    # containerlab kinds that are this platform (`cisco_c8000v` -> iosxe), read by the topology loader.
    containerlab_kinds: tuple[str, ...]
    # A `linux` node (any image) with no platform label is of the platform that claims its role by default
    # (routers: FRR; switches, services, clients: Linux), and a router when its image matches one
    # platform's `router_image` (a regular expression; e.g. FRR's images).
    default_for_roles: tuple[str, ...]
    router_image: str | None
    # Offline validators its platform.yml may name, and the hooks its transport runs after a file changes.
    validators: Mapping[str, Validator]
    hooks: frozenset[str]
    # Processes of one suite, shown as one name in `pilot lab status` (FRR's zebra, ospfd ... as frr(6)).
    daemon_suites: Mapping[str, frozenset[str]]

    def template_dir(self, templates: Path) -> Path:
        """The folder of its platform.yml and templates, given the templates directory in use."""
        ...

    def routing_probes(self) -> object:
        """Its verification probes of OSPF and BGP (a pilot.platforms.probes.RoutingProbes); a platform
        that routes nothing raises PilotError."""
        ...

    def last_applied(self, target: Target) -> str:
        """What the device says it last applied ("ipv6-only (run 35)"), or why it cannot say
        ("unreachable (...)", "nothing applied by pilot"): `pilot status` compares it with the journal."""
        ...

    def expected_state(self, device: Device) -> dict[str, Any] | None:
        """The live state (interfaces, addresses, routes) the device's files imply, for its transport to
        check and repair after applying them; None where the transport has no such check."""
        ...

    def fhs_drops(self, shell: Shell, node: str, guard: str) -> int | None:
        """How many packets an access switch of this platform dropped so far with `guard` ("RA Guard",
        "DHCPv6-Shield"): the verification's proof that the guard acted. None: the platform cannot tell."""
        ...

    def restored_differences(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
        """After a rollback: how the device's own configuration (beyond its files and services, which the
        transport compares) differs between its backup before the run and what it gives now; [] if none."""
        ...


_MEMBERS = sorted(
    set(inspect.get_annotations(PlatformPlugin))
    | {m for m, v in vars(PlatformPlugin).items() if callable(v) and not m.startswith("_")}
)


def _load(name: str, target: str) -> PlatformPlugin:
    module, _, attribute = target.partition(":")
    factory: Callable[[], object] = getattr(import_module(module), attribute)
    plugin = factory()
    missing = sorted(m for m in _MEMBERS if not hasattr(plugin, m))
    if missing:
        raise PilotError(
            f"platform plugin '{name}' ({target}) lacks {', '.join(missing)}",
            fix="give the plugin everything pilot.platforms.PlatformPlugin lists",
        )
    if not isinstance(plugin, PlatformPlugin) or plugin.name != name:
        raise PilotError(
            f"platform plugin '{name}' ({target}) does not give a platform named '{name}'",
            fix="fix the plugin's entry point in its package metadata (group pilot.platforms)",
        )
    return plugin


@cache
def registered() -> dict[str, str]:
    """Every known platform: name -> 'module:attribute' (entry points over the built-in table)."""
    found = dict(BUILTIN)
    found.update({ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)})
    return found


@cache
def get_platform(name: str) -> PlatformPlugin:
    known = registered()
    if name not in known:
        raise PilotError(
            f"unknown platform '{name}'",
            fix=f"use one of: {', '.join(sorted(known))}, or install the plugin that provides it",
        )
    return _load(name, known[name])


@cache
def all_platforms() -> tuple[PlatformPlugin, ...]:
    return tuple(get_platform(name) for name in sorted(registered()))


def find_validator(name: str) -> Validator | None:
    """A validator by name, whichever platform gives it."""
    return next((p.validators[name] for p in all_platforms() if name in p.validators), None)


def nornir_group(plugin: PlatformPlugin) -> dict[str, object]:
    """The Nornir inventory group of a platform: its transport, and the drivers its connections use."""
    connections: dict[str, object] = {}
    if plugin.napalm_driver:
        connections["napalm"] = {"platform": plugin.napalm_driver}
    if plugin.netmiko_type:
        connections["netmiko"] = {"platform": plugin.netmiko_type}
    group: dict[str, object] = {
        "platform": plugin.name,
        "data": {"config_format": plugin.name, "transport": plugin.transport},
    }
    if connections:
        group["connection_options"] = connections
    return group


def daemon_suites() -> dict[str, frozenset[str]]:
    return {suite: names for p in all_platforms() for suite, names in p.daemon_suites.items()}


def platform_of_kind(kind: str) -> str | None:
    return next((p.name for p in all_platforms() if kind in p.containerlab_kinds), None)


def default_platform(role: str) -> str | None:
    return next((p.name for p in all_platforms() if role in p.default_for_roles), None)


def is_router_image(image: str) -> bool:
    return any(p.router_image and re.search(p.router_image, image) for p in all_platforms())
