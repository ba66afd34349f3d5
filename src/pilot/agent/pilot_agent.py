#!/usr/bin/env python3
"""pilot-agent: applies one device's complete configuration as a single local transaction.

Copied to each Linux-based device pilot manages (FRR routers, Debian servers and switches, lab nodes)
and run over SSH by pilot's transports (the NAPALM driver for FRR, the Ansible playbooks for the rest).
Standard library only, Python 3.9+.

A bundle is JSON: {"run", "node", "stage", "files": [{"path", "text" (None: absent), "owner", "mode",
"hook", "service"}], "services": {name: wanted}, "restart_always": [names]}.

    pilot-agent capture BUNDLE        current contents of the bundle's files and state of its services
    pilot-agent diff BUNDLE           what applying BUNDLE would change (unified diffs, FRR's own delta)
    pilot-agent inspect BUNDLE        both at once: {"backup": capture, "diff": diff}
    pilot-agent apply BUNDLE [--detach]
                                      apply as one transaction: back up, write, run hooks, set services,
                                      check; on any failure put everything back. With --detach the work
                                      goes on even if the SSH session (or pilot itself) goes away.
    pilot-agent wait BUNDLE [--timeout S]
                                      wait for a detached apply's result (exit 0 applied, 1 failed)
    pilot-agent restore RUN           apply the backup that run RUN took before it changed anything
    pilot-agent state                 the last transaction's record on this device

A copy of this file may carry its bundle (EMBEDDED below): the transports then send one file and run it
once, `python3 copy.py capture|diff|apply`, which stages the bundle and proceeds as above; `apply`
detaches and waits, so the transaction outlives the session if the controller goes away.
"""

from __future__ import annotations

import difflib
import fcntl
import grp
import json
import os
import pwd
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

EMBEDDED = None  # a bundle (JSON text) carried by this copy of the agent; see the docstring
HOME = "/var/lib/pilot"
RUNS = os.path.join(HOME, "runs")
STATE = os.path.join(HOME, "state.json")
LOCK = os.path.join(HOME, "agent.lock")
PIDS = "/run/pilot"
LOGS = "/var/log/pilot"
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"
SYSTEMD = os.path.isdir("/run/systemd/system")
HOOK_ORDER = ("sysctl", "ifupdown", "nft", "frr-reload")


class Failed(Exception):
    pass


# -- small helpers --------------------------------------------------------------------------------


def run(argv, check=True, env=None, timeout=120):
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise Failed("{} failed (exit {}): {}".format(" ".join(argv), result.returncode, " | ".join(detail[-3:])))
    return result


def read(path):
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def write_atomic(path, text, owner="root:root", mode="0644"):
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
    os.chmod(tmp, int(mode, 8))
    os.replace(tmp, path)


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def dump(path, data):
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


# -- services -------------------------------------------------------------------------------------


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
    "nginx": lambda: ["nginx", "-g", "daemon off;"],
    "kea-dhcp4-server": lambda: ["kea-dhcp4", "-c", "/etc/kea/kea-dhcp4.conf"],
    "kea-dhcp6-server": lambda: ["kea-dhcp6", "-c", "/etc/kea/kea-dhcp6.conf"],
    "tayga": lambda: ["tayga", "--nodetach", "--config", "/etc/tayga.conf"],
    "isc-dhcp-relay": _relay4,
    "isc-dhcp-relay6": _relay6,
    "dhcpcd": lambda: ["dhcpcd", "-B", "-f", "/etc/dhcpcd.conf"],
}


def _unit_exists(name):
    return run(["systemctl", "cat", name + ".service"], check=False).returncode == 0


def _pidfile(name):
    return os.path.join(PIDS, name + ".pid")


def _pid(name):
    text = read(_pidfile(name))
    if not text:
        return None
    pid = int(text.split()[0])
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return None if state in ("Z", "X") else pid
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


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
    for directory in (
        "/run/kea",
        "/run/lock/kea",
        "/var/log/kea",
        "/var/lib/kea",
        "/var/lib/tayga",
        "/run/dhcpcd",
        "/var/lib/dhcpcd",
    ):
        os.makedirs(directory, exist_ok=True)
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
        write_atomic(_pidfile(name), f"{proc.pid}\n")


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


def stop(name):
    if name == "frr":
        return  # FRR is the router itself: its configuration changes, it is never stopped
    if name == "dhcpcd":
        run(["dhcpcd", "-k"], check=False, timeout=15)  # release the leases, as a user disconnecting
    if SYSTEMD:
        unit = name if _unit_exists(name) else "pilot-" + name
        run(["systemctl", "stop", unit], check=False)
        return
    pid = _pid(name)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _pid(name) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid(name) is not None:
            os.kill(pid, signal.SIGKILL)
    remove(_pidfile(name))


# -- hooks: what a changed file needs so that the device runs it ----------------------------------


def _vlan_bridges():
    out = run(["ip", "-j", "link", "show", "type", "bridge"], check=False).stdout
    return [link["ifname"] for link in json.loads(out or "[]") if re.match(r"^vlan\d+$", link["ifname"])]


def hook_before(hook, path, old_copy):
    if hook == "ifupdown" and old_copy:
        run(["ifdown", "-i", old_copy, "-a", "--force"], check=False)


def hook_after(hook, path, text):
    if text is None:
        return
    if hook == "sysctl":
        run(["sysctl", "-q", "-p", path])
    elif hook == "nft":
        run(["nft", "-f", path])
    elif hook == "frr-reload":
        run([FRR_RELOAD, "--reload", path], timeout=180)
    elif hook == "ifupdown":
        declared = set(re.findall(r"^iface\s+(vlan\d+)\s", text, re.M))
        for bridge in _vlan_bridges():  # the switch's VLAN bridges are pilot's: undeclared ones go
            if bridge not in declared:
                run(["ip", "link", "del", bridge], check=False)
        run(["ifup", "-i", path, "-a"])


# -- capture, diff, apply -------------------------------------------------------------------------


def capture(bundle):
    snapshot = {
        "run": bundle["run"],
        "node": bundle.get("node"),
        "stage": "backup",
        "files": [dict(f, text=read(f["path"])) for f in bundle["files"]],
        "services": {name: running(name) for name in bundle["services"]},
        # A client restarted by the push (to ask DHCP again) is restarted by its restore as well: an
        # untouched dhcpcd would keep what the rolled-back stage gave it (option 108's IPv6-only wait).
        "restart_always": list(bundle.get("restart_always", [])),
    }
    if bundle.get("frr_running") is not None or any(f.get("hook") == "frr-reload" for f in bundle["files"]):
        shown = run(["vtysh", "-c", "show running-config"], check=False)
        snapshot["frr_running"] = _frr_config(shown.stdout) if shown.returncode == 0 else None
    return snapshot


def _frr_config(shown):
    """`show running-config` as a configuration file: without the banner vtysh prints before it."""
    banner = ("Building configuration...", "Current configuration:")
    return "\n".join(line for line in shown.splitlines() if line.strip() not in banner) + "\n"


def diff(bundle):
    files = {}
    for f in bundle["files"]:
        old, new = read(f["path"]), f["text"]
        if material(old) != material(new):
            files[f["path"]] = "".join(
                difflib.unified_diff(
                    (old or "").splitlines(True),
                    (new or "").splitlines(True),
                    f["path"] + " (running)",
                    f["path"] + " (intended)",
                )
            ) or "(file %s)" % ("removed" if new is None else "created empty")
        if f.get("hook") == "frr-reload" and new is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as fh:
                fh.write(new)
            try:
                result = run([FRR_RELOAD, "--test", fh.name], check=False, timeout=120)
            finally:
                remove(fh.name)
            delta = result.stdout.strip()
            if result.returncode != 0:
                raise Failed("frr-reload.py --test failed: {}".format((result.stderr.strip().splitlines() or [""])[-1]))
            if "Lines To Delete" in delta or "Lines To Add" in delta:
                if _frr_delta_empty(delta):
                    files.pop(f["path"], None)  # only formatting differs: FRR would change nothing
                else:
                    files[f["path"]] = delta
    services = {}
    for name, wanted in bundle["services"].items():
        now = running(name)
        if now != wanted:
            services[name] = {"running": now, "wanted": wanted}
    return {"files": files, "services": services}


def _frr_delta_empty(delta):
    lines = [line for line in delta.splitlines() if line.strip() and not set(line.strip()) <= {"="}]
    return all(line.strip() in ("Lines To Delete", "Lines To Add") for line in lines)


RELOADED = {"frr-reload"}  # hooks that apply a file to its running service without a restart

COMMENT = re.compile(r"^\s*(#|!|;|//)")


def material(text):
    """A file's content without comments and blank lines: a new stage name in a header changes nothing."""
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip() and not COMMENT.match(line))


def _transaction(bundle, backup):
    """Write the bundle's files, run their hooks, set its services. Raises Failed on the first error."""
    differing = [f for f in bundle["files"] if read(f["path"]) != f["text"]]
    changed = [f for f in differing if material(read(f["path"])) != material(f["text"])]
    # A file its hook reloads in place (frr.conf through frr-reload.py) does not restart its service.
    changed_services = {f.get("service") for f in changed if f.get("service") and f.get("hook") not in RELOADED}
    # Reconfiguring interfaces disrupts every daemon bound to them (tayga owns its tun): stop them
    # first, start them again afterwards.
    interfaces_change = any(f.get("hook") == "ifupdown" for f in changed)
    for name, wanted in bundle["services"].items():
        if running(name) and (not wanted or (interfaces_change and name != "frr")):
            stop(name)
    old_copies = {}
    for f in changed:
        if f.get("hook") == "ifupdown":
            old = read(f["path"])
            if old is not None:
                fd, copy = tempfile.mkstemp(prefix="pilot-old-")
                with os.fdopen(fd, "w") as fh:
                    fh.write(old)
                old_copies[f["path"]] = copy
            hook_before("ifupdown", f["path"], old_copies.get(f["path"]))
    try:
        for f in differing:
            if f["text"] is None:
                remove(f["path"])
            else:
                write_atomic(f["path"], f["text"], f.get("owner", "root:root"), f.get("mode", "0644"))
        for hook in HOOK_ORDER:
            for f in changed:
                if f.get("hook") == hook:
                    hook_after(hook, f["path"], f["text"])
    finally:
        for copy in old_copies.values():
            remove(copy)
    started = []
    for name, wanted in bundle["services"].items():
        if not wanted:
            continue
        restart = name in changed_services or name in bundle.get("restart_always", [])
        if restart or not running(name):
            if running(name):
                stop(name)
            start(name)
            started.append(name)
    confirm_started(started)


def apply(bundle, bundle_path):
    run_dir = os.path.dirname(bundle_path)
    result = {"run": bundle["run"], "node": bundle.get("node"), "stage": bundle.get("stage"), "started": time.time()}
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one transaction at a time on a device
        backup = capture(bundle)
        dump(os.path.join(run_dir, "backup.json"), backup)
        dump(os.path.join(run_dir, "result.json.partial"), dict(result, state="applying"))
        try:
            _transaction(bundle, backup)
            result.update(state="applied")
        except Exception as exc:
            result.update(state="failed", error=str(exc))
            try:
                _transaction(backup, None)
                _frr_restore(backup)
                result.update(restored=True)
            except Exception as again:
                result.update(restored=False, restore_error=str(again))
        result["finished"] = time.time()
        dump(os.path.join(run_dir, "result.json"), result)
        remove(os.path.join(run_dir, "result.json.partial"))
        if result["state"] == "applied":
            dump(STATE, {"run": bundle["run"], "stage": bundle.get("stage"), "applied": result["finished"]})
    return result


def _frr_restore(backup):
    """Bring FRR's running configuration back to the backup's, which may hold changes never saved to
    frr.conf. frr-reload.py saves the running configuration over frr.conf whenever it reloads another
    file (`write` in vtysh): frr.conf is put back afterwards, as the backup has it."""
    config = backup.get("frr_running")
    if config is None:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as fh:
        fh.write(config)
    try:
        run([FRR_RELOAD, "--reload", fh.name], timeout=180)
    finally:
        remove(fh.name)
    for f in backup["files"]:
        if f.get("hook") == "frr-reload" and f["text"] is not None and read(f["path"]) != f["text"]:
            write_atomic(f["path"], f["text"], f.get("owner", "frr:frr"), f.get("mode", "0640"))


def _detach():
    """Double fork: the transaction survives the SSH session and the controller."""
    if os.fork() > 0:
        return True
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    return False


def main(argv):
    if len(argv) < 2:
        sys.stdout.write(__doc__)
        return 2
    command, args = argv[1], argv[2:]
    os.makedirs(RUNS, exist_ok=True)
    if command == "state":
        sys.stdout.write(json.dumps(load(STATE) if os.path.exists(STATE) else {}) + "\n")
        return 0
    if command == "restore":
        run_dir = os.path.join(RUNS, args[0])
        backup_path = os.path.join(run_dir, "backup.json")
        if not os.path.exists(backup_path):
            sys.stderr.write(f"no backup for run {args[0]} on this device\n")
            return 2
        backup = load(backup_path)
        restore_dir = os.path.join(RUNS, args[0] + "-restore")
        os.makedirs(restore_dir, exist_ok=True)
        bundle = dict(backup, run=args[0] + "-restore", stage=f"restore of run {args[0]}")
        result = apply(bundle, os.path.join(restore_dir, "bundle.json"))
        if result["state"] == "applied":
            _frr_restore(backup)
        sys.stdout.write(json.dumps(result) + "\n")
        return 0 if result["state"] == "applied" else 1
    if EMBEDDED is not None and command in ("capture", "diff", "inspect", "apply"):
        bundle = json.loads(EMBEDDED)
        bundle_path = os.path.join(RUNS, str(bundle["run"]), "bundle.json")
        dump(bundle_path, bundle)
        _install_self()
        if command == "apply":
            args = [bundle_path, "--detach", "--wait"]
        else:
            args = [bundle_path]
    bundle_path = args[0]
    bundle = load(bundle_path)
    if command == "capture":
        sys.stdout.write(json.dumps(capture(bundle)) + "\n")
        return 0
    if command in ("diff", "inspect"):
        try:
            answer = diff(bundle) if command == "diff" else {"backup": capture(bundle), "diff": diff(bundle)}
        except Failed as exc:
            sys.stderr.write(f"{exc}\n")
            return 1
        sys.stdout.write(json.dumps(answer) + "\n")
        return 0
    if command == "apply":
        remove(os.path.join(os.path.dirname(bundle_path), "result.json"))  # `wait` must not read an old one
        if "--detach" in args and _detach():
            if "--wait" in args:
                return _wait(bundle_path, 300.0)
            sys.stdout.write(json.dumps({"detached": True}) + "\n")
            return 0
        result = apply(bundle, bundle_path)
        if "--detach" not in args:
            sys.stdout.write(json.dumps(result) + "\n")
        return 0 if result["state"] == "applied" else 1
    if command == "wait":
        return _wait(bundle_path, float(args[args.index("--timeout") + 1]) if "--timeout" in args else 300.0)
    sys.stderr.write(f"unknown command {command}\n")
    return 2


def _wait(bundle_path, timeout):
    result_path = os.path.join(os.path.dirname(bundle_path), "result.json")
    deadline = time.monotonic() + timeout
    while not os.path.exists(result_path):
        if time.monotonic() > deadline:
            sys.stderr.write(f"no result after {timeout:.0f} s\n")
            return 3
        time.sleep(0.1)
    result = load(result_path)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0 if result["state"] == "applied" else 1


def _install_self():
    """Keep a plain copy of the agent on the device, for `restore` and `state` later."""
    source = read(os.path.abspath(__file__))
    if source is None:
        return
    plain = re.sub(r"(?m)^EMBEDDED = .*$", "EMBEDDED = None", source, count=1)
    if read(os.path.join(HOME, "pilot-agent")) != plain:
        write_atomic(os.path.join(HOME, "pilot-agent"), plain, mode="0755")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
