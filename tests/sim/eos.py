"""A simulated Arista EOS switch/router for netmiko's `arista_eos` driver: configuration sessions
(`configure session NAME`, `rollback clean-config`, `commit`, `commit timer hh:mm:ss`, `abort`) and, from
exec mode, `configure session NAME commit` (confirm) and `configure session NAME abort` (revert now).

A commit with a timer that is not confirmed in time puts back the configuration from before it. Modes
and `no`: sim.tree. A line containing `pilot-reject` is refused as EOS refuses an unknown command.
"""

from __future__ import annotations

import re
import threading

from sim.server import Session, SimDevice
from sim.tree import Cursor, Tree, copy, dump, parse

REJECT = "pilot-reject"
INVALID = "% Invalid input"


class EosDevice(SimDevice):
    def __init__(self, running: str, hostname: str = "sim-eos") -> None:
        super().__init__()
        self.hostname = hostname
        self.tree = parse(running)
        self.sessions: dict[str, Tree] = {}
        self.pending: tuple[str, Tree] | None = None  # (session committed with a timer, configuration before)
        self._timer: threading.Timer | None = None
        self.reverted = 0

    def session(self) -> Session:
        return EosSession(self)

    def show_running(self) -> str:
        with self.lock:
            lines = dump(self.tree, 3, "!")
        head = ["! Command: show running-config", f"! device: {self.hostname} (vEOS-lab, EOS-4.30.1F)", "!"]
        return "\n".join([*head, *lines, "!", "end"]) + "\n"

    def config(self) -> str:
        """The configuration alone, for tests to compare."""
        with self.lock:
            return "\n".join(dump(self.tree, 3, "!")) + "\n"

    def commit(self, name: str, timer: int | None) -> None:
        with self.lock:
            candidate = self.sessions.pop(name)
            self._cancel()
            self.pending = (name, self.tree) if timer is not None else None
            self.tree = candidate
            if timer is not None:
                self._timer = threading.Timer(timer, self._revert)
                self._timer.daemon = True
                self._timer.start()

    def confirm(self, name: str) -> str:
        with self.lock:
            if self.pending is not None and self.pending[0] == name:
                self._cancel()
                self.pending = None
                return ""
            if name in self.sessions:
                self.commit(name, None)
                return ""
            return f"% Session {name} does not exist"

    def abort(self, name: str) -> str:
        with self.lock:
            if self.pending is not None and self.pending[0] == name:
                self._cancel()
                self._revert()
            self.sessions.pop(name, None)
            return ""

    def _revert(self) -> None:
        with self.lock:
            if self.pending is not None:
                self.tree = self.pending[1]
                self.pending = None
                self.reverted += 1

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stop(self) -> None:
        self._cancel()


class EosSession(Session):
    def __init__(self, device: EosDevice) -> None:
        self.d = device
        self.name: str | None = None  # the configuration session this CLI is in
        self.cursor: Cursor | None = None

    def prompt(self) -> str:
        if self.name is None:
            return f"{self.d.hostname}#"
        return f"{self.d.hostname}(config-s-{self.name[:6]})#"

    def line(self, text: str) -> tuple[str, bool]:
        command = text.strip()
        if not command:
            return "", True
        if self.name is not None:
            return self._in_session(text), True
        if command in ("exit", "quit", "logout"):
            return "", False
        return self._exec(command), True

    def _exec(self, command: str) -> str:
        d = self.d
        if command == "terminal width 511":
            return "Width set to 511 columns."
        if command == "terminal length 0":
            return "Pagination disabled."
        if command == "show running-config":
            return d.show_running()
        if command in ("write memory", "copy running-config startup-config"):
            return "Copy completed successfully."
        match = re.fullmatch(r"configure session (\S+) commit timer (\d\d):(\d\d):(\d\d)", command)
        if match:
            hours, minutes, seconds = (int(g) for g in match.groups()[1:])
            with d.lock:
                if match.group(1) not in d.sessions:
                    return f"% Session {match.group(1)} does not exist"
                d.commit(match.group(1), hours * 3600 + minutes * 60 + seconds)
            return ""
        match = re.fullmatch(r"configure session (\S+)( commit| abort)?", command)
        if match:
            name, action = match.group(1), (match.group(2) or "").strip()
            if action == "commit":
                return d.confirm(name)
            if action == "abort":
                return d.abort(name)
            with d.lock:
                tree = d.sessions.setdefault(name, copy(d.tree))
            self.name, self.cursor = name, Cursor(tree, "no ")
            return ""
        return INVALID

    def _in_session(self, text: str) -> str:
        d, name, command = self.d, self.name, text.strip()
        assert name is not None and self.cursor is not None
        if command == "end":
            self.name = None  # the session stays, uncommitted
            return ""
        if command == "abort":
            self.name = None
            return d.abort(name)
        if command == "commit":
            self.name = None
            d.commit(name, None)
            return ""
        match = re.fullmatch(r"commit timer (\d\d):(\d\d):(\d\d)", command)
        if match:
            hours, minutes, seconds = (int(g) for g in match.groups())
            self.name = None
            d.commit(name, hours * 3600 + minutes * 60 + seconds)
            return ""
        if command == "rollback clean-config":
            with d.lock:
                tree = d.sessions[name]
                tree.clear()
            self.cursor = Cursor(tree, "no ")
            return ""
        if REJECT in command:
            return f"{INVALID} (at token 0: '{command.split()[0]}')"
        with d.lock:
            self.cursor.enter(text, exits=("exit",))
        return ""
