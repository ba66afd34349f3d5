"""What every part of the device agent shares: where it keeps its files, and small helpers.

PILOT_AGENT_ROOT (unit tests only) puts every file the agent reads or writes under a directory of its
own; commands still run as on the device, with PILOT_AGENT_FRR_RELOAD (read only then) in place of
FRR's frr-reload.py.
"""

from __future__ import annotations

import fcntl
import grp
import json
import os
import pwd
import subprocess
import tempfile

# A bundle (JSON text) carried by this copy of the agent (see main's docstring). The line is exactly this:
# with_bundle() replaces it and _install_self() writes it back, so the plain copy is the agent itself.
EMBEDDED = None
ROOT = os.environ.get("PILOT_AGENT_ROOT", "").rstrip("/")
HOME = ROOT + "/var/lib/pilot"
RUNS = os.path.join(HOME, "runs")
STATE = os.path.join(HOME, "state.json")
LOCK = os.path.join(HOME, "agent.lock")
PIDS = ROOT + "/run/pilot"
LOGS = ROOT + "/var/log/pilot"
FRR_RELOAD = (ROOT and os.environ.get("PILOT_AGENT_FRR_RELOAD")) or "/usr/lib/frr/frr-reload.py"
SYSTEMD = os.path.isdir("/run/systemd/system") and not ROOT
HOOK_ORDER = ("sysctl", "ifupdown", "nft", "frr-reload", "reload")
SETTLE = 3.0  # seconds a repaired kernel state may take to show (zebra installs addresses asynchronously)


def on_device(path):
    """Where a device path is for this agent: itself, or under PILOT_AGENT_ROOT. The agent's own scratch
    files (tempfile's) are where tempfile put them."""
    mapped = ROOT and path.startswith("/") and not path.startswith((ROOT + "/", tempfile.gettempdir() + "/"))
    return ROOT + path if mapped else path


class Failed(Exception):
    pass


# -- small helpers --------------------------------------------------------------------------------


def run(argv, check=True, env=None, timeout=120, stdin=None):
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, input=stdin)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise Failed("{} failed (exit {}): {}".format(" ".join(argv), result.returncode, " | ".join(detail[-3:])))
    return result


def read(path):
    try:
        with open(on_device(path), encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def write_atomic(path, text, owner="root:root", mode="0644"):
    path = on_device(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pilot-")
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    user, _, group = owner.partition(":")
    try:
        os.chown(tmp, pwd.getpwnam(user).pw_uid, grp.getgrnam(group or user).gr_gid)
    except KeyError:
        pass  # the owner does not exist here (a tool not installed): keep root
    except PermissionError:
        if not ROOT:
            raise
        # unit tests (PILOT_AGENT_ROOT) run as any user: the files stay the test's own
    os.chmod(tmp, int(mode, 8))
    os.replace(tmp, path)


def remove(path):
    try:
        os.unlink(on_device(path))
    except FileNotFoundError:
        pass


def load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def dump(path, data):
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def applied_state():
    return load(STATE) if os.path.exists(STATE) else {}


def reconnecting(bundle):
    return list(bundle.get("reconnect", bundle.get("restart_always", [])))


def locked():
    """The device's transaction lock, held while the returned file stays open."""
    os.makedirs(HOME, exist_ok=True)
    lock = open(LOCK, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # one transaction at a time on a device
    return lock
