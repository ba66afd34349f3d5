"""EOS through netmiko (`arista_eos`) with a configuration session: the session takes hier_config's
remediation from the running configuration to the rendered one, line by line (the first `% ` error
aborts the session: nothing changes), and is committed with a timer (`configure session NAME commit
timer hh:mm:ss`, NAPALM's command): unless pilot confirms (`configure session NAME commit`, then `write
memory`) before the timer ends, EOS puts the previous configuration back. `configure session NAME abort`
reverts a pending commit at once.

A merge, not a replace (`rollback clean-config`): the rendered configuration is the part pilot owns
(templates/eos/platform.yml), without Management0, the users and the management API, which a replace
would remove. UNMANAGED lists what the diff leaves alone.

Not NAPALM's eos driver: over its ssh transport it sends the session's lines with netmiko's
send_config_set and no error pattern, so a refused line is skipped and the rest would be committed
(its eAPI transport does raise, but eAPI is a second service to open on every device). Sessions need
EOS >= 4.15.0F and commit timers over SSH >= 4.18.0F (NAPALM docs/support/eos.rst).
"""

from __future__ import annotations

import re
import time
from typing import Any

from pilot.platforms.transport import (
    PushRefused,
    SessionOptions,
    netmiko_connect,
    split_blocks,
    unmanaged_blocks,
)
from pilot.transport.ssh import Target

ERROR = re.compile(r"^% .*$", re.M)
HEADER = re.compile(r"^! (Command|device|boot system|Time):")
UNMANAGED = re.compile(
    r"^(interface (Management|Mgmt)|username |management |aaa |no aaa |enable (secret|password) |daemon |"
    r"transceiver |service routing protocols model |spanning-tree mode |ip name-server|dns domain|ip domain|"
    r"ntp |logging |snmp-server |clock |banner |event-handler |vrf instance (MGMT|mgmt|management)|"
    r"ip route vrf (MGMT|mgmt|management)|end$)"
)
MANAGEMENT = re.compile(r"^\s*vrf (forwarding )?(MGMT|mgmt|management)$")


_unmanaged = unmanaged_blocks(UNMANAGED, MANAGEMENT)


def comparable(config: str) -> str:
    """The part of a configuration pilot manages: without the header comments (command, device, boot
    image), the closing `end` and the UNMANAGED blocks."""
    lines = [line.rstrip() for line in config.splitlines() if not HEADER.match(line)]
    return split_blocks("\n".join(lines), _unmanaged)[0]


class EosSession:
    def __init__(self, target: Target, options: SessionOptions) -> None:
        self.options = options
        self.pending: str | None = None  # the session committed with a timer, not confirmed yet
        self.conn: Any = netmiko_connect(target, options, "arista_eos")
        self.prompt = re.escape(self.conn.base_prompt) + r"[^\n]*#\s*$"

    def running(self) -> str:
        text: str = self.conn.send_command("show running-config", read_timeout=self.options.timeout)
        lines = [line.rstrip() for line in text.splitlines() if not HEADER.match(line)]
        return "\n".join(lines).strip("\n") + "\n"

    def comparable(self, config: str) -> str:
        return comparable(config)

    def push(self, intended: str, changes: str) -> None:
        self._merge(changes, self.options.revert_in)

    def confirm(self) -> bool:
        if self.pending is None:
            return False
        self._check(self._send(f"configure session {self.pending} commit"), f"confirming session {self.pending}")
        self.pending = None
        self._send("write memory")
        return True

    def restore(self, backup: str, changes: str) -> None:
        if self.pending is not None:
            name, self.pending = self.pending, None
            self._check(self._send(f"configure session {name} abort"), f"reverting session {name}")
        elif changes.strip():
            self._merge(changes, None)
            self._send("write memory")

    def close(self) -> None:
        self.conn.disconnect()

    def _send(self, line: str) -> str:
        output: str = self.conn.send_command(
            line, expect_string=self.prompt, strip_prompt=False, read_timeout=self.options.timeout
        )
        return output

    def _check(self, output: str, what: str) -> None:
        error = ERROR.search(output)
        if error:
            raise PushRefused(f"{what} failed ({error.group(0).strip()})")

    def _merge(self, changes: str, revert_in: int | None) -> None:
        name = f"pilot-{time.strftime('%H%M%S')}-{time.monotonic_ns() % 1000:03d}"
        self._send(f"configure session {name}")
        try:
            for line in changes.splitlines():
                if not line.strip():
                    continue
                error = ERROR.search(self._send(line))
                if error:
                    raise PushRefused(
                        f"the device refused '{line.strip()}' ({error.group(0).strip()}); the session was aborted"
                    )
        except BaseException:
            self._send("abort")
            raise
        self._send("end")  # out of the session, uncommitted: committed from exec mode, as NAPALM does
        if revert_in is None:
            self._check(self._send(f"configure session {name} commit"), "commit")
            return
        timer = time.strftime("%H:%M:%S", time.gmtime(max(1, revert_in)))
        self._check(self._send(f"configure session {name} commit timer {timer}"), "commit timer")
        self.pending = name


def connect(target: Target, options: SessionOptions) -> EosSession:
    return EosSession(target, options)
