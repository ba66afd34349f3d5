"""Offline checks of a rendered Junos configuration (the brace form), and the stage it records.

Cheap and pure Python: no device, no Junos grammar. It finds what a template slip produces: braces that
do not balance, indentation that does not follow the nesting (hier_config's Junos driver reads the tree
from the indentation alone, four spaces a level), a statement without its `;`, an odd number of quotes,
a tab, trailing space or non-ASCII character, an address or prefix that does not parse (or sits in the
other family), an interface, policy, prefix list or VLAN referred to but not defined, and a missing
stage marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_interface, ip_network

INDENT = 4
MARKER = re.compile(r"^pilot stage=(\S+)$")
_SET_MARKER = re.compile(r'^set interfaces lo0 unit 0 description (?:"pilot stage=(\S+)"|pilot stage=(\S+))$')
_TAB, _TRAILING, _NON_ASCII = (
    "a tab (Junos prints spaces)",
    "trailing white space",
    "a character outside ASCII (the platform takes ASCII only)",
)
_CHARACTERS = (_TAB, _TRAILING, _NON_ASCII)
_REF_INTERFACE = re.compile(r"^interface (\S+)$")
_POLICY_REF = re.compile(r"^(?:export|import) (?:\[ (.+) \]|(\S+))$")


@dataclass(frozen=True)
class Statement:
    line: int  # 1-based
    path: tuple[str, ...]  # the headers of the blocks around it
    text: str  # without its `;` or `{`
    block: bool  # it opens a block


@dataclass(frozen=True)
class Parsed:
    statements: tuple[Statement, ...]
    problems: tuple[str, ...]  # every problem: the layout's and the characters'
    layout: tuple[str, ...]  # braces, indentation, terminators, quotes: what hier_config would misread


def _layout(problem: str) -> bool:
    return not problem.endswith(_CHARACTERS)


def parse(text: str, utf8: bool = False) -> Parsed:
    """The statements of a brace-form configuration, and what is wrong with its form."""
    statements: list[Statement] = []
    problems: list[str] = []
    path: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"line {number}"
        if "\t" in raw:
            problems.append(f"{where}: {_TAB}")
        if raw != raw.rstrip():
            problems.append(f"{where}: {_TRAILING}")
        if not utf8 and not raw.isascii():
            problems.append(f"{where}: {_NON_ASCII}")
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or (stripped.startswith("/*") and stripped.endswith("*/")):
            continue
        if not path and stripped.startswith(("set ", "delete ")):
            continue  # `display set` form (a remediation): a statement per line, nothing to nest
        indent = len(raw) - len(raw.lstrip(" "))
        depth = len(path) - 1 if stripped == "}" else len(path)
        if indent != INDENT * max(depth, 0):
            problems.append(f"{where}: indented {indent} spaces, {INDENT * max(depth, 0)} expected at its depth")
        if not _quotes_close(stripped):
            problems.append(f"{where}: an unclosed quote")
        if stripped == "}":
            if not path:
                problems.append(f"{where}: a closing brace without its block")
            else:
                path.pop()
        elif stripped.endswith("{"):
            header = stripped[:-1].rstrip()
            statements.append(Statement(number, tuple(path), header, True))
            path.append(header)
        elif stripped.endswith(";"):
            statements.append(Statement(number, tuple(path), stripped[:-1].rstrip(), False))
        else:
            problems.append(f"{where}: a statement without `;` (or a block without `{{`)")
    if path:
        problems.append(f"end of file: {len(path)} block(s) not closed ({' > '.join(path)})")
    return Parsed(tuple(statements), tuple(problems), tuple(p for p in problems if _layout(p)))


def _quotes_close(line: str) -> bool:
    """Every quoted string on the line ends (a backslash inside one escapes the next character)."""
    inside = escaped = False
    for ch in line:
        if escaped:
            escaped = False
        elif inside and ch == "\\":
            escaped = True
        elif ch == '"':
            inside = not inside
    return not inside


def unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def recorded_stage(running: str) -> str | None:
    """The stage pilot recorded on the device: lo0 unit 0's description `pilot stage=<stage>`, read from
    `show configuration` (braces) or `show configuration | display set`."""
    for line in running.splitlines():
        found = _SET_MARKER.match(line.strip())
        if found:
            return found.group(1) or found.group(2)
    for s in parse(running, utf8=True).statements:
        if s.path == ("interfaces", "lo0", "unit 0") and s.text.startswith("description "):
            found = MARKER.match(unquote(s.text.removeprefix("description ")))
            if found:
                return found.group(1)
    return None


def check(text: str, utf8: bool = False) -> list[str]:
    """Problems of a rendered Junos configuration, one line each; [] when none is found."""
    parsed = parse(text, utf8)
    problems = list(parsed.problems)
    statements = parsed.statements
    problems += _addresses(statements)
    problems += _references(statements)
    if recorded_stage(text) is None:
        problems.append('no stage marker: interfaces lo0 unit 0 description "pilot stage=<stage>"')
    return problems


def _family(path: tuple[str, ...]) -> int | None:
    if "family inet" in path:
        return 4
    if "family inet6" in path:
        return 6
    return None


def _addresses(statements: tuple[Statement, ...]) -> Iterator[str]:
    for s in statements:
        words = s.text.split()
        value, kind, family = None, "", _family(s.path)
        if words[0] == "address" and len(words) == 2 and family is not None:
            value, kind = words[1], "address"
        elif words[0] in ("route", "route-filter") and len(words) >= 2:
            value, kind = words[1], "prefix"
        elif len(s.path) == 2 and s.path[0] == "policy-options" and s.path[1].startswith("prefix-list "):
            value, kind = words[0], "prefix"
        if value is None:
            continue
        try:
            parsed = ip_interface(value) if kind == "address" else ip_network(value)
        except ValueError as exc:
            yield f"line {s.line}: {kind} {value}: {exc}"
            continue
        if "/" not in value:
            yield f"line {s.line}: {kind} {value} has no prefix length"
        elif family is not None and parsed.version != family:
            yield f"line {s.line}: IPv{parsed.version} {kind} {value} under family inet{'6' if family == 6 else ''}"


def _references(statements: tuple[Statement, ...]) -> Iterator[str]:
    units = {
        f"{s.path[1]}.{s.text.split()[1]}"
        for s in statements
        if len(s.path) == 2 and s.path[0] == "interfaces" and s.text.startswith("unit ")
    }
    policies = {
        s.text.split()[1]
        for s in statements
        if s.path == ("policy-options",) and s.text.startswith("policy-statement ")
    }
    prefix_lists = {
        s.text.split()[1] for s in statements if s.path == ("policy-options",) and s.text.startswith("prefix-list ")
    }
    vlans = {s.text for s in statements if s.path == ("vlans",) and s.block}
    for s in statements:
        top = s.path[0] if s.path else ""
        interface = _REF_INTERFACE.match(s.text)
        if interface and top in ("protocols", "forwarding-options", "vlans") and interface.group(1) not in units:
            yield f"line {s.line}: interface {interface.group(1)} is not defined under interfaces"
        policy = _POLICY_REF.match(s.text)
        if policy and top in ("protocols",):
            for name in (policy.group(1) or policy.group(2)).split():
                if name not in policies:
                    yield f"line {s.line}: policy-statement {name} is not defined under policy-options"
        if s.text.startswith("prefix-list ") and top == "policy-options" and len(s.path) > 1:
            name = s.text.split()[1]
            if name not in prefix_lists:
                yield f"line {s.line}: prefix-list {name} is not defined under policy-options"
        if s.text.startswith("members ") and top == "interfaces":
            names = s.text.removeprefix("members ").strip("[] ").split()
            for name in names:
                if name not in vlans:
                    yield f"line {s.line}: VLAN {name} is not defined under vlans"
