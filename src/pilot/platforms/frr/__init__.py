"""FRRouting on Linux: frr.conf applied whole with frr-reload.py, isc-dhcp-relay and radvd beside it."""

from __future__ import annotations

from pathlib import Path


class FrrPlatform:
    name = "frr"
    description = "FRRouting 8.4 on Debian, with isc-dhcp-relay and radvd beside it"

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name
