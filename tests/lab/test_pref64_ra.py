"""PREF64 on a real lab: radvd (>= 2.20) beside FRR sends the routers' RAs, with the NAT64 prefix from
ipv6-mostly on. pc1 (the client that honours option 108) asks for an RA with the probe pilot ships
(verify/scripts/ra_probe.py) and decodes option 38: none in dual-stack, the plan's prefix in
ipv6-mostly, no RA at all once rolled back to ipv4 (radvd stopped).

The tests share one lab and run in file order: ipv4 -> dual-stack -> ipv6-mostly -> rollback ipv4.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labkit import lab_exec, pilot, pilot_lab, why

from pilot.verify.observe import SCRIPTS

NAT64 = "2001:db8:0:6464::/96"
# Given as text, not as a path: a node has its own /tmp (and /etc, /var, /run), where a checkout may be.
PROBE = (SCRIPTS / "ra_probe.py").read_text()


class Lab:
    def __init__(self, name: str, inventory: Path, work: Path) -> None:
        self.name, self.inventory = name, inventory
        self.env = {
            "PILOT_JOURNAL": str(work / "journal.sqlite"),
            "PILOT_CREDENTIALS": str(work / "no-credentials.yml"),  # not the user's own
        }

    def report(self, *args: str) -> dict[str, Any]:
        result = pilot(*args, "-I", str(self.inventory), "--json", env=self.env, timeout=400)
        assert result.returncode == 0, (result.returncode, result.stderr[-3000:], why(result.stdout))
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def ra(self, seconds: int = 4) -> dict[str, Any]:
        """What pc1 sees when it solicits an RA on its users port."""
        result = lab_exec(self.name, "pc1", "python3", "-c", PROBE, "eth1", str(seconds))
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return data

    def radvd_running(self, node: str) -> bool:
        return lab_exec(self.name, node, "pgrep", "-x", "radvd").returncode == 0

    def frr_running_config(self, node: str) -> str:
        result = lab_exec(self.name, node, "vtysh", "-c", "show running-config")
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    work = tmp_path_factory.mktemp("pref64")
    with pilot_lab(work, "p64-") as (name, inventory):
        yield Lab(name, inventory, work)


def pref64_check(report: dict[str, Any]) -> dict[str, Any]:
    (check,) = [c for c in report["checks"] if c["name"] == "pref64 pc1"]
    assert check["passed"] and not check["skipped"], check
    return check


def test_dual_stack_ras_come_from_radvd_without_pref64(lab: Lab) -> None:
    assert lab.report("apply", "--stage", "ipv4", "--yes")["state"] == "applied"
    assert not lab.radvd_running("dost-rtr")
    report = lab.report("apply", "--stage", "dual-stack", "--yes")
    assert report["state"] == "applied", why(json.dumps(report))
    check = pref64_check(report)
    assert check["expected"] == "RA carries no PREF64" and check["observed"].endswith(" carries no PREF64")
    ra = lab.ra()
    assert "error" not in ra, ra
    assert ra["pref64"] == [] and ra["router_lifetime"] == 30
    assert [p["prefix"] for p in ra["prefixes"]] == ["2001:db8:1000:100a::/64"]
    assert lab.radvd_running("dost-rtr") and lab.radvd_running("core")
    for router in ("dost-rtr", "core"):  # one RA source: FRR sends none
        assert "ipv6 nd" not in lab.frr_running_config(router)


def test_ipv6_mostly_ras_carry_pref64(lab: Lab) -> None:
    report = lab.report("apply", "--stage", "ipv6-mostly", "--yes")
    assert report["state"] == "applied", why(json.dumps(report))
    check = pref64_check(report)
    assert check["expected"] == f"RA carries PREF64 {NAT64}"
    assert f"carries PREF64 {NAT64} (lifetime 32 s)" in check["observed"]
    ra = lab.ra()
    assert ra["pref64"] == [{"lifetime": 32, "plc": 0, "prefix": NAT64}], ra
    # Everything else as FRR sent it: lifetimes, RDNSS, DNSSL, M and O on the stateful users segment.
    assert (ra["managed"], ra["other"], ra["router_lifetime"]) == (True, True, 30)
    assert [(p["valid"], p["preferred"], p["autonomous"]) for p in ra["prefixes"]] == [(2592000, 604800, True)]
    assert [r["lifetime"] for r in ra["rdnss"]] == [30] and [d["domain"] for d in ra["dnssl"]] == ["pilot.test"]


def test_rolled_back_to_ipv4_no_ra_is_sent(lab: Lab) -> None:
    report = lab.report("rollback", "--to", "ipv4", "--yes")
    assert report["state"] == "applied", why(json.dumps(report))
    assert not lab.radvd_running("dost-rtr") and not lab.radvd_running("core")
    started = time.monotonic()
    seen = lab.ra(seconds=4)
    assert seen == {"error": "no Router Advertisement on eth1 within 4 s"}, seen
    assert time.monotonic() - started >= 4
