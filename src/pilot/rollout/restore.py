"""After a rollback: is every device really back as it was? Each device is compared with the backup it
gave before the run: its files, which of its services run, and for FRR its running configuration."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pilot.rollout.inventory import Host
from pilot.verify import CheckResult

if TYPE_CHECKING:
    from pilot.rollout.engine import Rollout


def as_bundle(backup: Mapping[str, Any], run: str) -> dict[str, Any]:
    """The backup as a bundle to compare against: the same files and services, no hooks to run."""
    files = [dict(f, hook=None) for f in backup.get("files", [])]
    return {
        "run": run,
        "node": backup.get("node"),
        "stage": "backup",
        "files": files,
        "services": dict(backup.get("services", {})),
        "restart_always": [],
    }


def _normal(config: str | None) -> list[str]:
    return [line.rstrip() for line in (config or "").splitlines() if line.strip() and not line.lstrip().startswith("!")]


def verify_restored(
    rollout: Rollout, hosts: Sequence[Host], backups: Mapping[str, Mapping[str, Any]], run: int
) -> list[CheckResult]:
    start = time.monotonic()
    bundles = {h.name: json.dumps(as_bundle(backups[h.name], f"{run}-check")) for h in hosts if h.name in backups}
    present = [h for h in hosts if h.name in bundles]
    outcomes = rollout._each(present, run, lambda p, b: p.inspect(b), bundles)
    results = []
    for h in present:
        o = outcomes[h.name]
        expected = f"{h.name} runs what it ran before run {run}: files, services" + (
            ", FRR configuration" if h.transport == "napalm" else ""
        )
        if not o.ok or not isinstance(o.data, dict):
            results.append(
                CheckResult(
                    f"restored {h.name}",
                    h.name,
                    expected,
                    f"cannot compare: {o.error}",
                    False,
                    round(time.monotonic() - start, 2),
                )
            )
            continue
        diff = o.data.get("diff") or {}
        differences = [f"file {path}" for path in (diff.get("files") or {})]
        differences += [f"service {name}" for name in (diff.get("services") or {})]
        before = backups[h.name].get("frr_running")
        if before is not None and _normal(before) != _normal(o.data.get("backup", {}).get("frr_running")):
            differences.append("FRR running configuration")
        observed = "identical to the backup" if not differences else "differs: " + ", ".join(differences)
        results.append(
            CheckResult(
                f"restored {h.name}", h.name, expected, observed, not differences, round(time.monotonic() - start, 2)
            )
        )
    return results
