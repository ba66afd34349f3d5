"""A simulated Huawei VRP8 device (two-stage commit: the NE40E/CE images containerlab runs), for
netmiko's `huawei_vrpv8` driver: user view `<name>`, system view `[~name]` (`[*name]` with uncommitted
changes), `commit`, and `return` asking whether to commit what is uncommitted.

Views: a real VRP knows which commands open a view; the simulation takes the indentation of what it is
sent instead (pilot sends hier_config's indented remediation), which is the same tree for well-formed
input. `undo X` removes X (or stays as a line, like `undo shutdown`, when there is nothing to remove);
`X` removes a standing `undo X` and then returns to the default. A line containing `pilot-reject` is
refused as VRP refuses an unknown command. There is no revert timer on VRP (pilot's transport has none).
"""

from __future__ import annotations

from sim.server import Session, SimDevice

REJECT = "pilot-reject"
QUESTION = (
    "Warning: Uncommitted configurations found. Are you sure to commit them before exiting? [Y(yes)/N(no)/C(cancel)]:"
)

Tree = list[tuple[str, "Tree"]]  # (line, children), in the order entered


def parse(text: str) -> Tree:
    """`display current-configuration` text (or a test's hand-written one) as a tree, by indentation."""
    root: Tree = []
    stack: list[tuple[int, Tree]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith(("#", "!")) or line.strip() == "return":
            continue
        indent = len(line) - len(line.lstrip())
        while stack[-1][0] >= indent:
            stack.pop()
        children: Tree = []
        stack[-1][1].append((line.strip(), children))
        stack.append((indent, children))
    return root


def dump(tree: Tree, banner: bool = True) -> str:
    """As `display current-configuration` prints it (`banner`: the software version line and the
    closing `return`, which are not configuration)."""
    out = ["!Software Version V800R013C00SPC560B560", "#"] if banner else ["#"]

    def walk(nodes: Tree, depth: int) -> None:
        for line, children in nodes:
            out.append(" " * depth + line)
            walk(children, depth + 1)
            if depth == 0:
                out.append("#")

    walk(tree, 0)
    if banner:
        out.append("return")
    return "\n".join(out) + "\n"


def _copy(tree: Tree) -> Tree:
    return [(line, _copy(children)) for line, children in tree]


def _apply(nodes: Tree, line: str) -> Tree:
    """Enter one command in the view `nodes`; the view it opens (its children)."""
    if line.startswith("undo "):
        what = line[len("undo ") :]
        kept = [n for n in nodes if not (n[0] == what or n[0].startswith(what + " "))]
        if len(kept) == len(nodes):
            if not any(n[0] == line for n in nodes):
                nodes.append((line, []))
        else:
            nodes[:] = kept
        return []
    if any(n[0] == "undo " + line for n in nodes):
        nodes[:] = [n for n in nodes if n[0] != "undo " + line]
        return []
    for existing, children in nodes:
        if existing == line:
            return children
    children = []
    nodes.append((line, children))
    return children


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
            return dump(self.tree)

    def config(self) -> str:
        """The configuration alone, for tests to compare."""
        with self.lock:
            return dump(self.tree, banner=False)


class VrpSession(Session):
    def __init__(self, device: VrpDevice) -> None:
        self.d = device
        self.system = False  # in system view
        self.candidate: Tree = []
        self.views: list[tuple[int, Tree]] = []  # (indent, children) of the views entered
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
                self.candidate = _copy(self.d.tree)
            self.system, self.views = True, []
            return "Enter system view, return user view with return command.", True
        return self._unknown(command), True

    def _system(self, text: str) -> str:
        command = text.strip()
        indent = len(text) - len(text.lstrip())
        if command == "commit":
            with self.d.lock:
                self.d.tree = _copy(self.candidate)
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
        while self.views and self.views[-1][0] >= indent:
            self.views.pop()
        if command == "quit":
            return ""  # the sectional exit: indentation already says which view comes next
        nodes = self.views[-1][1] if self.views else self.candidate
        self.views.append((indent, _apply(nodes, command)))
        return ""

    def _answer(self, answer: str) -> str:
        if answer in ("y", "n"):
            if answer == "y":
                with self.d.lock:
                    self.d.tree = _copy(self.candidate)
            self.asking, self.system = False, False
            return ""
        self.asking = False  # c: cancel, stay in system view
        return ""

    def _unknown(self, command: str) -> str:
        return f"{' ' * (len(self.prompt()) + len(command) // 2)}^\nError: Unrecognized command found at '^' position."
