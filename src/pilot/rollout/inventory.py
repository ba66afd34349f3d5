"""The inventory a rollout works on: a Nornir SimpleInventory directory, plus credentials from outside it.

The lab's is written by `pilot lab inventory`; a real network's is edited by hand. Its defaults.yaml
`data.pilot` block names the intent data (topology, intent, record) the stages are rendered from.
Credentials never live in the inventory: they come from PILOT_SSH_USERNAME / PILOT_SSH_PASSWORD /
PILOT_SSH_KEY, or from a 0600 credentials file outside the repository ($PILOT_CREDENTIALS, default
~/.config/pilot/credentials.yml), and are only ever held in memory.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from pilot import yamlsrc
from pilot.errors import Location, PilotError
from pilot.transport.ssh import Target

TRANSPORTS = {"frr": "napalm", "linux": "ansible"}  # platform -> how pilot pushes to it
SECRET_KEYS = {"password", "secret", "passphrase", "private_key", "token"}
DEFAULT_CREDENTIALS = Path("~/.config/pilot/credentials.yml")


@dataclass(frozen=True)
class Host:
    name: str
    platform: str
    transport: str  # napalm | ansible
    target: Target
    role: str = ""
    napalm_driver: str = "pilot_frr"  # connection_options.napalm.platform: pilot_mock in tests

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.platform!r}, {self.target!r})"


@dataclass(frozen=True)
class Inventory:
    directory: Path
    hosts: Mapping[str, Host]
    topology: Path
    intent: Path
    record: Path

    @property
    def journal_path(self) -> Path:
        return Path(os.environ.get("PILOT_JOURNAL", self.directory / "journal.sqlite"))

    def host(self, name: str) -> Host:
        return self.hosts[name]


def load_inventory(directory: Path) -> Inventory:
    directory = directory.resolve()
    if not (directory / "hosts.yaml").exists():
        raise PilotError(
            f"no Nornir inventory in {directory} (hosts.yaml missing)",
            fix="pass --inventory DIR, or write the lab's with: pilot lab inventory",
        )
    hosts_src = yamlsrc.load(directory / "hosts.yaml", what="inventory hosts file")
    defaults_src = (
        yamlsrc.load(directory / "defaults.yaml", what="inventory defaults file")
        if (directory / "defaults.yaml").exists()
        else None
    )
    groups_src = (
        yamlsrc.load(directory / "groups.yaml", what="inventory groups file")
        if (directory / "groups.yaml").exists()
        else None
    )
    for src in (hosts_src, defaults_src, groups_src):
        if src is not None:
            _refuse_secrets(src)
    defaults: dict[str, Any] = defaults_src.data if defaults_src else {}
    groups: dict[str, Any] = groups_src.data if groups_src else {}
    pilot = (defaults.get("data") or {}).get("pilot") or {}
    paths = {}
    for key in ("topology", "intent", "record"):
        if key not in pilot:
            where = Location(directory / "defaults.yaml", f"data.pilot.{key}")
            raise PilotError(
                f"the inventory does not say where its {key} is",
                fix=f"add data.pilot.{key}: <path> to defaults.yaml",
                location=where,
            )
        paths[key] = (
            (directory / str(pilot[key])).resolve()
            if not Path(str(pilot[key])).is_absolute()
            else Path(str(pilot[key]))
        )
    creds = Credentials.load()
    hosts = {}
    for name, h in hosts_src.data.items():
        hosts[name] = _host(str(name), h or {}, groups, defaults, creds, hosts_src)
    return Inventory(directory, hosts, paths["topology"], paths["intent"], paths["record"])


def _inherited(h: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> Any:
    """Nornir's order: the host, then its groups in order, then defaults."""
    if key in h:
        return h[key]
    for group in h.get("groups") or []:
        if key in (groups.get(group) or {}):
            return groups[group][key]
    return defaults.get(key)


def _host(
    name: str,
    h: Mapping[str, Any],
    groups: Mapping[str, Any],
    defaults: Mapping[str, Any],
    creds: Credentials,
    src: yamlsrc.Source,
) -> Host:
    platform = _inherited(h, groups, defaults, "platform")
    if platform not in TRANSPORTS:
        raise src.error(
            (name, "platform"),
            f"host '{name}' has platform {platform!r}, which pilot cannot push to yet",
            f"use one of: {', '.join(TRANSPORTS)}",
        )
    hostname = _inherited(h, groups, defaults, "hostname")
    if not hostname:
        raise src.error((name,), f"host '{name}' has no hostname", "add hostname: <management address>")
    options = _netmiko_extras(h, groups, defaults)
    target = Target(
        name=name,
        host=str(hostname),
        port=int(_inherited(h, groups, defaults, "port") or 22),
        username=str(_inherited(h, groups, defaults, "username") or "root"),
        key_file=options.get("key_file"),
        known_hosts=options.get("alt_key_file"),
        strict=bool(options.get("ssh_strict", True)),
    )
    role = str(((h.get("data") or {}).get("role")) or "")
    driver = _connection(h, groups, defaults, "napalm").get("platform") or "pilot_frr"
    transport = str(_data(h, groups, defaults, "transport") or TRANSPORTS[platform])
    if transport not in ("napalm", "ansible"):
        raise src.error((name,), f"host '{name}' has transport {transport!r}", "use napalm or ansible (data.transport)")
    return Host(name, str(platform), transport, creds.apply(target), role, str(driver))


def _connection(
    h: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any], kind: str
) -> dict[str, Any]:
    """Nornir resolves connection options per connection type: the first level that has them wins."""
    levels = [h, *[groups.get(g) or {} for g in h.get("groups") or []], defaults]
    for level in levels:
        options = (level.get("connection_options") or {}).get(kind)
        if options is not None:
            return dict(options)
    return {}


def _data(h: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> Any:
    levels = [h, *[groups.get(g) or {} for g in h.get("groups") or []], defaults]
    for level in levels:
        data = level.get("data") or {}
        if key in data:
            return data[key]
    return None


def _netmiko_extras(h: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_connection(h, groups, defaults, "netmiko").get("extras") or {})


def _refuse_secrets(src: yamlsrc.Source) -> None:
    for path in yamlsrc.walk_keys(src.data):
        key = path[-1]
        if isinstance(key, str) and key.lower() in SECRET_KEYS:
            raise src.error(
                path,
                f"'{key}' in the inventory: secrets never live in the inventory",
                "remove it; use PILOT_SSH_PASSWORD or the credentials file (see the README)",
            )


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    key_file: str | None = None
    per_host: Mapping[str, Mapping[str, str]] | None = None

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"

    @classmethod
    def load(cls) -> Credentials:
        file_creds: dict[str, Any] = {}
        path = Path(os.environ.get("PILOT_CREDENTIALS", str(DEFAULT_CREDENTIALS))).expanduser()
        if path.exists():
            _check_credentials_file(path)
            try:
                file_creds = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError:
                raise PilotError(
                    f"credentials file {path} is not valid YAML", fix="correct it (its content is never printed)"
                ) from None
        default = file_creds.get("default") or {}
        return cls(
            username=os.environ.get("PILOT_SSH_USERNAME") or default.get("username"),
            password=os.environ.get("PILOT_SSH_PASSWORD") or default.get("password"),
            key_file=os.environ.get("PILOT_SSH_KEY") or default.get("key_file"),
            per_host=file_creds.get("hosts") or {},
        )

    def apply(self, target: Target) -> Target:
        own = (self.per_host or {}).get(target.name) or {}
        changes: dict[str, Any] = {}
        for field in ("username", "password", "key_file"):
            value = own.get(field) or getattr(self, field)
            if value:
                changes[field] = str(Path(value).expanduser()) if field == "key_file" else value
        return replace(target, **changes)


def _check_credentials_file(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PilotError(
            f"credentials file {path} is readable by others (mode {oct(mode & 0o777)})", fix=f"chmod 600 {path}"
        )
    top = subprocess.run(
        ["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    if top.returncode == 0:
        raise PilotError(
            f"credentials file {path} is inside the git repository {top.stdout.strip()}",
            fix="keep it outside any repository, e.g. ~/.config/pilot/credentials.yml",
        )
