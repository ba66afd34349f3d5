"""Verification packs: real probes, per stage, on the network's own nodes."""

from pilot.verify.checks import build_pack, interior_routing
from pilot.verify.model import Check, CheckResult
from pilot.verify.runner import SshShell, run_pack

__all__ = ["Check", "CheckResult", "SshShell", "build_pack", "interior_routing", "run_pack"]
