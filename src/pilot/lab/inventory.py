"""Write a Nornir SimpleInventory for a running lab.

Hosts are grouped by role (routers, switches, services, clients) and by platform (frr, linux). The SSH
settings (the lab's user key, its pinned known_hosts, strict host key checking) sit in defaults.yaml:
paths only, never key material, so the inventory can be shown, copied or committed safely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pilot.lab.backend import LabStatus

ROLE_GROUPS = {"router": "routers", "switch": "switches", "service": "services", "client": "clients"}


def inventory_data(status: LabStatus) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
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
    groups["frr"] = {"platform": "frr", "data": {"config_format": "frr"}}
    groups["linux"] = {"platform": "linux", "data": {"config_format": "linux"}}
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
        },
        "connection_options": {
            # netmiko has no FRR type: `linux` drives vtysh through the shell (see the lab reference).
            "netmiko": {"platform": "linux", "extras": ssh_extras},
        },
    }
    return hosts, groups, defaults


def write_inventory(status: LabStatus, target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in zip(("hosts.yaml", "groups.yaml", "defaults.yaml"), inventory_data(status), strict=True):
        path = target / name
        header = f"# Written by `pilot lab inventory` for lab '{status.name}'; rewritten at each run.\n"
        path.write_text(header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
        written.append(path)
    return written
