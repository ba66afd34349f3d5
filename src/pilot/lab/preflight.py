"""Checks before a lab touches the machine: each failure is one line saying what to install or change."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from pilot.errors import LabError, Location
from pilot.lab.paths import state_root
from pilot.lab.roles import binaries_for
from pilot.topology import schema
from pilot.topology.model import Role, Topology

SETUP_HINT = "run scripts/setup.sh as root (it installs the Debian packages)"


def require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise LabError(f"{action} needs root: it creates namespaces, veths and mounts", fix="run it as root (sudo)")


# What a namespace node can be: FRR and Linux run from this machine's packages; a vendor's OS needs its image.
NAMESPACE_PLATFORMS = frozenset({"frr", "linux"})


def check_kinds(topo: Topology) -> None:
    for node in topo.nodes.values():
        if node.kind not in schema.NAMESPACE_KINDS:
            raise LabError(
                f"node '{node.name}' is of kind '{node.kind}', which only containerlab can run",
                fix="use --backend containerlab on a Docker host, or kind: linux here",
                location=Location(topo.source, f"topology.nodes.{node.name}.kind"),
            )
        if node.role is not Role.BRIDGE and node.platform not in NAMESPACE_PLATFORMS:
            raise LabError(
                f"node '{node.name}' is platform '{node.platform}', which the namespace backend cannot run"
                " (it needs the vendor's image)",
                fix="use --backend containerlab on a Docker host with that image, or the frr or linux platform here",
                location=Location(topo.source, f"topology.nodes.{node.name}.labels"),
            )


def check_host(topo: Topology) -> None:
    """Binaries for the roles present, /dev/net/tun, overlayfs, and a state directory overlay can use."""
    missing = {}
    for binary, package in binaries_for({n.role for n in topo.nodes.values()}).items():
        if not os.access(binary, os.X_OK):
            missing[binary] = package
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise LabError(
            f"missing {', '.join(sorted(missing))} (Debian packages: {packages})",
            fix=f"{SETUP_HINT}, or apt-get install {packages}",
        )
    try:
        mode = os.stat("/dev/net/tun").st_mode
    except FileNotFoundError:
        mode = 0
    if not stat.S_ISCHR(mode):
        raise LabError(
            "/dev/net/tun is missing (NAT64 with tayga needs it)", fix="modprobe tun, or run on a host that has it"
        )
    if "overlay" not in Path("/proc/filesystems").read_text():
        raise LabError("the kernel has no overlay filesystem (nodes need private /etc)", fix="modprobe overlay")
    root = str(state_root())
    # The state directory appears in overlay mount options, where ',' and ':' are separators.
    if not re.fullmatch(r"/[A-Za-z0-9_./-]*", root):
        raise LabError(
            f"state directory {root!r} has characters mount options cannot carry",
            fix="set PILOT_STATE_DIR to a plain path",
        )
