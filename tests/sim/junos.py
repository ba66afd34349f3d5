"""A simulated Junos device for netmiko's `juniper_junos` driver, in the CLI (NETCONF, which NAPALM's
junos driver uses, is out of reach of a simulated shell): `configure private`, `load override terminal`
ended by Ctrl-D, `commit confirmed N comment "..."`, `commit`,
`rollback 0`, `exit configuration-mode`, `show configuration`.

The configuration is kept as the text loaded (the simulation does not parse Junos' braces); a line
containing `pilot-reject` is a syntax error, reported as Junos reports one, and the rest of the paste is
loaded into the candidate as Junos does: the transport must throw the candidate away. `minute`: how long
one minute of `commit confirmed N` lasts here (seconds).
"""

from __future__ import annotations

import re
import threading

from sim.server import Session, SimDevice

REJECT = "pilot-reject"


class JunosDevice(SimDevice):
    def __init__(self, running: str, hostname: str = "sim-junos", minute: float = 60.0) -> None:
        super().__init__()
        self.hostname = hostname
        self.running = running.strip("\n") + "\n"
        self.minute = minute
        self.pending: str | None = None  # the configuration before an unconfirmed commit confirmed
        self._timer: threading.Timer | None = None
        self.reverted = 0
        self.comments: list[str] = []  # each commit's comment, newest last

    def session(self) -> Session:
        return JunosSession(self)

    def commit(self, candidate: str, minutes: int | None, comment: str) -> None:
        with self.lock:
            self._cancel()
            before = self.pending if self.pending is not None else self.running
            self.pending = before if minutes is not None else None
            self.running = candidate
            self.comments.append(comment)
            if minutes is not None:
                self._timer = threading.Timer(minutes * self.minute, self._revert)
                self._timer.daemon = True
                self._timer.start()

    def _revert(self) -> None:
        with self.lock:
            if self.pending is not None:
                self.running, self.pending = self.pending, None
                self.reverted += 1

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stop(self) -> None:
        self._cancel()


class JunosSession(Session):
    def __init__(self, device: JunosDevice) -> None:
        self.d = device
        self.candidate: str | None = None  # in configuration mode: the private candidate
        self.loading: str | None = None  # "override" while a paste is read
        self.paste: list[str] = []

    def prompt(self) -> str:
        if self.loading is not None:
            return ""
        user = f"{self.d.username}@{self.d.hostname}"
        return f"{user}> " if self.candidate is None else f"\n[edit]\n{user}# "

    def line(self, text: str) -> tuple[str, bool]:
        if self.loading is not None:
            return self._paste(text), True
        command = text.strip()
        if not command:
            return "", True
        if self.candidate is None:
            if command in ("exit", "quit"):
                return "", False
            return self._operational(command), True
        return self._configuration(command), True

    def _operational(self, command: str) -> str:
        answers = {
            "set cli screen-width 511": "Screen width set to 511",
            "set cli complete-on-space off": "Disabling complete-on-space",
            "set cli screen-length 0": "Screen length set to 0",
        }
        if command in answers:
            return answers[command]
        if command == "show configuration":
            with self.d.lock:
                return f"## Last commit: 2026-11-30 00:00:00 UTC by {self.d.username}\n{self.d.running}"
        if command == "configure private":
            with self.d.lock:
                self.candidate = self.d.running
            return "warning: uncommitted changes will be discarded on exit\nEntering configuration mode"
        return f"{' ' * 20}^\nunknown command."

    def _configuration(self, command: str) -> str:
        d = self.d
        assert self.candidate is not None
        if command == "load override terminal":
            self.loading, self.paste = "override", []
            return "[Type ^D at a new line to end input]"
        if command == "rollback 0":
            with d.lock:
                self.candidate = d.running
            return "load complete"
        match = re.fullmatch(r'commit( confirmed (\d+))?( comment "([^"]*)")?', command)
        if match:
            minutes = int(match.group(2)) if match.group(2) else None
            d.commit(self.candidate, minutes, match.group(4) or "")
            if minutes is None:
                return "commit complete"
            return (
                "configuration check succeeds\n"
                f"commit confirmed will be automatically rolled back in {minutes} minutes unless confirmed\n"
                f"commit complete\n\n# commit confirmed will be rolled back in {minutes} minutes"
            )
        if command in ("exit configuration-mode", "exit", "quit"):
            self.candidate = None  # private mode: what was not committed is discarded
            return "Exiting configuration mode"
        return f"{' ' * 20}^\nsyntax error."

    def _paste(self, text: str) -> str:
        done = text.endswith("\x04")
        line = text.removesuffix("\x04")
        if line:
            self.paste.append(line)
        if not done:
            return ""
        self.loading = None
        refused = [(n, line) for n, line in enumerate(self.paste, 1) if REJECT in line]
        self.candidate = "\n".join(line for line in self.paste if REJECT not in line) + "\n"
        if not refused:
            return "load complete"
        n, bad = refused[0]
        return (
            f"terminal:{n}:(5) syntax error: {bad.split()[0]}\n  [edit]\n    '{bad.strip()}'\n      syntax error\n"
            f"load complete ({len(refused)} errors)"
        )
