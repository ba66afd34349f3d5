"""A device's diff as pilot shows it: the device agent's structured answer turned into text, and the
summary of that text for the device tables (`3+ 1-`, `services`, `live 2`, `reconnect`)."""

from __future__ import annotations

from typing import Any

LIVE = "live: "  # a line of live-state drift (the files are as intended, the running system is not)
RECONNECT = "reconnect: "


def render_diff(data: dict[str, Any] | None) -> str:
    """The agent's structured diff as text: FRR's delta and file diffs, then services, live-state drift
    and a client's reconnection."""
    if not data:
        return ""
    parts = [text.rstrip() for _, text in sorted(data.get("files", {}).items())]
    for name, change in sorted(data.get("services", {}).items()):
        now = "running" if change["running"] else "stopped"
        wanted = "running" if change["wanted"] else "stopped"
        parts.append(f"service {name}: {now} -> {wanted}")
    parts += [LIVE + line for line in data.get("live", [])]
    reconnect = data.get("reconnect")
    if reconnect:
        was = reconnect.get("from") or "nothing applied by pilot"
        why = reconnect.get("because") or f"stage {was} -> {reconnect.get('to')}"
        parts.append(f"{RECONNECT}{why}: {', '.join(reconnect.get('services', []))} restarts")
    return "\n".join(p for p in parts if p) + ("\n" if parts else "")


def change_counts(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) in render_diff()'s text: unified diffs count their +/- lines;
    frr-reload.py's delta lists each command under "Lines To Add"/"Lines To Delete", after the line
    of the stanza it belongs to (which is context, not a change, when an indented command follows)."""
    added = removed = 0
    section: str | None = None  # "+" or "-" inside frr-reload.py's delta, None in a unified diff
    lines = diff.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("Lines To Add", "Lines To Delete")):
            section = "+" if "Add" in line else "-"
            continue
        if not line.strip() or set(line.strip()) <= {"="}:
            continue
        if line.startswith(("--- ", "+++ ", "@@", "service ", LIVE, RECONNECT)):
            section = None
            continue
        if section is None:
            sign = line[0]
        elif line[0] == " " or not (i + 1 < len(lines) and lines[i + 1].startswith(" ")):
            sign = section
        else:
            continue  # a stanza line followed by its command
        added += sign == "+"
        removed += sign == "-"
    return added, removed


def summary(diff: str) -> str:
    """The changes column of a device table: `3+ 1-`, `services`, `live 2`, `reconnect`, or `-`."""
    if not diff:
        return "-"
    added, removed = change_counts(diff)
    lines = diff.splitlines()
    words = [f"{added}+ {removed}-"] if added or removed else []
    if any(line.startswith("service ") for line in lines):
        words.append("services")
    live = sum(line.startswith(LIVE) for line in lines)
    if live:
        words.append(f"live {live}")
    if any(line.startswith(RECONNECT) for line in lines):
        words.append("reconnect")
    return " ".join(words) or "changed"
