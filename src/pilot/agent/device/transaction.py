"""One transaction per device: bring it to a bundle, or put it back as its backup has it."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time

from pilot.agent.device.common import (
    FRR_RELOAD,
    HOOK_ORDER,
    SETTLE,
    STATE,
    Failed,
    dump,
    locked,
    on_device,
    read,
    reconnecting,
    remove,
    run,
    write_atomic,
)
from pilot.agent.device.live import repair_kernel
from pilot.agent.device.services import confirm_started, reload, running, start, stop
from pilot.agent.device.state import assess, capture, differences, live_drift

RELOADED = {"frr-reload", "reload"}  # hooks that apply a file to its running service without a restart


def hook_before(hook, path, old_copy):
    if hook == "ifupdown" and old_copy:
        run(["ifdown", "-i", old_copy, "-a", "--force"], check=False)


def hook_after(hook, path, text, service=None):
    if text is None:
        return
    if hook == "reload":
        if service and running(service):  # a service not running yet reads the file when it starts
            reload(service)
        return
    path = on_device(path)  # the file as written (under PILOT_AGENT_ROOT in unit tests)
    if hook == "sysctl":
        run(["sysctl", "-q", "-p", path])
    elif hook == "nft":
        run(["nft", "-f", path])
    elif hook == "frr-reload":
        run([FRR_RELOAD, "--reload", path], timeout=180)
    elif hook == "ifupdown":
        declared = set(re.findall(r"^iface\s+(vlan\d+)\s", text, re.M))
        out = run(["ip", "-j", "link", "show", "type", "bridge"], check=False).stdout
        for link in json.loads(out or "[]"):  # the switch's VLAN bridges are pilot's: undeclared ones go
            if re.match(r"^vlan\d+$", link["ifname"]) and link["ifname"] not in declared:
                run(["ip", "link", "del", link["ifname"]], check=False)
        run(["ifup", "-i", path, "-a"])


def _transaction(bundle, restoring=False):
    """Bring the device to the bundle: files and their hooks, then whatever still drifted on the live
    system, then services. Raises Failed on the first error, or if anything still differs at the end."""
    found = assess(bundle, reloading=True)
    changed = [f for f in bundle["files"] if f["path"] in found["files"]]
    # A hook runs when its file changed, or when what the file implies drifted on the live system.
    rerun = [f for f in bundle["files"] if f["path"] in found["frr"] or f["path"] in found["drift"]]
    # A file its hook reloads in place (frr.conf through frr-reload.py) does not restart its service.
    changed_services = {f.get("service") for f in changed if f.get("service") and f.get("hook") not in RELOADED}
    # Reconfiguring interfaces disrupts every daemon bound to them (tayga owns its tun): stop them
    # first, start them again afterwards.
    interfaces_change = any(f.get("hook") == "ifupdown" for f in changed)
    reconnect = set(reconnecting(bundle)) if (restoring or found["reconnect"]) else set()
    for name, wanted in bundle["services"].items():
        if running(name) and (not wanted or name in reconnect or (interfaces_change and name != "frr")):
            stop(name)
    old_copies = {}
    for f in changed:
        old = read(f["path"])
        if f.get("hook") == "ifupdown" and old is not None:
            fd, copy = tempfile.mkstemp(prefix="pilot-old-")
            with os.fdopen(fd, "w") as fh:
                fh.write(old)
            old_copies[f["path"]] = copy
            hook_before("ifupdown", f["path"], copy)
    try:
        for f in bundle["files"]:
            if read(f["path"]) != f["text"]:
                if f["text"] is None:
                    remove(f["path"])
                else:
                    write_atomic(f["path"], f["text"], f.get("owner", "root:root"), f.get("mode", "0644"))
        for hook in HOOK_ORDER:
            for f in changed + [f for f in rerun if f not in changed]:
                if f.get("hook") == hook:
                    hook_after(hook, f["path"], f["text"], f.get("service"))
                    if hook == "frr-reload" and f["text"] is not None and read(f["path"]) != f["text"]:
                        # frr-reload.py ends with `write`, which saves the running configuration over
                        # frr.conf: the file stays as pilot rendered it.
                        write_atomic(f["path"], f["text"], f.get("owner", "frr:frr"), f.get("mode", "0640"))
    finally:
        for copy in old_copies.values():
            remove(copy)
    owner = (bundle.get("expect") or {}).get("owner")
    deadline = time.monotonic() + SETTLE
    problems = live_drift(bundle)
    repair_kernel(problems, owner)
    while problems and time.monotonic() < deadline:
        time.sleep(0.1)
        problems = live_drift(bundle)
    started = []
    for name, wanted in bundle["services"].items():
        if wanted and (name in changed_services or name in reconnect or not running(name)):
            if running(name):
                stop(name)
            start(name)
            started.append(name)
    confirm_started(started)
    left = assess(bundle)
    left["reconnect"] = None  # done above; the device's record says so once the transaction ends
    if any(left[k] for k in ("files", "frr", "drift", "kernel", "services")):
        raise Failed("still differs after applying: " + differences(left))


def apply(bundle, bundle_path, restoring=False):
    """One transaction, backed up first; on failure everything goes back as the backup has it."""
    run_dir = os.path.dirname(bundle_path)
    result = {"run": bundle["run"], "node": bundle.get("node"), "stage": bundle.get("stage"), "started": time.time()}
    with locked():
        backup = capture(bundle)
        dump(os.path.join(run_dir, "backup.json"), backup)
        dump(os.path.join(run_dir, "result.json.partial"), dict(result, state="applying"))
        try:
            put_back(bundle) if restoring else _transaction(bundle)
            result.update(state="applied")
        except Exception as exc:
            result.update(state="failed", error=str(exc))
            try:
                put_back(backup)
                result.update(restored=True)
            except Exception as again:
                result.update(restored=False, restore_error=str(again))
        result["finished"] = time.time()
        if result["state"] == "applied":  # the device's record first: `wait` returns once result.json exists
            record = bundle.get("applied")  # a restore says again what the device ran before the run
            if restoring and isinstance(record, dict):
                dump(STATE, record) if record else remove(STATE)
            else:
                dump(STATE, {"run": bundle["run"], "stage": bundle.get("stage"), "applied": result["finished"]})
        dump(os.path.join(run_dir, "result.json"), result)
        remove(os.path.join(run_dir, "result.json.partial"))
    return result


def put_back(backup):
    """Bring the device back to a backup: FRR's running configuration first (it may hold changes never
    saved to frr.conf, and the addresses the backup's live state expects come from it), then the
    files as they were (frr.conf without reloading it: FRR already runs what it ran), the live state
    and the services; clients reconnect."""
    config = backup.get("frr_running")
    if config is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as fh:
            fh.write(config)
        try:
            run([FRR_RELOAD, "--reload", fh.name], timeout=180)
        finally:
            remove(fh.name)
        files = [dict(f, hook=None) if f.get("hook") == "frr-reload" else f for f in backup["files"]]
        backup = dict(backup, files=files)
    _transaction(backup, restoring=True)
