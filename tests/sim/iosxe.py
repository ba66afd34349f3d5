"""A simulated Cisco IOS-XE router for NAPALM's `ios` driver with inline (tclsh) transfer: the exec
commands that driver sends for a replace with a revert timer, as IOS-XE answers them (NAPALM 5.2.0
napalm/ios/ios.py and netmiko 4.8.0 InLineTransfer are the reference for what is asked and parsed).

`minute`: how long one minute of `revert timer N` lasts here (seconds), so that tests wait seconds.
A configuration line containing `pilot-reject` is refused the way IOS refuses a line it does not know.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import threading

from sim.server import Session, SimDevice

INVALID = "% Invalid input detected at '^' marker."
REJECT = "pilot-reject"
DIR_TAIL = "7194652672 bytes total (6567534592 bytes free)"


class IosxeDevice(SimDevice):
    def __init__(self, running: str, hostname: str = "sim-xe", minute: float = 60.0) -> None:
        super().__init__()
        self.hostname = hostname
        self.running = running.strip("\n") + "\n"
        self.minute = minute
        self.files: dict[str, str] = {}
        self.pending: tuple[str, str] | None = None  # (configuration before the replace, user)
        self._timer: threading.Timer | None = None
        self.reverted = 0  # how often the revert timer fired
        self.commands: list[str] = []  # every exec command, for tests that check what was sent

    def session(self) -> Session:
        return IosxeSession(self)

    def show_running(self) -> str:
        return f"Building configuration...\n\nCurrent configuration : {len(self.running)} bytes\n{self.running}"

    def replace(self, path: str, revert_on_error: bool, timer: int | None) -> str:
        with self.lock:
            if path not in self.files:
                return f"%Error opening {path} (No such file or directory)"
            text = self.files[path]
            refused = [line for line in text.splitlines() if REJECT in line]
            if refused:
                lines = "\n".join(refused)
                tail = "\nThe original configuration has been successfully restored." if revert_on_error else ""
                return f"The following lines failed:\n{lines}\n{INVALID}\nRollback aborted after 5 passes{tail}"
            before = self.running
            self.running = text.strip("\n") + "\n"
            if timer is not None:
                self._cancel()
                self.pending = (before, self.username)
                self._timer = threading.Timer(timer * self.minute, self._revert)
                self._timer.daemon = True
                self._timer.start()
            return "Total number of passes: 1\nRollback Done"

    def _revert(self) -> None:
        with self.lock:
            if self.pending is not None:
                self.running = self.pending[0]
                self.pending = None
                self.reverted += 1

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def confirm(self) -> str:
        with self.lock:
            if self.pending is None:
                return "%No Rollback Confirmed Change pending"
            self._cancel()
            self.pending = None
            return ""

    def revert_now(self) -> str:
        with self.lock:
            if self.pending is None:
                return "%No Rollback Confirmed Change pending"
            self._cancel()
            self._revert()
            return "Rollback Done"

    def stop(self) -> None:
        self._cancel()


def _path(name: str) -> str:
    """flash:/x and flash:x are the same file."""
    return name.replace(":/", ":", 1)


class IosxeSession(Session):
    def __init__(self, device: IosxeDevice) -> None:
        self.d = device
        self.mode = "exec"  # exec | config | tcl
        self.tcl_file: str | None = None  # the file a `puts [open ...] {` is writing
        self.tcl_text = ""

    def prompt(self) -> str:
        if self.tcl_file is not None:
            return ""
        suffix = {"exec": "#", "config": "(config)#", "tcl": "(tcl)#"}[self.mode]
        return self.d.hostname + suffix

    def line(self, text: str) -> tuple[str, bool]:
        if self.mode == "tcl":
            return self._tcl(text), True
        command = text.strip()
        if not command:
            return "", True
        if self.mode == "config":
            return self._config(command), True
        self.d.commands.append(command)
        if command in ("exit", "quit", "logout"):
            return "", False
        return self._exec(command), True

    def _exec(self, command: str) -> str:
        d = self.d
        if command in ("terminal width 511", "terminal length 0", "enable"):
            return ""
        if command == "show running-config":
            with d.lock:
                return d.show_running()
        if command == "show archive":
            return (
                "The maximum archive configurations allowed is 10.\nThe next archive file will be named flash:archive-1"
            )
        if command == "show archive config rollback timer":
            with d.lock:
                if d.pending is None:
                    return "%No Rollback Confirmed Change pending"
                return f"Timer type: confirm\nTimer value: 1 min\nUser: {d.pending[1]}"
        if command in ("configure terminal", "conf t"):
            self.mode = "config"
            return "Enter configuration commands, one per line.  End with CNTL/Z."
        if command == "tclsh":
            self.mode = "tcl"
            return ""
        if command in ("write mem", "write memory", "copy running-config startup-config"):
            return "Building configuration...\n[OK]"
        if command == "configure confirm":
            return d.confirm()
        if command == "configure revert now":
            return d.revert_now()
        match = re.fullmatch(r"dir (\S+)", command)
        if match:
            path = match.group(1)
            key = _path(path)
            if path.endswith(":"):
                return f"Directory of {path}/\n\n{DIR_TAIL}"
            with d.lock:
                if key not in d.files:
                    return f"%Error opening {path} (No such file or directory)"
                size = len(d.files[key].encode())
            name = key.split(":", 1)[1]
            return f"Directory of {path}\n\n   33  -rw-  {size}  Nov 30 2026 00:00:00 +00:00  {name}\n\n{DIR_TAIL}"
        match = re.fullmatch(r"verify /md5 (\S+)", command)
        if match:
            with d.lock:
                text = d.files.get(_path(match.group(1)))
            if text is None:
                return f"%Error opening {match.group(1)} (No such file or directory)"
            digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
            return f".MD5 of {match.group(1)} Done!\nverify /md5 ({match.group(1)}) = {digest}"
        match = re.fullmatch(r"copy running-config (\S+:\S+)", command)
        if match:
            with d.lock:
                d.files[_path(match.group(1))] = d.running
                return f"{len(d.running)} bytes copied in 0.010 secs"
        match = re.fullmatch(r"configure replace (\S+) force( revert trigger error)?( timer (\d+))?", command)
        if match:
            timer = int(match.group(4)) if match.group(4) else None
            return d.replace(_path(match.group(1)), bool(match.group(2)), timer)
        match = re.fullmatch(r"show archive config differences (\S+) (\S+)", command)
        if match:
            with d.lock:
                old = (
                    d.running
                    if _path(match.group(1)) == "system:running-config"
                    else d.files.get(_path(match.group(1)), "")
                )
                new = d.files.get(_path(match.group(2)), "")
            lines = [x for x in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)]
            changes = [x for x in lines[2:] if not x.startswith("@@")]
            return "!Contextual Config Diffs:\n" + "\n".join(changes) if changes else "!No changes were found"
        return f"{' ' * len(self.d.hostname)}^\n{INVALID}"

    def _config(self, command: str) -> str:
        if command in ("end", "exit") or command == "\x1a":
            self.mode = "exec"
            return ""
        if REJECT in command:
            return f"{' ' * 10}^\n{INVALID}"
        return ""  # file prompt quiet and the like: accepted (pilot sends configuration by replace)

    def _tcl(self, text: str) -> str:
        if self.tcl_file is None:
            command = text.strip()
            if command == "tclquit":
                self.mode = "exec"
                return ""
            match = re.match(r'puts \[open "(\S+)" w\+\] \{(.*)', text)
            if not match:  # tclsh hands what is not Tcl to the exec CLI
                return self._exec(command) if command else ""
            self.tcl_file, self.tcl_text = _path(match.group(1)), match.group(2)
        else:
            self.tcl_text += "\n" + text
        if self.tcl_text.endswith("}"):
            with self.d.lock:
                self.d.files[self.tcl_file] = self.tcl_text[:-1] + "\n"  # puts adds the newline
            self.tcl_file = None
        return ""
