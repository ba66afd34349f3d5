"""Agency by agency on a real pilot lab, through the command line: the province to dual-stack, then
dost/hq to ipv6-mostly and ipv6-only while soyte/hq stays dual-stack, soyte to ipv6-mostly, soyte
rolled back. After each move, probes on both sites' clients show each at its own stage, and the site
that did not move exactly as it was (its addresses, its DHCPv4 lease, its RA), and the run's devices
are only those the move concerns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from labkit import lab_exec, pilot, pilot_lab, why

pytestmark = pytest.mark.lab

DOST, SOYTE = "dost/hq", "soyte/hq"
SOYTE_DEVICES = {"soyte-rtr", "soyte-sw", "soyte-pc1", "soyte-pc2"}
DOST_DEVICES = {"dost-rtr", "dost-sw", "pc1", "pc2", "legacy1", "rogue1"}


@dataclass
class Lab:
    name: str
    inventory: Path
    env: dict[str, str] = field(repr=False)

    def report(self, *args: str) -> dict[str, Any]:
        result = pilot(*args, "-I", str(self.inventory), "--json", env=self.env, timeout=400)
        assert result.returncode == 0, (result.returncode, result.stderr[-3000:], why(result.stdout))
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def sites(self) -> dict[str, str]:
        result = pilot("status", "--no-ask", "--json", "-I", str(self.inventory), env=self.env)
        assert result.returncode == 0, result.stderr
        return {s["site"]: s["stage"] for s in json.loads(result.stdout)["sites"]}

    def sh(self, node: str, command: str) -> str:
        result = lab_exec(self.name, node, "sh", "-c", command)
        return result.stdout

    def held(self, node: str) -> dict[str, Any]:
        """What a client holds: its global addresses, its IPv4 default route, the RA it receives."""
        addresses = json.loads(self.sh(node, "ip -j addr show dev eth1 scope global") or "[]")
        held = sorted(
            f"{a['local']}/{a['prefixlen']}" for i in addresses for a in i.get("addr_info", []) if a.get("local")
        )
        ra = self.sh(node, "rdisc6 -1 -r 3 -w 1000 eth1")
        # What the RA says, lifetimes aside (they count down).
        kept = ("Prefix", "Recursive DNS server", "DNS search list", "Stateful address conf.", "Stateful other conf.")
        fields = sorted(
            f"{key.strip()}={value.split('(')[0].strip()}"
            for key, _, value in (line.partition(":") for line in ra.splitlines())
            if key.strip() in kept
        )
        return {"addresses": held, "default4": self.sh(node, "ip -4 route show default").strip(), "ra": fields}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    work = tmp_path_factory.mktemp("agencies")
    with pilot_lab(work, "ab") as (name, inventory):
        yield Lab(
            name,
            inventory,
            {"PILOT_JOURNAL": str(work / "journal.sqlite"), "PILOT_CREDENTIALS": str(work / "none.yml")},
        )


def passed(report: dict[str, Any]) -> dict[str, bool]:
    assert report["state"] == "applied" or report["state"] == "verified", (report["state"], report["detail"])
    return {c["name"]: c["passed"] for c in report["checks"] if not c["skipped"]}


def test_the_province_to_dual_stack_then_one_site_moves_and_the_other_is_untouched(lab: Lab) -> None:
    checks = passed(lab.report("apply", "--stage", "dual-stack", "--yes"))
    assert checks["dhcpv4 pc2"] and checks["dhcpv4 soyte-pc2"] and checks["ra soyte-pc1"]
    assert lab.sites() == {DOST: "dual-stack", SOYTE: "dual-stack"}
    soyte_before = {n: lab.held(n) for n in ("soyte-pc1", "soyte-pc2")}

    # What moving dost changes: every device compared, none of soyte's differs.
    diff = lab.report("diff", "--stage", "ipv6-mostly", "--site", DOST)
    differs = {d["name"] for d in diff["devices"] if d["diff"]}
    assert not differs & SOYTE_DEVICES and "dost-rtr" in differs and "core" in differs, differs
    assert {d["name"] for d in diff["devices"]} >= SOYTE_DEVICES, "diff compares every device"

    report = lab.report("apply", "--stage", "ipv6-mostly", "--site", DOST, "--yes")
    checks = passed(report)
    assert not {d["name"] for d in report["devices"]} & SOYTE_DEVICES
    assert checks["option108 pc1"] and checks["dns64 pc1"] and checks["nat64 pc1"]  # dost at ipv6-mostly
    assert checks["dhcpv4 soyte-pc1"] and "option108 soyte-pc1" not in checks  # soyte re-checked at dual-stack
    # DNS64 and PREF64 are there for dost's clients only: soyte's resolver and RA stay without them.
    assert checks["no-dns64 soyte-pc1"] and checks["no-dns64 soyte-pc2"] and checks["pref64 soyte-pc1"]
    expected = {c["name"]: c["expected"] for c in report["checks"]}
    assert "PREF64 2001:db8:0:6464::/96" in expected["pref64 pc1"] and "no PREF64" in expected["pref64 soyte-pc1"]
    assert report["sites"] == [DOST] and report["stage_map"] == {DOST: "ipv6-mostly", SOYTE: "dual-stack"}
    assert {n: lab.held(n) for n in soyte_before} == soyte_before, "soyte's clients hold exactly what they held"
    assert "default" not in lab.held("pc1")["default4"]  # pc1 honoured option 108: IPv6-only

    report = lab.report("apply", "--stage", "ipv6-only", "--agency", "dost", "--yes")
    checks = passed(report)
    assert checks["no-ipv4 pc2"] and checks["legacy-ipv4 legacy1"]
    assert {n: lab.held(n) for n in soyte_before} == soyte_before
    assert lab.sites() == {DOST: "ipv6-only", SOYTE: "dual-stack"}


def test_the_second_agency_follows_and_goes_back_while_the_first_stays(lab: Lab) -> None:
    dost_before = {n: lab.held(n) for n in ("pc1", "pc2")}
    report = lab.report("apply", "--stage", "ipv6-mostly", "--site", SOYTE, "--yes")
    checks = passed(report)
    assert checks["option108 soyte-pc1"] and checks["dns64 soyte-pc1"] and checks["dhcpv4 soyte-pc2"]
    assert checks["no-ipv4 pc1"] and checks["no-ipv4 pc2"]  # dost re-checked at ipv6-only
    devices = {d["name"] for d in report["devices"]}
    assert not devices & DOST_DEVICES and not devices & {"core", "nat64", "dns64"}, devices  # nothing province-wide
    assert {n: lab.held(n) for n in dost_before} == dost_before

    back = lab.report("rollback", "--to", "dual-stack", "--site", SOYTE, "--yes")
    checks = passed(back)
    assert checks["dhcpv4 soyte-pc1"] and "option108 soyte-pc1" not in checks  # soyte-pc1 has IPv4 again
    assert {n: lab.held(n) for n in dost_before} == dost_before
    assert lab.sites() == {DOST: "ipv6-only", SOYTE: "dual-stack"}
    history = {r["id"]: r for r in lab.report("history")}
    assert history[back["run_id"]]["sites"] == [SOYTE]
    verify = lab.report("verify", "--site", SOYTE)
    assert verify["state"] == "verified" and all(passed(verify).values())
    assert not any(name.endswith(("pc1", "pc2")) and "soyte" not in name for name in passed(verify))
