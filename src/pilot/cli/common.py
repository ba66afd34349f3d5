"""What every command shares: consoles, JSON output, progress, and which lab a command means."""

from __future__ import annotations

import contextlib
import json
import os
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
WhichLabOpt = typer.Option(
    None, "--name", help="The lab (default: the -t file's name, else the only lab up; with several up, pass it)."
)
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
    """The lab a lab command means: --name, else the -t file's name, else the only lab on this machine.

    Never a guess: with several labs up (a training machine shared by a class) and none named, the
    command refuses and lists them, rather than picking ./containerlab.yml's, maybe a colleague's lab.
    """
    from pilot.topology import load_topology
    from pilot.topology.loader import check_lab_name

    if name:
        check_lab_name(name)
        return name
    if topology is not None:
        return load_topology(topology).name
    return only_lab("--name NAME")


def only_lab(option: str) -> str:
    """The one lab on this machine; with none or several, a refusal that lists them."""
    from pilot.lab.state import known_labs

    labs = known_labs()
    if len(labs) == 1:
        return labs[0]
    if not labs:
        raise PilotError("no lab is up on this machine", fix=f"start one with pilot lab up, or pass {option}")
    raise PilotError(f"several labs are up ({', '.join(labs)}): which one?", fix=f"pass {option}")


LabOpt = typer.Option(
    None,
    "--lab",
    help="Lab name: use the inventory `pilot lab inventory --name NAME` wrote for it (inventory/labs/NAME).",
)


def choose_inventory(inventory: Path | None, lab: str | None) -> Path:
    """The inventory a rollout command means: -I DIR, or --lab NAME's, or $PILOT_INVENTORY, or the only
    lab's. -I and --lab together must agree; with several labs up and neither, the command refuses."""
    from pilot.topology.loader import check_lab_name

    if lab is not None:
        check_lab_name(lab, option="--lab")
        meant = lab_inventory(lab)
        if inventory is not None and inventory.resolve() != meant.resolve():
            raise PilotError(
                f"--lab {lab} means the inventory {meant}, but --inventory says {inventory}",
                fix="pass one of them",
            )
        return meant
    if inventory is not None:
        return inventory
    if os.environ.get("PILOT_INVENTORY"):
        return Path(os.environ["PILOT_INVENTORY"])
    return lab_inventory(only_lab("--lab NAME (or --inventory DIR)"))


def lab_inventory(lab: str) -> Path:
    """What `--lab NAME` means: the inventory `pilot lab inventory --name NAME` writes by default,
    ./inventory/labs/NAME. From another directory, the one the lab recorded when it was written there."""
    from pilot.lab.inventory import DEFAULT_PLACE, written_for

    here = DEFAULT_PLACE / lab
    if (here / "hosts.yaml").exists():
        return here
    recorded = [d for d in written_for(lab) if (d / "hosts.yaml").exists()]
    default = [d for d in recorded if d.parts[-len(here.parts) :] == here.parts]
    if len(default) == 1:
        return default[0]
    if default:  # written by default from several checkouts: which one is not for pilot to guess
        raise PilotError(
            f"lab '{lab}' has inventories in several places ({', '.join(map(str, default))})",
            fix="run from the directory whose inventory you mean, or pass --inventory DIR",
        )
    raise PilotError(
        f"lab '{lab}' has no inventory at {here}"
        + (f" (pilot lab inventory --out wrote {', '.join(map(str, recorded))})" if recorded else ""),
        fix=f"write it with pilot lab inventory --name {lab}" + (", or pass --inventory DIR" if recorded else ""),
    )
