"""Check rendered files with the offline validators their platforms give (pilot.platforms: each tool's own,
e.g. FRR's `vtysh -C`, or a Python check of a CLI platform's configuration).

Several validators look at the machine as well as the file (Kea wants its interfaces to exist, nginx
and unbound follow paths under /etc, nft talks to the kernel), so each device is checked in a scratch
sandbox: private mount and network namespaces where the device's rendered files sit at their real paths
(a read-only overlay over /etc) and its interfaces exist with its addresses. Nothing touches the host.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pilot.lab import linux
from pilot.platforms import Validator, find_validator
from pilot.render.engine import RenderedDevice, RenderedFile

IFA_F_NODAD = 0x02


@dataclass(frozen=True)
class Issue:
    device: str
    path: str
    validator: str
    message: str


def _validator(name: str) -> Validator:
    found = find_validator(name)
    assert found is not None, name  # platform.yml's validators are checked when it is loaded
    return found


def missing_validators(devices: Sequence[RenderedDevice]) -> list[str]:
    binaries = {_validator(f.validate).binary for d in devices for f in d.files if f.validate}
    return sorted(b for b in binaries if b is not None and shutil.which(b) is None)


def validate(
    devices: Sequence[RenderedDevice], interfaces: Callable[[str], list[tuple[str, list[str]]]], jobs: int | None = None
) -> list[Issue]:
    """Validate every device's files; `interfaces(device)` gives [(name, [addr/len, ...])] to create."""
    jobs = jobs or os.cpu_count() or 2
    direct: list[RenderedDevice] = []  # every validated file checks on its own
    pending: list[RenderedDevice] = []  # some file needs the device's interfaces: a sandbox
    for d in devices:
        wanted = [f.validate for f in d.files if f.validate]
        if wanted:
            (direct if all(_validator(v).file_only for v in wanted) else pending).append(d)
    issues: list[Issue] = []
    with tempfile.TemporaryDirectory(prefix="pilot-validate-") as scratch, ThreadPoolExecutor(jobs) as pool:
        futures = [
            (d.device.name, pool.submit(_run, f, str(Path(scratch) / f"{n}-{i}")))
            for n, d in enumerate(direct)
            for i, f in enumerate(d.files)
            if f.validate
        ]
        issues += _sandboxes(pending, interfaces, jobs)
        for owner, future in futures:
            issues += [Issue(owner, r["path"], r["validator"], r["message"]) for r in future.result()]
    return issues


def _sandboxes(
    pending: list[RenderedDevice], interfaces: Callable[[str], list[tuple[str, list[str]]]], jobs: int
) -> list[Issue]:
    running: dict[int, tuple[int, RenderedDevice, list[bytes]]] = {}
    issues: list[Issue] = []
    sel = selectors.DefaultSelector()
    while pending or running:
        while pending and len(running) < jobs:
            device = pending.pop(0)
            read_fd, pid = _spawn(device, interfaces(device.device.name))
            running[read_fd] = (pid, device, [])
            sel.register(read_fd, selectors.EVENT_READ)
        for key, _ in sel.select():
            fd = int(key.fd)
            pid, device, chunks = running[fd]
            chunk = os.read(fd, 65536)
            if chunk:
                chunks.append(chunk)
                continue
            sel.unregister(fd)
            os.close(fd)
            os.waitpid(pid, 0)
            del running[fd]
            try:
                results = json.loads(b"".join(chunks) or b"[]")
            except ValueError:
                results = [{"path": "-", "validator": "sandbox", "message": "the validation sandbox died"}]
            issues += [Issue(device.device.name, r["path"], r["validator"], r["message"]) for r in results]
    sel.close()
    return issues


def _spawn(device: RenderedDevice, interfaces: list[tuple[str, list[str]]]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            results = _sandbox(device, interfaces)
        except BaseException as exc:  # report, never raise into the parent's code
            results = [{"path": "-", "validator": "sandbox", "message": f"cannot build the sandbox: {exc}"}]
        os.write(write_fd, json.dumps(results).encode())
        os._exit(0)
    os.close(write_fd)
    return read_fd, pid


def _sandbox(device: RenderedDevice, interfaces: list[tuple[str, list[str]]]) -> list[dict[str, str]]:
    scratch = Path(tempfile.mkdtemp(prefix=f"pilot-validate-{device.device.name}-"))
    try:
        for f in device.files:
            target = scratch / "files" / f.path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f.text)
        linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWNET)
        linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
        etc = scratch / "files" / "etc"
        if etc.exists():
            # A read-only overlay: the rendered files at their real paths, the host's /etc beneath them.
            linux.mount("overlay", "/etc", "overlay", 0, f"lowerdir={etc}:/etc")
        for directory in ("/var/log", "/var/lib"):
            upper, work = scratch / "rw" / directory.strip("/"), scratch / "work" / directory.strip("/")
            upper.mkdir(parents=True)
            work.mkdir(parents=True)
            linux.mount("overlay", directory, "overlay", 0, f"lowerdir={directory},upperdir={upper},workdir={work}")
        linux.mount("tmpfs", "/run", "tmpfs", 0, "mode=755,size=16m")
        wanted = {d for f in device.files if f.validate for d in _validator(f.validate).run_dirs}
        for directory in sorted({"/run/lock", *wanted}):
            os.makedirs(directory, exist_ok=True)
        _interfaces(interfaces)
        return [issue for f in device.files if f.validate for issue in _run(f)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _interfaces(interfaces: list[tuple[str, list[str]]]) -> None:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
        for n, (name, addresses) in enumerate(interfaces):
            if name == "lo":
                index = ipr.link_lookup(ifname="lo")[0]
            else:
                ipr.link("add", ifname=name, kind="veth", peer={"ifname": f"pv{n}"})
                index = ipr.link_lookup(ifname=name)[0]
                ipr.link("set", index=ipr.link_lookup(ifname=f"pv{n}")[0], state="up")
                ipr.link("set", index=index, state="up")
            for address in addresses:
                ip, _, length = address.partition("/")
                ipr.addr("add", index=index, address=ip, prefixlen=int(length), flags=IFA_F_NODAD)


def _run(f: RenderedFile, copy: str | None = None) -> list[dict[str, str]]:
    """Run f's validator on the file at its real path (in a sandbox), or on `copy` written here."""
    assert f.validate is not None
    validator = _validator(f.validate)
    if validator.check is not None:
        return [{"path": f.path, "validator": f.validate, "message": m} for m in validator.check(f.text)]
    command, binary = validator.command, validator.binary
    assert command is not None and binary is not None, f.validate
    if shutil.which(binary) is None:
        return [{"path": f.path, "validator": f.validate, "message": f"{binary} is not installed"}]
    if copy is not None:
        Path(copy).write_text(f.text)
    try:
        result = subprocess.run(command(copy or f.path), capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return [{"path": f.path, "validator": f.validate, "message": f"{binary} did not finish in 60 s"}]
    if result.returncode == 0:
        return []
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()]
    # The tools print context first and the reason last (kea) or the reason only (vtysh, nft).
    interesting = [
        line
        for line in lines
        if any(w in line.lower() for w in ("error", "unknown", "fail", "invalid", "emerg", "line"))
    ]
    message = " | ".join((interesting or lines)[-3:]) or f"exit status {result.returncode}"
    if copy is not None:
        message = message.replace(copy, f.path)
    return [{"path": f.path, "validator": f.validate, "message": message}]
