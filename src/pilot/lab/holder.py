"""One holder process per node: the node's PID 1, owning its network, mount, UTS, PID and IPC namespaces.

How a holder comes to be (no `unshare` parent left waiting, no shell):

    pilot --fork--> intermediate: setsid, unshare(all) --fork--> holder (PID 1 of the new PID namespace)
                    intermediate reports the holder's PID and exits

The holder makes its private mounts and hostname, then reports "stage1" and waits: pilot creates the
veths straight into the node's namespace meanwhile. On "go" the holder brings its links up, starts
sshd (and FRR on routers), reports "ready" and execs tini, which stays PID 1 and reaps orphans.
Killing the holder ends every process of the node. If pilot dies before "go", the control pipe closes
and the holder exits by itself: nothing is left that no state file knows about.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pilot.lab import linux
from pilot.topology.model import Bind

# Overlays give each node a private, writable view of these host directories; writes land in the node's
# directory (node_dir/etc, node_dir/var/log, ...), so a node's files are easy to find from the host.
OVERLAYS = ("/etc", "/var/lib", "/var/log")
# Directories that start empty in every node, kept in the node's directory: root's home must not be the
# host's, whose dotfiles (a PATH through pyenv shims, say) would run in every SSH session of the lab.
PRIVATE = ("/root",)
# /var/tmp too: FRR keeps per-daemon directories there named by PID, and PIDs repeat across nodes.
TMPFS = {"/run": "mode=755,size=64m", "/tmp": "mode=1777,size=256m", "/var/tmp": "mode=1777,size=64m"}
HOLDER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class HolderSpec:
    """Everything a holder needs, decided by the parent; the child only carries it out."""

    lab: str
    node: str
    node_dir: Path
    env: Mapping[str, str]
    tini: str
    binds: tuple[Bind, ...] = ()
    early_sysctls: Mapping[str, str] = field(default_factory=dict)
    boot: object = None  # a nodeboot.BootPlan; typed loosely to keep this module free of boot details

    @property
    def argv0(self) -> str:
        # Shown by ps: an engineer can tell which lab and node a process belongs to.
        return f"pilot-node[{self.lab}/{self.node}]"


@dataclass
class Holder:
    spec: HolderSpec
    pid: int
    status_fd: int
    control_fd: int
    started: int | None = None
    buffer: bytes = b""
    last: str = ""

    def send(self, message: str) -> None:
        try:
            os.write(self.control_fd, message.encode() + b"\n")
        except BrokenPipeError:
            pass  # the holder already died; its "error" line (or EOF) tells why

    def close(self) -> None:
        for fd in (self.status_fd, self.control_fd):
            try:
                os.close(fd)
            except OSError:
                pass


class HolderFailed(Exception):
    def __init__(self, node: str, message: str) -> None:
        super().__init__(f"node '{node}': {message}")
        self.node = node


def spawn(spec: HolderSpec) -> Holder:
    """Fork a holder for `spec` and return once its PID is known (it then works on stage 1)."""
    status_r, status_w = os.pipe()
    control_r, control_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # intermediate
        try:
            _detach_fds(keep=(status_w, control_r), log=spec.node_dir / "holder.log")
            os.setsid()  # out of the terminal's session: Ctrl-C on `pilot lab up` must not reach nodes
            linux.unshare(
                linux.CLONE_NEWNS | linux.CLONE_NEWUTS | linux.CLONE_NEWIPC | linux.CLONE_NEWNET | linux.CLONE_NEWPID
            )
            child = os.fork()
            if child == 0:
                _holder_main(spec, status_w, control_r)  # never returns
            os.write(status_w, f"pid {child}\n".encode())
        except BaseException as exc:  # report anything, then leave without running the parent's cleanup
            _report(status_w, f"error {_one_line(exc)}")
            os._exit(1)
        os._exit(0)
    os.close(status_w)
    os.close(control_r)
    _, status = os.waitpid(pid, 0)
    # The holder writes to the same pipe: its "stage1" may overtake the intermediate's "pid" line.
    last, holder_pid = "", None
    while holder_pid is None:
        line = _read_line(status_r)
        if line.startswith("pid "):
            holder_pid = int(line.split()[1])
        elif not line or line.startswith("error "):
            os.close(status_r)
            os.close(control_w)
            raise HolderFailed(spec.node, line.removeprefix("error ") or f"could not start (status {status})")
        else:
            last = line
    holder = Holder(spec, holder_pid, status_r, control_w, last=last)
    os.set_blocking(status_r, False)
    return holder


def boot(holders: Sequence[Holder], window: int, timeout: float) -> None:
    """Tell the holders to boot, at most `window` at a time, and wait until every one is ready.

    Fifty routers starting FRR at once on two cores make each daemon slow to answer, and watchfrr's
    phased startup then races with itself (a daemon restarted while "restart all" still runs) and waits
    out its startup timeout. A rolling window keeps each boot quick; the lab is up sooner.
    """
    queue = list(holders)
    for h in queue[:window]:
        h.send("go")
    waiting = queue[window:]

    def next_one(_: Holder) -> None:
        if waiting:
            waiting.pop(0).send("go")

    wait_for(holders, "ready", timeout, on_reached=next_one)


def wait_for(
    holders: Iterable[Holder], expected: str, timeout: float, on_reached: Callable[[Holder], None] | None = None
) -> None:
    """Wait until every holder has reported `expected`; raise HolderFailed on the first error or timeout.
    `on_reached` is called for each holder as it gets there."""
    pending = {h.status_fd: h for h in holders if h.last != expected}
    sel = selectors.DefaultSelector()
    for fd in pending:
        sel.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                slow = ", ".join(sorted(h.spec.node for h in pending.values()))
                raise HolderFailed(slow, f"no '{expected}' within {timeout:.0f} s")
            for key, _ in sel.select(left):
                holder = pending[int(key.fd)]
                try:
                    chunk = os.read(holder.status_fd, 4096)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise HolderFailed(holder.spec.node, f"exited before '{expected}'")
                holder.buffer += chunk
                while b"\n" in holder.buffer:
                    line, _, holder.buffer = holder.buffer.partition(b"\n")
                    message = line.decode(errors="replace")
                    if message.startswith("error "):
                        raise HolderFailed(holder.spec.node, message[6:])
                    holder.last = message
                if holder.last == expected:
                    sel.unregister(holder.status_fd)
                    del pending[holder.status_fd]
                    if on_reached is not None:
                        on_reached(holder)
    finally:
        sel.close()


def _detach_fds(keep: tuple[int, ...], log: Path) -> None:
    """Keep only our two pipe ends and point stdio at the node's log.

    Every other descriptor is closed: a sibling holder's control pipe held open here would keep that
    holder from noticing pilot's death, and pilot's stdout held open would hang whoever reads it.
    """
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the directory's own descriptor, already gone


# -- inside the holder ----------------------------------------------------------------------------


def _holder_main(spec: HolderSpec, status_w: int, control_r: int) -> None:
    try:
        path_fds = [os.open(b.source, os.O_PATH) for b in spec.binds]  # before /run and /tmp are hidden
        _mount_private(spec, path_fds)
        socket.sethostname(spec.node)
        for key, value in spec.early_sysctls.items():
            linux.write_sysctl(key, value)
        _report(status_w, "stage1")
        if _read_line(control_r) != "go":
            os._exit(3)  # pilot went away before wiring us: leave nothing behind
        from pilot.lab import nodeboot

        nodeboot.run(spec.boot, dict(spec.env))  # type: ignore[arg-type]
        os.chdir("/root")
        _report(status_w, "ready")
        # Undo what Python changed in our signal dispositions: ignored signals survive exec.
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        env = {**spec.env, "PATH": HOLDER_PATH}
        os.execve(spec.tini, [spec.argv0, "--", "/bin/sleep", "infinity"], env)
    except BaseException as exc:
        if os.environ.get("PILOT_DEBUG"):
            traceback.print_exc()
        _report(status_w, f"error {_one_line(exc)}")
        os._exit(1)


def _mount_private(spec: HolderSpec, path_fds: list[int]) -> None:
    # Nothing mounted in the node may propagate back to the host.
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    # Without a fresh sysfs, /sys/class/net would show the host's interfaces.
    linux.mount("sysfs", "/sys", "sysfs", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    for target in OVERLAYS:
        rel = target.lstrip("/")
        upper, work = spec.node_dir / rel, spec.node_dir / ".work" / rel
        linux.mount("overlay", target, "overlay", 0, f"lowerdir={target},upperdir={upper},workdir={work}")
    for target in PRIVATE:
        linux.mount(str(spec.node_dir / target.lstrip("/")), target, None, linux.MS_BIND)
    for target, options in TMPFS.items():
        linux.mount("tmpfs", target, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, options)
    for directory, mode in (("/run/sshd", 0o755), ("/run/lock", 0o1777), ("/run/frr", 0o755)):
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, mode)
    _chown_frr("/run/frr")
    for bind, fd in zip(spec.binds, path_fds, strict=True):
        _bind(bind, fd)


def _bind(bind: Bind, fd: int) -> None:
    target = Path(bind.target)
    if not target.exists():
        if not any(str(target).startswith(p + "/") for p in (*OVERLAYS, *PRIVATE, *TMPFS)):
            raise RuntimeError(
                f"bind target {target} does not exist in the node; bind onto an existing path or one under "
                + ", ".join((*OVERLAYS, *PRIVATE, *TMPFS))
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        if bind.source.is_dir():
            target.mkdir()
        else:
            target.touch()
    linux.mount(f"/proc/self/fd/{fd}", target, None, linux.MS_BIND | linux.MS_REC)
    if bind.read_only:
        linux.mount(None, target, None, linux.MS_BIND | linux.MS_REMOUNT | linux.MS_RDONLY)
    os.close(fd)


def _chown_frr(path: str) -> None:
    import pwd

    try:
        user = pwd.getpwnam("frr")
    except KeyError:
        return  # no FRR installed: only routers need it, and preflight checked them
    os.chown(path, user.pw_uid, user.pw_gid)


def _report(fd: int, message: str) -> None:
    try:
        os.write(fd, message.encode(errors="replace") + b"\n")
    except OSError:
        pass


def _read_line(fd: int) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
