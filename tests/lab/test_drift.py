"""Issue 7 on a real pilot lab: an apply converges the device (not only its files), re-applying changes
nothing, verification checks what the stage promises, and the first IPv6 apply from boot gives no host
an address from another VLAN.

The tests share one lab and run in file order: boot -> dual-stack -> (drift, repaired) -> (verify
catching faults) -> mixed stages recorded. Every test leaves the lab at dual-stack, whole.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from labkit import eventually, lab_exec, pilot, pilot_lab, why

from pilot.journal import Journal

USERS_PREFIX = "2001:db8:1000:100a:"  # dost/hq/users
PRINTERS_PREFIX = "2001:db8:1000:4028:"  # dost/hq/printers (VLAN 40), the wrong VLAN for pc1
ROGUE_PREFIX = "2001:db8:bad:bad:"


@dataclass
class Lab:
    name: str
    inventory: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
        return pilot(*args, "-I", str(self.inventory), env=self.env, timeout=timeout)

    def report(self, *args: str, expect: int = 0) -> dict[str, Any]:
        result = self.run(*args, "--json")
        assert result.returncode == expect, (result.returncode, result.stderr[-3000:], why(result.stdout))
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def sh(self, node: str, command: str) -> str:
        result = lab_exec(self.name, node, "sh", "-c", command)
        assert result.returncode == 0, (node, command, result.stderr)
        return result.stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    work = tmp_path_factory.mktemp("drift")
    with pilot_lab(work, "td") as (name, inventory):
        yield Lab(
            name,
            inventory,
            {"PILOT_JOURNAL": str(work / "journal.sqlite"), "PILOT_CREDENTIALS": str(work / "none.yml")},
        )


def checks_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def failed(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["observed"] for c in report["checks"] if not c["passed"]}


def advertised(lab: Lab) -> str:
    return lab.sh("core", "vtysh -c 'show bgp ipv6 unicast neighbors 3fff:100:0:1000::3 advertised-routes json'")


def global_v6(lab: Lab, node: str) -> list[str]:
    return [line.split()[1] for line in lab.sh(node, "ip -6 -o addr show dev eth1 scope global").splitlines()]


def test_the_first_ipv6_apply_from_boot_gives_no_host_an_address_from_another_vlan(lab: Lab) -> None:
    """The switch boots as one flat bridge; dost-rtr's RAs on the printers' VLAN used to reach the users
    when both were pushed in one wave (the kernel's own SLAAC on clients before dhcpcd ran)."""
    report = lab.report("apply", "--stage", "dual-stack", "--yes")
    assert report["state"] == "applied", report["detail"]
    assert not failed(report)
    for client in ("pc1", "pc2", "rogue1"):
        assert checks_of(report)[f"addressing {client}"]["passed"]
        assert not [a for a in global_v6(lab, client) if a.startswith(PRINTERS_PREFIX)], client
        assert PRINTERS_PREFIX not in lab.sh(client, "ip -6 route show dev eth1")
    # The order that prevents it: the switch's wave before the wave of the router behind it.
    shown = json.loads(lab.run("show", str(report["run_id"]), "--json").stdout)
    waves = [message for _, message in shown["events"] if message.startswith("push wave")]
    switch = next(i for i, m in enumerate(waves) if "dost-sw" in m.split(": ", 1)[1].split(", "))
    router = next(i for i, m in enumerate(waves) if "dost-rtr" in m.split(": ", 1)[1].split(", "))
    assert switch < router, waves


def test_applying_the_same_stage_again_changes_nothing(lab: Lab) -> None:
    before = {c: global_v6(lab, c) for c in ("pc1", "pc2")}
    report = lab.report("apply", "--stage", "dual-stack", "--yes")
    assert report["state"] == "applied" and report["detail"].startswith("0 devices changed"), report["detail"]
    assert {d["push"] for d in report["devices"]} == {"unchanged"}
    # No client was reconnected: its stateful DHCPv6 address is the one it had.
    assert {c: global_v6(lab, c) for c in ("pc1", "pc2")} == before
    diff = lab.run("diff", "--stage", "dual-stack", "--exit-code")
    assert diff.returncode == 0, diff.stdout[-2000:]


def test_apply_converges_the_running_device_whatever_its_files_say(lab: Lab) -> None:
    # The reproduction: an export filter loosened by hand, a gateway address deleted by hand ...
    lab.sh(
        "core",
        "vtysh -c 'conf t' -c 'route-map PROVINCE-V6 permit 10' -c 'no match ipv6 address prefix-list PROVINCE-V6' -c end",
    )
    lab.sh("dost-rtr", "ip -6 addr del 2001:db8:1000:4028::1/64 dev eth3")
    # ... and more of what a colleague's hands can do: a port moved to another VLAN, an address added,
    # first-hop security removed, a router link set down, a service stopped.
    lab.sh("dost-sw", "ip link set eth3 master vlan40")
    lab.sh("dns64", "ip addr add 2001:db8:1:bad::5/64 dev eth1")
    lab.sh("dost-sw", "nft delete table bridge pilot_fhs")
    lab.sh("isp2", "ip link set eth1 down")
    lab.sh("dhcp", "pkill -x kea-dhcp6")

    # The province becomes transit (what the issue saw), once BGP has sent its update.
    eventually(lambda: "::/0" in advertised(lab), timeout=30, what="core advertising ::/0 to isp1")

    diff = lab.run("diff", "--stage", "dual-stack", "--exit-code", "--json")
    assert diff.returncode == 1, diff.stderr
    diffs = {d["name"]: d["diff"] for d in json.loads(diff.stdout)["devices"]}
    assert "match ipv6 address prefix-list PROVINCE-V6" in diffs["core"]
    assert "live: eth3: address 2001:db8:1000:4028::1/64 missing" in diffs["dost-rtr"]
    assert "live: interface eth3 in vlan40, wanted vlan10" in diffs["dost-sw"]
    assert "live: nftables table bridge pilot_fhs: absent, wanted present" in diffs["dost-sw"]
    assert "live: eth1: address 2001:db8:1:bad::5/64 not in the configuration" in diffs["dns64"]
    assert "live: interface eth1 down" in diffs["isp2"]
    assert "service kea-dhcp6-server: stopped -> running" in diffs["dhcp"]
    assert not diffs["pc1"] and not diffs["portal"]

    status = lab.report("status")
    live = {d["device"]: d["live"] for d in status["devices"]}
    drifted = {n for n, v in live.items() if str(v).startswith("DRIFTED")}
    assert drifted == {"core", "dost-rtr", "dost-sw", "dns64", "isp2", "dhcp"}, live
    assert live["pc1"] == "in sync"

    report = lab.report("apply", "--stage", "dual-stack", "--yes")
    assert report["state"] == "applied", report["detail"]
    pushed = {d["name"]: d["diff"] for d in report["devices"] if d["push"] == "pushed"}
    # The drifted devices, and the clients behind the switch and the router repaired: pc2's port sat in
    # the printers' VLAN and it took an address there, which only reconnecting takes back.
    assert set(pushed) == drifted | {"pc1", "pc2", "legacy1", "rogue1"}
    assert pushed["pc2"] == "reconnect: its network changed (dost-sw, dost-rtr): dhcpcd restarts\n"
    assert not failed(report)
    assert not [a for a in global_v6(lab, "pc2") if a.startswith(PRINTERS_PREFIX)]

    again = lab.run("diff", "--stage", "dual-stack", "--exit-code", "--json")
    assert again.returncode == 0, [d for d in json.loads(again.stdout)["devices"] if d["diff"]]
    assert set(json.loads(advertised(lab))["advertisedRoutes"]) == {"2001:db8::/32"}
    assert "2001:db8:1000:4028::1/64" in lab.sh("dost-rtr", "ip -6 addr show dev eth3")
    assert "master vlan10" in lab.sh("dost-sw", "ip -o link show eth3")
    assert ",UP," in lab.sh("isp2", "ip -o link show eth1")
    assert {d["live"] for d in lab.report("status")["devices"]} == {"in sync"}


def test_verify_checks_what_the_stage_promises(lab: Lab) -> None:
    """Each fault the issue named passed verify before; each must fail it now, and say why."""
    lab.sh(
        "core",
        "vtysh -c 'conf t' -c 'route-map PROVINCE-V6 permit 10' -c 'no match ipv6 address prefix-list PROVINCE-V6' -c end",
    )
    lab.sh("dhcp", "pkill -x kea-dhcp6")
    lab.sh("pc2", "ip addr add 2001:db8:1000:4028::99/64 dev eth1")  # an address from the printers' VLAN
    eventually(lambda: "::/0" in advertised(lab), timeout=30, what="core advertising ::/0 to isp1")
    start = time.monotonic()
    report = lab.report("verify", expect=1)
    took = time.monotonic() - start
    assert report["state"] == "verify-failed"
    bad = failed(report)
    assert "NOT the province's" in bad["bgp-export-ipv6 core~isp1"] and "::/0" in bad["bgp-export-ipv6 core~isp1"]
    assert bad["dhcpv6-offer pc1"].startswith("no DHCPv6 advertise within")
    assert checks_of(report)["dhcpv6-offer pc1"]["seconds"] < 15  # at once, not after a 30 s timeout
    assert "FOREIGN: address 2001:db8:1000:4028::99/64" in bad["addressing pc2"]
    assert took < 60
    # The lease pc1 already holds no longer hides a stopped server; the old check still sees the lease.
    assert checks_of(report)["dhcpv6 pc1"]["passed"]
    lab.sh("pc2", "ip addr del 2001:db8:1000:4028::99/64 dev eth1")  # its prefix route goes with it
    repaired = lab.report("apply", "--stage", "dual-stack", "--yes")
    assert repaired["state"] == "applied" and not failed(repaired)


def test_the_rogue_ra_probe_leaves_nothing_behind_even_when_ra_guard_is_missing(lab: Lab) -> None:
    lab.sh("dost-sw", "nft delete table bridge pilot_fhs")  # first-hop security gone: the rogue RA gets through
    report = lab.report("verify", expect=1)
    assert "ra-guard rogue1" in failed(report)
    observed = checks_of(report)["ra-guard rogue1"]["observed"]
    assert ROGUE_PREFIX in observed and "LEFT BEHIND" not in observed, observed
    for victim in ("pc1", "pc2"):
        assert ROGUE_PREFIX not in lab.sh(victim, "ip -6 addr show; ip -6 route show"), victim
    repaired = lab.report("apply", "--stage", "dual-stack", "--yes")
    assert repaired["state"] == "applied" and not failed(repaired)
    assert checks_of(repaired)["ra-guard rogue1"]["passed"]


def test_verify_without_a_stage_never_passes_a_mixed_network(lab: Lab) -> None:
    """A journal from before stage maps (no site recorded) whose devices are at different stages."""
    journal_path = Path(lab.env["PILOT_JOURNAL"])
    with Journal.open(journal_path) as journal:
        stages = journal.device_stages(str(lab.inventory))
        assert {s.stage for s in stages.values()} == {"dual-stack"}
        run = stages["isp1"].run_id
        assert run is not None
        sites = {site: s.stage for site, s in journal.site_stages(str(lab.inventory)).items()}
        assert sites and set(sites.values()) == {"dual-stack"}
        # isp1's configuration is the same at every stage: recorded at ipv4, it is what a partial apply left
        # before stage maps (a --limit leaving a site half-moved is refused now).
        journal.set_device_stage(str(lab.inventory), "isp1", "ipv4", run)
    with sqlite3.connect(journal_path) as db:
        db.execute("DELETE FROM site_stages")
    try:
        report = lab.report("verify", expect=1)
        assert report["state"] == "mixed" and report["stage"] == "mixed"
        assert "devices at different stages" in report["detail"] and "ipv4: isp1" in report["detail"]
        at = {d["name"]: d["stage"] for d in report["devices"]}
        assert at["isp1"] == "ipv4" and at["core"] == at["pc1"] == "dual-stack"
        assert not failed(report)  # each device passes at its own stage, and still the run does not pass
        text = lab.run("verify")
        assert text.returncode == 1 and "mixed" in text.stdout
    finally:
        with Journal.open(journal_path) as journal:
            journal.set_device_stage(str(lab.inventory), "isp1", "dual-stack", run)
            journal.set_site_stages(str(lab.inventory), sites, run)
