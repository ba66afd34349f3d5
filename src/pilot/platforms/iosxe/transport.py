"""IOS-XE through NAPALM's `ios` driver (netmiko underneath): the rendered configuration replaces the
running one (`configure replace <file> force revert trigger error timer N`), and the device puts its
old configuration back by itself if a line fails or if pilot does not confirm (`configure confirm`)
before the timer ends.

The candidate reaches flash by `inline_transfer` (tclsh `puts`), not SCP: it needs no `ip scp server
enable` and no second channel. The device needs the `archive` feature (` path flash:archive`) for the
revert timer, as NAPALM says when it is missing. NAPALM counts the timer in whole minutes (1 to 120).
"""

from __future__ import annotations

import re
from typing import Any

from pilot.platforms.transport import (
    PushRefused,
    SessionOptions,
    login_error,
    netmiko_args,
    split_blocks,
    unmanaged_blocks,
)
from pilot.transport.ssh import Target

FILE_SYSTEM = "flash:"

# Top-level blocks pilot leaves as the device has them: the rendered configuration has none of them, and
# a replace without them would lock pilot out (users, vty lines, SSH, the management VRF and interface)
# or break the revert timer itself (archive). Kept from the running configuration in every candidate.
UNMANAGED = re.compile(
    r"^(version |boot|license |platform |service |no service |username |enable (secret|password) |aaa |line |"
    r"ip ssh |ip domain|ip scp |crypto |archive|vrf definition \S*[Mm]gmt|ip route vrf \S*[Mm]gmt|ip http |"
    r"memory |call-home|logging |ntp |snmp-server |control-plane|redundancy|diagnostic |subscriber |multilink |"
    r"login |netconf|restconf|ip forward-protocol|end$)"
)
MANAGEMENT = re.compile(r"^\s*vrf forwarding \S*[Mm]gmt|^interface (Management|mgmt)")


_unmanaged = unmanaged_blocks(UNMANAGED, MANAGEMENT)


class IosxeSession:
    def __init__(self, target: Target, options: SessionOptions) -> None:
        from napalm import get_network_driver

        self.options = options
        optional_args: dict[str, Any] = netmiko_args(target, options)
        optional_args.update(inline_transfer=True, dest_file_system=FILE_SYSTEM)
        driver_class = get_network_driver("ios")
        self.driver = driver_class(
            target.host, target.username, target.password or "", timeout=options.timeout, optional_args=optional_args
        )
        try:
            self.driver.open()
        except Exception as exc:
            raise login_error(target, exc) from None

    def running(self) -> str:
        text: str = self.driver.get_config(retrieve="running")["running"]
        return text.strip("\n") + "\n"

    def comparable(self, config: str) -> str:
        return comparable(config)

    def push(self, intended: str, changes: str) -> None:
        kept = split_blocks(self.running(), _unmanaged)[1]
        candidate = kept + split_blocks(intended, _unmanaged)[0]
        self._replace(candidate, revert_in=_minutes(self.options.revert_in) * 60)

    def confirm(self) -> bool:
        if not self.driver.has_pending_commit():
            return False
        self.driver.confirm_commit()
        return True

    def restore(self, backup: str, changes: str) -> None:
        if self.driver.has_pending_commit():
            self.driver.rollback()  # configure revert now: the configuration before the pending replace
        elif changes.strip():
            self._replace(backup, revert_in=None)

    def close(self) -> None:
        self.driver.close()

    def _replace(self, config: str, revert_in: int | None) -> None:
        candidate = _replace_file(config)
        try:
            self.driver.load_replace_candidate(config=candidate)
        except Exception as exc:
            raise PushRefused(f"the candidate could not be written to {FILE_SYSTEM}: {_gist(str(exc))}") from None
        if not self.driver.compare_config():
            return  # the device finds nothing to change
        try:
            self.driver.commit_config(revert_in=revert_in)
        except Exception as exc:
            raise PushRefused(_refusal(str(exc), candidate)) from None


def comparable(config: str) -> str:
    """The part of a configuration pilot manages (without the UNMANAGED blocks)."""
    return split_blocks(config, _unmanaged)[0]


def _minutes(seconds: int) -> int:
    """NAPALM's ios driver takes whole minutes between 1 and 120."""
    return min(120, max(1, -(-seconds // 60)))


def _replace_file(config: str) -> str:
    """A replace file ends with `end` (IOS reads to there); pilot's render may leave it out."""
    lines = config.rstrip("\n").splitlines()
    if not lines or lines[-1].strip() != "end":
        lines.append("end")
    return "\n".join(lines) + "\n"


def _refusal(output: str, candidate: str) -> str:
    """One line from `configure replace`'s output: the candidate's lines the device echoed as failed,
    its error, and whether it restored its configuration (revert trigger error)."""
    said = {line.strip() for line in output.splitlines()}
    refused = [line.strip() for line in candidate.splitlines() if len(line.strip()) > 3 and line.strip() in said]
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith("%")]
    text = "the device refused the configuration"
    if refused:
        text += f": {'; '.join(refused[:3])}" + (f" (+{len(refused) - 3} more)" if len(refused) > 3 else "")
    if errors:
        text += f" ({errors[0]})"
    if re.search(r"original configuration has been successfully restored", output):
        text += "; it restored its previous configuration"
    return text


def _gist(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "failed")


def connect(target: Target, options: SessionOptions) -> IosxeSession:
    return IosxeSession(target, options)
