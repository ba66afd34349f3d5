"""Write a Nornir SimpleInventory for a running lab.

Hosts are grouped by role (routers, switches, services, clients) and by platform (a group per platform
plugin: its transport, NAPALM driver and netmiko type). The SSH
settings (the lab's user key, its pinned known_hosts, strict host key checking) sit in defaults.yaml:
paths only, never key material, so the inventory can be shown, copied or committed safely.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from pilot.errors import PilotError
from pilot.inputs import DEFAULT_INTENT, DEFAULT_RECORD
from pilot.lab.backend import LabStatus
from pilot.lab.paths import LabPaths
from pilot.platforms import all_platforms, nornir_group

ROLE_GROUPS = {"router": "routers", "switch": "switches", "service": "services", "client": "clients"}
DEFAULT_PLACE = Path("inventory/labs")  # a lab's inventory goes to inventory/labs/<lab> unless --out says otherwise


def inventory_data(
    status: LabStatus, intent: Path | None = None, record: Path | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    hosts: dict[str, Any] = {}
    for node in status.nodes:
        hosts[node.name] = {
            "hostname": node.mgmt_ipv6,
            "port": 22,
            "platform": node.platform,
            "groups": [ROLE_GROUPS[node.role], node.platform],
            "data": {"role": node.role, "kind": node.kind, "lab": status.name, "container": node.container},
        }
    groups: dict[str, Any] = {name: {"data": {"role": role}} for role, name in ROLE_GROUPS.items()}
    # A group per platform, from its plugin: how it is pushed and with which drivers (pilot.platforms).
    for plugin in all_platforms():
        groups[plugin.name] = nornir_group(plugin)
    ssh_extras = {
        "use_keys": True,
        "key_file": status.user_key,
        "allow_agent": False,
        # Host key checking stays on: only the keys pinned at `lab up` are accepted.
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": status.known_hosts,
    }
    defaults = {
        "username": "root",
        "port": 22,
        "data": {
            "lab": status.name,
            "backend": status.backend,
            "ssh_config": status.ssh_config,
            "known_hosts": status.known_hosts,
            "ssh_key_file": status.user_key,
            # The intent data the stages are rendered from (pilot diff/apply/verify read these).
            "pilot": {
                "topology": status.topology,
                "intent": str((intent or DEFAULT_INTENT).resolve()),
                "record": str((record or DEFAULT_RECORD).resolve()),
            },
        },
        "connection_options": {
            # netmiko has no FRR type: `linux` drives vtysh through the shell (see the lab reference).
            "netmiko": {"platform": "linux", "extras": ssh_extras},
        },
    }
    return hosts, groups, defaults


def write_inventory(
    status: LabStatus, target: Path, intent: Path | None = None, record: Path | None = None
) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    data_sets = inventory_data(status, intent, record)
    for name, data in zip(("hosts.yaml", "groups.yaml", "defaults.yaml"), data_sets, strict=True):
        path = target / name
        header = f"# Written by `pilot lab inventory` for lab '{status.name}'; rewritten at each run.\n"
        path.write_text(header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
        written.append(path)
    return written


def record_written(lab: str, directory: Path) -> None:
    """Remember that an inventory of `lab` was written at `directory` (kept with the lab's state: it goes
    when the lab goes). One append of one short line: concurrent writers never mix their lines."""
    record = LabPaths(lab).inventories
    line = str(directory.resolve())
    if "\n" in line:
        raise PilotError(f"inventory directory {line!r} has a line break in its name", fix="choose another --out")
    if not record.parent.is_dir() or Path(line) in written_for(lab):
        return
    fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def written_for(lab: str) -> list[Path]:
    """The inventory directories written for `lab` while it has been up, oldest first."""
    try:
        lines = LabPaths(lab).inventories.read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [Path(line) for line in dict.fromkeys(lines) if line.startswith("/")]
