"""What a check is and what it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pilot.transport.result import Completed


@dataclass(frozen=True)
class CheckResult:
    name: str
    node: str
    expected: str
    observed: str
    passed: bool
    seconds: float
    skipped: bool = False
    attempts: int = 1


class Shell(Protocol):
    """Runs a command on a node (over SSH in pilot; a fake in unit tests)."""

    def run(self, node: str, command: str, timeout: float = 30.0) -> Completed: ...


# A probe looks once and says (passed, observed). The runner retries it until it passes or its time is
# up: networks converge (OSPF, BGP, RA, DHCP), and a fixed sleep is either too long or too short.
Probe = Callable[[Shell, str], tuple[bool, str]]  # (shell, the check's node) -> (passed, observed)


@dataclass(frozen=True)
class Check:
    name: str
    node: str
    expected: str
    probe: Probe
    timeout: float = 30.0  # how long convergence may take
    exclusive: bool = False  # injects traffic (rogue RA, rogue DHCPv6): runs after the ordinary checks
    skip: str | None = None  # why this check cannot run here (reported as skipped, not failed)
    needs: tuple[str, ...] = field(default=())  # other nodes the probe touches
