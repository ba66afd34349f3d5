"""pilot-agent: brings one device to its complete intended state as a single local transaction.

Copied to each Linux-based device pilot manages (FRR routers, Debian servers and switches, lab nodes)
and run over SSH by pilot's transports (the NAPALM driver for FRR, the Ansible playbook for the rest).
Standard library only, Python 3.9+.

A bundle is JSON: {"run", "node", "stage", "files": [{"path", "text" (None: absent), "owner", "mode",
"hook", "service"}], "services": {name: wanted}, "reconnect": [services restarted when the stage
changes], "expect": {"owner": "frr"|"ifupdown"|None, "links": {ifname: {"up", "master", "addresses"}},
"routes": [{"dst", "via", "dev"}]}}.

The agent converges the device, not the files: besides the files it compares what they imply on the
running system (FRR's running configuration, sysctls, nftables tables, interfaces, addresses, routes,
services) and repairs whatever drifted, then checks that nothing differs any more.

    pilot-agent capture BUNDLE        current state of what the bundle touches (the backup)
    pilot-agent diff BUNDLE           what applying BUNDLE would change
    pilot-agent inspect BUNDLE        both at once: {"backup": capture, "diff": diff}
    pilot-agent apply BUNDLE [--detach]
                                      apply as one transaction; on any failure put everything back.
                                      With --detach the work goes on if the SSH session (or pilot) goes.
    pilot-agent wait BUNDLE [--timeout S]
                                      wait for a detached apply's result (exit 0 applied, 1 failed)
    pilot-agent restore RUN           apply the backup that run RUN took before it changed anything
    pilot-agent state                 the last transaction's record on this device

A copy of this file may carry its bundle (EMBEDDED below): the transports then send one file and run it
once, `python3 copy.py capture|diff|inspect|apply`, which stages the bundle and proceeds as above.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

from pilot.agent.device.common import (
    EMBEDDED,
    HOME,
    RUNS,
    Failed,
    applied_state,
    dump,
    load,
    read,
    remove,
    write_atomic,
)
from pilot.agent.device.state import capture, diff
from pilot.agent.device.transaction import apply


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
    # The directories the agent creates for configuration files are readable by the daemons that read
    # them (nginx as www-data): whatever umask the session had (the agent sets each file's own mode).
    os.umask(0o022)
    os.makedirs(RUNS, exist_ok=True)
    if command == "state":
        sys.stdout.write(json.dumps(applied_state()) + "\n")
        return 0
    if command == "restore":
        backup_path = os.path.join(RUNS, args[0], "backup.json")
        if not os.path.exists(backup_path):
            sys.stderr.write(f"no backup for run {args[0]} on this device\n")
            return 2
        backup = load(backup_path)
        restore_dir = os.path.join(RUNS, args[0] + "-restore")
        os.makedirs(restore_dir, exist_ok=True)
        bundle = dict(backup, run=args[0] + "-restore", stage=f"restore of run {args[0]}")
        result = apply(bundle, os.path.join(restore_dir, "bundle.json"), restoring=True)
        sys.stdout.write(json.dumps(result) + "\n")
        return 0 if result["state"] == "applied" else 1
    if command not in ("capture", "diff", "inspect", "apply", "wait"):
        sys.stderr.write(f"unknown command {command}\n")
        return 2
    if EMBEDDED is not None and command in ("capture", "diff", "inspect", "apply"):
        bundle = json.loads(EMBEDDED)
        bundle_path = os.path.join(RUNS, str(bundle["run"]), "bundle.json")
        dump(bundle_path, bundle)
        _install_self()
        args = [bundle_path, "--detach", "--wait"] if command == "apply" else [bundle_path]
    bundle_path = args[0]
    bundle = load(bundle_path)
    if command in ("capture", "diff", "inspect"):
        try:
            if command == "capture":
                answer = capture(bundle)
            else:
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
    return _wait(bundle_path, float(args[args.index("--timeout") + 1]) if "--timeout" in args else 300.0)


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
