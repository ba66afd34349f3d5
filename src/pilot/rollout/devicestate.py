"""What each device says it last applied, asked the way its platform records it (pilot.platforms: the
device agent's record on FRR and Linux, the stage marker of the running configuration on the CLI
platforms). After a crash this is the device's truth."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pilot.platforms import get_platform
from pilot.rollout.inventory import Inventory


def ask_devices(inventory: Inventory, workers: int = 16) -> dict[str, str]:
    def one(name: str) -> tuple[str, str]:
        host = inventory.hosts[name]
        return name, get_platform(host.platform).last_applied(host.target)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, inventory.hosts))
