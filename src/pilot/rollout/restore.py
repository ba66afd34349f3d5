"""After a rollback: is every device really back as it was? Each device is compared with the backup it
gave before the run: its files, which of its services run, and what its platform compares beyond them
(FRR: its running configuration; pilot.platforms)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pilot.agent.bundles import as_bundle
from pilot.platforms import get_platform
from pilot.rollout.inventory import Host
from pilot.verify import CheckResult

if TYPE_CHECKING:
    from pilot.rollout.engine import Rollout


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
        expected = f"{h.name} runs what it ran before run {run}: files, services, configuration"
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
        differences += get_platform(h.platform).restored_differences(backups[h.name], o.data.get("backup", {}))
        observed = "identical to the backup" if not differences else "differs: " + ", ".join(differences)
        results.append(
            CheckResult(
                f"restored {h.name}", h.name, expected, observed, not differences, round(time.monotonic() - start, 2)
            )
        )
    return results
