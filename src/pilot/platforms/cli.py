"""What the four CLI platforms (IOS-XE, Junos, EOS, VRP) share: their running configuration is text a
device prints, and the difference between two configurations is computed offline with hier_config.

The diff pilot shows, the lines a merge-only device (VRP) is sent and the lines that take it back are
all hier_config remediations: `remediation(running, intended)` gives the commands that turn `running`
into `intended`. A platform adds the idempotency rules its syntax needs, so that a changed value is one
replacement line (`description new`), never a `no`/`undo` of the old line followed by the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hier_config import HConfig, MatchRule, Platform, WorkflowRemediation, get_hconfig, get_hconfig_driver
from hier_config.models import IdempotentCommandsRule
from hier_config.platforms.driver_base import HConfigDriverBase

from pilot.errors import PilotError
from pilot.platforms import Validator

if TYPE_CHECKING:
    from pilot.stages.model import Device
    from pilot.transport.ssh import Target
    from pilot.verify.model import Shell

# One idempotency rule: the lineage of match rules (one per level of the configuration's tree) whose
# line replaces any other line matching the same lineage.
Lineage = tuple[MatchRule, ...]


def _no_problems(text: str) -> list[str]:
    return []


def _no_stage(running: str) -> str | None:
    return None


@dataclass(frozen=True)
class CliPlatform:
    """A CLI platform: its name, the hier_config platform that parses its configuration, the idempotency
    rules pilot's templates need on top of hier_config's own, its drivers and containerlab kinds, its
    offline check of a rendered configuration and how it reads back the stage a configuration records."""

    name: str
    description: str
    hconfig_platform: Platform
    idempotent: Sequence[Lineage] = field(default=())
    napalm_driver: str | None = None
    netmiko_type: str | None = None
    containerlab_kinds: tuple[str, ...] = ()
    default_for_roles: tuple[str, ...] = ()  # a vendor node is known by its kind or its label
    router_image: str | None = None
    check: Callable[[str], list[str]] = _no_problems  # problems of a rendered configuration, one per line
    recorded_stage: Callable[[str], str | None] = _no_stage  # the stage marker of a running configuration
    probes: str | None = None  # the module whose PROBES are its routing probes, imported when a check asks
    transport: str = "cli"
    hooks: frozenset[str] = frozenset()  # the whole configuration is one transaction: nothing to run after
    daemon_suites: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def validators(self) -> Mapping[str, Validator]:
        """One validator named after the platform: its own offline check (platform.yml `validate:`)."""
        return {self.name: Validator(self.name, check=self.check)}

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name

    def expected_state(self, device: Device) -> dict[str, Any] | None:
        return None  # no device agent: the configuration is the device's whole state

    def fhs_drops(self, shell: Shell, node: str, guard: str) -> int | None:
        return None  # not read yet: the verification judges by what reached the hosts

    def routing_probes(self) -> object:
        if self.probes is None:
            raise PilotError(f"platform '{self.name}' gives no routing probes", fix="give its CliPlatform probes=")
        return import_module(self.probes).PROBES

    def last_applied(self, target: Target) -> str:
        """The stage marker of the device's running configuration (the loopback's description)."""
        from pilot.platforms.transport import SessionOptions, one_line, platform_connect

        try:
            session = platform_connect(self.name)(target, SessionOptions(timeout=15))
        except Exception as exc:  # any failure to reach it is an answer: unreachable, and why
            return f"unreachable ({one_line(exc)})"
        try:
            stage = self.recorded_stage(session.running())
        except Exception as exc:
            return f"no answer ({one_line(exc)})"
        finally:
            session.close()
        return stage if stage is not None else "nothing applied by pilot"

    def restored_differences(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
        """The running configuration after a rollback against the backup's, as remediation lines."""
        was, now = before.get("running"), after.get("running")
        if was is None or now is None:
            return []
        left = self.remediation(now, was).strip()
        return [f"{self.name} running configuration ({len(left.splitlines())} lines differ)"] if left else []

    @cached_property
    def driver(self) -> HConfigDriverBase:
        driver = get_hconfig_driver(self.hconfig_platform)
        for lineage in self.idempotent:
            driver.rules.idempotent_commands.append(IdempotentCommandsRule(match_rules=lineage))
        return driver

    def parse(self, config: str) -> HConfig:
        return get_hconfig(self.driver, config)

    def remediation(self, running: str, intended: str) -> str:
        """The commands that turn `running` into `intended`, as the device takes them (indented)."""
        workflow = WorkflowRemediation(self.parse(running), self.parse(intended))
        return "\n".join(workflow.remediation_config.dump_simple(sectional_exiting=True))

    def rollback(self, running: str, intended: str) -> str:
        """The commands that take the device from `intended` back to `running` (the backup)."""
        workflow = WorkflowRemediation(self.parse(running), self.parse(intended))
        return "\n".join(workflow.rollback_config.dump_simple(sectional_exiting=True))
