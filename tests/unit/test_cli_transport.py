"""The CLI transport (pilot.platforms.transport and each platform's transport.py) over real SSH against
simulated devices (tests/sim): login, push, a refused line, restore, the revert timer.

Every test logs in over SSH and takes seconds (netmiko's reads and logout; on IOS-XE NAPALM's inline
transfer, which sleeps 4 s after the paste and 2 s on leaving tclsh): the module is `slow`.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest

from pilot.agent.bundles import as_bundle
from pilot.platforms import get_platform
from pilot.platforms.cli import CliPlatform
from pilot.platforms.transport import MASK, CliPusher, SessionOptions, cli_platform
from pilot.rollout.inventory import Host
from pilot.transport.ssh import Target
from sim.eos import EosDevice
from sim.iosxe import IosxeDevice
from sim.junos import JunosDevice
from sim.server import SimDevice, SimServer
from sim.vrp import VrpDevice
from vendorkit import GOLDEN

pytestmark = pytest.mark.slow

# The registered platforms: their own hier_config rules make the diffs.
PLATFORMS: dict[str, CliPlatform] = {name: cli_platform(name) for name in ("iosxe", "vrp", "eos", "junos")}

XE_RUNNING = """version 17.9
hostname sim-xe
!
vrf definition Mgmt-intf
 address-family ipv4
 exit-address-family
!
username pilot privilege 15 secret 9 $9$sim.xe.hash$not-a-real-one
!
archive
 path flash:archive
!
interface GigabitEthernet1
 vrf forwarding Mgmt-intf
 ip address 198.51.100.10 255.255.255.0
!
interface GigabitEthernet2
 description uplink
 ipv6 address 2001:db8:0:1::1/64
!
interface GigabitEthernet3
 description agency
!
line vty 0 4
 login local
 transport input ssh
!
end
"""
XE_INTENDED = """version 17.9
hostname sim-xe
!
interface GigabitEthernet2
 description Đường lên Sở KH&CN
 ipv6 address 2001:db8:0:1::1/64
!
interface GigabitEthernet3
 description agency
 ipv6 address 2001:db8:0:110::1/64
 ipv6 nd ra interval 30
!
end
"""
VRP_RUNNING = """#
sysname sim-vrp
#
aaa
 local-user pilot password irreversible-cipher $1c$sim.vrp.hash$
#
interface GigabitEthernet0/0/0
 ip binding vpn-instance __LOCAL_OAM_VPN__
 ip address 198.51.100.30 255.255.255.0
#
stelnet server enable
#
vlan batch 110
#
interface Ethernet1/0/0
 description uplink
 nd snooping trusted
#
interface Ethernet1/0/1
 description host
 port default vlan 110
#
"""
VRP_INTENDED = """#
sysname sim-vrp
#
vlan batch 110 120
#
interface Ethernet1/0/0
 description uplink
 ipv6 enable
#
interface Ethernet1/0/1
 description Máy trạm tiếp dân
 port default vlan 110
#
"""
EOS_RUNNING = """hostname sim-eos
!
username pilot privilege 15 role network-admin secret sha512 $6$sim.eos.hash$
!
interface Management0
   ip address 198.51.100.20/24
!
management api http-commands
   no shutdown
!
interface Ethernet1
   description uplink
   no switchport
   ipv6 address 2001:db8:0:2::1/64
!
interface Ethernet2
   description dost-rtr
   no switchport
!
ipv6 unicast-routing
"""
EOS_INTENDED = """hostname sim-eos
!
interface Ethernet1
   description Đường lên lõi
   no switchport
   ipv6 address 2001:db8:0:2::1/64
!
interface Ethernet2
   description dost-rtr
   no switchport
   ipv6 address 2001:db8:0:3::1/64
!
ipv6 unicast-routing
!
router ospfv3
   router-id 198.51.100.2
"""
JUNOS_RUNNING = """version 23.2R1.14;
system {
    host-name sim-junos;
    login {
        user pilot {
            class super-user;
            authentication {
                encrypted-password "$6$sim.junos.hash$";
            }
        }
    }
    services {
        ssh;
    }
}
interfaces {
    fxp0 {
        unit 0 {
            family inet {
                address 198.51.100.40/24;
            }
        }
    }
    ge-0/0/0 {
        description uplink;
        unit 0 {
            family inet6 {
                address 2001:db8:0:4::1/64;
            }
        }
    }
}
"""
JUNOS_INTENDED = """# sim-junos: rendered by pilot
system {
    host-name sim-junos;
}
interfaces {
    ge-0/0/0 {
        description "Đường lên ISP";
        unit 0 {
            family inet6 {
                address 2001:db8:0:4::1/64;
            }
        }
    }
    ge-0/0/1 {
        unit 0 {
            family inet6 {
                address 2001:db8:0:5::1/64;
            }
        }
    }
}
"""


def _reject(config: str, after: str) -> str:
    """`config` with a line the simulated device refuses, first inside the section that starts with
    `after`, indented as its next line is (Junos' statements end with `;`)."""
    lines = config.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(after)) + 1
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    end = ";" if after.rstrip().endswith("{") else ""
    return "\n".join([*lines[:at], f"{indent}pilot-reject this line{end}", *lines[at:]]) + "\n"


@dataclass
class Case:
    platform: str
    running: str
    intended: str
    reject_after: str
    make: Callable[[str, float], SimDevice]
    device_running: Callable[[SimDevice], str]
    kept: tuple[str, ...]  # lines of the running configuration pilot leaves alone (users, management)
    secret: str  # a hashed password in the running configuration: never in what the pusher returns


CASES = {
    "iosxe": Case(
        "iosxe",
        XE_RUNNING,
        XE_INTENDED,
        "interface GigabitEthernet3",
        lambda running, minute: IosxeDevice(running, minute=minute),
        lambda d: d.running,  # type: ignore[attr-defined]
        (
            "username pilot privilege 15 secret 9 $9$sim.xe.hash$not-a-real-one",
            " vrf forwarding Mgmt-intf",
            " path flash:archive",
            " transport input ssh",
        ),
        "$9$sim.xe.hash$not-a-real-one",
    ),
    "vrp": Case(
        "vrp",
        VRP_RUNNING,
        VRP_INTENDED,
        "interface Ethernet1/0/1",
        lambda running, minute: VrpDevice(running),
        lambda d: d.config(),  # type: ignore[attr-defined]
        (
            " local-user pilot password irreversible-cipher $1c$sim.vrp.hash$",
            " ip binding vpn-instance __LOCAL_OAM_VPN__",
            "stelnet server enable",
        ),
        "$1c$sim.vrp.hash$",
    ),
    "eos": Case(
        "eos",
        EOS_RUNNING,
        EOS_INTENDED,
        "interface Ethernet2",
        lambda running, minute: EosDevice(running),
        lambda d: d.config(),  # type: ignore[attr-defined]
        (
            "username pilot privilege 15 role network-admin secret sha512 $6$sim.eos.hash$",
            "interface Management0",
            "management api http-commands",
        ),
        "$6$sim.eos.hash$",
    ),
    "junos": Case(
        "junos",
        JUNOS_RUNNING,
        JUNOS_INTENDED,
        "    ge-0/0/1 {",
        lambda running, minute: JunosDevice(running, minute=minute),
        lambda d: d.running,  # type: ignore[attr-defined]
        ('encrypted-password "$6$sim.junos.hash$";', "ssh;", "address 198.51.100.40/24;", "version 23.2R1.14;"),
        "$6$sim.junos.hash$",
    ),
}
TIMERS = ("iosxe", "eos", "junos")  # the platforms with a revert timer


def each_platform(*names: str) -> list[object]:
    return [pytest.param(CASES[n], id=n) for n in names or CASES]


@dataclass
class Rig:
    case: Case
    device: SimDevice
    pusher: CliPusher
    server: SimServer

    def same(self, a: str, b: str) -> bool:
        """hier_config finds nothing to change either way in the parts pilot manages."""
        platform = PLATFORMS[self.case.platform]
        managed = importlib.import_module(f"pilot.platforms.{self.case.platform}.transport").comparable
        a, b = managed(a), managed(b)
        return not platform.remediation(a, b).strip() and not platform.remediation(b, a).strip()

    def kept(self) -> bool:
        """The lines pilot leaves alone are all still there."""
        now = [line.strip() for line in self.now().splitlines()]
        return all(line.strip() in now for line in self.case.kept)

    def now(self) -> str:
        return self.case.device_running(self.device)


def _rig(case: Case, quick: bool = False, password: str | None = None) -> Iterator[Rig]:
    """`quick`: the revert timer ends within the test (3 s): IOS-XE and Junos count whole minutes, so
    the simulated device's minute lasts 3 s; EOS takes seconds."""
    device = case.make(case.running, 3.0 if quick else 60.0)
    revert_in = 3 if quick and case.platform == "eos" else 60
    with SimServer(device) as server:
        target = Target(
            "dev1", "127.0.0.1", server.port, device.username, password=password or device.password, strict=False
        )
        host = Host("dev1", case.platform, "cli", target)
        pusher = CliPusher([host], options=SessionOptions(revert_in=revert_in, timeout=10))
        try:
            yield Rig(case, device, pusher, server)
        finally:
            pusher.close()
            getattr(device, "stop", lambda: None)()


@pytest.fixture
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from _rig(request.param)


@pytest.fixture
def quick_rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from _rig(request.param, quick=True)


@pytest.mark.parametrize("case", each_platform())
def test_a_wrong_password_is_one_clear_line(case: Case) -> None:
    for rig in _rig(case, password="wrong-password-x"):
        outcome = rig.pusher.inspect({"dev1": case.intended})["dev1"]
        assert not outcome.ok
        assert "\n" not in outcome.error
        assert "authentication failed for user pilot" in outcome.error
        assert outcome.error.startswith("dev1 (127.0.0.1:")
        assert "wrong-password-x" not in outcome.error and rig.device.password not in outcome.error
        assert rig.same(rig.now(), case.running)


@pytest.mark.parametrize("rig", each_platform(), indirect=True)
def test_push_makes_the_intended_configuration_run(rig: Rig) -> None:
    case, platform = rig.case, PLATFORMS[rig.case.platform]
    inspected = rig.pusher.inspect({"dev1": case.intended})["dev1"]
    assert inspected.ok, inspected.error
    backup = inspected.data["backup"]["running"]
    assert rig.same(backup, case.running)
    # Hashed passwords are secrets: masked in what the journal would keep.
    assert case.secret not in str(inspected.data) and MASK in backup
    # The diff shown is hier_config's remediation from what runs to what is intended, in the parts pilot
    # manages: nothing about the users or the management interface.
    managed = importlib.import_module(f"pilot.platforms.{case.platform}.transport").comparable
    expected = platform.remediation(managed(case.running), managed(case.intended)) + "\n"
    assert inspected.data["diff"]["files"]["running-config"] == expected
    assert rig.pusher.diff({"dev1": case.intended})["dev1"].data == expected
    assert not any(line.strip() in expected for line in case.kept)

    pushed = rig.pusher.apply({"dev1": case.intended})["dev1"]
    assert pushed.ok, pushed.error
    assert rig.same(rig.now(), case.intended)
    assert rig.kept()
    assert rig.pusher.diff({"dev1": case.intended})["dev1"].data == ""
    confirmed = rig.pusher.confirm(["dev1"])["dev1"]
    assert confirmed.ok, confirmed.error
    assert confirmed.data == {"state": "confirmed" if case.platform in TIMERS else "nothing pending"}
    if case.platform == "junos":  # the commit comment, Junos' own record of who changed what
        assert rig.device.comments == ["pilot", "pilot: confirmed"]  # type: ignore[attr-defined]
    # A second push of the same configuration changes nothing.
    assert rig.pusher.apply({"dev1": case.intended})["dev1"].data == {"state": "unchanged"}


@pytest.mark.parametrize("rig", each_platform(), indirect=True)
def test_a_refused_line_fails_the_push_and_nothing_is_half_applied(rig: Rig) -> None:
    case = rig.case
    bad = _reject(case.intended, case.reject_after)
    assert rig.pusher.inspect({"dev1": bad})["dev1"].ok
    before = rig.now()
    outcome = rig.pusher.apply({"dev1": bad})["dev1"]
    assert not outcome.ok
    assert "pilot-reject this line" in outcome.error and "\n" not in outcome.error
    assert rig.now() == before  # the device refused all of it, not just the one line
    restored = rig.pusher.restore(["dev1"], "7")["dev1"]
    assert restored.ok, restored.error
    assert rig.now() == before


@pytest.mark.parametrize("rig", each_platform(), indirect=True)
def test_restore_after_a_push_brings_the_backup_back_exactly(rig: Rig) -> None:
    """The engine's path when the verification fails: the push went through, then restore."""
    case = rig.case
    inspected = rig.pusher.inspect({"dev1": case.intended})["dev1"]
    assert inspected.ok
    before = rig.now()
    assert rig.pusher.apply({"dev1": case.intended})["dev1"].ok
    assert not rig.same(rig.now(), before)
    restored = rig.pusher.restore(["dev1"], "7")["dev1"]
    assert restored.ok, restored.error
    assert rig.same(rig.now(), before) and rig.kept()
    if case.platform in TIMERS:  # a replace puts back the very text
        assert rig.now() == before
    # The check after a restore: inspect with the masked backup as the bundle finds no difference.
    # The engine's check that the device is back (pilot.rollout.restore.verify_restored) finds it so.
    check = rig.pusher.inspect({"dev1": json.dumps(as_bundle(inspected.data["backup"], "7-check"))})["dev1"]
    assert check.ok and check.data["diff"] == {"files": {}}
    assert PLATFORMS[case.platform].restored_differences(inspected.data["backup"], check.data["backup"]) == []


@pytest.mark.parametrize("rig", each_platform("vrp"), indirect=True)
def test_restore_logs_in_again_when_the_connection_broke(rig: Rig) -> None:
    case = rig.case
    assert rig.pusher.inspect({"dev1": case.intended})["dev1"].ok
    before = rig.now()
    assert rig.pusher.apply({"dev1": case.intended})["dev1"].ok
    rig.server.drop()
    restored = rig.pusher.restore(["dev1"], "7")["dev1"]
    assert restored.ok, restored.error
    assert rig.same(rig.now(), before)


@pytest.mark.parametrize("quick_rig", each_platform(*TIMERS), indirect=True)
def test_a_push_not_confirmed_reverts_by_itself(quick_rig: Rig) -> None:
    rig, case = quick_rig, quick_rig.case
    assert rig.pusher.inspect({"dev1": case.intended})["dev1"].ok
    before = rig.now()
    assert rig.pusher.apply({"dev1": case.intended})["dev1"].ok
    assert rig.same(rig.now(), case.intended)
    time.sleep(4.5)  # the revert timer: 3 s
    assert rig.now() == before
    assert rig.device.reverted == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("quick_rig", each_platform(*TIMERS), indirect=True)
def test_a_confirmed_push_stays(quick_rig: Rig) -> None:
    rig, case = quick_rig, quick_rig.case
    assert rig.pusher.inspect({"dev1": case.intended})["dev1"].ok
    assert rig.pusher.apply({"dev1": case.intended})["dev1"].ok
    assert rig.pusher.confirm(["dev1"])["dev1"].data == {"state": "confirmed"}
    time.sleep(4.5)
    assert rig.same(rig.now(), case.intended)
    assert rig.device.reverted == 0  # type: ignore[attr-defined]
    assert rig.pusher.confirm(["dev1"])["dev1"].data == {"state": "nothing pending"}


NODES = {"iosxe": "soyte-rtr", "vrp": "soyte-sw", "eos": "dist", "junos": "core"}


@pytest.mark.parametrize("case", each_platform())
def test_the_example_moves_from_ipv4_to_ipv6_only_and_back(case: Case) -> None:
    """The mixed-vendor example's rendered configurations (tests/golden) through the transport: a device
    at ipv4 is pushed ipv6-only, confirmed, then restored to ipv4."""
    ipv4 = (GOLDEN / "ipv4" / NODES[case.platform] / "running-config").read_text()
    ipv6_only = (GOLDEN / "ipv6-only" / NODES[case.platform] / "running-config").read_text()
    managed = importlib.import_module(f"pilot.platforms.{case.platform}.transport").comparable
    for rig in _rig(replace(case, running=managed(ipv4))):
        inspected = rig.pusher.inspect({"dev1": ipv6_only})["dev1"]
        assert inspected.ok, inspected.error
        assert inspected.data["diff"]["files"]["running-config"].strip()
        pushed = rig.pusher.apply({"dev1": ipv6_only})["dev1"]
        assert pushed.ok, pushed.error
        assert rig.pusher.diff({"dev1": ipv6_only})["dev1"].data == ""
        assert rig.pusher.confirm(["dev1"])["dev1"].ok
        # What `pilot status` asks: the stage marker the device now runs (its own SSH login).
        target = rig.pusher.hosts["dev1"].target
        assert get_platform(case.platform).last_applied(target) == "ipv6-only"
        restored = rig.pusher.restore(["dev1"], "7")["dev1"]
        assert restored.ok, restored.error
        assert rig.pusher.diff({"dev1": ipv4})["dev1"].data == ""
        assert get_platform(case.platform).last_applied(target) == "ipv4"
        wrong = replace(target, password="not-the-password")
        assert get_platform(case.platform).last_applied(wrong).startswith("unreachable (")
