"""SSH sessions: a channel sshd refuses or does not open in time is asked for again (nothing ran), and a
command that could not start is a transient error the probes retry, not a verdict."""

from __future__ import annotations

from typing import Any

import paramiko
import pytest

from pilot.transport.ssh import DeviceError, Session, Target


class FakeChannel:
    def __init__(self, closes: bool = False) -> None:
        self.command = ""
        self.closes = closes  # sshd closes it before accepting the command

    def settimeout(self, timeout: float) -> None:
        pass

    def exec_command(self, command: str) -> None:
        if self.closes:
            raise paramiko.SSHException("Channel closed.")
        self.command = command

    def makefile_stdin(self, mode: str) -> Any:
        return None

    def makefile(self, mode: str) -> Any:
        return FakeFile(b"out\n", self)

    def makefile_stderr(self, mode: str) -> Any:
        return FakeFile(b"", self)


class FakeFile:
    def __init__(self, data: bytes, channel: FakeChannel) -> None:
        self.data, self.channel = data, self

    def read(self) -> bytes:
        return self.data

    def recv_exit_status(self) -> int:
        return 0


class FakeTransport:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.opened = 0

    def is_active(self) -> bool:
        return True

    def open_session(self, timeout: float | None = None) -> FakeChannel:
        self.opened += 1
        if self.failures:
            failure = self.failures.pop(0)
            if str(failure) == "Channel closed.":
                return FakeChannel(closes=True)
            raise failure
        return FakeChannel()


class FakeClient:
    def __init__(self, transport: FakeTransport) -> None:
        self.transport = transport

    def get_transport(self) -> FakeTransport:
        return self.transport


def session(failures: list[Exception]) -> tuple[Session, FakeTransport]:
    s = Session(Target("pc1", "3fff:0:1000::c"))
    transport = FakeTransport(failures)
    s._client = FakeClient(transport)  # type: ignore[assignment]
    return s, transport


def test_a_refused_or_unanswered_channel_is_asked_for_again() -> None:
    s, transport = session(
        [paramiko.ChannelException(2, "Connect failed"), paramiko.SSHException("Unable to open channel.")]
    )
    result = s.run("ip -j addr show")
    assert (result.returncode, result.stdout, transport.opened) == (0, "out\n", 3)


def test_a_channel_never_opened_is_a_transient_error() -> None:
    s, _ = session([paramiko.ChannelException(2, "Connect failed") for _ in range(3)])
    with pytest.raises(DeviceError) as info:
        s.run("curl -6 http://portal.pilot.test/")
    assert info.value.transient and "'curl' did not start: ChannelException(2, 'Connect failed')" in info.value.message


def test_a_channel_closed_before_the_command_started_is_asked_for_again() -> None:
    """sshd may close a new channel before it accepts the command ("Channel closed."): nothing ran."""
    s, transport = session([paramiko.SSHException("Channel closed.")])
    result = s.run("ip -6 -j addr show dev eth1 scope global")
    assert (result.returncode, result.stdout, transport.opened) == (0, "out\n", 2)
