"""diff, apply (and rollback, which is applying an earlier stage), verify: the rollout's orchestration.

apply, step by step, with the journal written before each step acts:
  1. plan: render the stage for the inventory's devices (nothing touched yet);
  2. inspect: back up what each device runs and compute its diff (an unreachable device or a refused
     login stops the run here: nothing has changed);
  3. ask (unless --yes), showing the diff summary;
  4. push: routers, switch and servers first, then the clients (they reconnect to a network that is
     ready); each device applies its bundle as one transaction and restores itself if a step fails;
  5. verify: the stage's pack of real probes;
  6. if a push or the verification failed: restore every device of the run from its backup, check
     that each is back as it was, and verify the previous stage when the devices shared one.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pilot import faults
from pilot import limit as limits
from pilot.agent.diffs import render_diff
from pilot.errors import Location, PilotError
from pilot.inputs import Inputs
from pilot.journal import Journal, RunLock
from pilot.journal.resume import blocked_by, resume_target
from pilot.lab import procs
from pilot.rollout.bundle import with_reconnect
from pilot.rollout.connections import Connections
from pilot.rollout.inventory import Host, Inventory
from pilot.rollout.plan import RunPlan, plan_run, run_inputs
from pilot.rollout.push import Outcome, Pusher
from pilot.rollout.report import DeviceReport, Options, Progress, Quiet, RunReport, why
from pilot.rollout.restore import verify_restored
from pilot.rollout.sites import plan_move, recorded_map, recorded_stages, target_map
from pilot.rollout.waves import clients_behind, push_waves, restore_waves
from pilot.rollout.workdir import before_changing_run
from pilot.stages import get_stage, stage_names
from pilot.stages.context import EVERY_STAGE
from pilot.stages.model import Stage
from pilot.stages.sitemap import StageMap, choose_sites
from pilot.verify import CheckResult, SshShell, build_pack, interior_routing, run_pack

__all__ = ["DeviceReport", "Options", "Progress", "Quiet", "Rollout", "RunReport"]


class Rollout:
    def __init__(self, inventory: Inventory, options: Options, inputs: Inputs | None = None) -> None:
        self.inv = inventory
        self.opt = options
        self._inputs = inputs  # the topology, intent and address plan: read once, on first use
        self.progress = options.progress
        self.net = Connections(inventory, options.workers, self.progress.device)
        self._log: tuple[Journal, int, float] | None = None  # where phases are logged, and since when
        self._pushing = False  # the run has begun changing devices: stopping now leaves them mid-change

    @property
    def inputs(self) -> Inputs:
        if self._inputs is None:
            self._inputs = run_inputs(self.inv)
        return self._inputs

    def choose_sites(self, sites: Sequence[str], agencies: Sequence[str]) -> list[str]:
        """The sites --site/--agency name, checked against the intent (none given: the whole province)."""
        return choose_sites(self.inputs.intent, sites, agencies) if sites or agencies else []

    def _phase(self, text: str) -> None:
        """Tell the user, and the run's log: `pilot show` then says where a slow run spent its time."""
        self.progress.phase(text)
        if self._log is not None:
            journal, run, since = self._log
            journal.event(run, f"{text} (at {time.monotonic() - since:.1f} s)")

    @contextmanager
    def _running(self, journal: Journal, report: RunReport, start: float) -> Iterator[None]:
        """The body of a started run: its phases go to the run's log; whatever stops it early, the
        journal says so (unless the body already recorded how it ended, as a rollback does): `failed`
        before any device changed, `interrupted` after, and the run's connections close."""
        self._log = (journal, report.run_id, start)
        try:
            yield
        except BaseException as exc:
            if report.state != "running":
                raise
            if self._pushing:
                report.state = "interrupted"
                detail = f"{why(exc)}; devices may have been left mid-push: pilot apply --resume, or pilot rollback --to <stage>"
                journal.interrupt(report.run_id, detail)
            else:
                journal.finish_run(report.run_id, "failed", why(exc))
            raise
        finally:
            self._close_connections()
            self._log = None
            self._pushing = False

    # -- diff ---------------------------------------------------------------------------------------
    def diff(self, stage: Stage, sites: Sequence[str] = ()) -> RunReport:
        """Every selected device against `stage` (at `sites` only, the other sites at their recorded
        stages): a device that a site move does not concern shows no change."""
        start = time.monotonic()
        self._phase(f"rendering {stage.name}")
        inputs = self.inputs
        # Shared: diffs run together, never during an apply (they would probe devices mid-change).
        with RunLock(self.inv.directory, "diff", shared=True) as lock, Journal.open(self.inv.journal_path) as journal:
            inventory = str(self.inv.directory)
            target = target_map(inputs.intent, recorded_stages(journal, inventory, inputs.intent), stage, sites)
            plan = plan_run(
                self.inv,
                target,
                self.opt.limit,
                self.opt.templates,
                strict_record=False,
                check=self.opt.validate,
                inputs=inputs,
            )
            notes = _relevant_notes(plan, journal.device_stages(inventory))
            run = journal.start_run(
                "diff", stage.name, self.opt.limit, inventory, [h.name for h in plan.hosts], target.names(), sites
            )
            lock.note(run.id)
            report = RunReport(run.id, "diff", stage.name, "running", notes=notes)
            report.stage_map, report.sites = target.names(), list(sites)
            with self._running(journal, report, start):
                bundles = plan.bundles(f"diff-{run.id}")
                self._phase("comparing running and intended configurations")
                outcomes = self._each(plan.hosts, run.id, lambda p, b: p.diff(b), bundles)
                failed = []
                for host in plan.hosts:
                    o = outcomes[host.name]
                    dev = DeviceReport(
                        host.name,
                        host.transport,
                        diff=str(o.data or "") if o.ok else "",
                        push="diffed" if o.ok else "failed",
                        error=o.error,
                    )
                    report.devices.append(dev)
                    journal.record_device(run.id, host.name, host.platform, host.transport)
                    journal.set_diff(run.id, host.name, dev.diff)
                    if not o.ok:
                        failed.append(f"{host.name}: {o.error}")
            # Connections closed: record how the run ended.
            report.state = "failed" if failed else "diffed"
            report.detail = "; ".join(failed)
            journal.finish_run(run.id, report.state, report.detail)
            if failed:
                raise self._unreachable(failed, run.id)
        report.seconds = round(time.monotonic() - start, 2)
        return report

    # -- apply ----------------------------------------------------------------------------------------
    def apply(
        self, stage: Stage | None, command: str = "apply", resume: bool = False, sites: Sequence[str] = ()
    ) -> RunReport:
        """`stage` None only with `resume` (the interrupted run's stage and sites are used). `sites`: move
        those only (pilot.rollout.sites); none: the whole province."""
        start = time.monotonic()
        inputs = self.inputs
        with RunLock(self.inv.directory, command) as lock, Journal.open(self.inv.journal_path) as journal:
            before_changing_run(journal, self.inv.directory)  # sound journal, its copy, writable run files
            journal.recover(procs.alive)
            inventory = str(self.inv.directory)
            unfinished = journal.unfinished(inventory)
            if resume:
                name, self.opt.limit = resume_target(unfinished, stage.name if stage else None, self.opt.limit)
                stage = get_stage(name)
                assert unfinished is not None
                sites = list(unfinished.sites)  # the same sites again
            elif unfinished is not None and command == "apply":
                raise blocked_by(unfinished)
            if stage is None:
                raise PilotError("apply needs --stage", fix="pass --stage S, or --resume")
            self._phase(f"rendering {stage.name}")
            recorded = recorded_stages(journal, inventory, inputs.intent)
            target = target_map(inputs.intent, recorded, stage, sites)
            previous = recorded_map(recorded, inputs.intent)
            also = set(unfinished.devices) if unfinished is not None and (resume or command == "rollback") else set()
            plan = plan_move(self.inv, self.opt, inputs, target, previous, sites, also)
            run = journal.start_run(
                "resume" if resume else command,
                stage.name,
                self.opt.limit,
                inventory,
                [h.name for h in plan.hosts],
                target.names(),
                sites,
            )
            report = RunReport(run.id, command, stage.name, "running", stage_map=target.names(), sites=list(sites))
            lock.note(run.id)  # a second run on this inventory is told which run holds it
            # Whatever stops the run, the journal says so: the devices' own transactions have completed
            # or restored themselves, and `pilot status` asks them for the truth.
            takes_over = unfinished.id if unfinished is not None and (resume or command == "rollback") else None
            with self._running(journal, report, start):
                report.notes = _relevant_notes(plan, journal.device_stages(inventory))
                self._apply(journal, plan, report, previous, takes_over)
            report.seconds = round(time.monotonic() - start, 2)
            return report

    def _apply(
        self, journal: Journal, plan: RunPlan, report: RunReport, previous: StageMap | None, takes_over: int | None
    ) -> None:
        """`takes_over`: the interrupted run this one resolves, once it begins pushing; if it stops before
        (unreachable, not confirmed), that run still blocks and its devices stay unknown."""
        run = report.run_id
        bundles = plan.bundles(str(run))
        for host in plan.hosts:
            journal.record_device(run, host.name, host.platform, host.transport)
            journal.set_intended(run, host.name, bundles[host.name])
            report.devices.append(DeviceReport(host.name, host.transport))
        devices = {d.name: d for d in report.devices}
        moving = f" at {', '.join(report.sites)}" if report.sites else ""
        journal.event(
            run, f"{report.command} {report.stage}{moving} on {len(plan.hosts)} devices ({plan.stages.describe()})"
        )

        self._phase("backing up and comparing every device")
        inspected = self._each(plan.hosts, run, lambda p, b: p.inspect(b), bundles)
        backups: dict[str, dict[str, Any]] = {}
        unreachable = []
        for name, o in inspected.items():
            if not o.ok or not isinstance(o.data, dict):
                unreachable.append(f"{name}: {o.error or 'no answer'}")
                devices[name].push, devices[name].error = "skipped", o.error
                journal.set_push(run, name, "skipped", o.error)
                continue
            backups[name] = o.data["backup"]
            journal.set_backup(run, name, json.dumps(o.data["backup"]))
            devices[name].diff = render_diff(o.data["diff"])
            journal.set_diff(run, name, devices[name].diff)
        if unreachable:
            self._finish(journal, report, "failed", "nothing was changed: " + "; ".join(unreachable))
            raise self._unreachable(unreachable, report.run_id)
        faults.checkpoint("apply:inspected")
        # Only a device that differs is pushed (a client also differs when its stage changes: it reconnects).
        self._reconnect_behind(journal, plan, report, bundles)
        to_push = [h for h in plan.hosts if devices[h.name].diff]
        for h in plan.hosts:
            if h not in to_push:
                devices[h.name].push = "unchanged"
                journal.set_push(run, h.name, "unchanged")
        if not self.opt.yes and not (self.opt.confirm and self.opt.confirm(report)):
            self._finish(journal, report, "cancelled", "not confirmed: nothing was changed")
            return

        self._pushing = True
        if takes_over is not None:
            journal.resolve(takes_over, run)
        self._phase(f"pushing {report.stage} to {len(to_push)} devices")
        failed: list[str] = []
        for n, wave in enumerate(
            self._waves(plan, push_waves(plan, to_push), f"pushing {report.stage} to the {{}} clients"), 1
        ):
            journal.event(run, f"push wave {n}: {', '.join(h.name for h in wave)}")
            outcomes = self._each(wave, run, lambda p, b: p.apply(b), {h.name: bundles[h.name] for h in wave})
            for h in wave:
                o = outcomes[h.name]
                devices[h.name].push = "pushed" if o.ok else "failed"
                devices[h.name].error = o.error
                journal.set_push(run, h.name, devices[h.name].push, o.error)
                if not o.ok:
                    failed.append(f"{h.name}: {o.error}")
            if failed:
                break  # clients do not reconnect to a half-migrated network
        if failed:
            journal.event(run, "push failed: " + "; ".join(failed))
            self._recover(
                journal,
                plan,
                report,
                [h for h in to_push if devices[h.name].push in ("pushed", "failed")],
                backups,
                previous,
                "push failed: " + "; ".join(failed),
            )
            return

        self._phase(f"verifying {plan.stages.describe()}")
        checks = self._verify(journal, plan, plan.stages, report, "verify")
        bad = [c for c in checks if not c.passed]
        if bad:
            reason = "verification failed: " + "; ".join(f"{c.name}: {c.observed}" for c in bad)
            journal.event(run, reason)
            self._recover(journal, plan, report, to_push, backups, previous, reason)
            return
        # Verified: confirm what a revert timer or a commit confirmed would otherwise take back by itself.
        confirmed = self._each(to_push, run, lambda p, b: p.confirm(list(b)), {h.name: "" for h in to_push})
        unconfirmed = [f"{n}: {o.error}" for n, o in confirmed.items() if not o.ok]
        if unconfirmed:
            reason = "confirming the commit failed: " + "; ".join(unconfirmed)
            journal.event(run, reason)
            self._recover(journal, plan, report, to_push, backups, previous, reason)
            return
        inventory = str(self.inv.directory)
        for h in plan.hosts:
            journal.set_device_stage(inventory, h.name, _device_stage(plan, h.name), run)
        moved = {s: plan.stages.stage_of(s).name for s in report.sites} if report.sites else plan.stages.names()
        journal.set_site_stages(inventory, moved, run)
        self._finish(journal, report, "applied", f"{len(to_push)} devices changed, {len(checks)} checks passed")

    def _reconnect_behind(self, journal: Journal, plan: RunPlan, report: RunReport, bundles: dict[str, str]) -> None:
        """A client whose segment's gateway or switch this run changes reconnects, though its own stage
        does not change: what it holds came from the network as it was (a drifted switch port gave it
        another VLAN's addresses; a repaired one does not take them back)."""
        devices = {d.name: d for d in report.devices}
        for client, under in clients_behind(plan, {n for n, d in devices.items() if d.diff}).items():
            device = devices.get(client)  # None: not in this run (--limit)
            if device is None or device.diff or not plan.rendered[client].reconnect:
                continue
            because = f"its network changed ({', '.join(under)})"
            bundles[client] = with_reconnect(bundles[client], because)
            device.diff = render_diff({"reconnect": {"because": because, "services": plan.rendered[client].reconnect}})
            journal.set_intended(report.run_id, client, bundles[client])
            journal.set_diff(report.run_id, client, device.diff)

    def _recover(
        self,
        journal: Journal,
        plan: RunPlan,
        report: RunReport,
        pushed: Sequence[Host],
        backups: Mapping[str, dict[str, Any]],
        previous: StageMap | None,
        reason: str,
    ) -> None:
        run = report.run_id
        if not self.opt.rollback:
            # The devices keep what was pushed, never verified: unknown until resumed or rolled back.
            report.state, report.detail = "interrupted", f"{reason} (--no-rollback: devices keep what was pushed)"
            journal.interrupt(run, f"{report.detail}; pilot apply --resume, or pilot rollback --to <stage>")
            return
        self._phase(f"rolling back {len(pushed)} devices to their backups")
        outcomes = self._restore(plan, pushed, run)
        devices = {d.name: d for d in report.devices}
        for h in pushed:
            o = outcomes[h.name]
            devices[h.name].push = "restored" if o.ok else "restore-failed"
            if not o.ok:
                devices[h.name].error = o.error
            journal.set_push(run, h.name, devices[h.name].push, o.error)
        self._phase("checking that every device is back as it was")
        restored = verify_restored(self, pushed, backups, run)
        for result in restored:
            journal.record_check(
                run,
                "after-rollback",
                result.name,
                result.node,
                result.expected,
                result.observed,
                result.passed,
                result.seconds,
                result.skipped,
            )
            self.progress.check(result)
            if not result.passed and getattr(devices.get(result.node), "push", "") == "restored":  # not back: unknown
                devices[result.node].push = "restore-failed"
                journal.set_push(run, result.node, "restore-failed", result.observed)
        report.after_rollback += restored
        was = previous.describe() if previous is not None else ""
        if previous is not None:
            self._phase(f"verifying {was} again")
            report.after_rollback += self._verify(journal, plan, previous, report, "after-rollback")
        # Rolled back means every device runs exactly what it ran before the run (compared above). The
        # previous stage's probes tell whether that network works; they do not decide whether it is back:
        # a network that drifted before the run fails them after a perfect rollback too.
        back = all(devices[h.name].push == "restored" for h in pushed)
        failing = [r.name for r in report.after_rollback if not r.passed and not r.name.startswith("restored ")]
        if not back:
            detail = "; NOT every device could be restored: see pilot show"
        elif failing:
            detail = (
                f"; every device of the run is back exactly as it was, but {len(failing)} checks of {was} fail on it"
                f" ({', '.join(failing[:5])}{', ...' if len(failing) > 5 else ''}): it was not a working network"
                " before this run either, or has not settled: pilot verify"
            )
        else:
            detail = "; every device of the run is back on its previous configuration"
        self._finish(journal, report, "rolled-back" if back else "rollback-failed", reason + detail)

    def _converged(self, plan: RunPlan) -> None:
        """Before clients reconnect, wait (bounded) for the interior routing they need: a DHCP request
        relayed before the routes to the server exist is lost, and the client then backs off for tens of
        seconds. BGP to the ISPs is not on that path; the verification waits for it."""
        if self.opt.checker is not None:
            return
        self._phase("waiting for routing to converge")
        run_pack(interior_routing(plan.inputs.intent, plan.inputs.plan, plan.stage), self._probe_shell(), deadline=60)

    def _verify(
        self,
        journal: Journal,
        plan: RunPlan,
        stages: StageMap,
        report: RunReport,
        phase: str,
        only: bool = False,
        sites: Sequence[str] | None = None,
    ) -> list[CheckResult]:
        """The pack of the map: the shared infrastructure at the province-wide stage, each site's own at
        its stage (`sites`: those only); `only`: just the checks that run on the plan's devices (a
        network whose devices are at different stages, recorded before stage maps)."""
        capable = _sends_pref64(plan)
        if self.opt.checker is not None:
            results = self.opt.checker(self.inv, plan, stages.province, capable)
        else:
            checked = stages.only(sites) if sites is not None else stages
            checks = build_pack(plan.inputs.intent, plan.inputs.plan, checked, pref64_capable=capable)
            if only:
                mine = {h.name for h in plan.hosts}
                checks = [c for c in checks if c.node in mine or c.node == "-"]
            results = run_pack(checks, self._probe_shell(), on_result=self.progress.check)
        for r in results:
            journal.record_check(
                report.run_id, phase, r.name, r.node, r.expected, r.observed, r.passed, r.seconds, r.skipped
            )
        if phase == "verify":
            report.checks += results
        return results

    # -- verify on its own -----------------------------------------------------------------------------
    def verify(self, stage: Stage | None, sites: Sequence[str] = ()) -> RunReport:
        """The pack of the network as recorded: each site at its stage and the shared infrastructure at
        the province-wide one (`stage`: the whole province at it instead; `sites`: those sites' checks
        and the shared infrastructure's only). A network recorded before stage maps whose devices are at
        different stages is `mixed`: each device is checked at its own stage, and it never passes."""
        start = time.monotonic()
        inputs = self.inputs
        with RunLock(self.inv.directory, "verify", shared=True) as lock, Journal.open(self.inv.journal_path) as journal:
            inventory = str(self.inv.directory)
            recorded = recorded_stages(journal, inventory, inputs.intent)
            stages = StageMap.of(inputs.intent, stage) if stage is not None else recorded_map(recorded, inputs.intent)
            if stages is None and sites:
                raise PilotError(
                    f"no stage is recorded for every site ({', '.join(sorted(recorded)) or 'none'} known)",
                    fix="pass --stage S, or bring the sites to a stage with pilot apply (pilot status shows where each is)",
                )
            groups = {stages.label: None} if stages is not None else self._recorded_stages(journal)
            if stages is None and len(groups) == 1:
                stages = StageMap.of(inputs.intent, get_stage(next(iter(groups))))
            plans = {
                name: plan_run(
                    self.inv,
                    stages if stages is not None else get_stage(name),
                    self.opt.limit if names is None else ",".join(names),
                    self.opt.templates,
                    strict_record=False,
                    check=self.opt.validate,
                    inputs=inputs,
                )
                for name, names in groups.items()
            }
            label = stages.label if stages is not None else "mixed"
            hosts = [h.name for plan in plans.values() for h in plan.hosts]
            run = journal.start_run(
                "verify", label, self.opt.limit, inventory, hosts, stages.names() if stages else None, sites
            )
            lock.note(run.id)
            report = RunReport(run.id, "verify", label, "running", sites=list(sites))
            report.stage_map = stages.names() if stages is not None else {}
            if stages is None:
                report.devices = [
                    DeviceReport(h.name, h.transport, push="-", stage=name)
                    for name, plan in plans.items()
                    for h in plan.hosts
                ]
            with self._running(journal, report, start):
                checks: list[CheckResult] = []
                for name, plan in plans.items():
                    if stages is not None:
                        self._phase(f"verifying {stages.only(sites).describe() if sites else stages.describe()}")
                        checks += self._verify(journal, plan, stages, report, "verify", sites=sites or None)
                    else:
                        self._phase(f"verifying {name} on {len(plan.hosts)} devices")
                        checks += self._verify(journal, plan, plan.stages, report, "verify", only=True)
            bad = [c for c in checks if not c.passed]
            failed = "; ".join(f"{c.name}: {c.observed}" for c in bad)
            if stages is None:
                at = "; ".join(f"{name}: {', '.join(h.name for h in plan.hosts)}" for name, plan in plans.items())
                outcome = f"{len(checks) - len(bad)} checks passed, {len(bad)} failed" + (f" ({failed})" if bad else "")
                self._finish(journal, report, "mixed", f"devices at different stages ({at}); {outcome}")
            else:
                self._finish(
                    journal, report, "verify-failed" if bad else "verified", failed or f"{len(checks)} checks passed"
                )
        report.seconds = round(time.monotonic() - start, 2)
        return report

    def _recorded_stages(self, journal: Journal) -> dict[str, list[str] | None]:
        """{stage: devices} of the selected devices, from the journal; refused when one is unknown."""
        recorded = journal.device_stages(str(self.inv.directory))
        names = limits.select(self.opt.limit, [(h.name, h.role, h.platform) for h in self.inv.hosts.values()])
        unknown = [
            f"{n} ({recorded[n].describe() if n in recorded else 'never applied'})"
            for n in names
            if n not in recorded or recorded[n].unknown or not recorded[n].stage
        ]
        if unknown:
            raise PilotError(
                f"no known stage for {', '.join(unknown[:5])}{' and more' if len(unknown) > 5 else ''}",
                fix="pass --stage S, or bring the devices to a stage with pilot apply (pilot status shows where each is)",
            )
        groups: dict[str, list[str] | None] = {}
        for n in names:
            stage = recorded[n].stage
            assert stage is not None
            group = groups.setdefault(stage, [])
            assert group is not None
            group.append(n)
        return groups

    # -- drift: each device against the stage it is recorded at (pilot status) -----------------------
    def drift(self, stages: StageMap | Mapping[str, str]) -> dict[str, Outcome]:
        """{device: diff Outcome} against the recorded stage map (every device of the inventory), or,
        for a journal from before stage maps, each device against its own recorded stage {device: stage}.
        Nothing is journaled: this only reads."""
        groups: dict[str, tuple[StageMap | Stage, str | None]] = {}
        if isinstance(stages, StageMap):
            groups[stages.label] = (stages, None)
        else:
            by_stage: dict[str, list[str]] = {}
            for name, stage in stages.items():
                if stage in stage_names():
                    by_stage.setdefault(stage, []).append(name)
            groups = {stage: (get_stage(stage), ",".join(names)) for stage, names in by_stage.items()}
        out: dict[str, Outcome] = {}
        try:
            for label, (wanted, names) in groups.items():
                plan = plan_run(
                    self.inv, wanted, names, self.opt.templates, strict_record=False, check=False, inputs=self.inputs
                )
                out.update(self._each(plan.hosts, 0, lambda p, b: p.diff(b), plan.bundles(f"drift-{label}")))
        finally:
            self._close_connections()
        return out

    # -- helpers ------------------------------------------------------------------------------------
    def _each(
        self,
        hosts: Sequence[Host],
        run: int,
        action: Callable[[Pusher, dict[str, str]], dict[str, Outcome]],
        bundles: Mapping[str, str],
    ) -> dict[str, Outcome]:
        """`action` on every transport at once; which transport a slow step waited for goes to the log."""
        return self.net.each(hosts, run, action, bundles, self._event)

    def _event(self, text: str) -> None:
        if self._log is not None:
            self._log[0].event(self._log[1], text)

    def _probe_shell(self) -> SshShell:
        return self.net.shell()

    def _close_connections(self) -> None:
        self.net.close()

    def _waves(self, plan: RunPlan, waves: Sequence[list[Host]], clients_phase: str) -> Iterator[list[Host]]:
        """The waves of pilot.rollout.waves in turn; before the clients' wave, once routing has converged
        (they reconnect to a network that is whole). A caller that stops iterating skips the rest."""
        clients = plan.clients()
        for n, wave in enumerate(waves):
            if n and any(h.name in clients for h in wave):
                self._converged(plan)
                self._phase(clients_phase.format(len(wave)))
            yield wave

    def _restore(self, plan: RunPlan, hosts: Sequence[Host], run: int) -> dict[str, Outcome]:
        """Put back the backups in waves (pilot.rollout.waves): a client restored before its DHCP server
        would renew its lease from the configuration being rolled back."""
        out: dict[str, Outcome] = {}
        for wave in self._waves(plan, restore_waves(plan, hosts), "restoring the {} clients"):
            names = {h.name: "" for h in wave}
            out.update(self._each(wave, run, lambda p, b: p.restore(list(b), str(run)), names))
        for h in hosts:
            out.setdefault(h.name, Outcome(h.name, False, error="no result"))
        return out

    def _unreachable(self, problems: Sequence[str], run: int) -> PilotError:
        """Devices that could not be inspected (unreachable, a refused login): nothing was changed, and
        the user has something to fix in the inventory, the credentials or the network. `problems` are
        "device: error"; devices failing for the same reason are named together."""
        by_reason: dict[str, list[str]] = {}
        for problem in problems:
            device, _, error = problem.partition(": ")
            by_reason.setdefault(_reason(device, error), []).append(device)
        names = [d for devices in by_reason.values() for d in devices]
        if len(problems) == 1:  # the location names the device already
            summary = _reason("", problems[0].partition(": ")[2])
        else:
            summary = "; ".join(f"{', '.join(devices)}: {reason}" for reason, devices in by_reason.items())
        credentials = all("authentication" in r or "Permission denied" in r for r in by_reason)
        fix = (
            "check the credentials (PILOT_SSH_USERNAME / PILOT_SSH_KEY / PILOT_SSH_PASSWORD or the credentials file)"
            if credentials
            else "check the device's address in the inventory, the credentials and the path to it"
        )
        return PilotError(
            f"{summary} (run {run}: nothing was changed)",
            fix=f"{fix}, or leave {'it' if len(names) == 1 else 'them'} out with --limit '{','.join('!' + n for n in names)}'",
            location=Location(self.inv.directory / "hosts.yaml", names[0]),
        )

    def _finish(self, journal: Journal, report: RunReport, state: str, detail: str) -> None:
        report.state, report.detail = state, detail
        journal.finish_run(report.run_id, state, detail)
        journal.event(report.run_id, f"{state}: {detail}")


def _sends_pref64(plan: RunPlan) -> bool:
    """Whether the rendered routers put PREF64 in their RAs: the render left it out (and said so) where
    the platform cannot, and then the pack checks that hosts find the prefix through DNS64 instead."""
    ras = [
        i.ra
        for r in plan.rendered.values()
        if r.device.router is not None
        for i in r.device.router.interfaces
        if i.ra is not None
    ]
    return any(ra.pref64 for ra in ras) and not any(ra.pref64_unsupported for ra in ras)


def _relevant_notes(plan: RunPlan, at: Mapping[str, Any]) -> list[str]:
    """The render's notes that concern this run: the one about a rollback past option 108 only when
    some device of the run is at a stage that sends it."""
    from pilot.render import ROLLBACK_108

    hosts = {h.name for h in plan.hosts}
    after_108 = any(
        d.stage and d.stage in stage_names() and get_stage(d.stage).option108 for n, d in at.items() if n in hosts
    )
    return [n for n in plan.notes if after_108 or not n.startswith(ROLLBACK_108)]


def _device_stage(plan: RunPlan, name: str) -> str:
    """The stage a device is at: its sites' (pilot.stages.context.Context.serving); the province-wide
    stage for a device that is the same in every stage (the lab's Internet)."""
    stage = plan.rendered[name].device.stage.name
    return plan.stage.name if stage == EVERY_STAGE else stage


def _reason(device: str, error: str) -> str:
    """A device's error without what the message names anyway (the device, its address, pilot's own
    fix) and without Ansible's wrapping, so that devices failing alike are named together."""
    text = error.split("; fix:", 1)[0].strip()
    if device:
        text = re.sub(rf"^{re.escape(device)}( \([^)]*\))?: ", "", text)
    text = text.replace("Task failed: ", "").replace("Failed to connect to the host via ssh: ", "")
    text = re.sub(r"\b\S+@[0-9A-Fa-f:.]+: ", "", text)  # ssh's user@address prefix
    return text.rstrip(".") or "failed"
