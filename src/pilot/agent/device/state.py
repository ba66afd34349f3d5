"""What a device runs (the backup) and what differs from a bundle (the diff)."""

from __future__ import annotations

import difflib
import re

from pilot.agent.device.common import applied_state, read, reconnecting, run
from pilot.agent.device.live import (
    _frr_delta,
    _links,
    _nft_drift,
    _route_present,
    _sysctl_drift,
    kernel_drift,
    loaded_drift,
    loaded_state,
)
from pilot.agent.device.services import running


def capture(bundle):
    """The backup: the bundle's files as they are, its services, FRR's running configuration, and the
    live state of the interfaces and routes the bundle expects (so a restore puts those back too)."""
    snapshot = {
        "run": bundle["run"],
        "node": bundle.get("node"),
        "stage": "backup",
        "files": [dict(f, text=read(f["path"])) for f in bundle["files"]],
        "services": {name: running(name) for name in bundle["services"]},
        # A client reconnected by the push is reconnected by its restore as well: an untouched dhcpcd
        # would keep what the rolled-back stage gave it (option 108's IPv6-only wait).
        "reconnect": reconnecting(bundle),
        "applied": applied_state(),  # what the device said it ran: a restore says it again
    }
    expect = bundle.get("expect")
    if expect:
        links = _links()
        snapshot["expect"] = {
            "owner": expect.get("owner"),
            "links": {
                name: {
                    "up": links[name]["up"],
                    "master": links[name]["master"] if "master" in want else False,
                    "addresses": links[name]["addresses"] if want.get("addresses") is not None else None,
                }
                for name, want in expect.get("links", {}).items()
                if name in links
            },
            "routes": [r for r in expect.get("routes", []) if _route_present(r)],
        }
    loaded = loaded_state(bundle)
    if loaded:
        snapshot["loaded"] = loaded
    if bundle.get("frr_running") is not None or any(f.get("hook") == "frr-reload" for f in bundle["files"]):
        shown = run(["vtysh", "-c", "show running-config"], check=False)
        snapshot["frr_running"] = _frr_config(shown.stdout) if shown.returncode == 0 else None
    return snapshot


def live_drift(bundle):
    """[(what, repair)]: the kernel state the bundle expects, and (a backup) what its files had loaded."""
    return kernel_drift(bundle.get("expect")) + loaded_drift(bundle.get("loaded"))


def _frr_config(shown):
    """`show running-config` as a configuration file: without the banner vtysh prints before it."""
    banner = ("Building configuration...", "Current configuration:")
    return "\n".join(line for line in shown.splitlines() if line.strip() not in banner) + "\n"


COMMENT = re.compile(r"^\s*(#|!|;|//)")


def material(text):
    """A file's content without comments and blank lines: a new stage name in a header changes nothing."""
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip() and not COMMENT.match(line))


def assess(bundle, live_files=True, reloading=False):
    """Everything that differs between the device and the bundle, by kind. `live_files`: compare what
    the files imply (FRR, sysctls, nftables) with the running system too. `reloading`: a frr.conf that
    changed is reloaded whatever FRR runs, so its delta is not asked for (frr-reload.py costs a second
    of CPU on a loaded router)."""
    found = {"files": {}, "frr": {}, "drift": {}, "kernel": [], "services": {}, "reconnect": None}
    for f in bundle["files"]:
        old, new = read(f["path"]), f["text"]
        if material(old) != material(new):
            found["files"][f["path"]] = "".join(
                difflib.unified_diff(
                    (old or "").splitlines(True),
                    (new or "").splitlines(True),
                    f["path"] + " (running)",
                    f["path"] + " (intended)",
                )
            ) or "(file {})\n".format("removed" if new is None else "created empty")
        if new is None or not live_files:
            continue
        hook = f.get("hook")
        if hook in ("sysctl", "nft") and bundle.get("loaded") is not None:
            # A backup: what the device ran is what it had loaded (loaded_drift below), not what its
            # files imply; a table deleted by hand before the run is put back deleted.
            continue
        if hook == "frr-reload":
            if reloading and f["path"] in found["files"]:
                continue
            delta = _frr_delta(f["path"], new)
            if delta:
                found["frr"][f["path"]] = delta
        elif hook == "sysctl" and _sysctl_drift(new):
            found["drift"][f["path"]] = _sysctl_drift(new)
        elif hook == "nft" and _nft_drift(new):
            found["drift"][f["path"]] = _nft_drift(new)
    found["kernel"] = live_drift(bundle)
    for name, wanted in bundle["services"].items():
        now = running(name)
        if now != wanted:
            found["services"][name] = {"running": now, "wanted": wanted}
    was, because = applied_state().get("stage"), bundle.get("reconnect_now")
    if reconnecting(bundle) and (was != bundle.get("stage") or because):
        found["reconnect"] = {"from": was, "to": bundle.get("stage"), "services": reconnecting(bundle)}
        if because:  # pilot asks: the network it hangs off changed in this run
            found["reconnect"]["because"] = because
    return found


def diff(bundle):
    """assess() as pilot shows it: FRR's own delta replaces the text diff of frr.conf (only the running
    configuration counts: a file that differs in form only changes nothing)."""
    found = assess(bundle)
    files = {}
    for f in bundle["files"]:
        path = f["path"]
        if f.get("hook") == "frr-reload" and f["text"] is not None:
            if path in found["frr"]:
                files[path] = found["frr"][path]
        elif path in found["files"]:
            files[path] = found["files"][path]
    live = [line for lines in found["drift"].values() for line in lines] + [what for what, _ in found["kernel"]]
    out = {"files": files, "services": found["services"], "live": live}
    if found["reconnect"]:
        out["reconnect"] = found["reconnect"]
    return out


def differences(found):
    """assess()'s findings as one line, for an error."""
    parts = [f"file {p}" for p in found["files"]] + [f"FRR running configuration ({p})" for p in found["frr"]]
    parts += [line for lines in found["drift"].values() for line in lines] + [what for what, _ in found["kernel"]]
    parts += [f"service {n} {'stopped' if c['wanted'] else 'running'}" for n, c in found["services"].items()]
    return "; ".join(parts)
