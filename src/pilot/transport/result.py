"""What a command run anywhere (a lab node, a device over SSH, a local tool) gives back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
