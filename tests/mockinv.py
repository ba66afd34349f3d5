"""An inventory of the pilot's devices, each reached through the NAPALM mock driver (`pilot_mock`), and what
the command line needs to run a stage on it without a lab: no validators (they need root and the
daemons' tools), a verification that passes without probing anything.

A module of its own (like testroot.py): test files and the scripts some tests run in a subprocess both
use it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from testroot import PILOT_NODES, ROOT

ROUTERS = ("isp1", "isp2", "core", "dost-rtr", "soyte-rtr")


def mock_inventory(tmp_path: Path, monkeypatch: Any) -> Path:
    """The pilot's devices behind the mock driver, fresh (no device state left by another test), with
    no credentials file and no journal of the user's: the inventory directory."""
    from pilot.drivers.mock import MockDriver

    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "no-credentials.yml"))
    monkeypatch.delenv("PILOT_JOURNAL", raising=False)
    MockDriver.devices.clear()
    return write_inventory(tmp_path / "inventory")


def write_inventory(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    hosts = {
        n: {
            "hostname": f"3fff:0:1000:ffff::{i + 2:x}",
            "platform": "frr" if n in ROUTERS else "linux",
            "groups": ["mock"],
        }
        for i, n in enumerate(PILOT_NODES)
    }
    groups = {"mock": {"data": {"transport": "napalm"}, "connection_options": {"napalm": {"platform": "pilot_mock"}}}}
    defaults = {
        "username": "root",
        "data": {
            "pilot": {
                "topology": str(ROOT / "containerlab.yml"),
                "intent": str(ROOT / "inventory/intent.yml"),
                "record": str(ROOT / "inventory/addresses.yml"),
            }
        },
    }
    for name, data in (("hosts.yaml", hosts), ("groups.yaml", groups), ("defaults.yaml", defaults)):
        (directory / name).write_text(yaml.safe_dump(data))
    return directory


def passing_check(inv: Any, plan: Any, stage: Any, capable: bool) -> list[Any]:
    from pilot.verify import CheckResult

    return [CheckResult(f"fake {stage.name}", "pc1", "the network works", "it does", True, 0.01)]


def offline(options: Callable[..., Any]) -> Callable[..., Any]:
    """The command line's `_options`, made to run without validators and without probes:
    `monkeypatch.setattr(pilot.cli.rollout, "_options", offline(pilot.cli.rollout._options))`."""

    def chosen(*args: Any, **kwargs: Any) -> Any:
        made = options(*args, **kwargs)
        made.validate = False
        made.checker = passing_check
        return made

    return chosen
