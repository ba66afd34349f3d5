"""Debian hosts and the lab's switch: files and services, applied by the device agent over Ansible."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pilot.errors import PilotError
from pilot.platforms import Validator

if TYPE_CHECKING:
    from pilot.stages.model import Device
    from pilot.transport.ssh import Target
    from pilot.verify.model import Shell

# Every one of these looks at the machine as well as the file (Kea wants its interfaces to exist, nginx
# and unbound follow paths under /etc, nft talks to the kernel): they run in the validation sandbox.
VALIDATORS = {
    v.name: v
    for v in (
        Validator("kea-dhcp4", "kea-dhcp4", lambda path: ["kea-dhcp4", "-t", path], False, run_dirs=("/run/kea",)),
        Validator("kea-dhcp6", "kea-dhcp6", lambda path: ["kea-dhcp6", "-t", path], False, run_dirs=("/run/kea",)),
        Validator("unbound", "unbound-checkconf", lambda path: ["unbound-checkconf", path], file_only=False),
        Validator("nft", "nft", lambda path: ["nft", "-c", "-f", path], file_only=False),
        Validator("nginx", "nginx", lambda path: ["nginx", "-t", "-q", "-c", "/etc/nginx/nginx.conf"], file_only=False),
        Validator(
            "ifupdown", "ifup", lambda path: ["ifup", "--no-act", "-i", path, "-a"], False, run_dirs=("/run/network",)
        ),
        Validator("tayga", "tayga", lambda path: ["tayga", "--config", path, "--mktun"], file_only=False),
    )
}


class LinuxPlatform:
    name = "linux"
    description = "Debian 12 hosts: ifupdown, nftables, unbound, Kea, tayga, nginx, dhcpcd"
    transport = "ansible"  # playbooks/pilot-agent.yml through ansible-runner: the device agent
    napalm_driver = None
    netmiko_type = None
    containerlab_kinds = ()  # containerlab's `linux` kind runs any image: the node's role decides
    default_for_roles = ("switch", "service", "client")
    router_image = None
    validators = VALIDATORS
    daemon_suites: Mapping[str, frozenset[str]] = MappingProxyType({})
    # The device agent's hooks: ifupdown (ifreload), nft -f, sysctl --load, a SIGHUP.
    hooks = frozenset({"ifupdown", "nft", "sysctl", "reload"})

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name

    def restored_differences(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
        return []  # a Linux host is its files and services: the device agent compares those

    def routing_probes(self) -> object:
        raise PilotError(
            "platform 'linux' gives no routing probes: its hosts run no routing protocol",
            fix="give the node a router platform (pilot.platform: frr)",
        )

    def last_applied(self, target: Target) -> str:
        from pilot.agent.laststate import last_applied  # SSH: imported when asked

        return last_applied(target)  # the device agent's record of its last transaction

    def expected_state(self, device: Device) -> dict[str, Any] | None:
        from pilot.agent.kernel import expected_state

        return expected_state(device)  # the device agent checks the kernel against it, and repairs it

    def fhs_drops(self, shell: Shell, node: str, guard: str) -> int | None:
        """The packet counter of the nftables rule commented `guard` in the switch's bridge filter
        (templates/linux/nftables.nft.j2)."""
        out = shell.run(node, "nft -j list chain bridge pilot_fhs forward").stdout
        try:
            rules = json.loads(out or "{}").get("nftables", [])
        except ValueError:
            return 0
        for item in rules:
            rule = item.get("rule")
            if rule and rule.get("comment") == guard:
                for expr in rule.get("expr", []):
                    if "counter" in expr:
                        return int(expr["counter"].get("packets", 0))
        return 0
