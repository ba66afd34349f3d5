"""An SSH server for simulated devices: fakenos' paramiko server (its password check and accept loop)
with a shell of our own per connection.

fakenos' own shell (CMDShell) answers each command from a fixed table, matched exactly, and its channel
tap forwards one byte every 10 ms: a device that must keep a running configuration, take any
configuration line and answer a 2 kB paste in milliseconds needs a shell of its own. Each simulated
device is a `SimDevice`: one object (its configuration, its timers) shared by its connections, and one
`Session` per connection (its prompt, its mode).
"""

from __future__ import annotations

import secrets
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import paramiko
from fakenos.plugins.servers.ssh_server_paramiko import ParamikoSshServer, ParamikoSshServerInterface


class Session:
    """One CLI session: `prompt()` is shown after each answer; `line(text)` answers one input line and
    returns False when the session ends."""

    def prompt(self) -> str:
        raise NotImplementedError

    def line(self, text: str) -> tuple[str, bool]:
        raise NotImplementedError


class SimDevice:
    """A device: the state its sessions share, guarded by `lock`."""

    username = "pilot"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.password = secrets.token_urlsafe(12)  # made up for each simulated device, never written down

    def session(self) -> Session:
        raise NotImplementedError


class _Server(ParamikoSshServer):
    def __init__(self, device: SimDevice, key_file: str) -> None:
        super().__init__(
            shell=object,  # unused: connection_function below runs the device's own session
            nos=None,  # type: ignore[arg-type]
            nos_inventory_config={},
            port=0,
            username=device.username,
            password=device.password,
            ssh_key_file=key_file,
            address="127.0.0.1",
            timeout=1,
        )
        self.device = device

    def _bind_sockets(self) -> None:
        super()._bind_sockets()
        assert self._socket is not None
        self.port = self._socket.getsockname()[1]  # port 0: the kernel chose a free one

    def connection_function(self, client: socket.socket, is_running: threading.Event) -> None:
        transport = paramiko.Transport(client)
        with self._active_sessions_lock:
            self._active_sessions.add(transport)
        try:
            transport.add_server_key(self._ssh_server_key)
            transport.start_server(server=ParamikoSshServerInterface(self.ssh_banner, self.username, self.password))
            channel = transport.accept(20)
            if channel is None:
                return
            _serve(channel, self.device.session(), is_running)
        except (EOFError, OSError, paramiko.SSHException):
            pass  # a client that goes away, or fails to log in
        finally:
            transport.close()
            with self._active_sessions_lock:
                self._active_sessions.discard(transport)


def _serve(channel: paramiko.Channel, session: Session, is_running: threading.Event) -> None:
    """Echo what the client types, answer each line, show the prompt: a terminal's behaviour."""
    channel.settimeout(0.5)
    channel.sendall(session.prompt().encode())
    pending = b""
    last = b""
    while is_running.is_set() and not channel.closed:
        try:
            data = channel.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return
        if not data:
            return
        for byte in (data[i : i + 1] for i in range(len(data))):
            if byte == b"\x04":  # Ctrl-D ends a paste (Junos `load ... terminal`) without Enter
                pending += byte
                byte = b"\r"
            if byte in (b"\r", b"\n"):
                if byte == b"\n" and last == b"\r":
                    last = byte
                    continue  # CR LF: one end of line
                last = byte
                channel.sendall(b"\r\n")
                text = pending.decode("utf-8", errors="replace")
                pending = b""
                answer, going_on = session.line(text)
                if answer:
                    answer = answer if answer.endswith("\n") else answer + "\n"
                    channel.sendall(answer.replace("\r\n", "\n").replace("\n", "\r\n").encode())
                if not going_on:
                    channel.close()
                    return
                channel.sendall(session.prompt().encode())
            else:
                last = byte
                if byte != b"\x00":  # NAPALM's keepalive
                    pending += byte
                    channel.sendall(byte)


class SimServer:
    """A simulated device on 127.0.0.1 and a free port, host key generated in a temporary directory."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self._tmp = tempfile.TemporaryDirectory(prefix="pilot-sim-")
        key_file = Path(self._tmp.name) / "host_rsa"
        paramiko.RSAKey.generate(2048).write_private_key_file(str(key_file))
        self._server = _Server(device, str(key_file))

    @property
    def port(self) -> int:
        return self._server.port

    def drop(self) -> None:
        """Cut every open connection, as a device that reloads or a link that fails."""
        self._server._close_active_connections()

    def __enter__(self) -> SimServer:
        self._server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.stop()
        self._tmp.cleanup()
