"""The rollout journal: every run, its devices, checks and progress, in an embedded SQLite file,
and the lock that keeps two runs off one inventory."""

from pilot.journal.db import Journal
from pilot.journal.lock import LockHolder, RunLock
from pilot.journal.model import (
    CHANGING_COMMANDS,
    COMMANDS,
    FINAL_STATES,
    INTERRUPTED,
    PUSH_STATES,
    RUNNING,
    Check,
    DeviceStage,
    Run,
    RunDevice,
)
from pilot.journal.redact import redact

__all__ = [
    "CHANGING_COMMANDS",
    "COMMANDS",
    "FINAL_STATES",
    "INTERRUPTED",
    "PUSH_STATES",
    "RUNNING",
    "Check",
    "DeviceStage",
    "Journal",
    "LockHolder",
    "Run",
    "RunDevice",
    "RunLock",
    "redact",
]
