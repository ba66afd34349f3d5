"""A simulated device's configuration: a tree of lines in the order entered, and what entering one
command does to it. A real device knows which commands open a mode (view); the simulation takes the
indentation of what it is sent instead (pilot sends hier_config's indented text), which builds the same
tree for well-formed input.

`NO X` (the platform's negation: `no ` or `undo `) removes X, or every line X starts; with nothing to
remove it stays as a line (like `undo shutdown`). `X` removes a standing `NO X` and so returns to the
default. A command that holds one value in its mode (SINGLE: a description, an access VLAN) replaces
the line it had, as devices do.
"""

from __future__ import annotations

Tree = list[tuple[str, "Tree"]]  # (line, children)

SINGLE = (
    "description ",
    "hostname ",
    "sysname ",
    "router-id ",
    "port default vlan ",
    "switchport access vlan ",
    "vlan batch ",
)


def parse(text: str, skip: tuple[str, ...] = ("#", "!"), last: tuple[str, ...] = ("return", "end")) -> Tree:
    """A configuration's text as a tree, by indentation (`skip`: comment and separator lines, `last`:
    the closing line)."""
    root: Tree = []
    stack: list[tuple[int, Tree]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith(skip) or line.strip() in last:
            continue
        indent = len(line) - len(line.lstrip())
        while stack[-1][0] >= indent:
            stack.pop()
        children: Tree = []
        stack[-1][1].append((line.strip(), children))
        stack.append((indent, children))
    return root


def dump(tree: Tree, step: int, separator: str) -> list[str]:
    """The tree as a device prints it: `step` spaces a level, `separator` after each top-level block."""
    out: list[str] = []

    def walk(nodes: Tree, depth: int) -> None:
        for line, children in nodes:
            out.append(" " * (step * depth) + line)
            walk(children, depth + 1)
            if depth == 0 and children:
                out.append(separator)

    walk(tree, 0)
    return out


def copy(tree: Tree) -> Tree:
    return [(line, copy(children)) for line, children in tree]


def enter(nodes: Tree, line: str, negation: str) -> Tree:
    """Enter one command in the mode whose lines are `nodes`; the mode it opens (its children)."""
    if line.startswith(negation):
        what = line[len(negation) :]
        kept = [n for n in nodes if not (n[0] == what or n[0].startswith(what + " "))]
        if len(kept) < len(nodes):
            nodes[:] = kept
        elif not any(n[0] == line for n in nodes):
            nodes.append((line, []))
        return []
    if any(n[0] == negation + line for n in nodes):
        nodes[:] = [n for n in nodes if n[0] != negation + line]
        return []
    for existing, children in nodes:
        if existing == line:
            return children
    single = next((prefix for prefix in SINGLE if line.startswith(prefix)), None)
    if single is not None:
        nodes[:] = [n for n in nodes if not n[0].startswith(single)]
    children: Tree = []
    nodes.append((line, children))
    return children


class Cursor:
    """Where the next command of a configuration session goes, from its indentation."""

    def __init__(self, root: Tree, negation: str) -> None:
        self.root = root
        self.negation = negation
        self.modes: list[tuple[int, Tree]] = []

    def enter(self, text: str, exits: tuple[str, ...]) -> None:
        indent = len(text) - len(text.lstrip())
        while self.modes and self.modes[-1][0] >= indent:
            self.modes.pop()
        if text.strip() in exits:
            return  # a sectional exit: the indentation already says which mode comes next
        nodes = self.modes[-1][1] if self.modes else self.root
        self.modes.append((indent, enter(nodes, text.strip(), self.negation)))
