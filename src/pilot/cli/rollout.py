"""`pilot diff | apply | rollback | verify | status | history | show`: stages pushed to an inventory."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pilot.cli.common import JsonOpt, LabOpt, err, out, print_json
from pilot.errors import PilotError

InventoryOpt = typer.Option(
    None, "--inventory", "-I", help="Nornir inventory directory (default: $PILOT_INVENTORY, else the only lab's)."
)
LimitOpt = typer.Option(
    None,
    "--limit",
    "-l",
    help="Devices, for emergencies: names or globs, role:<role>, platform:<p>; '!' excludes. A run that moves a "
    "site must take every device the move changes: a --limit that would leave a site half-moved is refused "
    "before anything is pushed (it may narrow a repair at the recorded stages).",
)
SiteOpt = typer.Option(
    None,
    "--site",
    help="Only this site (agency/site, e.g. dost/hq; repeat or comma-separate): every other site keeps its "
    "recorded stage. Without --site or --agency: the whole province.",
)
AgencyOpt = typer.Option(None, "--agency", help="Every site of this agency (e.g. dost; repeat or comma-separate).")
YesOpt = typer.Option(False, "--yes", "-y", help="Do not ask: apply after showing the diff summary.")
WorkersOpt = typer.Option(20, "--workers", "-w", help="Devices handled at once.")
TemplatesOpt = typer.Option(
    None, "--templates", help="Templates directory (default: $PILOT_TEMPLATES, ./templates, else those installed)."
)


def _where(report: Any) -> str:
    """` at dost/hq, soyte/hq` for a run that moves sites; nothing for the whole province."""
    return f" at {', '.join(report.sites)}" if report.sites else ""


def _inventory(path: Path | None, lab: str | None = None) -> Any:
    from pilot.cli.common import choose_inventory
    from pilot.rollout.inventory import load_inventory

    return load_inventory(choose_inventory(path, lab))


class LiveProgress:
    """Per-device progress and each check as it completes, on stderr; quiet when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and err.is_terminal
        self.states: dict[str, str] = {}
        self.text = ""
        self.live: Live | None = None
        self.started = time.monotonic()

    def __enter__(self) -> LiveProgress:
        if self.enabled:
            self.live = Live(self._render(), console=err, refresh_per_second=8, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def _render(self) -> Table:
        table = Table(
            box=None,
            show_header=False,
            title=f"{self.text}  ({time.monotonic() - self.started:.0f} s)",
            title_justify="left",
        )
        table.add_column("device")
        table.add_column("state")
        for name, state in self.states.items():
            table.add_row(Text(name), Text(state, style="red" if "FAIL" in state else "green" if "ok" in state else ""))
        return table

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._render())

    def phase(self, text: str) -> None:
        self.text = text
        if not self.enabled:
            return
        self._refresh()

    def device(self, name: str, state: str) -> None:
        self.states[name] = state
        self._refresh()

    def check(self, result: Any) -> None:
        mark = "skipped" if result.skipped else "ok" if result.passed else "FAIL"
        self.states[f"check {result.name}"] = f"{mark} ({result.seconds:.1f} s)"
        self._refresh()


def _confirm(report: Any) -> bool:
    # The question and what it asks about go to stderr: with --json, stdout holds only the JSON.
    _print_devices(report, err)
    if not (os.isatty(0) and err.is_terminal):
        err.print("not confirmed: no terminal to ask on (pass --yes for a non-interactive run)")
        return False
    changed = sum(1 for d in report.devices if d.diff)
    try:
        return typer.confirm(
            f"apply {report.stage}{_where(report)} to the {changed} devices that change?", default=False, err=True
        )
    except typer.Abort:
        raise KeyboardInterrupt from None  # Ctrl-C at the question stops pilot as it does anywhere else


def _options(limit: str | None, yes: bool, rollback: bool, workers: int, templates: Path | None, progress: Any) -> Any:
    from pilot.rollout.engine import Options

    return Options(
        limit=limit,
        yes=yes,
        rollback=rollback,
        workers=workers,
        templates=templates,
        confirm=_confirm,
        progress=progress,
    )


def _report_json(report: Any) -> dict[str, Any]:
    data = asdict(report)
    data["ok"] = report.ok
    return data


def _print_devices(report: Any, console: Console = out) -> None:
    table = Table(box=None, pad_edge=False)
    for column in ("device", "transport", "push", "changes", "error"):
        table.add_column(column)
    from pilot.agent.diffs import summary

    for d in report.devices:
        changes = summary(d.diff)
        table.add_row(*(Text(v) for v in (d.name, d.transport, d.push, changes, d.error)))
    console.print(table)


def _print_checks(title: str, checks: list[Any]) -> None:
    if not checks:
        return
    table = Table(box=None, pad_edge=False, title=title, title_justify="left")
    for column in ("check", "node", "result", "observed", "s"):
        table.add_column(column)
    for c in checks:
        mark = "skipped" if c.skipped else "pass" if c.passed else "FAIL"
        table.add_row(*(Text(str(v)) for v in (c.name, c.node, mark, c.observed, f"{c.seconds:.1f}")))
    out.print(table)


def _finish(report: Any, as_json: bool) -> None:
    if as_json:
        print_json(_report_json(report))
    else:
        for note in report.notes:
            err.print(f"[yellow]note:[/] {Text(note)}")
        if report.devices:  # verify pushes nothing: no device table
            _print_devices(report)
        _print_checks("checks", report.checks)
        _print_checks("after the rollback", report.after_rollback)
        colour = "green" if report.ok else "red"
        out.print(
            f"run {report.run_id}: {report.command} {report.stage}{_where(report)}: [{colour}]{report.state}[/] ({report.seconds:.1f} s) "
            f"{Text(report.detail if len(report.detail) < 300 else report.detail[:297] + '...')}"
        )
    if not report.ok:
        raise typer.Exit(1)


def diff(
    stage: str = typer.Option(..., "--stage", "-s", help="The stage to compare with."),
    site: list[str] | None = SiteOpt,
    agency: list[str] | None = AgencyOpt,
    limit: str | None = LimitOpt,
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    templates: Path | None = TemplatesOpt,
    workers: int = WorkersOpt,
    exit_code: bool = typer.Option(
        False, "--exit-code", help="Exit with status 1 when any device differs (for cron drift checks)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Show, per device, what applying the stage would change on it. Changes nothing.

    Compares the running device, not only its files: FRR routers show frr-reload.py's delta against
    FRR's running configuration (through NAPALM's compare_config); other files show unified diffs;
    then services that would start or stop, live-state drift (`live:` lines: an address, link, route,
    bridge port, sysctl or nftables table that is not as the configuration says) and clients that would
    reconnect because their stage changes. With --exit-code, exit status 1 when anything differs.

    With --site/--agency, the stage at those sites and every other site at its recorded stage: every
    device of the inventory is compared, and those the move does not concern show no change.
    """
    from pilot.rollout.engine import Rollout
    from pilot.stages import get_stage

    wanted = get_stage(stage)
    with LiveProgress(not as_json) as progress:
        rollout = Rollout(_inventory(inventory, lab), _options(limit, True, True, workers, templates, progress))
        report = rollout.diff(wanted, rollout.choose_sites(site or (), agency or ()))
    if not as_json:
        for d in report.devices:
            out.print(f"[bold]== {d.name}[/] ({d.transport})" + ("" if d.diff else ": no change"))
            if d.diff:
                out.print(Text(d.diff.rstrip()))
    _finish(report, as_json)
    if exit_code and report.differs:
        raise typer.Exit(1)


def apply(
    stage: str | None = typer.Option(None, "--stage", "-s", help="The stage to apply."),
    site: list[str] | None = SiteOpt,
    agency: list[str] | None = AgencyOpt,
    limit: str | None = LimitOpt,
    yes: bool = YesOpt,
    no_rollback: bool = typer.Option(
        False, "--no-rollback", help="On failure, leave the devices as they are (for debugging)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Re-apply the stage of an interrupted run."),
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    templates: Path | None = TemplatesOpt,
    workers: int = WorkersOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Apply a stage: back up every device, push its complete configuration, verify with real probes.

    When a push or the verification fails, every device of the run is restored to its backup and
    checked (unless --no-rollback). Without --yes, shows the diff summary and asks. Exit status 1 when
    the run did not end applied.

    Agency by agency: with --site/--agency only those sites move to the stage; every other site keeps
    its recorded stage (pilot status). The run takes the devices the move changes (the sites' gateways,
    switches and clients, and the shared services when a province-wide part comes or goes: IPv6 on the
    core, OSPFv3, eBGP IPv6, NAT64/DNS64) and verifies every site: the moved ones at their new stage,
    the others re-checked at theirs. Without --site: the whole province.
    """
    from pilot.rollout.engine import Rollout
    from pilot.stages import get_stage

    if stage is None and not resume:
        raise PilotError("apply needs --stage", fix="pass --stage ipv4|dual-stack|ipv6-mostly|ipv6-only, or --resume")
    wanted = get_stage(stage) if stage else None  # with --resume, the interrupted run's
    if resume and (site or agency):
        raise PilotError("--resume re-applies the interrupted run's own sites", fix="drop --site/--agency")
    with LiveProgress(not as_json) as progress:
        rollout = Rollout(
            _inventory(inventory, lab), _options(limit, yes, not no_rollback, workers, templates, progress)
        )
        report = rollout.apply(wanted, resume=resume, sites=rollout.choose_sites(site or (), agency or ()))
    _finish(report, as_json)


def rollback(
    to: str = typer.Option(..., "--to", help="The earlier stage to go back to."),
    site: list[str] | None = SiteOpt,
    agency: list[str] | None = AgencyOpt,
    limit: str | None = LimitOpt,
    yes: bool = YesOpt,
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    templates: Path | None = TemplatesOpt,
    workers: int = WorkersOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Go back to an earlier stage: apply it (complete configurations, so nothing of the later one stays).

    Also ends an interrupted run: the devices are brought to the stage given, whatever they ran. With
    --site/--agency, only those sites go back; the other sites' probes prove they were not touched.
    """
    from pilot.rollout.engine import Rollout
    from pilot.stages import get_stage

    wanted = get_stage(to)
    with LiveProgress(not as_json) as progress:
        rollout = Rollout(_inventory(inventory, lab), _options(limit, yes, True, workers, templates, progress))
        report = rollout.apply(wanted, command="rollback", sites=rollout.choose_sites(site or (), agency or ()))
    _finish(report, as_json)


def verify(
    stage: str | None = typer.Option(
        None, "--stage", "-s", help="Check the whole province at this stage. Default: each site at its recorded stage."
    ),
    site: list[str] | None = SiteOpt,
    agency: list[str] | None = AgencyOpt,
    limit: str | None = LimitOpt,
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    templates: Path | None = TemplatesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Run the verification pack now: RA, SLAAC, DHCPv6, option 108, PREF64, DNS64, NAT64, OSPF, BGP, RA Guard.

    Per site: each site's clients at its recorded stage, the shared infrastructure (routing, the
    operators) at the province-wide stage. --site/--agency: those sites' checks and the shared ones.
    """
    from pilot.rollout.engine import Rollout
    from pilot.stages import get_stage

    wanted = get_stage(stage) if stage else None
    with LiveProgress(not as_json) as progress:
        rollout = Rollout(_inventory(inventory, lab), _options(limit, True, True, 8, templates, progress))
        report = rollout.verify(wanted, rollout.choose_sites(site or (), agency or ()))
    _finish(report, as_json)


def status(
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    ask: bool = typer.Option(
        True,
        "--ask/--no-ask",
        help="Ask each device (over SSH) what it last applied and whether it still runs its recorded stage.",
    ),
    templates: Path | None = TemplatesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The stage each device is at and its last run; devices an interrupted run may have left mid-change
    are marked. By default each device is also asked what it last applied (the truth after a crash) and
    compared with its recorded stage, as `pilot diff` would: a device changed by hand since is marked
    DRIFTED. --no-ask reads the journal only (works on a read-only journal)."""
    from pilot.journal import Journal
    from pilot.lab import procs
    from pilot.rollout.devicestate import ask_devices
    from pilot.rollout.plan import run_inputs
    from pilot.rollout.sites import recorded_map, recorded_stages

    inv = _inventory(inventory, lab)
    inputs = None
    try:
        inputs = run_inputs(inv)
    except PilotError as exc:  # the devices' stages do not need the intent; the sites and drift do
        unreadable = str(exc)
    intent = inputs.intent if inputs is not None else None
    with Journal.open(inv.journal_path, read_only=True) as journal:  # status reads: a read-only journal will do
        journal.recover(procs.alive)
        stages = journal.device_stages(str(inv.directory))
        site_runs = journal.site_stages(str(inv.directory))
        recorded = recorded_stages(journal, str(inv.directory), intent) if intent is not None else {}
        unfinished = journal.unfinished(str(inv.directory))
        last = journal.runs(limit=1, inventory=str(inv.directory))
    site_rows = _site_rows(inv, intent, recorded, site_runs) if intent is not None else []
    if intent is None:
        err.print(f"[yellow]note:[/] no sites shown, and no device compared: {Text(unreadable)}")
    told = ask_devices(inv) if ask else {}
    drift = {}
    if ask and inputs is not None:
        drift = _drift(inv, stages, templates, inputs, recorded_map(recorded, inputs.intent))
    rows = []
    for name, host in inv.hosts.items():
        known = stages.get(name)
        rows.append(
            {
                "device": name,
                "transport": host.transport,
                "stage": known.describe() if known else "never applied",
                "run": known.run_id if known else None,
                "device_says": told.get(name),
                "live": drift.get(name),
            }
        )
    if as_json:
        print_json(
            {
                "inventory": str(inv.directory),
                "devices": rows,
                "sites": site_rows,
                "unfinished_run": asdict(unfinished) if unfinished else None,
                "last_run": asdict(last[0]) if last else None,
            }
        )
        return
    _print_sites(site_rows)
    table = Table(box=None, pad_edge=False)
    for column in ("device", "transport", "stage (journal)", "run", "last changed on the device", "live"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            *(
                Text(str(v if v is not None else "-"), style="red" if v and str(v).startswith("DRIFTED") else "")
                for v in (r["device"], r["transport"], r["stage"], r["run"], r["device_says"], r["live"])
            )
        )
    out.print(table)
    drifted = [r["device"] for r in rows if str(r["live"] or "").startswith("DRIFTED")]
    if drifted:
        mixed = len({r["stage"] for r in site_rows}) > 1
        stage = str(stages[drifted[0]].stage)
        how = (
            f"pilot apply --stage S --site X --limit {','.join(drifted)} (each site X at its own stage S) repairs them"
            if mixed
            else f"pilot diff --stage {stage} shows what differs, pilot apply --stage {stage} repairs it"
        )
        out.print(f"[red]some devices no longer run their recorded stage[/] ({', '.join(drifted)}): {how}")
    if unfinished is not None:
        from pilot.journal.resume import how_it_ended

        out.print(
            f"[red]{how_it_ended(unfinished)}[/]: devices marked unknown may be mid-change;"
            " pilot apply --resume, or pilot rollback --to <stage>"
        )
    if last:
        run = last[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started))
        out.print(f"last run: {run.id} {run.command} {run.stage or ''} {run.state} ({when}, {run.user})")


def _site_rows(inv: Any, intent: Any, recorded: dict[str, str], runs: dict[str, Any]) -> list[dict[str, Any]]:
    """Each site the intent migrates: its stage (as recorded), the run that set it, the devices serving it."""
    from pilot.rollout.sites import serving
    from pilot.stages.sitemap import migrating_sites

    rows = []
    for site in migrating_sites(intent):
        agency, _, name = site.partition("/")
        serving_it = serving(intent, [site])
        devices = [d for d in inv.hosts if d in serving_it]
        rows.append(
            {
                "site": site,
                "title": intent.site_titles(agency, name),
                "stage": recorded.get(site, "never applied"),
                "run": runs[site].run_id if site in runs else None,
                "devices": devices,
            }
        )
    return rows


def _print_sites(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = Table(box=None, pad_edge=False, title="sites", title_justify="left")
    for column in ("site", "title", "stage (journal)", "run", "devices serving it"):
        table.add_column(column)
    for r in rows:
        values = (r["site"], r["title"] or "-", r["stage"], r["run"] or "-", ", ".join(r["devices"]) or "-")
        table.add_row(*(Text(str(v)) for v in values))
    out.print(table)


def _drift(inv: Any, stages: Any, templates: Path | None, inputs: Any, recorded: Any = None) -> dict[str, str]:
    """Each device compared with the recorded stage map (or, for a journal from before stage maps, with
    its own recorded stage), as `pilot diff` does: `in sync`, or `DRIFTED: <summary>`, or why it could
    not be compared."""
    from pilot.agent.diffs import summary
    from pilot.rollout.engine import Options, Rollout

    known = {n: str(s.stage) for n, s in stages.items() if n in inv.hosts and s.stage and not s.unknown}
    if not known:
        return {}
    rollout = Rollout(inv, Options(templates=templates, validate=False), inputs)
    outcomes = rollout.drift(recorded if recorded is not None else known)
    outcomes = {n: o for n, o in outcomes.items() if n in known}
    out = {}
    for name, o in outcomes.items():
        text = str(o.data or "") if o.ok else ""
        out[name] = (f"DRIFTED: {summary(text)}" if text else "in sync") if o.ok else f"cannot tell: {o.error}"
    return out


def history(
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    count: int = typer.Option(20, "--count", "-n", help="How many runs, newest first."),
    every: bool = typer.Option(
        False, "--all", help="Runs of every inventory sharing the journal (PILOT_JOURNAL), not only this one's."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Past runs on the inventory, newest first, with the sites each moved (`all`: the whole province)."""
    from pilot.journal import Journal

    inv = _inventory(inventory, lab)
    with Journal.open(inv.journal_path, read_only=True) as journal:
        runs = journal.runs(limit=count, inventory=None if every else str(inv.directory))
    if as_json:
        print_json([asdict(r) for r in runs])
        return
    table = Table(box=None, pad_edge=False)
    for column in ("run", "when", "user", "command", "stage", "sites", "limit", "devices", "state", "detail"):
        table.add_column(column)
    for r in runs:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))
        # The sites a run moved; `all`: the whole province; `-`: a run from before stage maps, or none.
        sites = ", ".join(r.sites) if r.sites else "all" if r.stage_map else "-"
        values = (
            r.id, when, r.user, r.command, r.stage or "-", sites, r.limit or "-", len(r.devices), r.state, r.detail[:80]
        )  # fmt: skip
        table.add_row(*(Text(str(v)) for v in values))
    out.print(table)


def show(
    run_id: int = typer.Argument(..., help="Run number (pilot history)."),
    inventory: Path | None = InventoryOpt,
    lab: str | None = LabOpt,
    backups: bool = typer.Option(False, "--backups", help="Also print each device's backup (secrets redacted)."),
    as_json: bool = JsonOpt,
) -> None:
    """One run: its devices with their diffs and push results, its checks, and its log."""
    from pilot.journal import Journal

    inv = _inventory(inventory, lab)
    with Journal.open(inv.journal_path, read_only=True) as journal:
        run = journal.get_run(run_id)
        devices = journal.devices(run_id)
        checks = journal.checks(run_id)
        events = journal.events(run_id)
    if as_json:
        print_json(
            {
                "run": asdict(run),
                "devices": [asdict(d) for d in devices],
                "checks": [asdict(c) for c in checks],
                "events": events,
            }
        )
        return
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started))
    out.print(f"[bold]run {run.id}[/]: {run.command} {run.stage or ''} by {run.user}@{run.host} at {when}: {run.state}")
    if run.stage_map:
        moved = f" (moved: {', '.join(run.sites)})" if run.sites else ""
        out.print(Text("sites: " + ", ".join(f"{k} {v}" for k, v in run.stage_map.items()) + moved))
    if run.detail:
        out.print(Text(run.detail))
    for d in devices:
        out.print(f"[bold]== {d.device}[/] ({d.transport}): {d.push}" + (f": {d.error}" if d.error else ""))
        if d.diff:
            out.print(Text(d.diff.rstrip()))
        if backups and d.backup:
            out.print(Text(d.backup))
    for phase in ("verify", "after-rollback"):
        _print_checks(phase, [c for c in checks if c.phase == phase])
    for at, message in events:
        out.print(Text(f"{time.strftime('%H:%M:%S', time.localtime(at))} {message}"))
