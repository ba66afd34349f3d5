"""--limit EXPR: which devices a command acts on.

EXPR is a comma-separated list of terms: a node name or glob (core, pc*), role:<role>, platform:<name>.
A term starting with '!' removes what it matches. Without a positive term, everything is selected.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

from pilot.errors import PilotError

FIELDS = ("role", "platform")


def select(expr: str | None, nodes: Sequence[tuple[str, str, str]]) -> list[str]:
    """`nodes` are (name, role, platform). Returns the selected names, in the given order."""
    names = [n for n, _, _ in nodes]
    if not expr:
        return names
    include: set[str] | None = None
    exclude: set[str] = set()
    for raw in (t.strip() for t in expr.split(",")):
        if not raw:
            continue
        negate = raw.startswith("!")
        term = raw[1:] if negate else raw
        matched = _match(term, nodes)
        if not matched and not any(ch in term for ch in "*?["):
            raise PilotError(
                f"--limit: '{term}' matches no device",
                fix=f"use node names ({', '.join(names)}), globs, role:<role> or platform:<platform>",
            )
        if negate:
            exclude |= matched
        else:
            include = (include or set()) | matched
    chosen = set(names) if include is None else include
    return [n for n in names if n in chosen and n not in exclude]


def _match(term: str, nodes: Iterable[tuple[str, str, str]]) -> set[str]:
    key, sep, value = term.partition(":")
    if sep and key in FIELDS:
        index = FIELDS.index(key) + 1
        return {node[0] for node in nodes if node[index] == value}
    return {name for name, _, _ in nodes if fnmatch.fnmatchcase(name, term)}
