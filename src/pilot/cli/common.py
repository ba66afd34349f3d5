"""What every command shares: consoles, JSON output, progress, and which lab a command means."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from pilot.errors import PilotError

# No emoji codes (":100:" inside an IPv6 address would become one) and no wrapping when piped to a file.
out = Console(highlight=False, soft_wrap=True, emoji=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

DEFAULT_TOPOLOGY = Path("containerlab.yml")

TopologyOpt = typer.Option(None, "--topology", "-t", help="containerlab topology file (default: ./containerlab.yml).")
NameOpt = typer.Option(None, "--name", help="Lab name; overrides the file's `name:` (one copy per student).")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")


def print_json(data: Any) -> None:
    # Vietnamese names stay readable (and greppable) in JSON: UTF-8, not \u escapes.
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def progress(enabled: bool = True) -> Iterator[Any]:
    """A live one-line status on stderr for long work; silent when stderr is not a terminal."""
    if not enabled or not err.is_terminal:

        def quiet(message: str) -> None:
            pass

        yield quiet
        return
    with err.status("starting") as status:

        def update(message: str) -> None:
            status.update(message)

        yield update


def resolve_lab(name: str | None, topology: Path | None) -> str:
    """The lab a command means: --name, else the -t file's name, else the only lab, else ./containerlab.yml's."""
    from pilot.lab.state import known_labs
    from pilot.topology import load_topology
    from pilot.topology.loader import check_lab_name

    if name:
        check_lab_name(name)
        return name
    if topology is not None:
        return load_topology(topology).name
    labs = known_labs()
    if len(labs) == 1:
        return labs[0]
    if DEFAULT_TOPOLOGY.exists():
        return load_topology(DEFAULT_TOPOLOGY).name
    if not labs:
        raise PilotError("no lab is running", fix="start one with pilot lab up")
    raise PilotError(f"several labs are running ({', '.join(labs)})", fix="pass --name")
