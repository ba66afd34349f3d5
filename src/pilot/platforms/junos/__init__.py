"""Juniper Junos: the configuration in the brace form `show configuration` prints and `load override`
takes, compared with hier_config's Junos driver.

hier_config's Junos support is experimental, and falls short in ways this module makes up for:
- its preprocessor turns every line that is not a brace into a `set` line, comments included: the
  `## Last commit: ...` header of `show configuration` would become `set ## Last commit ...`, a line to
  `delete` on every diff. `parse` drops comments (`#` lines, `/* ... */` annotations) and the `version`
  statement (Junos writes it itself; pilot's file has none) before hier_config sees the text;
- it flattens everything to `set` lines at one level, so its built-in idempotency rules (which match a
  tree of `interface` / `description` lines) never apply: every changed value would be a `delete` of
  the old line and a `set` of the new one. IDEMPOTENT below keys each single-valued Junos statement on
  its path, so a changed value is one `set` line (Junos replaces a single value on `set`);
- it negates leaf by leaf: `delete ... neighbor X peer-as 64501`, `delete ... neighbor X description ...`
  leave `neighbor X;` behind (a BGP neighbor without peer-as: the commit fails), and deleting the last
  address of `family inet6` leaves `family inet6;` (IPv6 still on). `remediation` deletes instead the
  shortest statement path no intended line lies under (`delete protocols bgp group G neighbor X`,
  `delete interfaces ge-0/0/0 unit 0 family inet6`, `delete protocols ospf3`), which is what
  `load override` of the intended file does;
- it reads the nesting from the indentation alone and silently drops a block written on one line, or
  files a two-space-indented statement under the wrong parent: `parse` refuses such text instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hier_config import HConfig, MatchRule, Platform, get_hconfig

from pilot.errors import PilotError
from pilot.platforms.cli import CliPlatform, Lineage
from pilot.platforms.junos.check import check, recorded_stage
from pilot.platforms.junos.check import parse as parse_layout

__all__ = [
    "IDEMPOTENT",
    "PLATFORM",
    "JunosPlatform",
    "check",
    "plugin",
    "recorded_stage",
    "whole_deletes",
    "without_comments",
]

_ANNOTATION = re.compile(r"/\*.*?\*/", re.DOTALL)
_COMMENT_LINE = re.compile(r"^\s*#.*$", re.MULTILINE)
_VERSION = re.compile(r"^version \S+;?\s*$", re.MULTILINE)


def without_comments(config: str) -> str:
    """The configuration without what hier_config's Junos preprocessor would take for statements."""
    return _VERSION.sub("", _COMMENT_LINE.sub("", _ANNOTATION.sub("", config)))


def _statement(path: str, leaf: str) -> Lineage:
    """A single-valued statement at `path` (a regex over the `set` line, its captures the statement's
    place): any value replaces any other. hier_config strips `delete ` but not `set ` before matching."""
    return (MatchRule(re_search=rf"^(?:set )?{path} {leaf} "),)


_IFACE = r"(interfaces \S+)"
_IFL = r"(interfaces \S+ unit \d+)"
_OSPF_IF = r"(protocols ospf3? area \S+ interface \S+)"
_RA_IF = r"(protocols router-advertisement interface \S+)"
_NEIGHBOR = r"(protocols bgp group \S+ neighbor \S+)"

IDEMPOTENT: Sequence[Lineage] = (
    _statement(r"(system)", "host-name"),
    _statement(_IFACE, "description"),
    _statement(_IFL, "description"),  # the stage marker on lo0.0 among them
    _statement(r"(routing-options)", "router-id"),
    _statement(r"(routing-options)", "autonomous-system"),
    _statement(_OSPF_IF, "hello-interval"),
    _statement(_OSPF_IF, "dead-interval"),
    _statement(_OSPF_IF, "retransmit-interval"),
    _statement(_OSPF_IF, "interface-type"),
    _statement(r"(protocols ospf3?)", "export"),
    _statement(_NEIGHBOR, "description"),
    _statement(_NEIGHBOR, "peer-as"),
    _statement(_NEIGHBOR, "export"),
    _statement(_NEIGHBOR, "import"),
    _statement(_RA_IF, "max-advertisement-interval"),
    _statement(_RA_IF, "min-advertisement-interval"),
    _statement(_RA_IF, "default-lifetime"),
    _statement(rf"({_RA_IF[1:-1]} (?:dns-server-address|dns-search-list|nat-prefix|prefix) \S+)", "lifetime"),
    _statement(r"(vlans \S+)", "description"),
    _statement(r"(vlans \S+)", "vlan-id"),
    _statement(r"(forwarding-options dhcp-relay(?: dhcpv6)?)", "active-server-group"),
)


_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')  # a word of a `set` line; a quoted string is one word


def words(line: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(line))


def whole_deletes(remediation: Sequence[str], intended: Sequence[str]) -> list[str]:
    """`remediation` with each `delete` cut to the shortest path that no intended `set` line lies under:
    the statement that goes, whole, instead of its leaves one by one (duplicates dropped, order kept)."""
    kept = {w[:n] for line in intended for w in [words(line.removeprefix("set "))] for n in range(1, len(w) + 1)}
    out: list[str] = []
    for line in remediation:
        if line.startswith("delete "):
            path = words(line.removeprefix("delete "))
            cut = next((path[:n] for n in range(1, len(path) + 1) if path[:n] not in kept), path)
            line = "delete " + " ".join(cut)
        if line not in out:
            out.append(line)
    return out


class JunosPlatform(CliPlatform):
    """CliPlatform with comments and `version` removed before hier_config parses the text, and whole
    statements deleted rather than their leaves."""

    def parse(self, config: str) -> HConfig:
        """hier_config's tree of `config`, refused (PilotError) where its layout would be misread: the
        driver reads nesting from the indentation alone (four spaces a level) and silently drops a block
        written on one line (`ge-0/0/0 { unit 0; }`)."""
        layout = parse_layout(config, utf8=True).layout
        if layout:
            more = f" (and {len(layout) - 1} more)" if len(layout) > 1 else ""
            raise PilotError(
                f"Junos configuration: {layout[0]}{more}",
                fix="give it as `show configuration` prints it (four spaces a level, a statement a line)",
            )
        return get_hconfig(self.driver, without_comments(config))

    def set_lines(self, config: str) -> list[str]:
        """The configuration as hier_config's `set` lines."""
        return [child.text for child in self.parse(config).all_children_sorted()]

    def remediation(self, running: str, intended: str) -> str:
        return "\n".join(whole_deletes(super().remediation(running, intended).splitlines(), self.set_lines(intended)))

    def rollback(self, running: str, intended: str) -> str:
        """The commands that take the device from `intended` back to `running`."""
        return self.remediation(intended, running)


PLATFORM = JunosPlatform(
    "junos",
    "Juniper Junos (vJunos-router; EX/vJunos-switch syntax for the access switch)",
    Platform.JUNIPER_JUNOS,
    idempotent=IDEMPOTENT,
    napalm_driver="junos",
    netmiko_type="juniper_junos",
    probes="pilot.platforms.junos.probes",
    containerlab_kinds=(
        "juniper_vjunosrouter",
        "juniper_vjunosswitch",
        "juniper_vmx",
        "juniper_vsrx",
        "juniper_crpd",
    ),
    check=check,
    recorded_stage=recorded_stage,
)


def plugin() -> CliPlatform:
    return PLATFORM
