"""Debian hosts and the lab's switch: files and services, applied by the device agent over Ansible."""

from __future__ import annotations

from pathlib import Path


class LinuxPlatform:
    name = "linux"
    description = "Debian 12 hosts: ifupdown, nftables, unbound, Kea, tayga, nginx, dhcpcd"

    def template_dir(self, templates: Path) -> Path:
        return templates / self.name
