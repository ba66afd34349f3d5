"""Pushing a rendered configuration to a CLI device (IOS-XE, Junos, EOS, VRP) over SSH: the Pusher of
pilot.rollout.push for those platforms, with a revert timer where the platform has one.

A bundle is the device's whole rendered configuration (its `running-config` artifact). What is generic
lives here: one connection per device, kept for the run; the backup (the running configuration as the
device prints it, before the push); the diff shown, always hier_config's (`CliPlatform.remediation`);
one line per device for every failure, with no secret in it. How a platform logs in, replaces or merges,
commits, confirms and reverts lives in `pilot.platforms.<platform>.transport`, whose `connect(target,
options)` returns a `CliSession`.

Commit semantics, the order the engine keeps: `apply` commits with a revert timer where the platform
has one (IOS-XE `configure replace ... revert timer`, EOS `commit timer`, Junos `commit confirmed`), so
a device that loses pilot after a bad push goes back by itself; `confirm` makes it permanent and is
called only after the verification passed; `restore` puts back the backup (cancelling a pending timer
first), also on a device whose push failed half-way.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from pilot.errors import PilotError
from pilot.platforms.cli import CliPlatform
from pilot.rollout.inventory import Host
from pilot.rollout.push import OnDevice, Outcome
from pilot.transport.ssh import Target

RUNNING = "running-config"  # the bundle's artifact, and the name its diff is shown under


class PushRefused(Exception):
    """The device refused the push (a line it rejected, a commit that failed); str() is one line."""


@dataclass(frozen=True)
class SessionOptions:
    """What every platform's session is told. `revert_in`: seconds before an unconfirmed commit is
    undone by the device (rounded up to what the platform counts in: minutes on IOS-XE and Junos)."""

    revert_in: int = 600
    timeout: float = 30.0
    comment: str = "pilot"  # the commit comment where the platform keeps one (Junos): say the run and stage


class CliSession(Protocol):
    """One device's connection, in its platform's way."""

    def running(self) -> str:
        """The whole running configuration as configuration text (no banner of the show command): the
        backup, which `restore` puts back exactly."""
        ...

    def comparable(self, config: str) -> str:
        """The part of a configuration pilot manages, as the diff compares it: without what the device
        prints around the configuration, and without the blocks pilot leaves as the device has them
        (management interface, users, remote access: the rendered configuration has none of them, and
        a diff or a replace must not take them away)."""
        ...

    def push(self, intended: str, changes: str) -> None:
        """Make `intended` the managed part of the running configuration (`changes`: hier_config's
        remediation between the comparable parts, for a platform that merges; a platform that replaces
        keeps the unmanaged blocks of the running configuration in its candidate); commit it with the
        revert timer if the platform has one. Raises PushRefused; a refused push leaves the device as it
        was."""
        ...

    def confirm(self) -> bool:
        """Confirm a pending revert timer; False when nothing was pending (the platform has none)."""
        ...

    def restore(self, backup: str, changes: str) -> None:
        """Put `backup` back (`changes`: the remediation from the running configuration to it)."""
        ...

    def close(self) -> None: ...


Connect = Callable[[Target, SessionOptions], CliSession]


def platform_connect(platform: str) -> Connect:
    """The platform's `connect`: pilot.platforms.<platform>.transport (a plugin's own package works the
    same way once it is importable under that name)."""
    try:
        module = importlib.import_module(f"pilot.platforms.{platform}.transport")
    except ModuleNotFoundError as exc:
        raise PilotError(
            f"platform '{platform}' has no CLI transport",
            fix="push it with its own transport (napalm, ansible), or install the plugin that provides one",
        ) from exc
    connect: Connect = module.connect
    return connect


def cli_platform(platform: str) -> CliPlatform:
    from pilot.platforms import get_platform

    plugin = get_platform(platform)
    if not isinstance(plugin, CliPlatform):
        raise PilotError(f"platform '{platform}' is not a CLI platform", fix="give its devices another transport")
    return plugin


# A secret's value in a CLI configuration: after a keyword, an optional type (`secret 9 $9$...`,
# `password cipher %^%#...`, `encrypted-password "$6$..."`), the value itself.
SECRET = re.compile(
    r"(?i)\b(secret|password|encrypted-password|irreversible-cipher|key-string|authentication-key|pre-shared-key"
    r"|community|ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+)"
    r"(\s+(?:\d{1,2}|cipher|simple|sha512|sha256|md5|irreversible-cipher)\b)?(\s+)(\"[^\"]*\"|[^\s;]+)"
)
MASK = "<secret>"
HUMAN = re.compile(r"^\s*(description|name|remark|alias)\b")  # people's text, where "password" is a word


def mask_secrets(text: str) -> str:
    """`text` with every secret's value replaced (hashed passwords and keys are secrets too): what a
    backup, a diff or an error shows; the transport keeps the real text in memory for the restore."""
    return "".join(
        line if HUMAN.match(line) else SECRET.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{m.group(3)}{MASK}", line)
        for line in text.splitlines(keepends=True)
    )


def one_line(exc: BaseException) -> str:
    """An exception as one line: netmiko and NAPALM put paragraphs of advice in their messages."""
    text = str(exc).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first or type(exc).__name__


class CliPusher:
    """CLI devices over SSH, one session per device, opened on first use and kept for the run."""

    transport = "cli"

    def __init__(
        self,
        hosts: Sequence[Host],
        workers: int = 20,
        on_device: OnDevice | None = None,
        options: SessionOptions | None = None,
        platforms: Mapping[str, CliPlatform] | None = None,
        connects: Mapping[str, Connect] | None = None,
    ) -> None:
        self.hosts = {h.name: h for h in hosts}
        self.workers = workers
        self.on_device = on_device
        self.options = options or SessionOptions()
        self._platforms = dict(platforms or {})
        self._connects = dict(connects or {})
        self._sessions: dict[str, CliSession] = {}
        # Each device's running configuration before the run, from inspect: what restore puts back. It
        # stays in memory; what inspect returns (and the journal keeps) has its secrets masked.
        self.backups: dict[str, str] = {}

    # -- the Pusher protocol ---------------------------------------------------------------------------
    def inspect(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        def one(name: str, intended: str) -> Any:
            running = self._session(name).running()
            # The first look of the run is the backup: a later inspect (the check after a restore) must
            # not replace it with what the device runs then.
            self.backups.setdefault(name, running)
            backup = {"node": name, "running": mask_secrets(running)}
            if _is_check(intended):
                # The check after a restore (pilot.rollout.restore) sends the backup as a bundle and compares
                # the running configurations itself (CliPlatform.restored_differences): nothing to diff here.
                return {"backup": backup, "diff": {"files": {}}}
            return {"backup": backup, "diff": self._diff(name, running, intended)}

        return self._each("inspect", bundles, lambda name: one(name, configuration(bundles[name])))

    def diff(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        def one(name: str, intended: str) -> Any:
            files = self._diff(name, self._session(name).running(), intended)["files"]
            return "".join(text.rstrip("\n") + "\n" for text in files.values())

        return self._each("diff", bundles, lambda name: one(name, configuration(bundles[name])))

    def apply(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        def one(name: str, intended: str) -> Any:
            session = self._session(name)
            running = session.running()
            self.backups.setdefault(name, running)
            changes = self._changes(name, running, intended)
            if changes.strip():
                session.push(intended, changes)
            return {"state": "pushed" if changes.strip() else "unchanged"}

        return self._each("push", bundles, lambda name: one(name, configuration(bundles[name])))

    def confirm(self, devices: Sequence[str]) -> dict[str, Outcome]:
        """Make each device's last push permanent: called by the engine only after verification passed."""

        def one(name: str) -> Any:
            return {"state": "confirmed" if self._session(name).confirm() else "nothing pending"}

        return self._each("confirm", devices, one)

    def restore(self, devices: Sequence[str], run: str) -> dict[str, Outcome]:
        """Put back the backup taken by this run's inspect (`run` names the run for the message only)."""

        def one(name: str) -> Any:
            backup = self.backups.get(name)
            if backup is None:
                raise PilotError(
                    f"no backup of {name} from run {run} in this session", fix="pilot rollback --to <stage>"
                )
            try:
                session = self._session(name)
                session.restore(backup, self._changes(name, session.running(), backup))
            except PushRefused:
                raise
            except Exception:  # the connection broke (the failed push's doing?): once more on a new one
                self._drop(name)
                session = self._session(name)
                session.restore(backup, self._changes(name, session.running(), backup))
            left = self._changes(name, session.running(), backup)
            if left.strip():
                raise PushRefused(f"still differs from its backup after the restore: {_first(mask_secrets(left))}")
            return {"state": "restored"}

        return self._each("restore", devices, one)

    def close(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            try:
                session.close()
            except Exception:  # closing is best effort: the run's result is already decided
                pass

    # -- helpers ------------------------------------------------------------------------------------------
    def _drop(self, name: str) -> None:
        session = self._sessions.pop(name, None)
        if session is not None:
            try:
                session.close()
            except Exception:  # a broken connection may not close cleanly
                pass

    def _platform(self, name: str) -> CliPlatform:
        platform = self.hosts[name].platform
        if platform not in self._platforms:
            self._platforms[platform] = cli_platform(platform)
        return self._platforms[platform]

    def _session(self, name: str) -> CliSession:
        session = self._sessions.get(name)
        if session is None:
            host = self.hosts[name]
            connect = self._connects.get(host.platform) or platform_connect(host.platform)
            session = self._sessions[name] = connect(host.target, self.options)
        return session

    def _changes(self, name: str, running: str, intended: str) -> str:
        """hier_config's remediation between the parts of both configurations pilot manages."""
        session = self._session(name)
        return self._platform(name).remediation(session.comparable(running), session.comparable(intended))

    def _diff(self, name: str, running: str, intended: str) -> dict[str, Any]:
        changes = mask_secrets(self._changes(name, running, intended))
        return {"files": {RUNNING: changes + "\n"}} if changes.strip() else {"files": {}}

    def _each(self, what: str, names: Iterable[str], work: Callable[[str], Any]) -> dict[str, Outcome]:
        """`work(device)` on every device at once; each device's failure is its own one-line Outcome."""
        names = list(names)

        def run(name: str) -> Outcome:
            try:
                return Outcome(name, True, data=work(name))
            except Exception as exc:  # each device fails alone, in one line naming it
                target = self.hosts[name].target
                error = mask_secrets(one_line(exc))
                return Outcome(name, False, error=f"{name} ({target.host}:{target.port}): {what}: {error}")

        if not names:
            return {}
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(names)))) as pool:
            outcomes = dict(zip(names, pool.map(run, names), strict=True))
        if self.on_device:
            for name, o in outcomes.items():
                self.on_device(name, f"{what} {'ok' if o.ok else 'FAILED'}")
        return outcomes


def configuration(bundle: str) -> str:
    """The configuration a bundle carries: the rollout's bundles are JSON (pilot.rollout.bundle: the
    rendered files of the device), and a CLI device's is its `running-config` file; a backup to compare
    against (the check after a restore) is passed on as it is, and so is plain configuration text."""
    if _is_check(bundle) or not bundle.lstrip().startswith("{"):
        return bundle
    try:
        data = json.loads(bundle)
    except ValueError:
        return bundle
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return bundle
    found = [f.get("text", "") for f in files if isinstance(f, dict) and f.get("path") == RUNNING]
    if len(found) != 1:
        raise PushRefused(f"the bundle has no {RUNNING} file (templates/<platform>/platform.yml: path {RUNNING})")
    return str(found[0])


def _is_check(bundle: str) -> bool:
    """A bundle that is a backup to compare against (JSON, pilot.agent.bundles.as_bundle), not a
    configuration: no CLI configuration starts with `{`."""
    if not bundle.lstrip().startswith("{"):
        return False
    try:
        data = json.loads(bundle)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("stage") == "backup"


def _first(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] + (f" (+{len(lines) - 1} more)" if len(lines) > 1 else "") if lines else ""


def netmiko_args(target: Target, options: SessionOptions) -> dict[str, Any]:
    """netmiko's connection arguments for a target (also NAPALM's optional_args, which passes them on).
    The password goes to ConnectHandler alone, never into these (they may be logged)."""
    args: dict[str, Any] = {
        "port": target.port,
        "conn_timeout": target.timeout,
        "auth_timeout": target.timeout,
        "banner_timeout": target.timeout,
        "allow_agent": False,
        "use_keys": target.key_file is not None,
        "key_file": target.key_file,
        "ssh_strict": target.strict,
        "system_host_keys": target.strict and target.known_hosts is None,
    }
    if target.known_hosts is not None:
        args.update(alt_host_keys=True, alt_key_file=target.known_hosts)
    return args


def netmiko_connect(target: Target, options: SessionOptions, device_type: str) -> Any:
    """A logged-in netmiko connection to the target, or pilot's one-line login error."""
    from netmiko import ConnectHandler

    try:
        return ConnectHandler(
            device_type=device_type,
            host=target.host,
            username=target.username,
            password=target.password or "",
            **netmiko_args(target, options),
        )
    except Exception as exc:
        raise login_error(target, exc) from None


def unmanaged_blocks(top: re.Pattern[str], management: re.Pattern[str]) -> Callable[[Sequence[str]], bool]:
    """The test of a block pilot leaves as the device has it: its first line matches `top`, or it is an
    interface with a line of the management VRF (`management`)."""

    def unmanaged(block: Sequence[str]) -> bool:
        return bool(top.match(block[0])) or (
            block[0].startswith("interface ") and any(management.match(line) for line in block)
        )

    return unmanaged


def login_error(target: Target, exc: BaseException) -> PilotError:
    """A failed login as pilot's one-line error (netmiko's own is a paragraph of advice)."""
    name = type(exc).__name__
    if "Authentication" in name:
        what = f"authentication failed for user {target.username}"
        fix = "check the credentials (PILOT_SSH_USERNAME / PILOT_SSH_PASSWORD / PILOT_SSH_KEY or the credentials file)"
    elif "Timeout" in name or isinstance(exc, (TimeoutError, ConnectionError)):
        what = f"no SSH answer within {target.timeout:g} s ({one_line(exc)})"
        fix = "check the device's address and port in the inventory and the path to it"
    else:
        what = f"cannot log in: {one_line(exc)}"
        fix = "check the device's SSH service, its host key and the credentials"
    return PilotError(what, fix=fix)  # the pusher names the device and its address


def split_blocks(config: str, unmanaged: Callable[[Sequence[str]], bool]) -> tuple[str, str]:
    """(managed, unmanaged) parts of an indented configuration (IOS-XE, EOS, VRP): a top-level line and
    the indented lines under it are one block, which `unmanaged(block lines)` assigns."""
    blocks: list[list[str]] = []
    for line in config.splitlines():
        if not line.strip():
            continue
        if line[0].isspace() and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    parts: tuple[list[str], list[str]] = ([], [])
    for block in blocks:
        parts[1 if unmanaged(block) else 0].extend(block)
    return "\n".join(parts[0]) + "\n", ("\n".join(parts[1]) + "\n" if parts[1] else "")
