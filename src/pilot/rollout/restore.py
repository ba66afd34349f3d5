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


def _normal(config: str | None) -> list[tuple[str, str]]:
    """A running configuration as (stanza, line) pairs, sorted: FRR lists lines in the order they were
    entered, so the same configuration reached by another path prints in another order."""
    pairs = []
    parents: list[tuple[int, str]] = []  # the enclosing stanzas (router bgp, address-family ...)
    for raw in (config or "").splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("!") or line.strip() in ("exit", "end", "exit-address-family"):
            continue
        indent = len(line) - len(line.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        pairs.append((" > ".join(text for _, text in parents), line.strip()))
        parents.append((indent, line.strip()))
    return sorted(pairs)


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
        if before is not None:
            was, now = set(_normal(before)), set(_normal(o.data.get("backup", {}).get("frr_running")))
            if was != now:
                lines = [f"-{' > '.join(filter(None, p))}" for p in sorted(was - now)]
                lines += [f"+{' > '.join(filter(None, p))}" for p in sorted(now - was)]
                shown = "; ".join(lines[:4]) + (f"; {len(lines) - 4} more" if len(lines) > 4 else "")
                differences.append(f"FRR running configuration ({shown})")
        observed = "identical to the backup" if not differences else "differs: " + ", ".join(differences)
        results.append(
            CheckResult(
                f"restored {h.name}", h.name, expected, observed, not differences, round(time.monotonic() - start, 2)
            )
        )
    return results
