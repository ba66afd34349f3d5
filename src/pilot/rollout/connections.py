"""The connections of a run: a pusher per transport (FRR routers' NAPALM connections, the Linux hosts'
Ansible SSH masters) and the probes' SSH sessions, opened on first use, kept for the whole run (inspect,
push, restore and verify share them) and closed together."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pilot.rollout.inventory import Host, Inventory
from pilot.rollout.push import OnDevice, Outcome, PushContext, Pusher, make_pusher
from pilot.rollout.report import why
from pilot.rollout.workdir import run_workdir
from pilot.verify import SshShell


class Connections:
    def __init__(self, inventory: Inventory, workers: int, on_device: OnDevice | None = None) -> None:
        self.inv = inventory
        self.workers = workers
        self.on_device = on_device
        self._pool: dict[str, Pusher] = {}  # by transport
        self._run: int | None = None  # the run the pushers work for
        self._shell: SshShell | None = None
        self._scratch: list[Path] = []  # work directories of what is not a run, removed on close

    def each(
        self,
        hosts: Sequence[Host],
        run: int,
        action: Callable[[Pusher, dict[str, str]], dict[str, Outcome]],
        bundles: Mapping[str, str],
        log: Callable[[str], None] | None = None,
    ) -> dict[str, Outcome]:
        """Run `action` on every transport at once (routers and Linux hosts in parallel). `run` 0: work
        that is no run (pilot status's drift check), in a directory removed on close."""
        groups = self._pushers(hosts, run)
        out: dict[str, Outcome] = {}
        took: list[str] = []

        def timed(pusher: Pusher, group: Sequence[Host]) -> dict[str, Outcome]:
            start = time.monotonic()
            try:
                return action(pusher, {h.name: bundles[h.name] for h in group})
            except Exception as exc:  # a transport's fault fails its devices; the other's results still count
                return {h.name: Outcome(h.name, False, error=why(exc)) for h in group}
            finally:
                took.append(f"{pusher.transport} {len(group)} in {time.monotonic() - start:.1f} s")

        with ThreadPoolExecutor(max_workers=max(1, len(groups))) as pool:
            for future in [pool.submit(timed, pusher, group) for pusher, group in groups]:
                out.update(future.result())
        if log is not None:
            log("  devices by transport: " + ", ".join(sorted(took)))
        for h in hosts:
            out.setdefault(h.name, Outcome(h.name, False, error="no result"))
        return out

    def shell(self) -> SshShell:
        """The SSH sessions the probes run in (convergence wait, verify, re-verify)."""
        if self._shell is None:
            self._shell = SshShell({n: h.target for n, h in self.inv.hosts.items()})
        return self._shell

    def close(self) -> None:
        for pusher in self._pool.values():
            try:
                pusher.close()
            except Exception:  # closing is best effort: the run's result is already decided
                pass
        self._pool.clear()
        self._run = None
        for scratch in self._scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        self._scratch.clear()
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    def _pushers(self, hosts: Sequence[Host], run: int) -> list[tuple[Pusher, list[Host]]]:
        """The pushers for these hosts, one per transport; a new run closes the last run's first."""
        if self._run != run:
            self.close()
            self._run = run
        out: list[tuple[Pusher, list[Host]]] = []
        for transport in sorted({h.transport for h in hosts}):
            group = [h for h in hosts if h.transport == transport]
            pusher = self._pool.get(transport)
            if pusher is None:
                every = [h for h in self.inv.hosts.values() if h.transport == transport]
                context = PushContext(self.inv, every, run, lambda: self._workdir(run), self.workers, self.on_device)
                pusher = self._pool[transport] = make_pusher(transport, context)
            out.append((pusher, group))
        return out

    def _workdir(self, run: int) -> Path:
        if run:
            return run_workdir(self.inv.directory, run)
        work = Path(tempfile.mkdtemp(prefix="pilot-drift-"))
        self._scratch.append(work)
        return work
