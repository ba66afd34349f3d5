"""Junos through netmiko (`juniper_junos`), in the CLI: `configure private` (a candidate of pilot's own,
thrown away on exit), `load override terminal` with the rendered configuration in the brace form
(templates/junos/config.j2) plus the running configuration's UNMANAGED statements, then `commit
confirmed N comment "..."`: unless pilot confirms with a plain commit within N minutes, Junos rolls back
to the configuration before it. The diff is hier_config's (its Junos driver reads the brace form).

NAPALM's junos driver (NETCONF, `commit confirmed` through `revert_in`) would be the first choice on
real devices; it is not used here because nothing in pilot's tests can serve NETCONF, and a transport
no test has run is not offered. A syntax error in the load throws the candidate away (`rollback 0`,
then leaving configuration mode) before any commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pilot.platforms.transport import PushRefused, SessionOptions, netmiko_connect
from pilot.transport.ssh import Target

LOAD_PROMPT = r"\[Type \^D at a new line to end input\]"
ERROR = re.compile(r"^.*(syntax error|error:).*$", re.M | re.I)
REFUSED = re.compile(r"^\s*'(.+)'\s*$", re.M)  # the line a syntax error quotes
# Statements pilot leaves as the device has them (by their path of statement names): the rendered
# configuration has none of them, and a `load override` without them would lock pilot out (users, SSH,
# the management interface and instance). Kept from the running configuration in every candidate.
UNMANAGED: tuple[tuple[str, ...], ...] = (
    ("version",),
    ("system", "login"),
    ("system", "root-authentication"),
    ("system", "services"),
    ("system", "syslog"),
    ("system", "management-instance"),
    ("system", "ntp"),
    ("chassis",),
    ("snmp",),
    ("interfaces", "fxp0"),
    ("interfaces", "em0"),
    ("interfaces", "re0:mgmt-0"),
    ("routing-instances", "mgmt_junos"),
)


@dataclass
class Statement:
    """One statement of Junos' brace form: `head;` (children None) or `head { ... }`."""

    head: str
    children: list[Statement] | None = field(default=None)

    @property
    def name(self) -> str:
        return self.head.removeprefix("inactive: ").split()[0].rstrip(";")


def parse(config: str) -> list[Statement]:
    """The brace form as statements; comments (`#`, `/* */` on their own lines) are left out."""
    root: list[Statement] = []
    stack = [root]
    for raw in config.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "/*", "*")):
            continue
        if line == "}":
            if len(stack) > 1:
                stack.pop()
        elif line.endswith("{"):
            statement = Statement(line[:-1].strip(), [])
            stack[-1].append(statement)
            assert statement.children is not None
            stack.append(statement.children)
        else:
            stack[-1].append(Statement(line))
    return root


def render(statements: list[Statement], depth: int = 0) -> list[str]:
    out = []
    for s in statements:
        if s.children is None:
            out.append("    " * depth + s.head)
        else:
            out += ["    " * depth + s.head + " {", *render(s.children, depth + 1), "    " * depth + "}"]
    return out


def _take(statements: list[Statement], path: tuple[str, ...]) -> list[Statement]:
    """Remove and return the statements at `path`."""
    if len(path) == 1:
        taken = [s for s in statements if s.name == path[0]]
        statements[:] = [s for s in statements if s.name != path[0]]
        return taken
    return [t for s in statements if s.name == path[0] and s.children is not None for t in _take(s.children, path[1:])]


def _put(statements: list[Statement], path: tuple[str, ...], taken: list[Statement]) -> None:
    """Add `taken` under `path` (its last name is theirs), creating the enclosing statements."""
    if len(path) == 1:
        statements[:] = [s for s in statements if s.name != path[0]] + taken
        return
    parent = next((s for s in statements if s.name == path[0] and s.children is not None), None)
    if parent is None:
        parent = Statement(path[0], [])
        statements.append(parent)
    assert parent.children is not None
    _put(parent.children, path[1:], taken)


def comparable(config: str) -> str:
    """The part of a configuration pilot manages: without comments and the UNMANAGED statements."""
    statements = parse(config)
    for path in UNMANAGED:
        _take(statements, path)
    return "\n".join(render(statements)) + "\n"


def candidate(intended: str, running: str) -> str:
    """The rendered configuration with the running configuration's UNMANAGED statements."""
    wanted, now = parse(intended), parse(running)
    for path in UNMANAGED:
        kept = _take(now, path)
        _take(wanted, path)
        if kept:
            _put(wanted, path, kept)
    return "\n".join(render(wanted)) + "\n"


class JunosSession:
    def __init__(self, target: Target, options: SessionOptions) -> None:
        self.options = options
        self.pending = False  # a commit confirmed not confirmed yet
        self.conn: Any = netmiko_connect(target, options, "juniper_junos")
        self.prompt = re.escape(self.conn.base_prompt) + r"[>#] ?$"

    def running(self) -> str:
        """Without the `## Last commit` comment Junos prints above the configuration."""
        text: str = self.conn.send_command("show configuration", read_timeout=self.options.timeout)
        lines = [line.rstrip() for line in text.splitlines() if not line.startswith("## ")]
        return "\n".join(lines).strip("\n") + "\n"

    def comparable(self, config: str) -> str:
        return comparable(config)

    def push(self, intended: str, changes: str) -> None:
        minutes = min(65535, max(1, -(-self.options.revert_in // 60)))
        text = candidate(intended, self.running())
        self._load_and_commit(text, f"commit confirmed {minutes} comment {_quoted(self.options.comment)}")
        self.pending = True

    def confirm(self) -> bool:
        if not self.pending:
            return False
        self.conn.config_mode(config_command="configure private")
        try:
            self._commit(f"commit comment {_quoted(self.options.comment + ': confirmed')}")
        finally:
            self.conn.exit_config_mode()
        self.pending = False
        return True

    def restore(self, backup: str, changes: str) -> None:
        if self.pending or changes.strip():
            # A plain commit of the backup also ends a pending commit confirmed.
            self._load_and_commit(backup, f"commit comment {_quoted(self.options.comment + ': restored')}")
        self.pending = False

    def close(self) -> None:
        self.conn.disconnect()

    def _send(self, line: str, expect: str | None = None) -> str:
        output: str = self.conn.send_command(
            line, expect_string=expect or self.prompt, strip_prompt=False, read_timeout=self.options.timeout
        )
        return output

    def _load_and_commit(self, config: str, commit: str) -> None:
        self.conn.config_mode(config_command="configure private")
        try:
            self._send("load override terminal", expect=LOAD_PROMPT)
            self.conn.write_channel(config + "\x04")
            output: str = self.conn.read_until_pattern(pattern=self.prompt, read_timeout=self.options.timeout)
            error = ERROR.search(output)
            if error:
                refused = REFUSED.search(output)
                said = refused.group(1) if refused else error.group(0).strip()
                self._send("rollback 0")
                raise PushRefused(f"the device refused '{said}' ({error.group(0).strip()}); nothing was committed")
            self._commit(commit)
        finally:
            self.conn.exit_config_mode()

    def _commit(self, command: str) -> None:
        output = self._send(command)
        if "commit complete" not in output:
            error = ERROR.search(output)
            self._send("rollback 0")
            raise PushRefused(f"commit failed ({error.group(0).strip() if error else 'no commit complete'})")


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def connect(target: Target, options: SessionOptions) -> JunosSession:
    return JunosSession(target, options)
