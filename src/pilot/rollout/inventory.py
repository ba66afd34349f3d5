"""The inventory a rollout works on: a Nornir SimpleInventory directory, plus credentials from outside it.

The lab's is written by `pilot lab inventory`; a real network's is edited by hand. Its defaults.yaml
`data.pilot` block names the intent data (topology, intent, record) the stages are rendered from.
Nornir's own SimpleInventory reads it, so pilot resolves every value (nested groups, connection options
overridden in part) exactly as Nornir and its plugins do; pilot only adds checks before that.
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
from pydantic import BaseModel, ConfigDict, RootModel

from pilot import yamlsrc
from pilot.errors import Location, PilotError
from pilot.platforms import all_platforms
from pilot.transport.ssh import Target

SECRET_KEYS = {"password", "secret", "passphrase", "private_key", "token"}
DEFAULT_CREDENTIALS = Path("~/.config/pilot/credentials.yml")


@dataclass(frozen=True)
class Host:
    name: str
    platform: str
    transport: str  # napalm | ansible
    target: Target
    role: str = ""
    napalm_driver: str = ""  # connection_options.napalm.platform (the platform plugin's; pilot_mock in tests)

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
    """Read a Nornir SimpleInventory the way Nornir does (nested groups, connection options resolved per
    attribute), after pilot's own checks: no secrets, a known shape, groups that exist."""
    directory = directory.resolve()
    if not (directory / "hosts.yaml").exists():
        raise PilotError(
            f"no Nornir inventory in {directory} (hosts.yaml missing)",
            fix="pass --inventory DIR, or write the lab's with: pilot lab inventory",
        )
    from nornir.plugins.inventory.simple import SimpleInventory  # here: `pilot --help` need not import Nornir

    files = _Files.load(directory)
    nornir = SimpleInventory(
        host_file=str(directory / "hosts.yaml"),
        group_file=str(directory / "groups.yaml"),
        defaults_file=str(directory / "defaults.yaml"),
    ).load()
    pilot = nornir.defaults.data.get("pilot") or {}
    if not isinstance(pilot, dict):
        assert files.defaults is not None
        raise files.defaults.error(("data", "pilot"), "data.pilot must be a mapping", "see the README")
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
    hosts = {str(name): _host(host, files, creds) for name, host in nornir.hosts.items()}
    return Inventory(directory, hosts, paths["topology"], paths["intent"], paths["record"])


class _ConnectionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hostname: str | None = None
    port: int | None = None
    username: str | None = None
    platform: str | None = None
    extras: dict[str, Any] | None = None


class _DefaultsEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hostname: str | None = None
    port: int | None = None
    username: str | None = None
    platform: str | None = None
    data: dict[str, Any] | None = None
    connection_options: dict[str, _ConnectionEntry] | None = None


class _Entry(_DefaultsEntry):
    groups: list[str] | None = None


class _Entries(RootModel[dict[str, _Entry]]):
    pass


@dataclass(frozen=True)
class _Files:
    """The inventory's files as read by pilot: for the checks Nornir does not make, and for errors that
    name the file and line where a value Nornir resolved came from."""

    hosts: yamlsrc.Source
    groups: yamlsrc.Source | None
    defaults: yamlsrc.Source | None

    @classmethod
    def load(cls, directory: Path) -> _Files:
        def optional(name: str, what: str) -> yamlsrc.Source | None:
            return yamlsrc.load(directory / name, what=what) if (directory / name).exists() else None

        files = cls(
            yamlsrc.load(directory / "hosts.yaml", what="inventory hosts file"),
            optional("groups.yaml", "inventory groups file"),
            optional("defaults.yaml", "inventory defaults file"),
        )
        for src in (files.hosts, files.groups, files.defaults):
            if src is not None:
                _refuse_secrets(src)  # first: a secret is refused before any other complaint about its file
        for src in (files.hosts, files.groups):
            if src is not None:
                yamlsrc.validate(src, _Entries, missing_fix="add it (see Nornir's SimpleInventory format)")
        if files.defaults is not None:
            yamlsrc.validate(files.defaults, _DefaultsEntry)
        files._check_groups()
        return files

    def _check_groups(self) -> None:
        groups: dict[str, Any] = self.groups.data if self.groups else {}
        for src in (self.hosts, self.groups):
            for name, entry in (src.data if src else {}).items():
                for index, group in enumerate((entry or {}).get("groups") or []):
                    if group not in groups:
                        assert src is not None
                        raise src.error(
                            (name, "groups", index),
                            f"'{name}' is in group '{group}', which groups.yaml does not define",
                            f"define {group} in groups.yaml, or use one of: {', '.join(groups) or '(none)'}",
                        )

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in trail:
                assert self.groups is not None
                cycle = " -> ".join((*trail[trail.index(name) :], name))
                raise self.groups.error((name, "groups"), f"groups form a cycle: {cycle}", "remove one parent")
            for parent in (groups.get(name) or {}).get("groups") or []:
                visit(parent, (*trail, name))

        for name in groups:
            visit(name, ())

    def origin(self, host: Any, key: str) -> tuple[yamlsrc.Source, yamlsrc.YamlPath]:
        """Where Nornir took `key` of `host` from: the host, its groups in Nornir's order, or defaults."""
        if key in (self.hosts.data.get(host.name) or {}):
            return self.hosts, (host.name, key)
        for group in host.extended_groups():
            if self.groups is not None and key in (self.groups.data.get(group.name) or {}):
                return self.groups, (group.name, key)
        if self.defaults is not None and key in self.defaults.data:
            return self.defaults, (key,)
        return self.hosts, (host.name,)


def _host(host: Any, files: _Files, creds: Credentials) -> Host:
    """pilot's view of a host Nornir resolved: its platform and transport, and how to reach it over SSH.

    SSH (pilot's sessions, Ansible, the NAPALM driver pilot_frr) goes where Nornir's netmiko connection
    would: the netmiko connection parameters (hostname, port, username, and extras: key_file, alt_key_file
    as known_hosts, ssh_strict). The NAPALM driver is the napalm connection's platform.
    """
    name = str(host.name)
    platform = host.platform
    from pilot.rollout.push import PUSHERS  # the transports a rollout pushes with (push imports this module)

    plugins = {p.name: p for p in all_platforms()}
    pushable = sorted(n for n, p in plugins.items() if p.transport in PUSHERS)
    if platform is None:
        raise files.hosts.error((name,), f"host '{name}' has no platform", f"add platform: {' or '.join(pushable)}")
    if platform not in plugins or plugins[platform].transport not in PUSHERS:
        src, path = files.origin(host, "platform")
        raise src.error(
            path,
            f"host '{name}' has platform {platform!r}, which pilot cannot push to yet",
            f"use one of: {', '.join(pushable)}",
        )
    plugin = plugins[platform]
    if not host.hostname:
        raise files.hosts.error((name,), f"host '{name}' has no hostname", "add hostname: <management address>")
    ssh = host.get_connection_parameters("netmiko")
    extras = ssh.extras or {}
    target = Target(
        name=name,
        host=str(ssh.hostname),
        port=int(ssh.port or 22),
        username=str(ssh.username or "root"),
        key_file=extras.get("key_file"),
        known_hosts=extras.get("alt_key_file"),
        strict=bool(extras.get("ssh_strict", True)),
    )
    napalm = host.get_connection_parameters("napalm").platform
    # Without a napalm platform of its own, Nornir hands NAPALM the host's platform: name its driver.
    driver = plugin.napalm_driver if napalm == platform and plugin.napalm_driver else napalm
    # The platform's transport, unless data.transport says otherwise (tests push every device through
    # NAPALM with the mock driver).
    transport = str(_data(host, "transport") or plugin.transport)
    if transport not in PUSHERS:
        src, path = files.origin(host, "data")
        raise src.error(
            path, f"host '{name}' has transport {transport!r}", f"use {' or '.join(PUSHERS)} (data.transport)"
        )
    return Host(name, str(platform), transport, creds.apply(target), str(_data(host, "role") or ""), str(driver))


def _data(host: Any, key: str) -> Any:
    """host["key"]: Nornir's data lookup (the host, its groups in order, defaults)."""
    try:
        return host[key]
    except KeyError:
        return None


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
