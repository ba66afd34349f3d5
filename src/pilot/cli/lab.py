"""`pilot lab ...`: bring the lab described by containerlab.yml up and down, look at it, get into it."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from pilot.cli.common import (
    DEFAULT_TOPOLOGY,
    JsonOpt,
    NameOpt,
    TopologyOpt,
    WhichLabOpt,
    err,
    out,
    print_json,
    progress,
    resolve_lab,
)
from pilot.errors import PilotError
from pilot.inputs import DEFAULT_INTENT, DEFAULT_RECORD
from pilot.platforms import daemon_suites

app = typer.Typer(
    help=(
        "The lab: containerlab.yml run as real namespaces and daemons on this machine (no Docker), or "
        "with containerlab where Docker is present. Needs root."
    ),
    no_args_is_help=True,
)

BackendOpt = typer.Option(
    "namespace", "--backend", "-b", help="namespace (default: no Docker needed) or containerlab (Docker host)."
)


def _backend_of(name: str) -> str:
    from pilot.lab.state import LabState

    st = LabState.load(name)
    return st.backend if st is not None else "namespace"


@app.command("up")
def up(
    topology: Path = typer.Option(DEFAULT_TOPOLOGY, "--topology", "-t", help="containerlab topology file."),
    name: str | None = NameOpt,
    backend: str = BackendOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Bring a lab up: a holder per node, veths and bridges, sshd everywhere, FRR on routers.

    Returns when every node's sshd answers on the IPv6 management network. The lab outlives this command;
    `pilot lab status` finds it, `pilot lab down` removes it. Several labs run side by side with --name.
    """
    from pilot.lab.backend import get_backend
    from pilot.topology import load_topology

    topo = load_topology(topology, name=name)
    for warning in topo.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    with progress(not as_json) as report:
        status = get_backend(backend).up(topo, report)
    if as_json:
        print_json(status.to_dict())
    else:
        _print_status(status)
        out.print(
            f"lab '{status.name}' is up. Next: pilot lab ssh <node>, pilot lab inventory, "
            f"pilot lab down --name {status.name}"
        )


@app.command("down")
def down(
    topology: Path | None = TopologyOpt,
    name: str | None = WhichLabOpt,
    force: bool = typer.Option(
        False, "--force", help="Also clean a stale lab (left by a crash) and leftovers found by name."
    ),
    all_labs: bool = typer.Option(False, "--all", help="Take down every lab on this machine."),
    as_json: bool = JsonOpt,
) -> None:
    """Take a lab down: every holder, daemon, veth, bridge, mount and file of it is removed.

    Refused while a pilot run (apply, rollback, ...) holds an inventory written for the lab; --force
    takes it down anyway and names the run it breaks.
    """
    from pilot.lab.backend import get_backend
    from pilot.lab.state import known_labs

    names = known_labs() if all_labs else [resolve_lab(name, topology)]
    reports = []
    with _inventories_held(names, force) as broke, progress(not as_json) as report:
        for lab in names:
            for run in broke.get(lab, []):
                err.print(f"[yellow]warning:[/] lab '{lab}': breaking {Text(run)}")
            reports.append(get_backend(_backend_of(lab)).down(lab, force=force, progress=report))
    if as_json:
        print_json([{"name": r.name, "removed": r.removed, "broke": broke.get(r.name, [])} for r in reports])
        return
    for r in reports:
        out.print(
            f"lab '{r.name}' is down ({len(r.removed)} objects removed)"
            if r.removed
            else f"lab '{r.name}': nothing to remove"
        )


@contextlib.contextmanager
def _inventories_held(labs: list[str], force: bool) -> Iterator[dict[str, list[str]]]:
    """Hold the run lock of every inventory written for these labs while they are taken down, so no run
    is working on them and none starts half-way. Busy: refused, or with --force, the runs it breaks."""
    from pilot.journal.lock import RunLock, read_holders
    from pilot.lab.inventory import DEFAULT_PLACE, written_for

    held: list[RunLock] = []
    broke: dict[str, list[str]] = {}
    try:
        for lab in labs:
            # Also ./inventory/labs/<lab>: an inventory written before labs recorded theirs.
            for directory in dict.fromkeys([*written_for(lab), (DEFAULT_PLACE / lab).resolve()]):
                if not (directory / "hosts.yaml").exists():
                    continue
                lock = RunLock(directory, f"lab down {lab}")
                try:
                    held.append(lock.acquire())
                except PilotError as exc:
                    holders = read_holders(directory)
                    if not holders and not force:
                        raise
                    what = f"{'; '.join(h.describe() for h in holders)}, on {directory}" if holders else str(exc)
                    if not force:
                        raise PilotError(
                            f"lab '{lab}' is in use: {what}",
                            fix=f"wait for it to finish, or pilot lab down --name {lab} --force (breaks that run)",
                        ) from None
                    broke.setdefault(lab, []).append(what)
        yield broke
    finally:
        for lock in held:
            lock.release()


@app.command("status")
def status(
    topology: Path | None = TopologyOpt,
    name: str | None = typer.Option(None, "--name", help="Only this lab (default: every lab on this machine)."),
    as_json: bool = JsonOpt,
) -> None:
    """Show labs: each node's role, state, PIDs (holder and daemons), management address and interfaces.

    Without --name or -t, shows every lab on this machine.
    """
    from pilot.lab.backend import get_backend
    from pilot.lab.state import LabState, known_labs

    if name or topology:
        names = [resolve_lab(name, topology)]
        statuses = [get_backend(_backend_of(lab)).status(lab) for lab in names]
    else:
        statuses = []
        for lab in known_labs():
            try:
                statuses.append(get_backend(_backend_of(lab)).status(lab))
            except PilotError:
                if LabState.load(lab) is None:
                    continue  # taken down while we listed the labs: simply no longer there
                raise
    if as_json:
        print_json([s.to_dict() for s in statuses])
        return
    if not statuses:
        out.print("no lab is running (start one with: pilot lab up)")
    for s in statuses:
        _print_status(s)


@app.command(
    "exec",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def exec_(
    node: str = typer.Argument(..., help="Node name, as in containerlab.yml."),
    command: list[str] = typer.Argument(..., help="Command and arguments, after --."),
    topology: Path | None = TopologyOpt,
    name: str | None = WhichLabOpt,
) -> None:
    """Run a command inside a node's namespaces: pilot lab exec core -- vtysh -c 'show version'.

    The command's exit status is pilot's exit status.
    """
    from pilot.lab.backend import get_backend

    lab = resolve_lab(name, topology)
    argv, env = get_backend(_backend_of(lab)).exec_argv(lab, node, list(command))
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


@app.command("ssh")
def ssh(
    node: str = typer.Argument(..., help="Node name."),
    command: list[str] | None = typer.Argument(None, help="Optional remote command, after --."),
    topology: Path | None = TopologyOpt,
    name: str | None = WhichLabOpt,
) -> None:
    """SSH into a node over the management network, with the lab's key and pinned host keys."""
    from pilot.lab.paths import LabPaths
    from pilot.lab.state import LabState

    lab = resolve_lab(name, topology)
    st = LabState.load(lab)
    if st is None:
        raise PilotError(f"no lab named '{lab}'", fix="start it with pilot lab up")
    if node not in st.nodes:
        raise PilotError(f"lab '{lab}' has no node '{node}'", fix=f"use one of: {', '.join(st.nodes)}")
    config = LabPaths(lab).ssh_config
    argv = ["ssh", "-F", str(config), "--", node]
    if command:
        # ssh sends one string that the node's shell splits again: quote each word, so the command gets
        # the same arguments as with `pilot lab exec`.
        argv.append(shlex.join(command))
    sys.stdout.flush()
    os.execvp("ssh", argv)


@app.command("inventory")
def inventory(
    topology: Path | None = TopologyOpt,
    name: str | None = WhichLabOpt,
    out_dir: Path | None = typer.Option(
        None, "--out", "-o", help="Directory to write (default: inventory/labs/<lab>)."
    ),
    intent: Path = typer.Option(DEFAULT_INTENT, "--intent", "-i", help="Intent the stages come from."),
    record: Path = typer.Option(DEFAULT_RECORD, "--record", "-r", help="Its address record."),
    as_json: bool = JsonOpt,
) -> None:
    """Write a Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml) for the lab's nodes.

    Management addresses, platforms, and netmiko/NAPALM connection options with the lab's SSH key and
    pinned known_hosts, and where the intent data is (for pilot diff/apply/verify). No password or key
    material is written, only paths.
    """
    from pilot.journal.lock import RunLock
    from pilot.lab.backend import get_backend
    from pilot.lab.inventory import DEFAULT_PLACE, record_written, write_inventory

    lab = resolve_lab(name, topology)
    status = get_backend(_backend_of(lab)).status(lab, detail=False)
    target = out_dir or DEFAULT_PLACE / lab
    if not intent.is_file():  # the inventory would point diff/apply at nothing (the record may come later)
        raise PilotError(f"intent {intent} not found", fix="pass --intent FILE (run from the repository, or give it)")
    record_written(lab, target)  # first: `lab down` knows of it even if pilot stops while writing
    # Not under a run: rewriting hosts.yaml under a running apply would change its devices mid-way.
    with RunLock(target, "lab inventory"):
        files = write_inventory(status, target, intent, record)
        rebuilt = _note_rebuilt(status, target)
    if as_json:
        print_json({"lab": lab, "files": [str(f) for f in files], "journal": rebuilt})
    else:
        out.print(f"wrote {', '.join(str(f) for f in files)}")
        if rebuilt:
            out.print(f"journal: {rebuilt}")


def _note_rebuilt(status: object, target: Path) -> str | None:
    """A lab built again is a new set of devices: tell the inventory's journal, once per build."""
    from pilot.journal import Journal
    from pilot.lab.backend import LabStatus
    from pilot.rollout.inventory import load_inventory

    assert isinstance(status, LabStatus)
    if status.created is None:
        return None
    inv = load_inventory(target)
    with Journal.open(inv.journal_path) as journal:  # the caller holds the inventory's lock
        run = journal.lab_rebuilt(str(inv.directory), status.name, status.created, [n.name for n in status.nodes])
    return None if run is None else f"run {run.id}: {run.detail}"


def _natural(name: str) -> tuple[str, int]:
    stem = name.rstrip("0123456789")
    return (stem, int(name[len(stem) :] or -1))


def _print_status(s: object) -> None:
    from pilot.lab.backend import LabStatus

    assert isinstance(s, LabStatus)
    colour = {"running": "green", "stale": "red"}.get(s.state, "yellow")
    out.print(
        f"[bold]{s.name}[/] ({s.backend}) [{colour}]{s.state}[/]"
        + (f": {s.stale_reason}" if s.stale_reason else "")
        + (f"  mgmt {s.mgmt_subnet} via {s.root_ifname}" if s.mgmt_subnet else "")
    )
    table = Table(box=None, pad_edge=False)
    for column in ("node", "role", "state", "pid", "mgmt"):
        table.add_column(column, no_wrap=True)
    table.add_column("daemons")
    table.add_column("interfaces")
    for n in s.nodes:
        names = sorted({d.name for d in n.daemons})
        # A suite's processes (FRR's zebra, ospfd, bgpd ...) as one name and their count: frr(6).
        suites = {suite: [d for d in names if d in members] for suite, members in daemon_suites().items()}
        grouped = {d for members in suites.values() for d in members}
        daemons = ", ".join(
            [x for x in names if x not in grouped] + [f"{suite}({len(ds)})" for suite, ds in suites.items() if ds]
        )
        ifaces = " ".join(
            i["name"] + (f"({i['state']})" if i.get("state") not in (None, "up") else "")
            for i in sorted(n.interfaces, key=lambda i: _natural(i["name"]))
        )
        table.add_row(n.name, n.role, n.state, str(n.pid or "-"), n.mgmt_ipv6 or "-", daemons or "-", ifaces)
    out.print(table)
    if s.bridges:
        out.print(f"bridges: {', '.join(s.bridges)}")
