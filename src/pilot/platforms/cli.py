"""What the four CLI platforms (IOS-XE, Junos, EOS, VRP) share: their running configuration is text a
device prints, and the difference between two configurations is computed offline with hier_config.

The diff pilot shows, the lines a merge-only device (VRP) is sent and the lines that take it back are
all hier_config remediations: `remediation(running, intended)` gives the commands that turn `running`
into `intended`. A platform adds the idempotency rules its syntax needs, so that a changed value is one
replacement line (`description new`), never a `no`/`undo` of the old line followed by the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from hier_config import HConfig, MatchRule, Platform, WorkflowRemediation, get_hconfig, get_hconfig_driver
from hier_config.models import IdempotentCommandsRule
from hier_config.platforms.driver_base import HConfigDriverBase

# One idempotency rule: the lineage of match rules (one per level of the configuration's tree) whose
# line replaces any other line matching the same lineage.
Lineage = tuple[MatchRule, ...]


@dataclass(frozen=True)
class CliPlatform:
    """A CLI platform: its name, the hier_config platform that parses its configuration, and the
    idempotency rules pilot's templates need on top of hier_config's own."""

    name: str
    description: str
    hconfig_platform: Platform
    idempotent: Sequence[Lineage] = field(default=())

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name

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
