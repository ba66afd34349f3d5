"""The device agent on a temporary root with fake commands: what the agent's unit tests share.

A Device is a directory: `root/` (PILOT_AGENT_ROOT: every file the agent reads or writes lands there),
`bin/` (fake programs, first on PATH: fake_commands.py answers them from the test's rules) and `fake/`
(the rules and the log of every command run). The agent is tested two ways, both from
pilot.agent.text(), the one script that runs on devices:

- InProcess: the script executed in this process, its functions called directly; its subprocess.run
  answered by the same rules without a process per command (fast); Popen stays real, so the services
  it starts are fake daemons from bin/.
- Device.agent(): the script run as a program (`python3 pilot-agent capture|diff|apply|restore ...`),
  as the transports run it on devices.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import fake_commands
import pytest

from pilot import agent

DATA = Path(__file__).with_name("data")
GOLDEN = Path(__file__).resolve().parents[1] / "golden"  # what pilot renders, per stage and device
PROGRAMS = (
    "ip",
    "vtysh",
    "nft",
    "sysctl",
    "frr-reload.py",
    "unshare",
    "pgrep",
    "dhcpcd",
    "ifup",
    "ifdown",
    "systemctl",
    "unbound",
    "nginx",
    "kea-dhcp4",
    "kea-dhcp6",
    "tayga",
    "dhcrelay",
    "radvd",
)


def data(name: str) -> str:
    return (DATA / name).read_text()


def golden_bundle(stage: str, node: str, run: str = "7") -> dict[str, Any]:
    """The bundle pilot sends `node` for `stage` (pilot.rollout.bundle.bundle_of), from tests/golden."""
    where = GOLDEN / stage / node
    manifest = json.loads((where / "manifest.json").read_text())
    files = [
        {**{k: f[k] for k in ("path", "owner", "mode", "hook", "service")}, "text": (where / f["path"][1:]).read_text()}
        for f in manifest["files"]
    ]
    return {
        "run": run,
        "node": node,
        "stage": stage,
        "files": files,
        "services": manifest["services"],
        "reconnect": manifest["reconnect"],
        "expect": manifest["expect"],
    }


class Device:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.root, self.bin, self.state, self.tmp = base / "root", base / "bin", base / "fake", base / "tmp"
        for directory in (self.root, self.bin, self.state, self.tmp):
            directory.mkdir(parents=True, exist_ok=True)
        program = fake_commands.executable(str(self.state))
        for name in PROGRAMS:
            path = self.bin / name
            path.write_text(program)
            path.chmod(0o755)
        self.rules: list[dict[str, Any]] = []
        self.daemons: list[subprocess.Popen[bytes]] = []

    # -- the scene -----------------------------------------------------------------------------------
    def on(
        self,
        *argv: str,
        stdout: str = "",
        stderr: str = "",
        rc: int = 0,
        after: tuple[str, ...] | None = None,
        overwrite: str | None = None,
        writes: dict[str, str] | None = None,
        daemon: bool = False,
    ) -> None:
        """Answer commands matching `argv` (`*` for any one argument, `**` for the rest) this way; a later rule
        wins over an earlier one, a rule with `after` only once a command matching it has run."""
        rule: dict[str, Any] = {"argv": list(argv), "stdout": stdout, "stderr": stderr, "rc": rc}
        if after is not None:
            rule["after"] = list(after)
        if overwrite is not None:
            rule["overwrite"] = overwrite
        if writes is not None:
            rule["writes"] = writes
        if daemon:
            rule["daemon"] = True
        self.rules.append(rule)
        (self.state / fake_commands.RULES).write_text(json.dumps(self.rules))

    def put(self, path: str, text: str) -> None:
        """A file on the device (a device path, under the root)."""
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def sysctls(self, text: str) -> None:
        """/proc/sys as a sysctl.d file sets it."""
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith(("#", ";")):
                self.put("/proc/sys/" + key.strip().replace(".", "/"), value.strip() + "\n")

    def get(self, path: str) -> str | None:
        target = self.root / path.lstrip("/")
        return target.read_text() if target.exists() else None

    def install(self, bundle: dict[str, Any]) -> None:
        """The device as it is after `bundle` was applied: its files, and the sysctls its files set."""
        for f in bundle["files"]:
            self.put(f["path"], f["text"])
            if f.get("hook") == "sysctl" and f["text"] is not None:
                self.sysctls(f["text"])

    def start_daemon(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        """A service already running as the agent would have started it (its pid file in /run/pilot)."""
        before = len(self.log())
        proc = subprocess.Popen([str(self.bin / argv[0]), *argv[1:]], start_new_session=True)
        self.daemons.append(proc)
        self.put(f"/run/pilot/{name}.pid", f"{proc.pid}\n")
        deadline = time.monotonic() + 10
        while len(self.log()) == before and time.monotonic() < deadline:  # up: it has logged its command
            time.sleep(0.01)
        return proc

    def state_record(self) -> dict[str, Any] | None:
        text = self.get("/var/lib/pilot/state.json")
        return json.loads(text) if text is not None else None

    # -- what the agent did --------------------------------------------------------------------------
    def log(self) -> list[dict[str, Any]]:
        return fake_commands.logged(str(self.state))

    def commands(self) -> list[list[str]]:
        """Every command run, the program by its base name."""
        return [[os.path.basename(e["argv"][0]), *e["argv"][1:]] for e in self.log()]

    def ran(self, *argv: str) -> list[list[str]]:
        return [c for c in self.commands() if fake_commands.matches(list(argv), c)]

    def started(self, *argv: str) -> list[list[str]]:
        """ran(), once a daemon the agent started has logged its command (it does so as it starts)."""
        deadline = time.monotonic() + 5
        while not self.ran(*argv) and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.ran(*argv)

    def forget(self) -> None:
        """Clear the command log (the rules stay)."""
        (self.state / fake_commands.LOG).unlink(missing_ok=True)

    # -- the agent as a program ----------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PILOT_AGENT_ROOT": str(self.root),
            "PILOT_AGENT_FRR_RELOAD": str(self.bin / "frr-reload.py"),
            "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "TMPDIR": str(self.tmp),
        }

    def script(self, text: str, name: str = "pilot-agent.py") -> Path:
        """A copy of the agent on the device (under the root, where a transport would put it)."""
        path = self.root / "var/lib/pilot" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def agent(self, script: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=60,
        )

    def stop_daemons(self) -> None:
        """Kill the fake daemons the agent started and left running (only ours: their command line
        names this device's bin/)."""
        pids = self.root / "run/pilot"
        for pidfile in pids.glob("*.pid") if pids.is_dir() else []:
            pid = int(pidfile.read_text().split()[0])
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if str(self.bin) in cmdline:
                os.kill(pid, signal.SIGKILL)
        for proc in self.daemons:
            proc.kill()
            proc.wait()


class _Subprocess:
    """The agent's `subprocess` in-process: run() answered by the device's rules, everything else real."""

    def __init__(self, device: Device) -> None:
        self.device = device

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def run(self, argv: list[str], input: str | None = None, **_: Any) -> subprocess.CompletedProcess[str]:
        code, out, err, _rule = fake_commands.respond(str(self.device.state), list(argv), input)
        return subprocess.CompletedProcess(argv, code, out, err)


class InProcess:
    """pilot.agent.text() executed here on `device`; its top-level names are attributes."""

    def __init__(self, device: Device, monkeypatch: pytest.MonkeyPatch) -> None:
        for key, value in device.env().items():
            if key.startswith(("PILOT_AGENT_", "PATH")):
                monkeypatch.setenv(key, value)
        monkeypatch.setattr(tempfile, "tempdir", str(device.tmp))
        self.device = device
        self.ns: dict[str, Any] = {"__name__": "pilot_agent_under_test", "__file__": "/var/lib/pilot/pilot-agent"}
        exec(compile(agent.text(), "pilot-agent", "exec"), self.ns)
        self.ns["subprocess"] = _Subprocess(device)

    def __getattr__(self, name: str) -> Any:
        return self.ns[name]

    def set(self, name: str, value: Any) -> None:
        self.ns[name] = value
