"""Services: started in the foreground under the agent (a lab node has no systemd) or with systemd."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time

from pilot.agent.device.common import LOGS, PIDS, SYSTEMD, Failed, on_device, read, remove, run, write_atomic


def _defaults(path):
    values = {}
    for line in (read(path) or "").splitlines():
        m = re.match(r'^\s*([A-Z0-9_]+)="?(.*?)"?\s*$', line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def _relay4():
    d = _defaults("/etc/default/isc-dhcp-relay")
    return ["dhcrelay", "-d", "-q", "-4", *shlex.split(d.get("OPTIONS", "")), *d.get("SERVERS", "").split()]


def _relay6():
    d = _defaults("/etc/default/isc-dhcp-relay6")
    return ["dhcrelay", "-d", "-q", *shlex.split(d.get("OPTIONS", ""))]


# Each service in the foreground, so that this agent (or systemd-run) supervises it the same way on a
# lab node (no systemd) and on a real server. Kea wants its pid and lock directories.
KEA_ENV = {"KEA_PIDFILE_DIR": "/run/kea", "KEA_LOCKFILE_DIR": "/run/lock/kea"}
FOREGROUND = {
    "unbound": lambda: ["unbound", "-d", "-c", "/etc/unbound/unbound.conf"],
    "unbound-dns64": lambda: ["unbound", "-d", "-c", "/etc/unbound/unbound-dns64.conf"],
    "nginx": lambda: ["nginx", "-g", "daemon off;"],
    "kea-dhcp4-server": lambda: ["kea-dhcp4", "-c", "/etc/kea/kea-dhcp4.conf"],
    "kea-dhcp6-server": lambda: ["kea-dhcp6", "-c", "/etc/kea/kea-dhcp6.conf"],
    "tayga": lambda: ["tayga", "--nodetach", "--config", "/etc/tayga.conf"],
    "isc-dhcp-relay": _relay4,
    "isc-dhcp-relay6": _relay6,
    "dhcpcd": lambda: ["dhcpcd", "-B", "-f", "/etc/dhcpcd.conf"],
    # Logs to standard error (the agent's log file): a node has no syslog. Its own pid file lives in the
    # node's private /run.
    "radvd": lambda: ["radvd", "--nodaemon", "--config", "/etc/radvd.conf", "--logmethod", "stderr"],
}
SERVICE_DIRS = ("/run/kea", "/run/lock/kea", "/var/log/kea", "/var/lib/kea", "/var/lib/tayga", "/run/dhcpcd")


def _unit_exists(name):
    return run(["systemctl", "cat", name + ".service"], check=False).returncode == 0


def _pidfile(name):
    return os.path.join(PIDS, name + ".pid")


def _stat(pid):
    """(state, start time in clock ticks since boot) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return fields[0], fields[19]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _pid(name):
    """The service's process, from its pid file: the pid and the process's start time, so that a pid the
    kernel gave to another process since (the service died, pids wrapped) is never taken for it."""
    text = read(_pidfile(name))
    if not text:
        return None
    recorded = text.split()
    pid = int(recorded[0])
    found = _stat(pid)
    if found is None or found[0] in ("Z", "X"):
        return None
    return pid if len(recorded) < 2 or recorded[1] == found[1] else None


def running(name):
    if name == "frr":
        return run(["pgrep", "-x", "zebra"], check=False).returncode == 0
    if SYSTEMD:
        unit = name if _unit_exists(name) else "pilot-" + name
        return run(["systemctl", "is-active", "--quiet", unit], check=False).returncode == 0
    return _pid(name) is not None


def start(name):
    if name == "frr":
        run(["systemctl", "start", "frr"] if SYSTEMD else ["/usr/lib/frr/frrinit.sh", "start"])
        return
    argv = FOREGROUND[name]()
    env = dict(os.environ, **KEA_ENV) if name.startswith("kea") else None
    for directory in (*SERVICE_DIRS, "/var/lib/dhcpcd"):
        os.makedirs(on_device(directory), exist_ok=True)
    if SYSTEMD:
        if _unit_exists(name):
            run(["systemctl", "restart", name])
        else:  # no unit on Debian (the DHCPv6 relay, dhcpcd-base): a transient one
            run(["systemctl", "stop", "pilot-" + name], check=False)
            run(["systemctl", "reset-failed", "pilot-" + name], check=False)
            run(["systemd-run", "--unit", "pilot-" + name, "--", *argv])
    else:
        os.makedirs(PIDS, exist_ok=True)
        os.makedirs(LOGS, exist_ok=True)
        log = open(os.path.join(LOGS, name + ".log"), "ab")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        started = _stat(proc.pid)
        write_atomic(_pidfile(name), f"{proc.pid} {started[1] if started else ''}\n")


def confirm_started(names):
    """Started means still running a moment later: a daemon that rejects its configuration exits at
    once. One wait for all the services a transaction started, not one per service."""
    names = [n for n in names if n != "frr"]
    deadline = time.monotonic() + 1.0
    while names and time.monotonic() < deadline:
        time.sleep(0.1)
        if not SYSTEMD and any(_pid(n) is None for n in names):
            break
    for name in names:
        if not running(name):
            tail = (read(os.path.join(LOGS, name + ".log")) or "").strip().splitlines()[-2:]
            raise Failed("{} did not stay up: {}".format(name, " | ".join(tail)))


def reload(name):
    """Tell a running service to read its configuration again (SIGHUP), without a restart: radvd keeps
    sending, where a restart would first send an RA with router lifetime 0."""
    if SYSTEMD:
        unit = name if _unit_exists(name) else "pilot-" + name
        run(["systemctl", "kill", "--kill-whom=main", "--signal=HUP", unit])
        return
    pid = _pid(name)
    if pid is None:
        raise Failed(name + " is not running: nothing to reload")
    os.kill(pid, signal.SIGHUP)


def stop(name):
    if name == "frr":
        return  # FRR is the router itself: its configuration changes, it is never stopped
    if name == "dhcpcd":
        run(["dhcpcd", "-k"], check=False, timeout=15)  # release the leases, as a user disconnecting
    if SYSTEMD:
        unit = name if _unit_exists(name) else "pilot-" + name
        run(["systemctl", "stop", unit], check=False)
    else:
        pid = _pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _pid(name) is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            if _pid(name) is not None:
                os.kill(pid, signal.SIGKILL)
        remove(_pidfile(name))
    if name == "dhcpcd":
        _unplug(re.findall(r"(?m)^\s*allowinterfaces\s+(.+)$", read("/etc/dhcpcd.conf") or ""))


def _unplug(lines):
    """A client reconnecting is unplugged first: nothing the network gave it before survives (kernel
    SLAAC addresses from before dhcpcd ran, on-link routes learned from other segments' RAs)."""
    for name in " ".join(lines).split():
        run(["ip", "-4", "addr", "flush", "dev", name], check=False)
        run(["ip", "-6", "addr", "flush", "dev", name, "scope", "global"], check=False)
        run(["ip", "-4", "route", "flush", "dev", name], check=False)
        for route in json.loads(run(["ip", "-j", "-6", "route", "show", "dev", name], check=False).stdout or "[]"):
            if not route.get("dst", "").startswith(("fe80:", "ff")):
                run(["ip", "-6", "route", "del", route["dst"], "dev", name], check=False)
