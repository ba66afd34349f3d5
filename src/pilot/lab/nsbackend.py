"""The default lab backend: the topology as real namespaces and daemons on this machine, no Docker.

`up` records the lab before creating anything, builds it in four steps (keys and node files, holders,
wiring, boot) and removes everything it made if any step fails. `down` kills the holders (which ends
every daemon of their nodes), deletes the management uplink and the bridge namespace, and removes the
lab's files. `--force` also finds what a crash left behind by name and by the holders' markers.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import time
from ipaddress import IPv6Address, IPv6Network

from pilot import faults
from pilot.errors import LabError, PilotError
from pilot.lab import holder as holders
from pilot.lab import mgmt, netlink, nodefiles, preflight, procs, sshkeys
from pilot.lab.backend import Daemon, DownReport, LabStatus, NodeStatus, Progress, no_progress
from pilot.lab.holder import Holder, HolderFailed, HolderSpec
from pilot.lab.nodeboot import BootPlan
from pilot.lab.paths import MGMT_BRIDGE, LabPaths, labs_dir, mgmt_port
from pilot.lab.roles import EARLY_SYSCTLS
from pilot.lab.state import CREATING, DESTROYING, RUNNING, LabState, NodeState, known_labs, locked
from pilot.topology.model import Node, Role, Topology

NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
STAGE1_TIMEOUT = 20.0
READY_TIMEOUT = 90.0
BOOT_WINDOW = max(8, 4 * (os.cpu_count() or 2))  # nodes booting at once (sshd, FRR)
SSHD_TIMEOUT = 20.0


def node_env(lab: str, node: Node) -> dict[str, str]:
    """The environment of everything started in a node: a clean one, the lab's markers, the file's env."""
    return {
        "PATH": NODE_PATH,
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "TERM": os.environ.get("TERM", "xterm"),
        procs.LAB_MARKER: lab,
        procs.NODE_MARKER: node.name,
        **node.env,
    }


class NamespaceBackend:
    name = "namespace"

    # -- up -------------------------------------------------------------------------------------
    def up(self, topo: Topology, progress: Progress = no_progress) -> LabStatus:
        preflight.require_root("pilot lab up")
        preflight.check_kinds(topo)
        preflight.check_host(topo)
        paths = LabPaths(topo.name)
        progress("checking the host")
        with locked(labs_dir()):  # two `lab up` at once must not pick the same subnet or name
            self._refuse_existing(topo, paths)
            subnet = mgmt.choose_subnet(topo, netlink.host_routes(), self._taken_subnets())
            st = LabState(
                name=topo.name,
                backend=self.name,
                topology=str(topo.source.resolve()),
                phase=CREATING,
                owner_pid=os.getpid(),
                owner_started=procs.start_time(os.getpid()),
                created=time.time(),
                mgmt_subnet=str(subnet),
                mgmt_gateway=str(mgmt.gateway(topo, subnet)),
                root_ifname=paths.root_ifname,
                bridge_netns=paths.bridge_netns,
                bridges=[b.name for b in topo.bridges],
            )
            st.save()
        try:
            faults.checkpoint("up:recorded")
            self._build(topo, st, subnet, progress)
        except BaseException as exc:
            progress("removing what was created")
            self._teardown(topo.name, st)
            if isinstance(exc, HolderFailed):
                raise LabError(
                    f"lab '{topo.name}' did not come up: {exc}", fix="fix the cause above and run lab up again"
                ) from None
            if isinstance(exc, OSError):
                raise LabError(
                    f"lab '{topo.name}' did not come up: {exc}", fix="see the message; nothing was left behind"
                ) from None
            raise
        return self.status(topo.name)

    def _refuse_existing(self, topo: Topology, paths: LabPaths) -> None:
        existing = LabState.load(topo.name)
        if existing is not None:
            reason = existing.stale_reason()
            if reason:
                raise LabError(
                    f"lab '{topo.name}' is stale: {reason}", fix=f"pilot lab down --name {topo.name} --force"
                )
            raise LabError(
                f"lab '{topo.name}' is already {existing.phase}",
                fix=f"pilot lab down --name {topo.name}, or start another copy with --name",
            )
        leftovers = self._leftovers(topo.name)
        if leftovers or paths.root.exists():
            found = ", ".join(leftovers) or str(paths.root)
            raise LabError(f"lab '{topo.name}' left {found} behind", fix=f"pilot lab down --name {topo.name} --force")

    def _taken_subnets(self) -> dict[IPv6Network, str]:
        taken = {}
        for name in known_labs():
            other = LabState.load(name)
            if other is not None and other.mgmt_subnet:
                taken[IPv6Network(other.mgmt_subnet)] = name
        return taken

    def _build(self, topo: Topology, st: LabState, subnet: IPv6Network, progress: Progress) -> None:
        paths = st.paths
        addresses = mgmt.node_addresses(topo, subnet)
        progress("generating SSH keys and node files")
        self._write_identity(topo, paths, addresses)
        for node in topo.shell_nodes:
            st.nodes[node.name] = NodeState(
                name=node.name,
                role=node.role.value,
                kind=node.kind,
                platform=node.platform,
                container=topo.container_name(node.name),
                mgmt_ipv6=str(addresses[node.name]),
                interfaces=["eth0", *node.interfaces],
            )
        progress(f"starting {len(topo.shell_nodes)} node holders")
        running: list[Holder] = []
        try:
            for node in topo.shell_nodes:
                spec = self._holder_spec(topo, node, paths, addresses[node.name], subnet.prefixlen)
                h = holders.spawn(spec)
                running.append(h)
                st.nodes[node.name].pid, st.nodes[node.name].started = h.pid, procs.start_time(h.pid)
            st.save()  # before "go": until then a holder exits by itself if pilot dies
            faults.checkpoint("up:spawned")
            holders.wait_for(running, "stage1", STAGE1_TIMEOUT)
            progress("wiring links and bridges")
            self._wire(topo, st, {h.spec.node: h.pid for h in running})
            faults.checkpoint("up:wired")
            progress("booting nodes (sshd, FRR)")
            holders.boot(running, BOOT_WINDOW, READY_TIMEOUT)
            faults.checkpoint("up:booted")
        finally:
            for h in running:
                h.close()
        progress("waiting for every sshd to answer")
        wait_sshd({n: str(a) for n, a in addresses.items()}, SSHD_TIMEOUT)
        st.phase = RUNNING
        st.owner_pid, st.owner_started = os.getpid(), procs.start_time(os.getpid())
        st.save()

    def _write_identity(self, topo: Topology, paths: LabPaths, addresses: dict[str, IPv6Address]) -> None:
        user = sshkeys.generate(f"pilot@{topo.name}")
        sshkeys.write_private(paths.user_key, user)
        host_keys = {}
        for node in topo.shell_nodes:
            key = sshkeys.generate(f"{node.name}@{topo.name}")
            nodefiles.prepare(
                paths.node_dir(node.name),
                node.name,
                mgmt_address=str(addresses[node.name]),
                host_key=key,
                user_public=user.public,
                frr=node.role is Role.ROUTER,
            )
            host_keys[node.name] = (str(addresses[node.name]), key.public)
        paths.known_hosts.write_text(sshkeys.known_hosts_text(host_keys))
        paths.ssh_config.write_text(
            sshkeys.ssh_config_text({n: str(a) for n, a in addresses.items()}, paths.user_key, paths.known_hosts)
        )

    def _holder_spec(self, topo: Topology, node: Node, paths: LabPaths, address: IPv6Address, plen: int) -> HolderSpec:
        early = dict(EARLY_SYSCTLS[node.role])
        late: dict[str, str] = {}
        for key, value in node.sysctls.items():
            # Per-interface keys wait until the interfaces exist; namespace-wide ones go first.
            per_iface = any(f".{iface}." in key for iface in ("eth0", *node.interfaces))
            (late if per_iface else early)[key] = value
        boot = BootPlan(
            mgmt_iface="eth0",
            mgmt_address=str(address),
            mgmt_prefixlen=plen,
            interfaces=node.interfaces,
            late_sysctls=late,
            switch=node.role is Role.SWITCH,
            frr=node.role is Role.ROUTER,
            exec=node.exec,
        )
        tini = "/usr/bin/tini-static" if os.access("/usr/bin/tini-static", os.X_OK) else "/usr/bin/tini"
        return HolderSpec(
            lab=topo.name,
            node=node.name,
            node_dir=paths.node_dir(node.name),
            env=node_env(topo.name, node),
            tini=tini,
            binds=node.binds,
            early_sysctls=early,
            boot=boot,
        )

    def _wire(self, topo: Topology, st: LabState, pids: dict[str, int]) -> None:
        assert st.bridge_netns and st.root_ifname and st.mgmt_subnet and st.mgmt_gateway
        netlink.create_bridge_netns(st.bridge_netns)
        with netlink.Wiring(st.bridge_netns) as wiring:
            wiring.add_bridge(MGMT_BRIDGE)
            for bridge in topo.bridges:
                wiring.add_bridge(bridge.name)
            subnet = IPv6Network(st.mgmt_subnet)
            wiring.root_uplink(st.root_ifname, st.mgmt_gateway, subnet.prefixlen)
            for index, node in enumerate(topo.shell_nodes):
                wiring.node_to_bridge(netlink.NodeEnd(pids[node.name], "eth0"), MGMT_BRIDGE, mgmt_port(index))
            for link in topo.links:
                a, b = link.a, link.b
                if topo.node(a.node).role is Role.BRIDGE:
                    a, b = b, a
                end_a = netlink.NodeEnd(pids[a.node], a.interface, a.mac)
                if topo.node(b.node).role is Role.BRIDGE:
                    wiring.node_to_bridge(end_a, b.node, b.interface, link.mtu)
                else:
                    wiring.node_to_node(end_a, netlink.NodeEnd(pids[b.node], b.interface, b.mac), link.mtu)

    # -- down -----------------------------------------------------------------------------------
    def down(self, name: str, *, force: bool = False, progress: Progress = no_progress) -> DownReport:
        preflight.require_root("pilot lab down")
        with locked(labs_dir()):
            st = LabState.load(name)
            if st is None:
                leftovers = self._leftovers(name)
                if not force:
                    if leftovers or LabPaths(name).root.exists():
                        raise LabError(
                            f"lab '{name}' has no record but left {', '.join(leftovers) or 'files'} behind",
                            fix=f"pilot lab down --name {name} --force",
                        )
                    raise LabError(f"no lab named '{name}'", fix=_running_hint())
            elif not force:
                reason = st.stale_reason()
                if st.phase in (CREATING, DESTROYING) and reason is None:
                    raise LabError(
                        f"lab '{name}' is being {'created' if st.phase == CREATING else 'destroyed'} "
                        f"by pid {st.owner_pid}",
                        fix="wait for it, or use --force",
                    )
                if reason:
                    raise LabError(f"lab '{name}' is stale: {reason}", fix=f"pilot lab down --name {name} --force")
            if st is not None:
                st.phase, st.owner_pid, st.owner_started = DESTROYING, os.getpid(), procs.start_time(os.getpid())
                st.save()
        progress(f"tearing down lab '{name}'")
        faults.checkpoint("down:recorded")
        return self._teardown(name, st)

    def _teardown(self, name: str, st: LabState | None) -> DownReport:
        report = DownReport(name)
        paths = LabPaths(name)
        targets: dict[int, int | None] = {}
        if st is not None:
            targets.update({n.pid: n.started for n in st.nodes.values() if n.pid})
        for pid in procs.holders_of(name):  # holders a lost or partial record does not list
            targets.setdefault(pid, None)
        live = [pid for pid, started in targets.items() if procs.alive(pid, started)]
        if live and faults.armed("down:killing"):
            procs.kill_and_wait({live[0]: targets[live[0]]})  # a teardown cut short after its first kill
            faults.checkpoint("down:killing")
        left = procs.kill_and_wait(targets)
        if left:
            raise LabError(
                f"lab '{name}': holders {left} survived SIGKILL",
                fix="check for a process stuck in the kernel (ps -o stat)",
            )
        report.removed += [f"holder {pid}" for pid in live]
        if netlink.delete_root_link(paths.root_ifname):
            report.removed.append(f"link {paths.root_ifname}")
        if netlink.remove_netns(paths.bridge_netns):
            report.removed.append(f"netns {paths.bridge_netns}")
        if paths.root.exists():
            shutil.rmtree(paths.root)
            report.removed.append(str(paths.root))
        return report

    def _leftovers(self, name: str) -> list[str]:
        paths = LabPaths(name)
        found = [f"holder {pid}" for pid in procs.holders_of(name)]
        if netlink.netns_path(paths.bridge_netns).exists():
            found.append(f"netns {paths.bridge_netns}")
        if netlink.root_link_exists(paths.root_ifname):
            found.append(f"link {paths.root_ifname}")
        return found

    # -- status and exec ------------------------------------------------------------------------
    def status(self, name: str, *, detail: bool = True) -> LabStatus:
        st = LabState.load(name)
        if st is None:
            raise LabError(f"no lab named '{name}'", fix=_running_hint())
        reason = st.stale_reason()
        paths = st.paths
        out = LabStatus(
            name=st.name,
            backend=st.backend,
            state="stale" if reason else st.phase,
            topology=st.topology,
            mgmt_subnet=st.mgmt_subnet,
            mgmt_gateway=st.mgmt_gateway,
            root_ifname=st.root_ifname,
            stale_reason=reason,
            bridges=st.bridges,
            ssh_config=str(paths.ssh_config),
            known_hosts=str(paths.known_hosts),
            user_key=str(paths.user_key),
            created=st.created,
        )
        for node in st.nodes.values():
            running = node.pid is not None and procs.alive(node.pid, node.started)
            ns = NodeStatus(
                name=node.name,
                role=node.role,
                kind=node.kind,
                platform=node.platform,
                state="running" if running else "stopped",
                mgmt_ipv6=node.mgmt_ipv6,
                pid=node.pid,
                container=node.container,
            )
            if running and detail and node.pid is not None:
                try:
                    ns.daemons = [
                        Daemon(p.pid, p.comm, p.rss_kb)
                        for p in procs.processes_in_pidns(node.pid)
                        if p.pid != node.pid and not (p.comm == "sleep" and p.ppid == node.pid)  # the holder's own
                    ]
                    ns.interfaces = netlink.node_links(node.pid)
                except (FileNotFoundError, ProcessLookupError):
                    # The node went away while we looked (its lab is going down): say so, do not fail.
                    running = False
                    ns.state, ns.daemons = "stopped", []
            if not detail or not running:
                ns.interfaces = [{"name": i} for i in node.interfaces]
            out.nodes.append(ns)
        return out

    def exec_argv(self, name: str, node: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
        st = LabState.load(name)
        if st is None:
            raise LabError(f"no lab named '{name}'", fix=_running_hint())
        if node not in st.nodes:
            raise PilotError(f"lab '{name}' has no node '{node}'", fix=f"use one of: {', '.join(st.nodes)}")
        ns = st.nodes[node]
        if ns.pid is None or not procs.alive(ns.pid, ns.started):
            raise LabError(
                f"node '{node}' of lab '{name}' is not running",
                fix=f"pilot lab down --name {name} --force, then lab up",
            )
        env = procs.environ(ns.pid)  # the holder's environment: markers and the topology's env
        env["TERM"] = os.environ.get("TERM", "xterm")
        command = ["nsenter", "-t", str(ns.pid), "-n", "-m", "-u", "-i", "-p", f"--wd={'/root'}", "--", *argv]
        return command, env


def _running_hint() -> str:
    labs = known_labs()
    return f"running labs: {', '.join(labs)}" if labs else "no lab is running; start one with pilot lab up"


def wait_sshd(addresses: dict[str, str], timeout: float) -> None:
    """Wait until every node's sshd answers with its SSH banner on the management network."""
    pending = dict(addresses)
    deadline = time.monotonic() + timeout
    while pending:
        for node, address in list(pending.items()):
            if _ssh_banner(address, 0.5):
                del pending[node]
        if pending and time.monotonic() > deadline:
            raise LabError(
                f"sshd did not answer on {', '.join(sorted(pending))} within {timeout:.0f} s",
                fix="see the node's var/log/sshd.log under the lab directory",
            )
        if pending:
            time.sleep(0.02)


def _ssh_banner(address: str, timeout: float) -> bool:
    try:
        with socket.create_connection((address, 22), timeout=timeout) as sock:
            ready, _, _ = select.select([sock], [], [], timeout)
            return bool(ready) and sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False
