"""VRP through netmiko (`huawei_vrpv8`, the VRP8 subclass of netmiko's `huawei` driver): a merge, since
VRP has no replace pilot can drive. The lines sent are hier_config's remediation from the running
configuration to the rendered one; each line's answer is read, and the first `Error:` discards the whole
candidate (`return`, then `n` to the question about uncommitted changes) before anything is committed.
The candidate becomes running configuration only at `commit`: VRP8's two-stage mode is what keeps a
refused push from leaving half a configuration (VRP5 immediate mode has no such stage: unsupported).

There is no revert timer on VRP (napalm-huawei-vrp has none either): a push is final once committed,
and `restore` merges the remediation from the running configuration back to the backup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pilot.platforms.transport import (
    PushRefused,
    SessionOptions,
    netmiko_connect,
    split_blocks,
)
from pilot.transport.ssh import Target

PROMPT = r"[\]>]\s*$"  # <name> in user view, [~name] / [*name] (uncommitted changes) in system view
QUESTION = r"\[Y\(yes\)/N\(no\)/C\(cancel\)\]:?\s*$"
ERROR = re.compile(r"^\s*Error:.*$", re.M)
# Top-level blocks pilot leaves as the device has them (the rendered configuration has none of them, and
# their remediation would undo the users, the remote access and the management interface).
UNMANAGED = re.compile(
    r"^(aaa|user-interface |stelnet |ssh |local-user |telnet |undo telnet |snmp-agent|info-center |clock |"
    r"license|set |lldp |ip vpn-instance __LOCAL_OAM_VPN__|ip route-static vpn-instance __LOCAL_OAM_VPN__|"
    r"interface (MEth|GigabitEthernet0/0/0$))"
)


def _unmanaged(block: Sequence[str]) -> bool:
    return bool(UNMANAGED.match(block[0])) or any("vpn-instance __LOCAL_OAM_VPN__" in line for line in block[1:])


class VrpSession:
    def __init__(self, target: Target, options: SessionOptions) -> None:
        self.options = options
        self.conn: Any = netmiko_connect(target, options, "huawei_vrpv8")

    def running(self) -> str:
        text: str = self.conn.send_command("display current-configuration", read_timeout=self.options.timeout)
        return _bare(text)

    def comparable(self, config: str) -> str:
        return comparable(config)

    def push(self, intended: str, changes: str) -> None:
        self._merge(changes)

    def confirm(self) -> bool:
        return False  # nothing pending: VRP commits for good

    def restore(self, backup: str, changes: str) -> None:
        if changes.strip():
            self._merge(changes)

    def close(self) -> None:
        self.conn.disconnect()

    def _send(self, line: str, expect: str = PROMPT) -> str:
        output: str = self.conn.send_command(
            line, expect_string=expect, strip_prompt=False, read_timeout=self.options.timeout
        )
        return output

    def _merge(self, changes: str) -> None:
        self._send("system-view")
        try:
            for line in changes.splitlines():
                if not line.strip():
                    continue
                error = ERROR.search(self._send(line))
                if error:
                    raise PushRefused(
                        f"the device refused '{line.strip()}' ({error.group(0).strip()}); nothing was committed"
                    )
            error = ERROR.search(self._send("commit"))
            if error:
                raise PushRefused(f"commit failed ({error.group(0).strip()}); nothing was committed")
        except BaseException:
            self._leave(commit=False)
            raise
        self._leave(commit=False)

    def _leave(self, commit: bool) -> None:
        """Back to user view; uncommitted changes (a refused push's) are discarded unless `commit`."""
        output = self._send("return", expect=f"{QUESTION}|>\\s*$")
        if re.search(QUESTION, output):
            self._send("y" if commit else "n", expect=r">\s*$")


def comparable(config: str) -> str:
    """The part of a configuration pilot manages (without the banner and the UNMANAGED blocks)."""
    return split_blocks(_bare(config), _unmanaged)[0]


def _bare(config: str) -> str:
    """Without the banner lines (`!Software Version`, `!Last configuration was updated`) and the closing
    `return`: hier_config's VRP driver keeps `return` as a line, and a remediation that sent it would
    leave system view in the middle of a push."""
    lines = [line.rstrip() for line in config.splitlines() if not line.startswith("!")]
    while lines and lines[-1].strip() in ("", "return"):
        lines.pop()
    return "\n".join(lines) + "\n"


def connect(target: Target, options: SessionOptions) -> VrpSession:
    return VrpSession(target, options)
