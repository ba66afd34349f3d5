"""FRRouting on Linux: frr.conf applied whole with frr-reload.py, isc-dhcp-relay and radvd beside it."""

from __future__ import annotations

from pathlib import Path

from pilot.platforms import Validator

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
    containerlab_kinds = ()  # FRR nodes are containerlab `linux` nodes running an FRR image (see topology)
    validators = VALIDATORS
    # The device agent's hooks: frr-reload.py for frr.conf, sysctl --load, a SIGHUP (radvd).
    hooks = frozenset({"frr-reload", "sysctl", "reload"})

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name
