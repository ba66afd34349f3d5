"""SSH to devices with paramiko: commands with their exit status, file upload, host keys checked.

netmiko drives interactive CLIs by prompt matching; pilot's device work runs programs (the device
agent, vtysh, frr-reload.py) whose exit status matters, so it uses SSH exec channels directly.
Unknown host keys are refused: the lab pins its keys in a known_hosts file, a real network's are
pinned by the engineer.
"""

from __future__ import annotations

import logging
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from pilot.errors import PilotError
from pilot.transport.result import Completed


@dataclass(frozen=True)
class Target:
    """Where and how to reach a device. `password` is never written anywhere by pilot."""

    name: str
    host: str
    port: int = 22
    username: str = "root"
    key_file: str | None = None
    password: str | None = None
    known_hosts: str | None = None
    strict: bool = True
    timeout: float = 10.0

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return f"Target(name={self.name!r}, host={self.host!r}, port={self.port}, username={self.username!r})"


class DeviceError(PilotError):
    """A device could not be reached, refused us, or a command on it failed.

    `transient` tells whether trying again may help (a node still booting) or not (a wrong key)."""

    def __init__(self, message: str, *, fix: str | None = None, transient: bool = False) -> None:
        super().__init__(message, fix=fix)
        self.transient = transient


# Commands at once on one connection. sshd refuses a session channel beyond its MaxSessions (10 by
# default, counting channels it has not finished closing yet): the verification's probes on one node
# stay well below, and wait for a free channel rather than fail.
CHANNELS = 4


class _ChannelRefused(Exception):
    """sshd would not open a channel for a command (raised from the paramiko error, its __cause__)."""


# paramiko logs every failed handshake with a traceback on stderr; pilot reports errors itself.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


class Session:
    """One SSH connection to a device, reused for all the commands of a run."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self._channels = threading.BoundedSemaphore(CHANNELS)

    def connect(self) -> Session:
        t = self.target
        client = paramiko.SSHClient()
        if t.known_hosts:
            try:
                client.load_host_keys(t.known_hosts)
            except OSError as exc:
                raise DeviceError(
                    f"{t.name}: cannot read known_hosts {t.known_hosts}: {exc}",
                    fix="check the inventory's known_hosts path",
                ) from None
        client.set_missing_host_key_policy(paramiko.RejectPolicy() if t.strict else paramiko.WarningPolicy())
        try:
            client.connect(
                t.host,
                port=t.port,
                username=t.username,
                key_filename=t.key_file,
                password=t.password,
                look_for_keys=False,
                allow_agent=False,
                timeout=t.timeout,
                banner_timeout=t.timeout,
                auth_timeout=t.timeout,
            )
        except paramiko.AuthenticationException:
            client.close()
            raise DeviceError(
                f"{t.name} ({t.host}): authentication refused for user {t.username}",
                fix="check the credentials (PILOT_SSH_* or the credentials file)",
            ) from None
        except paramiko.SSHException as exc:
            client.close()  # never leave a half-open connection for sshd's MaxStartups to count
            if "not found in known_hosts" in str(exc):
                raise DeviceError(
                    f"{t.name} ({t.host}): host key not known",
                    fix=f"pin the device's host key in {t.known_hosts or 'the known_hosts file'}",
                ) from None
            raise DeviceError(
                f"{t.name} ({t.host}): SSH failed: {exc}", fix="check the device and its sshd", transient=True
            ) from None
        except (TimeoutError, OSError) as exc:
            client.close()
            raise DeviceError(
                f"{t.name} ({t.host}:{t.port}) is unreachable: {exc}",
                fix="check the address in the inventory and the path to the device",
                transient=True,
            ) from None
        self._client = client
        return self

    @property
    def client(self) -> paramiko.SSHClient:
        if self._client is None:
            self.connect()
        assert self._client is not None
        return self._client

    def alive(self) -> bool:
        transport = self._client.get_transport() if self._client else None
        return bool(transport and transport.is_active())

    def run(self, command: str, timeout: float = 120.0, stdin: str | None = None) -> Completed:
        # One channel per command: several threads may run commands on one connection at once (the
        # verification's probes on one node do), paramiko's transport multiplexes them.
        with self._lock:
            client = self.client  # connect once, not once per thread
        with self._channels:
            try:
                chan_in, chan_out, chan_err = self._open(client, command, timeout)
                if stdin is not None:
                    chan_in.write(stdin)
                    chan_in.channel.shutdown_write()
                out = chan_out.read().decode(errors="replace")
                err = chan_err.read().decode(errors="replace")
                code = chan_out.channel.recv_exit_status()
            except _ChannelRefused as exc:
                raise DeviceError(
                    f"{self.target.name}: '{command.split()[0]}' did not start: {exc.__cause__}",
                    fix="check the device's sshd (MaxSessions) and load",
                    transient=True,  # nothing ran: asking again later may work
                ) from None
            except (TimeoutError, paramiko.SSHException, OSError) as exc:
                raise DeviceError(
                    f"{self.target.name}: '{command.split()[0]}' did not complete: {exc}",
                    fix="check the device",
                    transient=True,  # the session, not the login: a probe may ask again
                ) from None
        return Completed(code, out, err)

    @staticmethod
    def _open(client: paramiko.SSHClient, command: str, timeout: float) -> Any:
        """exec_command, opening the channel again if sshd refused it, did not answer in time or closed it
        before accepting the command (its channels of commands that just ended may not be closed yet, or
        it is busy): nothing has run then, so trying again is safe. Still refused: _ChannelRefused."""
        transport = client.get_transport()
        if transport is None:
            raise paramiko.SSHException("not connected")
        for attempt in range(3):
            try:
                channel = transport.open_session(timeout=min(timeout, 10.0))
                channel.settimeout(timeout)
                # A channel sshd closes before it accepted the command ("Channel closed."): nothing ran.
                channel.exec_command(command)
            except paramiko.SSHException as exc:  # ChannelException (refused), or "Unable to open channel"
                if attempt == 2 or not transport.is_active():
                    raise _ChannelRefused() from exc
                time.sleep(0.2 * (attempt + 1))
                continue
            return channel.makefile_stdin("wb"), channel.makefile("r"), channel.makefile_stderr("r")
        raise AssertionError("unreachable")

    def check(self, command: str, timeout: float = 120.0) -> str:
        result = self.run(command, timeout)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise DeviceError(
                f"{self.target.name}: {command.split()[0]} failed (exit {result.returncode}): {' | '.join(detail[-2:])}",
                fix="see the device's logs",
            )
        return result.stdout

    def put(self, path: str, text: str, mode: int = 0o600) -> None:
        """Write a text file on the device atomically (a temporary name, then a rename), in one command:
        the text travels on the command's standard input, no SFTP session to set up."""
        q = shlex.quote
        directory, part = str(Path(path).parent), f"{path}.part"
        script = f"umask 077 && mkdir -p {q(directory)} && cat > {q(part)} && chmod {mode:o} {q(part)} && mv -f {q(part)} {q(path)}"
        result = self.run(script, timeout=60, stdin=text)
        if result.returncode != 0:
            raise DeviceError(
                f"{self.target.name}: cannot write {path}: {result.stderr.strip() or f'exit {result.returncode}'}",
                fix="check the device's disk and permissions",
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Session:
        return self.connect()

    def __exit__(self, *exc: Any) -> None:
        self.close()
