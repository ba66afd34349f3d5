"""FRRouting on Linux: frr.conf applied whole with frr-reload.py, isc-dhcp-relay and radvd beside it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pilot.platforms import Validator

if TYPE_CHECKING:
    from pilot.stages.model import Device
    from pilot.transport.ssh import Target
    from pilot.verify.model import Shell

VALIDATORS = {
    v.name: v
    for v in (
        Validator("frr", "vtysh", lambda path: ["vtysh", "-C", "-f", path]),
        # radvd < 2.20 rejects `nat64prefix` here: a machine with an older radvd says so at render time.
        Validator("radvd", "radvd", lambda path: ["radvd", "--configtest", "--config", path]),
    )
}


class FrrPlatform:
    name = "frr"
    description = "FRRouting 8.4 on Debian, with isc-dhcp-relay and radvd beside it"
    transport = "napalm"  # Nornir + NAPALM, through pilot's own driver (napalm_pilot_frr): the device agent
    napalm_driver = "pilot_frr"
    netmiko_type = None
    containerlab_kinds = ()  # FRR nodes are containerlab `linux` nodes running an FRR image
    default_for_roles = ("router",)
    router_image = r"(^|/)frr(:|$)|frrouting"  # quay.io/frrouting/frr:8.4.4, frrouting/frr ...
    validators = VALIDATORS
    daemon_suites = MappingProxyType({"frr": frozenset({"watchfrr", "zebra", "staticd", "ospfd", "ospf6d", "bgpd"})})
    # The device agent's hooks: frr-reload.py for frr.conf, sysctl --load, a SIGHUP (radvd).
    hooks = frozenset({"frr-reload", "sysctl", "reload"})

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name

    def routing_probes(self) -> object:
        from pilot.platforms.frr.probes import PROBES  # vtysh's JSON: imported when a check asks

        return PROBES

    def last_applied(self, target: Target) -> str:
        from pilot.agent.laststate import last_applied  # SSH: imported when asked

        return last_applied(target)  # the device agent's record of its last transaction

    def expected_state(self, device: Device) -> dict[str, Any] | None:
        from pilot.agent.kernel import expected_state

        return expected_state(device)  # the device agent checks the kernel against it, and repairs it

    def fhs_drops(self, shell: Shell, node: str, guard: str) -> int | None:
        return None  # an FRR router is no access switch

    def restored_differences(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
        """FRR's running configuration in the backup (the device agent's `frr_running`), compared as
        sorted (stanza, line) pairs: FRR lists lines in the order they were entered."""
        if before.get("frr_running") is None:
            return []
        was, now = set(_normal(before["frr_running"])), set(_normal(after.get("frr_running")))
        if was == now:
            return []
        lines = [f"-{' > '.join(filter(None, p))}" for p in sorted(was - now)]
        lines += [f"+{' > '.join(filter(None, p))}" for p in sorted(now - was)]
        shown = "; ".join(lines[:4]) + (f"; {len(lines) - 4} more" if len(lines) > 4 else "")
        return [f"FRR running configuration ({shown})"]


def _normal(config: str | None) -> list[tuple[str, str]]:
    """A running configuration as (stanza, line) pairs, sorted: FRR lists lines in the order they were
    entered, so the same configuration reached by another path prints in another order."""
    pairs = []
    parents: list[tuple[int, str]] = []  # the enclosing stanzas (router bgp, address-family ...)
    for raw in (config or "").splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("!") or line.strip() in ("exit", "end", "exit-address-family"):
            continue
        indent = len(line) - len(line.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        pairs.append((" > ".join(text for _, text in parents), line.strip()))
        parents.append((indent, line.strip()))
    return sorted(pairs)
