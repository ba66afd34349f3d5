"""What each device says it last applied: the device agent's record of its last completed transaction
(a device with nothing to change keeps its older record). After a crash this is the device's truth."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from pilot.agent import STATE_REMOTE
from pilot.rollout.inventory import Inventory
from pilot.transport.ssh import DeviceError, Session


def ask_devices(inventory: Inventory, workers: int = 16) -> dict[str, str]:
    def one(name: str) -> tuple[str, str]:
        try:
            with Session(inventory.hosts[name].target) as session:
                result = session.run(f"cat {STATE_REMOTE} 2>/dev/null || echo '{{}}'", timeout=15)
        except DeviceError as exc:
            return name, f"unreachable ({exc.message})"
        try:
            state = json.loads(result.stdout) if result.stdout.strip() else {}
        except ValueError:
            return name, "no answer"
        if not state:
            return name, "nothing applied by pilot"
        return name, f"{state.get('stage')} (run {state.get('run')})"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, inventory.hosts))
