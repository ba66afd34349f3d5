"""Bundles the device agent is sent on the host's side, beyond a stage's: the backup to compare with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_bundle(backup: Mapping[str, Any], run: str) -> dict[str, Any]:
    """The backup as a bundle to compare against: the same files and services, no hooks to run (FRR's
    would compare the backup's frr.conf with the running configuration, which may rightly differ);
    the running configuration, when the backup has one, is captured to be compared on its own."""
    files = [dict(f, hook=None) for f in backup.get("files", [])]
    bundle = {
        "run": run,
        "node": backup.get("node"),
        "stage": "backup",
        "files": files,
        "services": dict(backup.get("services", {})),
        "reconnect": [],
        # The live state the backup recorded (interfaces, addresses, routes, what its sysctl and nftables
        # files had loaded) is compared as well.
        "expect": backup.get("expect"),
        "loaded": backup.get("loaded"),
    }
    if backup.get("frr_running") is not None:
        bundle["frr_running"] = True
    return bundle
