"""How pilot pushes a stage, behind one interface (Pusher), one pusher per transport a platform names
(pilot.platforms): "napalm", Nornir and a NAPALM driver carrying the device agent's bundles (FRR);
"ansible", the device agent through playbooks/pilot-agent.yml and ansible-runner (Linux hosts, the lab's
switch). Either way the device agent does the work on the device, as one transaction per device.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pilot.rollout import ansible
from pilot.rollout.inventory import Host, Inventory

OnDevice = Callable[[str, str], None]  # (device, state) for the progress display

# Nornir logs each failed task with its traceback; pilot reports the failure itself, in one line per
# device (PILOT_DEBUG=1 keeps Nornir's tracebacks for debugging).
if not os.environ.get("PILOT_DEBUG"):
    logging.getLogger("nornir").setLevel(logging.CRITICAL)


@dataclass
class Outcome:
    device: str
    ok: bool
    data: Any = None
    error: str = ""


class Pusher(Protocol):
    transport: str

    def inspect(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        """Each device's backup (what the bundle will replace) and diff, in one round trip."""
        ...

    def diff(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        """The diff only, as text (data)."""
        ...

    def apply(self, bundles: Mapping[str, str]) -> dict[str, Outcome]: ...

    def restore(self, devices: Sequence[str], run: str) -> dict[str, Outcome]:
        """Put back what run `run` replaced, from the backup each device kept."""
        ...

    def confirm(self, devices: Sequence[str]) -> dict[str, Outcome]:
        """Called once verification has passed: confirm what apply committed with a revert timer or a
        commit confirmed, before the timer reverts it. A transport without one confirms at once."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PushContext:
    """What a platform needs to make the pusher for its devices of a run."""

    inventory: Inventory
    hosts: Sequence[Host]  # every host of the platform in the inventory (a run may push to fewer)
    run: int  # 0: no run (the drift check of pilot status)
    workdir: Callable[[], Path]  # the run's work directory (ansible-runner's), made when first asked
    workers: int = 20
    on_device: OnDevice | None = None
    # Seconds a device with a revert timer (IOS-XE, EOS, Junos) keeps an unconfirmed commit: longer than
    # the waves, the convergence wait and the verification of a run, so that only a pilot that died or
    # lost the device lets it revert.
    revert_in: int = 900


def confirmed(devices: Sequence[str]) -> dict[str, Outcome]:
    """A transport without revert timers: everything applied is already final."""
    return {name: Outcome(name, True, data={"state": "final"}) for name in devices}


def message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class NapalmPusher:
    """Devices through Nornir and a NAPALM driver that carries pilot's device-agent bundles (pilot_frr for
    FRR, pilot_mock in tests). Beyond NAPALM's API such a driver gives `inspect()` (backup and diff in one
    round trip) and restores a given run's backup (`committed`, then `rollback()`): the device agent
    keeps a backup per run. Vendor platforms speak NAPALM's own API through their CLI transport."""

    transport = "napalm"

    def __init__(
        self, inventory: Inventory, hosts: Sequence[Host], workers: int = 20, on_device: OnDevice | None = None
    ) -> None:
        from nornir import InitNornir
        from nornir.core.inventory import ConnectionOptions

        names = {h.name for h in hosts}
        nr = InitNornir(
            runner={"plugin": "threaded", "options": {"num_workers": max(1, workers)}},
            inventory={
                "plugin": "SimpleInventory",
                "options": {
                    "host_file": str(inventory.directory / "hosts.yaml"),
                    "group_file": str(inventory.directory / "groups.yaml"),
                    "defaults_file": str(inventory.directory / "defaults.yaml"),
                },
            },
            logging={"enabled": False},
        )
        self.nr = nr.filter(filter_func=lambda h: h.name in names)
        for host in hosts:
            t = host.target
            # Credentials are set here, in memory, never in the inventory files.
            self.nr.inventory.hosts[host.name].connection_options["napalm"] = ConnectionOptions(
                hostname=t.host,
                username=t.username,
                password=t.password or "",
                port=t.port,
                platform=host.napalm_driver,
                extras={
                    "timeout": 60,
                    "optional_args": {
                        "name": host.name,
                        "key_file": t.key_file,
                        "known_hosts": t.known_hosts,
                        "ssh_strict": t.strict,
                        "port": t.port,
                    },
                },
            )
        self.on_device = on_device

    def _run(self, task: Callable[..., Any], what: str, names: Sequence[str], **kwargs: Any) -> dict[str, Outcome]:
        chosen = set(names)
        # The filtered view shares the Host objects, and so the connections opened by earlier calls.
        nr = self.nr.filter(filter_func=lambda h: h.name in chosen)
        if not nr.inventory.hosts:
            return {}
        # on_failed: a device that failed an earlier step of the run (a push) must still be restored.
        results = nr.run(task=task, on_failed=True, **kwargs)
        out = {}
        for name, multi in results.items():
            if multi.failed:
                # The deepest error says why (a subtask's CommitError), not Nornir's wrapper around it.
                errors = [r.exception for r in multi if r.exception is not None]
                exc = next(
                    (e for e in reversed(errors) if type(e).__name__ != "NornirSubTaskError"),
                    errors[-1] if errors else None,
                )
                out[name] = Outcome(name, False, error=message(exc) if exc else f"{what} failed")
            else:
                out[name] = Outcome(
                    name, True, data=multi[0].result if multi[0].result is not None else multi[-1].result
                )
            if self.on_device:
                self.on_device(name, f"{what} {'ok' if out[name].ok else 'FAILED'}")
        return out

    def inspect(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        return self._run(_inspect, "inspect", list(bundles), bundles=bundles)

    def diff(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        return self._run(_configure, "diff", list(bundles), bundles=bundles, dry_run=True)

    def apply(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        return self._run(_configure, "push", list(bundles), bundles=bundles, dry_run=False)

    def restore(self, devices: Sequence[str], run: str) -> dict[str, Outcome]:
        return self._run(_restore, "restore", devices, run=run)

    def confirm(self, devices: Sequence[str]) -> dict[str, Outcome]:
        return confirmed(devices)  # the device agent's transaction is final once applied

    def close(self) -> None:
        self.nr.close_connections()


def _driver(task: Any) -> Any:
    return task.host.get_connection("napalm", task.nornir.config)


def _inspect(task: Any, bundles: Mapping[str, str]) -> Any:
    from nornir.core.task import Result

    driver = _driver(task)
    driver.load_replace_candidate(config=bundles[task.host.name])
    return Result(host=task.host, result=driver.inspect())


def _configure(task: Any, bundles: Mapping[str, str], dry_run: bool) -> Any:
    """nornir_napalm's own napalm_configure: the code path IOS-XE, EOS and Junos will share."""
    from nornir.core.task import Result
    from nornir_napalm.plugins.tasks import napalm_configure

    result = task.run(task=napalm_configure, configuration=bundles[task.host.name], replace=True, dry_run=dry_run)
    return Result(host=task.host, result=result[0].diff, changed=result[0].changed)


def _restore(task: Any, run: str) -> Any:
    from nornir.core.task import Result

    driver = _driver(task)
    driver.committed = run  # NAPALM's rollback() undoes the commit of that run, from the device's backup
    driver.rollback()
    return Result(host=task.host, result={"state": "applied"})


class AnsiblePusher:
    """Linux hosts through ansible-runner: one play per action over every host."""

    transport = "ansible"

    def __init__(
        self, hosts: Sequence[Host], run: str, work: Path, workers: int = 20, on_device: OnDevice | None = None
    ) -> None:
        self.hosts = list(hosts)
        self.run = run
        self.work = work
        self.workers = workers
        self.on_device = on_device
        self.control: Path | None = None  # SSH masters shared by this run's plays

    def _play(self, action: str, hosts: Sequence[Host], what: str, **kwargs: Any) -> dict[str, Outcome]:
        if self.control is None:
            self.control = ansible.new_control_dir()
        raw = ansible.run_agent(
            action,
            hosts,
            self.run,
            self.work,
            forks=self.workers,
            on_host=self._notify(what),
            control=self.control,
            **kwargs,
        )
        return {name: Outcome(name, o.ok, o.data, o.error) for name, o in raw.items()}

    def _notify(self, what: str) -> Callable[[str, bool], None]:
        def callback(host: str, ok: bool) -> None:
            if self.on_device:
                self.on_device(host, f"{what} {'ok' if ok else 'FAILED'}")

        return callback

    def _subset(self, names: Mapping[str, str] | Sequence[str]) -> list[Host]:
        wanted = set(names)
        return [h for h in self.hosts if h.name in wanted]

    def inspect(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        return self._play("inspect", self._subset(bundles), "inspect", bundles=bundles)

    def diff(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        from pilot.agent.diffs import render_diff

        outcomes = self._play("diff", self._subset(bundles), "diff", bundles=bundles)
        for o in outcomes.values():
            if o.ok:
                o.data = render_diff(o.data)
        return outcomes

    def apply(self, bundles: Mapping[str, str]) -> dict[str, Outcome]:
        outcomes = self._play("apply", self._subset(bundles), "push", bundles=bundles)
        for o in outcomes.values():
            if o.ok is False and isinstance(o.data, dict) and "restored" in o.data:
                restored = (
                    "its previous configuration was restored" if o.data.get("restored") else "restoring it FAILED"
                )
                o.error = f"{o.data.get('error', o.error)}; {restored}"
        return outcomes

    def restore(self, devices: Sequence[str], run: str) -> dict[str, Outcome]:
        return self._play("restore", self._subset(devices), "restore", restore_run=run)

    def confirm(self, devices: Sequence[str]) -> dict[str, Outcome]:
        return confirmed(devices)

    def close(self) -> None:
        if self.control is not None:
            ansible.close_masters(self.control)
            self.control = None


# transport -> the pusher for its hosts of a run (a platform names its transport: pilot.platforms)
PUSHERS: dict[str, Callable[[PushContext], Pusher]] = {
    "napalm": lambda c: NapalmPusher(c.inventory, c.hosts, c.workers, c.on_device),
    "ansible": lambda c: AnsiblePusher(c.hosts, str(c.run), c.workdir(), c.workers, c.on_device),
    "cli": lambda c: _cli_pusher(c),
}


def _cli_pusher(context: PushContext) -> Pusher:
    """The CLI platforms' pusher (pilot.platforms.transport imports this module: imported when needed)."""
    from pilot.platforms.transport import CliPusher, SessionOptions

    options = SessionOptions(revert_in=context.revert_in, comment=f"pilot run={context.run}")
    return CliPusher(context.hosts, context.workers, context.on_device, options=options)


def make_pusher(transport: str, context: PushContext) -> Pusher:
    return PUSHERS[transport](context)
