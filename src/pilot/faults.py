"""Fault injection for the integration tests: PILOT_FAULT=<step> SIGKILLs this pilot process when it
reaches that step, to prove that a crash anywhere leaves nothing behind that pilot cannot clean up or
tell the truth about.

Steps: up:recorded, up:spawned, up:wired, up:booted, down:recorded, down:killing (the lab);
apply:inspected (backups taken, nothing pushed), push:detached (a router's transaction has just
started on the device, pilot dies while it runs).
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "PILOT_FAULT"


def armed(step: str) -> bool:
    return os.environ.get(FAULT_ENV) == step


def checkpoint(step: str) -> None:
    if armed(step):
        os.kill(os.getpid(), signal.SIGKILL)
