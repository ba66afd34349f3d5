"""A simulated Huawei VRP8 device (two-stage commit: the NE40E/CE images containerlab runs), for
netmiko's `huawei_vrpv8` driver: user view `<name>`, system view `[~name]` (`[*name]` with uncommitted
changes), `commit`, and `return` asking whether to commit what is uncommitted.

Views and `undo`: sim.tree. A line containing `pilot-reject` is refused as VRP refuses an unknown command. There is no revert timer on VRP (pilot's transport has none).
"""

from __future__ import annotations

from sim.server import Session, SimDevice
from sim.tree import Cursor, Tree, copy, dump, parse

REJECT = "pilot-reject"
QUESTION = (
    "Warning: Uncommitted configurations found. Are you sure to commit them before exiting? [Y(yes)/N(no)/C(cancel)]:"
)

BANNER = "!Software Version V800R013C00SPC560B560"


def display(tree: Tree, banner: bool = True) -> str:
    """As `display current-configuration` prints it (`banner`: the software version line and the
    closing `return`, which are not configuration)."""
    lines = ["#", *dump(tree, 1, "#")]
    if banner:
        lines = [BANNER, *lines, "return"]
    return "\n".join(lines) + "\n"


class VrpDevice(SimDevice):
    def __init__(self, running: str, sysname: str = "sim-vrp") -> None:
        super().__init__()
        self.sysname = sysname
        self.tree = parse(running)
        self.commands: list[str] = []

    def session(self) -> Session:
        return VrpSession(self)

    def running(self) -> str:
        with self.lock:
            return display(self.tree)

    def config(self) -> str:
        """The configuration alone, for tests to compare."""
        with self.lock:
            return display(self.tree, banner=False)


class VrpSession(Session):
    def __init__(self, device: VrpDevice) -> None:
        self.d = device
        self.system = False  # in system view
        self.candidate: Tree = []
        self.cursor = Cursor(self.candidate, "undo ")
        self.asking = False  # waiting for the answer to QUESTION

    def prompt(self) -> str:
        if self.asking:
            return ""
        if not self.system:
            return f"<{self.d.sysname}>"
        return f"[{'*' if self._changed() else '~'}{self.d.sysname}]"

    def _changed(self) -> bool:
        with self.d.lock:
            return self.candidate != self.d.tree

    def line(self, text: str) -> tuple[str, bool]:
        command = text.strip()
        self.d.commands.append(text)
        if self.asking:
            return self._answer(command.lower()), True
        if not command:
            return "", True
        if not self.system:
            return self._user(command)
        return self._system(text), True

    def _user(self, command: str) -> tuple[str, bool]:
        if command in ("quit", "exit"):
            return "", False
        if command == "screen-length 0 temporary":
            return "Info: The configuration takes effect on the current user terminal interface only.", True
        if command == "display current-configuration":
            return self.d.running(), True
        if command == "system-view":
            with self.d.lock:
                self.candidate = copy(self.d.tree)
            self.system, self.cursor = True, Cursor(self.candidate, "undo ")
            return "Enter system view, return user view with return command.", True
        return self._unknown(command), True

    def _system(self, text: str) -> str:
        command = text.strip()
        if command == "commit":
            with self.d.lock:
                self.d.tree = copy(self.candidate)
            return ""
        if command == "return":
            if self._changed():
                self.asking = True
                return QUESTION
            self.system = False
            return ""
        if command == "display current-configuration":
            return self.d.running()
        if REJECT in command:
            return self._unknown(command)
        self.cursor.enter(text, exits=("quit",))
        return ""

    def _answer(self, answer: str) -> str:
        if answer in ("y", "n"):
            if answer == "y":
                with self.d.lock:
                    self.d.tree = copy(self.candidate)
            self.asking, self.system = False, False
            return ""
        self.asking = False  # c: cancel, stay in system view
        return ""

    def _unknown(self, command: str) -> str:
        return f"{' ' * (len(self.prompt()) + len(command) // 2)}^\nError: Unrecognized command found at '^' position."
