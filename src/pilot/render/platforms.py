"""Platform descriptors: templates/<platform>/platform.yml says, as data, what a platform can do
(its capability table) and which files it renders, when, where they go and how they are validated.

Adding Cisco IOS-XE, Junos, EOS or VRP is adding a folder with a platform.yml and its templates.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pilot import yamlsrc
from pilot.errors import PilotError
from pilot.platforms import get_platform
from pilot.resources import shipped

TEMPLATES_ENV = "PILOT_TEMPLATES"
_ETH = re.compile(r"^eth(\d+)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ArtifactDef(_Strict):
    name: str
    template: str
    path: str  # the file's place on the device; a Jinja expression when `foreach` is set
    when: str = "true"  # a Jinja expression over `device`
    foreach: str | None = None  # a Jinja expression giving a list; each element is `item`
    validator: str | None = Field(default=None, alias="validate")  # a validator (pilot.render.validate)
    owner: str = "root:root"
    mode: str = Field(default="0644", pattern=r"^0[0-7]{3}$")
    # What the device does when the file changes: a reload hook run by the device agent, and the service
    # that must be restarted to read it.
    # `reload`: the service reads the file again when told to (SIGHUP), without a restart.
    # The hooks a platform's transport knows are its plugin's (pilot.platforms): checked at load.
    hook: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    service: str | None = None


class ServiceDef(_Strict):
    name: str
    when: str = "true"
    # on-change: restarted when a file of it changes; reconnect: also whenever the device's stage changes
    # (a client asking DHCP again sees what the network offers now).
    restart: str = Field(default="on-change", pattern=r"^(on-change|reconnect)$")


class NamingDef(_Strict):
    """How the platform names interfaces: the topology's `ethN` (containerlab's names) becomes
    `interface` with {n} the number (e.g. "GigabitEthernet{n}", "ge-0/0/{n_minus_1}"); `loopback` is the
    loopback's name."""

    loopback: str = "lo"
    interface: str = "eth{n}"
    # A containerlab kind naming its ports otherwise (a Cat9kv switch beside c8000v routers): kind -> pattern.
    kinds: dict[str, str] = Field(default_factory=dict)


class CapabilityDef(_Strict):
    """A capability with what the table knows of it: since which OS version, where that is documented,
    whether it could be confirmed, and what the network does instead where the platform lacks it."""

    supported: bool
    since: str | None = None  # the minimum OS version, e.g. "IOS-XE 17.6"
    doc: str | None = None  # a documentation reference
    unconfirmed: bool = False  # not confirmed from vendor documentation: the render warns
    fallback: str | None = None  # lacking it is fine: what stands in (PREF64 -> RFC 7050 through DNS64)


class PlatformDef(_Strict):
    platform: str
    description: str
    # How pilot tests the platform: lab (real daemons in the namespace lab), simulated (its transport over
    # real SSH against simulated devices), golden (rendered files in the repository), round-trip (hier_config
    # remediations), parsers (its probes on recorded device output). Shown by `pilot platforms`.
    tested: list[Literal["lab", "simulated", "golden", "round-trip", "parsers"]] = Field(default_factory=list)
    naming: NamingDef = Field(default_factory=NamingDef)
    # What the platform can do on its own: true/false, or what the table knows (CapabilityDef).
    capabilities: dict[str, bool | CapabilityDef] = Field(default_factory=dict)
    # Daemons that run beside the platform, each with the capabilities it adds (isc-dhcp-relay, radvd).
    companions: dict[str, dict[str, bool]] = Field(default_factory=dict)
    # Who sends the Router Advertisements: a companion's name, or None for the platform itself.
    ra_daemon: str | None = None
    artifacts: list[ArtifactDef]
    services: list[ServiceDef] = Field(default_factory=list)


@dataclass(frozen=True)
class Platform:
    name: str
    directory: Path
    description: str
    capabilities: dict[str, bool]
    artifacts: tuple[ArtifactDef, ...]
    services: tuple[ServiceDef, ...] = field(default=())
    companions: dict[str, dict[str, bool]] = field(default_factory=dict)
    ra_daemon: str | None = None
    naming: NamingDef = field(default_factory=NamingDef)
    details: dict[str, CapabilityDef] = field(default_factory=dict)  # the capabilities given as mappings
    tested: tuple[str, ...] = ()

    def detail(self, capability: str) -> CapabilityDef:
        found = self.details.get(capability)
        return found if found is not None else CapabilityDef(supported=self.capabilities.get(capability, False))

    @property
    def loopback(self) -> str:
        return self.naming.loopback

    def ifname(self, topology_name: str, kind: str | None = None) -> str:
        """The platform's name of the topology's interface `ethN` (on a node of that containerlab kind);
        any other name is kept as it is."""
        m = _ETH.match(topology_name)
        if m is None:
            return topology_name
        pattern = self.naming.kinds.get(kind or "", self.naming.interface)
        return pattern.format(**_fields(int(m.group(1))))

    def can(self, capability: str) -> bool:
        """The platform can, on its own or through a daemon beside it (FRR 8.4 sends PREF64 with radvd)."""
        return self.provided_by(capability) is not None

    def provided_by(self, capability: str) -> str | None:
        """Who gives the platform a capability: its own name, a companion's, or None when nobody does."""
        if self.capabilities.get(capability, False):
            return self.name
        return next((name for name, adds in self.companions.items() if adds.get(capability, False)), None)


def _fields(n: int) -> dict[str, int]:
    """What a naming pattern may use: {n} (ethN's number), {n_minus_1}, {n_plus_1}, and for ports in
    groups of four (Cisco IOL: eth1 -> Ethernet0/1, eth4 -> Ethernet1/0) {slot4} and {port4}."""
    return {"n": n, "n_minus_1": n - 1, "n_plus_1": n + 1, "slot4": n // 4, "port4": n % 4}


def templates_dir(explicit: Path | None = None) -> Path:
    """--templates, else $PILOT_TEMPLATES, else ./templates, else the templates installed with pilot.

    A directory given explicitly (--templates, $PILOT_TEMPLATES) must hold templates: it is never
    skipped silently for another one.
    """
    from_env = Path(os.environ[TEMPLATES_ENV]) if os.environ.get(TEMPLATES_ENV) else None
    for given, what in ((explicit, "--templates"), (from_env, f"${TEMPLATES_ENV}")):
        if given is not None:
            if not any(given.glob("*/platform.yml")):
                raise PilotError(
                    f"{what} {given}: no templates there (no <platform>/platform.yml)",
                    fix="point it at a templates directory, e.g. the repository's templates/",
                )
            return given
    for candidate in (Path("templates"), shipped("templates")):
        if any(candidate.glob("*/platform.yml")):
            return candidate
    raise PilotError("no templates directory found", fix="pass --templates DIR, or reinstall pilot")


@cache
def load_platform(directory: Path, name: str) -> Platform:
    path = directory / name / "platform.yml"
    if not path.exists():
        known = sorted(p.parent.name for p in directory.glob("*/platform.yml"))
        raise PilotError(
            f"no templates for platform '{name}' in {directory}", fix=f"use one of: {', '.join(known)}, or add {path}"
        )
    src = yamlsrc.load(path, what="platform descriptor")
    d = yamlsrc.validate(src, PlatformDef)
    if d.platform != name:
        raise src.error(("platform",), f"platform '{d.platform}' in the folder of '{name}'", f"write platform: {name}")
    if d.ra_daemon is not None and d.ra_daemon not in d.companions:
        raise src.error(
            ("ra_daemon",),
            f"ra_daemon '{d.ra_daemon}' is not one of the platform's companions",
            "list it under companions, or remove ra_daemon (the platform sends its RAs itself)",
        )
    for where, pattern in [(("naming", "interface"), d.naming.interface)] + [
        (("naming", "kinds", kind), p) for kind, p in d.naming.kinds.items()
    ]:
        try:
            pattern.format(**_fields(1))
        except (KeyError, IndexError, ValueError) as exc:
            raise src.error(
                where,
                f"interface naming {pattern!r} cannot be filled ({type(exc).__name__}: {exc})",
                "use {n} (the topology's ethN number), {n_minus_1}, {n_plus_1}, {slot4}/{port4}, "
                "e.g. GigabitEthernet{n} or ge-0/0/{n_minus_1}",
            ) from None
    plugin = get_platform(name)
    for n, artifact in enumerate(d.artifacts):
        if artifact.hook is not None and artifact.hook not in plugin.hooks:
            raise src.error(
                ("artifacts", n, "hook"),
                f"platform {name} has no hook '{artifact.hook}'",
                f"use one of: {', '.join(sorted(plugin.hooks)) or 'none (remove hook)'}",
            )
        if artifact.validator is not None and artifact.validator not in plugin.validators:
            raise src.error(
                ("artifacts", n, "validate"),
                f"platform {name} has no validator '{artifact.validator}'",
                f"use one of: {', '.join(sorted(plugin.validators)) or 'none (remove validate)'}",
            )
        if not (directory / name / artifact.template).exists():
            raise src.error(
                ("artifacts", n, "template"),
                f"template {artifact.template} does not exist",
                f"add {directory / name / artifact.template}",
            )
    return Platform(
        d.platform,
        directory / name,
        d.description,
        {k: v if isinstance(v, bool) else v.supported for k, v in d.capabilities.items()},
        tuple(d.artifacts),
        tuple(d.services),
        {k: dict(v) for k, v in d.companions.items()},
        d.ra_daemon,
        d.naming,
        {k: v for k, v in d.capabilities.items() if isinstance(v, CapabilityDef)},
        tuple(d.tested),
    )
