"""Stage 2 of a holder, run inside the node once its veths exist: links up, management address, the
lab's own daemons. Runs as PID 1 of the node, before it execs tini.
"""

from __future__ import annotations

import errno
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pilot.lab import linux
from pilot.lab.roles import MGMT_IFACE_SYSCTLS, SWITCH_BRIDGE

IFA_F_NODAD = 0x02
SSHD_CONFIG = "/etc/ssh/pilot/sshd_config"


@dataclass(frozen=True)
class BootPlan:
    mgmt_iface: str
    mgmt_address: str  # without prefix length
    mgmt_prefixlen: int
    interfaces: tuple[str, ...]  # data interfaces
    late_sysctls: Mapping[str, str] = field(default_factory=dict)  # from the topology, per interface
    switch: bool = False
    frr: bool = False
    exec: tuple[str, ...] = ()


def run(plan: BootPlan, env: dict[str, str]) -> None:
    from pyroute2 import IPRoute

    for key, value in MGMT_IFACE_SYSCTLS.items():
        linux.write_sysctl(("net", "ipv6", "conf", plan.mgmt_iface, key), value)
    with IPRoute() as ipr:
        index = {name: _index(ipr, name) for name in ("lo", plan.mgmt_iface, *plan.interfaces)}
        ipr.link("set", index=index["lo"], state="up")
        ipr.addr(
            "add",
            index=index[plan.mgmt_iface],
            address=plan.mgmt_address,
            prefixlen=plan.mgmt_prefixlen,
            flags=IFA_F_NODAD,  # the address is ours by construction: no 1 s of duplicate detection
        )
        for name in (plan.mgmt_iface, *plan.interfaces):
            ipr.link("set", index=index[name], state="up")
        if plan.switch:
            _switch_fabric(ipr, [index[n] for n in plan.interfaces])
    for key, value in plan.late_sysctls.items():
        linux.write_sysctl(key, value)
    _start_sshd(env)
    if plan.frr:
        _start_frr(env)
    for command in plan.exec:
        _exec(command, env)


def _index(ipr: object, name: str) -> int:
    found = ipr.link_lookup(ifname=name)  # type: ignore[attr-defined]
    if not found:
        raise RuntimeError(f"interface {name} did not arrive in the node")
    return int(found[0])


def _switch_fabric(ipr: object, ports: list[int]) -> None:
    """The switch's bridge as it comes from the factory: every port switching in VLAN 1.

    VLAN-aware when the kernel can (CONFIG_BRIDGE_VLAN_FILTERING); the kernels of the machines pilot is
    built on cannot, and have no 802.1Q either, so there the rollout gives each VLAN a bridge of its own
    and the topology gives each VLAN its own uplink. VLANs and first-hop security come from the rollout.
    """
    try:
        ipr.link("add", ifname=SWITCH_BRIDGE, kind="bridge", br_vlan_filtering=1)  # type: ignore[attr-defined]
    except Exception as exc:  # pyroute2's NetlinkError carries the errno in .code
        if getattr(exc, "code", None) != errno.EOPNOTSUPP:
            raise
        ipr.link("add", ifname=SWITCH_BRIDGE, kind="bridge")  # type: ignore[attr-defined]
    bridge = _index(ipr, SWITCH_BRIDGE)
    for port in ports:
        ipr.link("set", index=port, master=bridge)  # type: ignore[attr-defined]
    ipr.link("set", index=bridge, state="up")  # type: ignore[attr-defined]


def _start_sshd(env: dict[str, str]) -> None:
    log = open("/var/log/sshd.log", "ab")
    # -D: stay a child of PID 1 (tini reaps it); -e off, logs go to the file (no syslog in a node).
    subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-f", SSHD_CONFIG, "-E", "/var/log/sshd.log"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=env,
        start_new_session=True,
    )
    log.close()


def _start_frr(env: dict[str, str]) -> None:
    Path("/var/log/frr").mkdir(exist_ok=True)
    with open("/var/log/frr/frrinit.log", "ab") as log:
        result = subprocess.run(
            ["/usr/lib/frr/frrinit.sh", "start"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            timeout=60,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"FRR did not start (frrinit.sh exit {result.returncode}); see var/log/frr/frrinit.log")
    # watchfrr applies the (empty) integrated config once every daemon answers; wait for vtysh to work.
    # Back off between probes: fifty routers booting side by side must not spend the CPU on vtysh.
    deadline, pause = time.monotonic() + 60, 0.05
    while True:
        probe = subprocess.run(["/usr/bin/vtysh", "-c", "show version"], capture_output=True, env=env, check=False)
        if probe.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("FRR daemons did not answer vtysh within 60 s; see var/log/frr/")
        time.sleep(pause)
        pause = min(pause * 1.5, 0.5)


def _exec(command: str, env: dict[str, str]) -> None:
    # containerlab runs `exec` entries without a shell; so do we (no topology value reaches a shell).
    argv = shlex.split(command)
    result = subprocess.run(argv, env=env, capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"exec {command!r} failed with status {result.returncode}: {detail[-1] if detail else ''}")
