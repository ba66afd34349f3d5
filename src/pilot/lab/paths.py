"""Where a lab keeps its files, and the names it gives to kernel objects.

Every name is derived from the lab name, so two labs never collide and `down --force` can find what a
crashed `up` left behind even without a state file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

STATE_ROOT_ENV = "PILOT_STATE_DIR"
DEFAULT_STATE_ROOT = "/run/pilot"  # tmpfs on a normal host: a reboot leaves no stale lab behind
NETNS_DIR = Path("/run/netns")

MGMT_BRIDGE = "mgmt-br"  # in the lab's bridge namespace
MGMT_UPLINK = "mgmt-up"  # the bridge-namespace end of the veth into the root namespace


def state_root() -> Path:
    return Path(os.environ.get(STATE_ROOT_ENV, DEFAULT_STATE_ROOT))


def labs_dir() -> Path:
    return state_root() / "labs"


@dataclass(frozen=True)
class LabPaths:
    name: str

    @property
    def root(self) -> Path:
        return labs_dir() / self.name

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def inventories(self) -> Path:
        """Every inventory directory `pilot lab inventory` wrote for the lab, one absolute path a line:
        `--lab` finds the lab's from any directory, and `lab down` checks no run holds one."""
        return self.root / "inventories"

    @property
    def ssh_dir(self) -> Path:
        return self.root / "ssh"

    @property
    def user_key(self) -> Path:
        return self.ssh_dir / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.ssh_dir / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.ssh_dir / "config"

    def node_dir(self, node: str) -> Path:
        """The node's private files: overlay upper dirs of its /etc, /var/lib, /var/log; its /root."""
        return self.root / "nodes" / node

    # -- kernel object names --------------------------------------------------------------------
    @property
    def bridge_netns(self) -> str:
        """Named network namespace holding the lab's bridges (mgmt and `kind: bridge` nodes)."""
        return f"pilot-{self.name}"

    @property
    def root_ifname(self) -> str:
        """The one interface the lab puts in the root namespace: the management uplink (<= 15 chars)."""
        candidate = f"pm-{self.name}"
        if len(candidate) <= 15:
            return candidate
        return "pm-" + hashlib.sha1(self.name.encode()).hexdigest()[:12]


def mgmt_port(index: int) -> str:
    """The bridge-namespace end of node number `index`'s eth0."""
    return f"mgmt-{index}"
