"""Junos through netmiko (`juniper_junos`), in the CLI: `configure private` (a candidate of pilot's own,
thrown away on exit), `load override terminal` with the whole rendered configuration (`delete` + `load
set terminal` when it is rendered as `set` lines), then `commit confirmed N comment "..."`: unless pilot
confirms with a plain commit within N minutes, Junos rolls back to the configuration before it.

NAPALM's junos driver (NETCONF, `commit confirmed` through `revert_in`) would be the first choice on
real devices; it is not used here because nothing in pilot's tests can serve NETCONF, and a transport
no test has run is not offered. A syntax error in the load throws the candidate away (`rollback 0`,
then leaving configuration mode) before any commit.
"""

from __future__ import annotations

import re
from typing import Any

from pilot.platforms.transport import PushRefused, SessionOptions, login_error, netmiko_args
from pilot.transport.ssh import Target

LOAD_PROMPT = r"\[Type \^D at a new line to end input\]"
ERROR = re.compile(r"^.*(syntax error|error:).*$", re.M | re.I)
REFUSED = re.compile(r"^\s*'(.+)'\s*$", re.M)  # the line a syntax error quotes


class JunosSession:
    def __init__(self, target: Target, options: SessionOptions) -> None:
        from netmiko import ConnectHandler

        self.options = options
        self.pending = False  # a commit confirmed not confirmed yet
        try:
            self.conn: Any = ConnectHandler(
                device_type="juniper_junos",
                host=target.host,
                username=target.username,
                password=target.password or "",
                **netmiko_args(target, options),
            )
        except Exception as exc:
            raise login_error(target, exc) from None
        self.prompt = re.escape(self.conn.base_prompt) + r"[>#] ?$"

    def running(self) -> str:
        text: str = self.conn.send_command("show configuration", read_timeout=self.options.timeout)
        return self.comparable(text)

    def comparable(self, config: str) -> str:
        """Without the `## Last commit` comment Junos prints above the configuration."""
        lines = [line.rstrip() for line in config.splitlines() if not line.startswith("## ")]
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines) + "\n"

    def push(self, intended: str, changes: str) -> None:
        minutes = min(65535, max(1, -(-self.options.revert_in // 60)))
        self._load_and_commit(intended, f"commit confirmed {minutes} comment {_quoted(self.options.comment)}")
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
            text = self.comparable(config)
            if all(line.startswith(("set ", "delete ", "#")) for line in text.splitlines() if line.strip()):
                if "[yes,no]" in self._send("delete", expect=r"\[yes,no\].*$|" + self.prompt):
                    self._send("yes")  # Delete everything under this level?
                self._send("load set terminal", expect=LOAD_PROMPT)
            else:
                self._send("load override terminal", expect=LOAD_PROMPT)
            self.conn.write_channel(text + "\x04")
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
