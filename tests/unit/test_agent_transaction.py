"""The device agent's diff and transaction on a temporary root: the bundles are what pilot renders
(tests/golden), the commands answer with outputs recorded on a lab (tests/unit/data/agent)."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from typing import Any

import pytest
from agent_kit import Device, InProcess, data, golden_bundle

CORE_RUNNING = data("agent/core.show-running-config.txt")
CORE_DRIFTED = data("agent/core.show-running-config.route-map-drift.txt")  # issue 7: PROVINCE-V6 matches all
ROUTE_MAP_DELTA = data("agent/core.frr-reload-test.route-map-drift.txt")
FRR_CONF = "/etc/frr/frr.conf"


def frr_scene(device: Device, delta: str = ROUTE_MAP_DELTA, running: str = CORE_DRIFTED) -> None:
    """core with FRR running `running`: frr-reload.py --test shows `delta` until --reload has run."""
    device.on("pgrep", "-x", "zebra")
    device.on("ip", "-j", "addr", "show", stdout=data("agent/core.ip-addr.json"))
    device.on("vtysh", "-c", "show running-config", stdout=running)
    device.on("frr-reload.py", "--test", "*", stdout=delta)
    # frr-reload.py ends with `write`: FRR saves its running configuration over the file it was given.
    device.on("frr-reload.py", "--reload", "*", overwrite=CORE_RUNNING)
    device.on("frr-reload.py", "--test", "*", after=("frr-reload.py", "--reload", "**"))
    # radvd beside FRR sends core's RAs (templates/frr/platform.yml), running since the bundle was applied.
    device.on("radvd", "**", daemon=True)
    device.start_daemon("radvd", "radvd", "--nodaemon", "--config", "/etc/radvd.conf", "--logmethod", "stderr")


def nat64_scene(device: Device, bundle: dict[str, Any]) -> None:
    """nat64 with its recorded interfaces and routes, sysctls as `bundle` sets them, no NAT44 table."""
    device.on("ip", "-j", "addr", "show", stdout=data("agent/nat64.ip-addr.json"))
    device.on("ip", "-j", "-4", "route", "show", "default", stdout=data("agent/nat64.ip-route-default4.json"))
    device.on("ip", "-j", "-6", "route", "show", "default", stdout=data("agent/nat64.ip-route-default6.json"))
    device.on("ip", "-j", "link", "show", "type", "bridge", stdout="[]\n")
    device.on("unshare", "-n", "sh", "-c", "**", stdout="")
    device.on("nft", "list", "table", "ip", "pilot_nat64", rc=1, stderr="Error: No such file or directory\n")
    for program in ("ifup", "ifdown", "sysctl"):
        device.on(program, "**")
    device.on("nft", "-f", "*")
    device.sysctls(text_of(bundle, "/etc/sysctl.d/90-pilot.conf"))


def text_of(bundle: dict[str, Any], path: str) -> str:
    text: str = next(f["text"] for f in bundle["files"] if f["path"] == path)
    return text


def bundle_path(agent: InProcess, bundle: dict[str, Any]) -> str:
    return os.path.join(agent.RUNS, str(bundle["run"]), "bundle.json")


def on_root(device: Device, path: str) -> str:
    return str(device.root / path.lstrip("/"))


NO_CHANGE: dict[str, Any] = {"files": {}, "services": {}, "live": []}


def changes(device: Device) -> list[list[str]]:
    """The commands that changed something (not the ones that only looked)."""
    looking = (("ip", "-j"), ("pgrep",), ("vtysh", "-c", "show running-config"), ("nft", "list"), ("unshare",))
    return [c for c in device.commands() if not any(c[: len(prefix)] == list(prefix) for prefix in looking)]


# -- diff: what differs, FRR's running configuration included ------------------------------------------


def test_frr_drift_is_a_change_though_frr_conf_is_as_rendered(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "core")
    device.install(bundle)
    frr_scene(device)
    assert agent_here.diff(bundle) == {"files": {FRR_CONF: ROUTE_MAP_DELTA.strip() + "\n"}, "services": {}, "live": []}


def test_frr_conf_differing_in_form_only_is_no_change(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "core")
    rendered = text_of(bundle, FRR_CONF)
    statics = "ip route 198.51.100.0/24 blackhole\nipv6 route 2001:db8::/32 blackhole\n!\n"
    reordered = rendered.replace("stage dual-stack", "stage ipv4").replace(statics, "")
    reordered = reordered.replace("router ospf\n", statics + "router ospf\n")
    assert agent_here.material(reordered) != agent_here.material(rendered)
    device.install(bundle)
    device.put(FRR_CONF, reordered)
    frr_scene(device, delta="", running=CORE_RUNNING)  # as recorded for such a file: --test prints nothing
    assert FRR_CONF in agent_here.assess(bundle)["files"]
    assert agent_here.diff(bundle) == NO_CHANGE


def test_frr_delta_replaces_the_text_diff_of_frr_conf(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "core")
    delta = data("agent/core.frr-reload-test.description.txt")
    device.install(bundle)
    device.put(FRR_CONF, text_of(bundle, FRR_CONF).replace("(isp1)\n", "(isp1, renamed)\n"))
    frr_scene(device, delta=delta)
    assert agent_here.diff(bundle)["files"] == {FRR_CONF: delta.strip() + "\n"}


def test_other_files_diff_as_text_services_and_live_state_too(device: Device, agent_here: InProcess) -> None:
    before, bundle = golden_bundle("ipv4", "nat64"), golden_bundle("dual-stack", "nat64")
    device.install(before)
    nat64_scene(device, bundle)
    device.put("/proc/sys/net/ipv6/conf/all/forwarding", "1\n")
    device.on("ip", "-j", "-6", "route", "show", "default", stdout="[]\n")
    bundle["services"]["unbound"] = True
    found = agent_here.diff(bundle)
    assert sorted(found["files"]) == ["/etc/network/interfaces.d/pilot", "/etc/resolv.conf"]  # not the headers
    assert found["files"]["/etc/resolv.conf"].splitlines()[:2] == [
        "--- /etc/resolv.conf (running)",
        "+++ /etc/resolv.conf (intended)",
    ]
    assert "+nameserver 2001:db8:100:2014::10\n" in found["files"]["/etc/resolv.conf"]
    assert found["services"] == {"unbound": {"running": False, "wanted": True}}
    assert found["live"] == [
        "sysctl net.ipv6.conf.all.forwarding = 1, wanted 0",
        "route default via 2001:db8:100:2014::1 missing",
    ]


def test_a_file_to_create_is_a_diff(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "nat64")
    device.install(bundle)
    nat64_scene(device, bundle)
    os.unlink(on_root(device, "/etc/tayga.conf"))
    assert list(agent_here.diff(bundle)["files"]) == ["/etc/tayga.conf"]


def without_the_wait(agent: InProcess) -> list[list[str]]:
    """confirm_started() checks at once instead of watching the new services for a second (the wait
    itself: test_a_service_that_does_not_stay_up_is_a_failure); returns what it was asked to confirm."""
    confirmed: list[list[str]] = []

    def confirm(names: list[str]) -> None:
        confirmed.append(list(names))
        down = [n for n in names if not agent.running(n)]
        if down:
            raise agent.Failed(f"{down} did not stay up")

    agent.set("confirm_started", confirm)
    return confirmed


# -- reconnecting clients -----------------------------------------------------------------------------


def pc1_scene(device: Device, bundle: dict[str, Any], stage: str | None) -> Any:
    device.install(bundle)
    device.sysctls(text_of(bundle, "/etc/sysctl.d/90-pilot.conf"))
    if stage is not None:
        device.put("/var/lib/pilot/state.json", json.dumps({"run": "6", "stage": stage, "applied": 1.0}))
    device.on("dhcpcd", "-B", "-f", "/etc/dhcpcd.conf", daemon=True)
    device.on("dhcpcd", "-k")
    device.on("ip", "**")
    device.on("ip", "-j", "-6", "route", "show", "dev", "eth1", stdout=data("agent/pc1.ip-route6-eth1.json"))
    return device.start_daemon("dhcpcd", "dhcpcd", "-B", "-f", "/etc/dhcpcd.conf")


def test_a_client_at_its_stage_does_not_reconnect(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "pc1")
    dhcpcd = pc1_scene(device, bundle, "dual-stack")
    device.forget()
    assert agent_here.diff(bundle) == NO_CHANGE
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "applied"
    assert dhcpcd.poll() is None and changes(device) == []  # its leases stay


def test_a_client_changing_stage_reconnects(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "pc1")
    dhcpcd = pc1_scene(device, bundle, "ipv4")
    confirmed = without_the_wait(agent_here)
    device.forget()
    assert agent_here.diff(bundle) == {
        **NO_CHANGE,
        "reconnect": {"from": "ipv4", "to": "dual-stack", "services": ["dhcpcd"]},
    }
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "applied", result.get("error")
    assert dhcpcd.wait(5) is not None  # the old dhcpcd is gone ...
    assert device.started("dhcpcd", "-B", "**")
    assert changes(device) == [
        ["dhcpcd", "-k"],  # ... having released its leases, and the port was unplugged:
        ["ip", "-4", "addr", "flush", "dev", "eth1"],
        ["ip", "-6", "addr", "flush", "dev", "eth1", "scope", "global"],
        ["ip", "-4", "route", "flush", "dev", "eth1"],
        ["ip", "-6", "route", "del", "2001:db8:1000:100a::/64", "dev", "eth1"],
        ["ip", "-6", "route", "del", "default", "dev", "eth1"],
        ["dhcpcd", "-B", "-f", "/etc/dhcpcd.conf"],  # a new dhcpcd asks again
    ]
    assert confirmed == [["dhcpcd"]]
    assert device.state_record() == {"run": "7", "stage": "dual-stack", "applied": result["finished"]}


def test_a_client_pilot_never_configured_reconnects(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "pc1")
    pc1_scene(device, bundle, None)
    assert agent_here.diff(bundle)["reconnect"] == {"from": None, "to": "dual-stack", "services": ["dhcpcd"]}


# -- the transaction ----------------------------------------------------------------------------------


def test_apply_reloads_frr_when_only_its_running_configuration_drifted(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "core")
    rendered = text_of(bundle, FRR_CONF)
    device.install(bundle)
    frr_scene(device)
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "applied", result.get("error")
    (reload,) = [e for e in device.log() if e["argv"][1:2] == ["--reload"]]
    assert reload["argv"][2] == on_root(device, FRR_CONF)  # the file the agent keeps, under the root
    assert reload["files"][reload["argv"][2]] == rendered
    assert device.get(FRR_CONF) == rendered  # written again after frr-reload.py's `write` replaced it
    assert stat.S_IMODE(os.stat(on_root(device, FRR_CONF)).st_mode) == 0o640
    assert device.state_record() == {"run": "7", "stage": "dual-stack", "applied": result["finished"]}
    backup = json.loads(device.get("/var/lib/pilot/runs/7/backup.json") or "{}")
    assert backup["frr_running"] == agent_here._frr_config(CORE_DRIFTED)  # what FRR ran, for a restore
    assert backup["files"] == bundle["files"]  # the files as they were (as rendered already)
    assert backup["applied"] == {} and backup["stage"] == "backup"


RADVD_CONF = "/etc/radvd.conf"


def test_a_changed_radvd_conf_is_reloaded_not_restarted(device: Device, agent_here: InProcess) -> None:
    """dual-stack to ipv6-mostly adds PREF64 to core's RAs: radvd reads its file again on SIGHUP and
    keeps running (a restart would first send an RA with router lifetime 0: hosts drop the router)."""
    bundle = golden_bundle("dual-stack", "core")
    device.install(bundle)
    frr_scene(device, delta="", running=CORE_RUNNING)
    radvd = int((device.get("/run/pilot/radvd.pid") or "0").split()[0])
    mostly = text_of(golden_bundle("ipv6-mostly", "core"), RADVD_CONF)
    assert "nat64prefix" in mostly and "nat64prefix" not in text_of(bundle, RADVD_CONF)
    for f in bundle["files"]:
        if f["path"] == RADVD_CONF:
            f["text"] = mostly
    confirmed = without_the_wait(agent_here)
    device.forget()
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "applied", result.get("error")
    assert device.get(RADVD_CONF) == mostly
    deadline = time.monotonic() + 5
    while not device.ran("radvd", "**", "SIGHUP") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert device.ran("radvd", "**") == [
        ["radvd", "--nodaemon", "--config", "/etc/radvd.conf", "--logmethod", "stderr", "SIGHUP"]
    ]  # told to reload, never started again
    assert confirmed == [[]] and int((device.get("/run/pilot/radvd.pid") or "0").split()[0]) == radvd
    assert agent_here.running("radvd")


def test_radvd_starts_where_ras_begin_and_stops_at_ipv4(device: Device, agent_here: InProcess) -> None:
    """Not running and wanted (the first stage with RAs): started with its file; not wanted (rollback
    to ipv4): stopped, and it sends its last RA with router lifetime 0 on the way out."""
    bundle = golden_bundle("dual-stack", "core")
    device.install(bundle)
    frr_scene(device, delta="", running=CORE_RUNNING)
    agent_here.stop("radvd")
    assert not agent_here.running("radvd")
    without_the_wait(agent_here)
    device.forget()
    assert agent_here.apply(bundle, bundle_path(agent_here, bundle))["state"] == "applied"
    assert device.started("radvd", "--nodaemon", "--config", "/etc/radvd.conf", "--logmethod", "stderr")
    assert agent_here.running("radvd")
    ipv4 = dict(bundle, run="8", services=dict(bundle["services"], radvd=False))
    assert agent_here.apply(ipv4, bundle_path(agent_here, ipv4))["state"] == "applied"
    assert not agent_here.running("radvd")


def test_nothing_to_do_runs_nothing(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "nat64")
    device.install(bundle)
    nat64_scene(device, bundle)
    assert agent_here.diff(bundle) == NO_CHANGE
    device.forget()
    assert agent_here.apply(bundle, bundle_path(agent_here, bundle))["state"] == "applied"
    assert changes(device) == []


def test_a_comment_changes_the_file_but_runs_no_hook(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "nat64")
    device.install(bundle)
    old_sysctl = text_of(golden_bundle("ipv4", "nat64"), "/etc/sysctl.d/90-pilot.conf")  # its header only differs
    device.put("/etc/sysctl.d/90-pilot.conf", old_sysctl)
    nat64_scene(device, bundle)
    assert agent_here.apply(bundle, bundle_path(agent_here, bundle))["state"] == "applied"
    assert device.get("/etc/sysctl.d/90-pilot.conf") == text_of(bundle, "/etc/sysctl.d/90-pilot.conf")
    assert device.ran("sysctl", "**") == []


def test_live_drift_reruns_the_hook_of_an_unchanged_file(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "nat64")
    device.install(bundle)
    nat64_scene(device, bundle)
    device.put("/proc/sys/net/ipv6/conf/all/forwarding", "1\n")
    device.on("sysctl", "-q", "-p", "*", writes={"/proc/sys/net/ipv6/conf/all/forwarding": "0\n"})
    assert agent_here.apply(bundle, bundle_path(agent_here, bundle))["state"] == "applied"
    assert device.ran("sysctl", "**") == [["sysctl", "-q", "-p", on_root(device, "/etc/sysctl.d/90-pilot.conf")]]
    assert device.ran("ifup", "**") == [] and device.ran("nft", "-f", "**") == []


def test_the_switch_gets_its_filter_table_and_port_back(device: Device, agent_here: InProcess) -> None:
    bundle = golden_bundle("dual-stack", "dost-sw")
    device.install(bundle)
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.eth2-nomaster.json"))
    device.on("ip", "link", "set", "eth2", "master", "vlan10")
    device.on(
        "ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.json"), after=("ip", "link", "set", "eth2", "**")
    )
    device.on("unshare", "-n", "sh", "-c", "**", stdout=data("agent/dost-sw.nft-list-scratch.txt"))
    device.on("nft", "list", "table", "bridge", "pilot_fhs", rc=1, stderr="Error: No such file or directory\n")
    device.on("nft", "-f", "*")
    live = data("agent/dost-sw.nft-list-live.txt")
    device.on("nft", "list", "table", "bridge", "pilot_fhs", stdout=live, after=("nft", "-f", "**"))
    assert agent_here.diff(bundle)["live"] == [
        "nftables table bridge pilot_fhs: absent, wanted present",
        "interface eth2 in no bridge, wanted vlan10",
    ]
    assert agent_here.apply(bundle, bundle_path(agent_here, bundle))["state"] == "applied"
    assert device.ran("nft", "-f", "*") == [["nft", "-f", on_root(device, "/etc/nftables.d/pilot.nft")]]
    assert device.ran("ifup", "**") == []  # the interfaces file did not change: the port is put back alone


def test_ifupdown_removes_the_switchs_vlan_bridges_its_file_no_longer_declares(
    device: Device, agent_here: InProcess
) -> None:
    bridges = json.loads(data("agent/dost-sw.ip-link-bridges.json"))  # vlan10, vlan40
    bridges.append(dict(bridges[0], ifname="vlan99", ifindex=99))  # a VLAN of an earlier configuration
    bridges.append(dict(bridges[0], ifname="br-lab", ifindex=98))  # not pilot's: left alone
    device.on("ip", "-j", "link", "show", "type", "bridge", stdout=json.dumps(bridges))
    device.on("ip", "link", "del", "*")
    device.on("ifup", "**")
    path = "/etc/network/interfaces.d/pilot"
    agent_here.hook_after("ifupdown", path, text_of(golden_bundle("dual-stack", "dost-sw"), path))
    assert device.commands() == [
        ["ip", "-j", "link", "show", "type", "bridge"],
        ["ip", "link", "del", "vlan99"],
        ["ifup", "-i", on_root(device, path), "-a"],
    ]


def test_a_stage_change_runs_in_order(device: Device, agent_here: InProcess) -> None:
    """nat64 from dual-stack to ipv6-mostly, with tayga running already: services bound to the
    interfaces stop first, ifupdown takes the old file down, every file is written, then the hooks run
    in their order (sysctl, ifupdown, nft), then the services start again."""
    before, bundle = golden_bundle("dual-stack", "nat64"), golden_bundle("ipv6-mostly", "nat64")
    device.install(before)
    nat64_scene(device, bundle)  # sysctls already as ipv6-mostly sets them: the file still changes
    device.on("tayga", "--nodetach", "--config", "/etc/tayga.conf", daemon=True)
    old_tayga = device.start_daemon("tayga", "tayga", "--nodetach", "--config", "/etc/tayga.conf")
    # After ifup: the translator's tun interface and its routes (the recording, with the tun added).
    links = json.loads(data("agent/nat64.ip-addr.json"))
    links.append({"ifname": "nat64", "flags": ["POINTOPOINT", "NOARP", "UP", "LOWER_UP"], "addr_info": []})
    ifup = ("ifup", "**")
    device.on("ip", "-j", "addr", "show", stdout=json.dumps(links), after=ifup)
    for route, family in (("198.51.100.64/28", "-4"), ("2001:db8:0:6464::/96", "-6")):
        device.on("ip", "-j", family, "route", "show", route, stdout="[]")
        device.on("ip", "-j", family, "route", "show", route, stdout=f'[{{"dst":"{route}","dev":"nat64"}}]', after=ifup)
    nat44 = data("agent/nat64.nft-list-live.ipv6-mostly.txt")
    device.on("nft", "list", "table", "ip", "pilot_nat64", stdout=nat44, after=("nft", "-f", "**"))
    device.on("unshare", "-n", "sh", "-c", "**", stdout=nat44)
    events: list[tuple[str, str, int]] = []  # (stop|start, service, commands run before it)

    def noting(what: str) -> Callable[[str], None]:
        real = getattr(agent_here, what)

        def wrapper(service: str) -> None:
            events.append((what, service, len(device.log())))
            real(service)

        return wrapper

    agent_here.set("stop", noting("stop"))
    agent_here.set("start", noting("start"))
    confirmed = without_the_wait(agent_here)
    device.forget()

    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))

    assert result["state"] == "applied", result.get("error")
    assert device.started("tayga", "**")
    log = device.log()
    steps = [
        [os.path.basename(e["argv"][0]), *e["argv"][1:2]]
        for e in log
        if e["argv"][0].endswith(("ifdown", "ifup", "sysctl", "tayga")) or e["argv"][1:2] == ["-f"]
    ]
    assert steps == [["ifdown", "-i"], ["sysctl", "-q"], ["ifup", "-i"], ["nft", "-f"], ["tayga", "--nodetach"]]
    ifdown = next(e for e in log if e["argv"][0].endswith("ifdown"))
    assert list(ifdown["files"].values()) == [text_of(before, "/etc/network/interfaces.d/pilot")]  # the old file
    for program, path in (
        ("sysctl", "/etc/sysctl.d/90-pilot.conf"),
        ("ifup", "/etc/network/interfaces.d/pilot"),
        ("nft", "/etc/nftables.d/pilot.nft"),
    ):
        call = next(e for e in log if e["argv"][0].endswith(program) and on_root(device, path) in e["argv"])
        assert call["files"][on_root(device, path)] == text_of(bundle, path)  # written before its hook ran
    assert device.get("/etc/tayga.conf") == text_of(bundle, "/etc/tayga.conf")
    first_hook = next(i for i, e in enumerate(log) if e["argv"][0].endswith("ifdown"))
    assert events[0][:2] == ("stop", "tayga") and events[0][2] <= first_hook  # stopped before ifdown
    assert events[-1][:2] == ("start", "tayga") and events[-1][2] > first_hook
    assert confirmed == [["tayga"]] and old_tayga.wait(5) is not None
    new_pid = int((device.get("/run/pilot/tayga.pid") or "0").split()[0])
    assert new_pid not in (0, old_tayga.pid) and os.path.exists(f"/proc/{new_pid}")


def test_a_service_that_does_not_stay_up_is_a_failure(device: Device, agent_here: InProcess) -> None:
    """A daemon that rejects its configuration exits at once: the transaction fails within moments
    (confirm_started's watch), quoting the daemon's last words, and the device is put back."""
    bundle = golden_bundle("dual-stack", "nat64")
    device.install(bundle)
    nat64_scene(device, bundle)
    bundle["services"]["tayga"] = True
    device.on("tayga", "--nodetach", "--config", "/etc/tayga.conf", rc=1, stderr="Error: no ipv4-addr in tayga.conf\n")
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "failed" and result["restored"] is True
    assert result["error"] == "tayga did not stay up: Error: no ipv4-addr in tayga.conf"
    assert device.state_record() is None


# -- failure: everything goes back ------------------------------------------------------------------


def failing_ifup_scene(
    device: Device, agent_here: InProcess, fail_again: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    before, bundle = golden_bundle("ipv4", "nat64"), golden_bundle("dual-stack", "nat64")
    device.install(before)
    device.put("/var/lib/pilot/state.json", json.dumps({"run": "6", "stage": "ipv4", "applied": 1.0}))
    nat64_scene(device, bundle)
    device.on("ifup", "**", rc=1, stderr="RTNETLINK answers: File exists\nifup: failed to bring up eth1\n")
    if not fail_again:
        device.on("ifup", "**", after=("ifup", "**"))  # the restore's ifup (of the old file) works
    return before, bundle


def test_a_failed_step_puts_everything_back(device: Device, agent_here: InProcess) -> None:
    before, bundle = failing_ifup_scene(device, agent_here, fail_again=False)
    record = device.get("/var/lib/pilot/state.json")
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "failed" and result["restored"] is True
    assert result["error"].startswith("ifup -i ") and "ifup: failed to bring up eth1" in result["error"]
    for f in before["files"]:
        assert device.get(f["path"]) == f["text"], f["path"]
    assert device.get("/var/lib/pilot/state.json") == record  # the device still says what it ran
    run_dir = device.root / "var/lib/pilot/runs/7"
    assert json.loads((run_dir / "result.json").read_text()) == result
    assert not (run_dir / "result.json.partial").exists()
    ifups = device.ran("ifup", "**")
    assert len(ifups) == 2  # the new file (failed), then the old one again
    assert [e["files"] for e in device.log() if e["argv"][0].endswith("ifup")][1] == {
        on_root(device, "/etc/network/interfaces.d/pilot"): text_of(before, "/etc/network/interfaces.d/pilot")
    }


def test_a_failed_restore_is_reported(device: Device, agent_here: InProcess) -> None:
    _, bundle = failing_ifup_scene(device, agent_here, fail_again=True)
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "failed" and result["restored"] is False
    assert "ifup: failed to bring up eth1" in result["restore_error"]


def test_what_cannot_be_repaired_fails_and_frr_gets_its_running_configuration_back(
    device: Device, agent_here: InProcess
) -> None:
    bundle = golden_bundle("dual-stack", "core")
    bundle["expect"]["links"]["eth9"] = {"up": True, "addresses": []}
    device.install(bundle)
    frr_scene(device)
    agent_here.set("SETTLE", 0.05)
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "failed" and result["restored"] is True
    assert result["error"] == "still differs after applying: interface eth9 missing"
    reloads = [e for e in device.log() if e["argv"][1:2] == ["--reload"]]
    assert len(reloads) == 2  # the bundle's frr.conf, then FRR's running configuration from the backup
    assert list(reloads[1]["files"].values()) == [agent_here._frr_config(CORE_DRIFTED)]
    assert device.get(FRR_CONF) == text_of(bundle, FRR_CONF)  # a restore does not reload the file again


# -- restore --------------------------------------------------------------------------------------


@pytest.mark.parametrize("previous", [{"run": "6", "stage": "ipv4", "applied": 1.5}, None])
def test_restore_puts_back_the_files_and_the_previous_record(
    device: Device, agent_here: InProcess, capsys: pytest.CaptureFixture[str], previous: dict[str, Any] | None
) -> None:
    before, bundle = golden_bundle("ipv4", "nat64"), golden_bundle("dual-stack", "nat64")
    device.install(before)
    if previous is not None:
        device.put("/var/lib/pilot/state.json", json.dumps(previous))
    nat64_scene(device, bundle)
    assert agent_here.apply(bundle, bundle_path(agent_here, bundle))["state"] == "applied"
    assert device.state_record() is not None and device.state_record()["run"] == "7"  # type: ignore[index]
    capsys.readouterr()

    assert agent_here.main(["pilot-agent", "restore", "7"]) == 0

    answer = json.loads(capsys.readouterr().out)
    assert answer["state"] == "applied" and answer["run"] == "7-restore" and answer["stage"] == "restore of run 7"
    assert device.state_record() == previous  # what the device said before run 7, or nothing
    for f in before["files"]:
        assert device.get(f["path"]) == f["text"], f["path"]
    assert (device.root / "var/lib/pilot/runs/7-restore/result.json").exists()


def test_a_restore_unloads_the_table_that_a_file_new_to_the_device_loaded(
    device: Device, agent_here: InProcess
) -> None:
    """dost-sw before pilot: no nftables file, no table. The apply writes the file and loads the table;
    the transaction then fails (an interface is missing), and the restore removes the file: the table
    must go as well."""
    bundle = golden_bundle("dual-stack", "dost-sw")
    nft_file = "/etc/nftables.d/pilot.nft"
    device.install(bundle)
    os.unlink(on_root(device, nft_file))
    bundle["expect"]["links"]["eth9"] = {"up": True, "addresses": []}
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.json"))
    device.on("unshare", "-n", "sh", "-c", "**", stdout=data("agent/dost-sw.nft-list-scratch.txt"))
    device.on("nft", "list", "table", "bridge", "pilot_fhs", rc=1, stderr="Error: No such file or directory\n")
    device.on("nft", "**")
    live = data("agent/dost-sw.nft-list-live.txt")
    device.on("nft", "list", "table", "bridge", "pilot_fhs", stdout=live, after=("nft", "-f", "**"))
    gone = "Error: No such file or directory\n"  # once the restore deletes it, the table is gone again
    device.on("nft", "list", "table", "bridge", "pilot_fhs", rc=1, stderr=gone, after=("nft", "delete", "**"))
    agent_here.set("SETTLE", 0.05)

    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))

    assert result["state"] == "failed" and result["restored"] is True
    assert device.get(nft_file) is None
    log = device.log()
    loaded = next(i for i, e in enumerate(log) if e["argv"][1:2] == ["-f"])
    unloads = [
        e["argv"]
        for e in log[loaded + 1 :]
        if e["argv"][1:4] == ["delete", "table", "bridge"]
        or any("delete table bridge pilot_fhs" in text and "{" not in text for text in e["files"].values())
    ]
    assert unloads, "the RA Guard table loaded by the failed apply is still there after the restore"


def test_a_restore_sets_back_the_sysctls_a_file_new_to_the_device_set(device: Device, agent_here: InProcess) -> None:
    """nat64 before pilot: forwarding off, no sysctl file. The apply writes the file and turns forwarding
    on; the transaction then fails: the restore removes the file and turns forwarding off again."""
    bundle = golden_bundle("dual-stack", "nat64")
    bundle["files"] = [
        dict(f, text="net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n")
        if f["path"] == "/etc/sysctl.d/90-pilot.conf"
        else f
        for f in bundle["files"]
    ]
    device.install(bundle)
    nat64_scene(device, bundle)
    os.unlink(on_root(device, "/etc/sysctl.d/90-pilot.conf"))
    device.sysctls("net.ipv4.ip_forward = 0\nnet.ipv6.conf.all.forwarding = 0\n")
    on = {"/proc/sys/net/ipv4/ip_forward": "1\n", "/proc/sys/net/ipv6/conf/all/forwarding": "1\n"}
    device.on("sysctl", "-q", "-p", "*", writes=on)
    device.on("sysctl", "-q", "-w", "net.ipv4.ip_forward=0", writes={"/proc/sys/net/ipv4/ip_forward": "0\n"})
    device.on(
        "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=0", writes={"/proc/sys/net/ipv6/conf/all/forwarding": "0\n"}
    )
    bundle["expect"]["links"]["eth9"] = {"up": True, "addresses": []}  # cannot be repaired: the apply fails
    agent_here.set("SETTLE", 0.05)

    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))

    assert result["state"] == "failed" and result["restored"] is True, result
    assert device.get("/etc/sysctl.d/90-pilot.conf") is None
    assert device.get("/proc/sys/net/ipv4/ip_forward") == "0\n"
    assert device.get("/proc/sys/net/ipv6/conf/all/forwarding") == "0\n"


def test_a_restore_puts_back_a_table_deleted_by_hand_before_the_run(device: Device, agent_here: InProcess) -> None:
    """dost-sw drifted: its RA Guard table deleted by hand, the file still there. The apply loads the
    table, then fails: the restore brings the device back as it was, table deleted, and says restored
    (the backup is judged by what the device had loaded, not by what its file implies)."""
    bundle = golden_bundle("dual-stack", "dost-sw")
    device.install(bundle)
    bundle["expect"]["links"]["eth9"] = {"up": True, "addresses": []}  # cannot be repaired: the apply fails
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.json"))
    device.on("unshare", "-n", "sh", "-c", "**", stdout=data("agent/dost-sw.nft-list-scratch.txt"))
    device.on("nft", "list", "table", "bridge", "pilot_fhs", rc=1, stderr="Error: No such file or directory\n")
    device.on("nft", "**")
    live = data("agent/dost-sw.nft-list-live.txt")
    device.on("nft", "list", "table", "bridge", "pilot_fhs", stdout=live, after=("nft", "-f", "**"))
    gone = "Error: No such file or directory\n"
    device.on("nft", "list", "table", "bridge", "pilot_fhs", rc=1, stderr=gone, after=("nft", "delete", "**"))
    agent_here.set("SETTLE", 0.05)

    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))

    assert result["state"] == "failed" and result["restored"] is True, result
    assert device.ran("nft", "delete", "table", "bridge", "pilot_fhs")


def test_a_changed_frr_conf_is_reloaded_without_asking_for_its_delta_first(
    device: Device, agent_here: InProcess
) -> None:
    """frr-reload.py costs a second of CPU on a loaded router: when frr.conf changed the reload runs anyway,
    so the transaction asks for the delta only once, after the reload, to check nothing differs."""
    bundle = golden_bundle("dual-stack", "core")
    device.install(golden_bundle("ipv4", "core"))
    frr_scene(device)
    result = agent_here.apply(bundle, bundle_path(agent_here, bundle))
    assert result["state"] == "applied", result.get("error")
    tests_and_reloads = [e["argv"][1] for e in device.log() if e["argv"][0].endswith("frr-reload.py")]
    assert tests_and_reloads == ["--reload", "--test"]
