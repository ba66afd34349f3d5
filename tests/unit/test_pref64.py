"""PREF64 (RFC 8781) in the lab: FRR 8.4 cannot send it, radvd >= 2.20 beside it sends every RA of the
router (templates/frr/platform.yml); the client's probe (verify/scripts/ra_probe.py) decodes it."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import struct
from pathlib import Path
from types import ModuleType

import pytest
from test_probes import FakeShell

from pilot.errors import PilotError
from pilot.inputs import load_inputs
from pilot.render import render_stage
from pilot.render.platforms import load_platform
from pilot.stages import get_stage, stage_names
from pilot.verify import build_pack
from pilot.verify.observe import SCRIPTS
from testroot import ROOT

NAT64 = "2001:db8:0:6464::/96"


def _probe_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ra_probe", SCRIPTS / "ra_probe.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the script runs only as __main__: importing it sends nothing
    return module


def _ip6(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, text)


def _ra(*options: bytes, flags: int = 0xC0, lifetime: int = 30) -> bytes:
    """An RA as it arrives on a raw ICMPv6 socket (RFC 4861 4.2): type 134, code, checksum, cur hop
    limit, M/O flags, router lifetime, reachable time, retrans timer, then the options."""
    return struct.pack("!BBHBBHII", 134, 0, 0x1234, 64, flags, lifetime, 0, 0) + b"".join(options)


# RFC 8781 4: type 38, length 2 (16 bytes), 13-bit scaled lifetime (8-second units) and 3-bit PLC in one
# 16-bit word, then the prefix's highest 96 bits. 32 s is 4 units: 4 << 3 | PLC 0 (/96) = 0x0020.
PREF64_96 = bytes([38, 2, 0x00, 0x20]) + _ip6("2001:db8:0:6464::")[:12]
# PLC 1 (/64), 1800 s = 225 units: 225 << 3 | 1 = 0x0709; the bytes past /64 hold junk a host ignores.
PREF64_64 = bytes([38, 2, 0x07, 0x09]) + _ip6("2001:db8:64:0:ffff::")[:12]
PREF64_BAD_PLC = bytes([38, 2, 0x00, 0x27]) + bytes(12)  # 32 s, PLC 7: no such length
PREFIX = bytes([3, 4, 64, 0xC0]) + struct.pack("!III", 2592000, 604800, 0) + _ip6("2001:db8:1000:100a::")
RDNSS = bytes([25, 3, 0, 0]) + struct.pack("!I", 30) + _ip6("2001:db8:100:2014::10")
DNSSL = bytes([31, 3, 0, 0]) + struct.pack("!I", 30) + b"\x05pilot\x04test\x00" + bytes(4)


def test_the_probe_decodes_an_ra_built_by_hand() -> None:
    ra = _probe_module().parse_ra(_ra(PREFIX, RDNSS, DNSSL, PREF64_96))
    assert ra == {
        "hop_limit": 64,
        "managed": True,
        "other": True,
        "router_lifetime": 30,
        "reachable_time": 0,
        "retrans_timer": 0,
        "prefixes": [
            {
                "prefix": "2001:db8:1000:100a::/64",
                "on_link": True,
                "autonomous": True,
                "valid": 2592000,
                "preferred": 604800,
            }
        ],
        "rdnss": [{"address": "2001:db8:100:2014::10", "lifetime": 30}],
        "dnssl": [{"domain": "pilot.test", "lifetime": 30}],
        "pref64": [{"lifetime": 32, "plc": 0, "prefix": NAT64}],
        "mtu": None,
    }


def test_the_probe_reads_each_prefix_length_code() -> None:
    ra = _probe_module().parse_ra(_ra(PREF64_64, PREF64_BAD_PLC, flags=0))
    assert ra["pref64"] == [
        {"lifetime": 1800, "plc": 1, "prefix": "2001:db8:64::/64"},
        {"lifetime": 32, "plc": 7, "invalid": "unknown prefix length code 7"},
    ]


def test_the_probe_stops_at_an_option_of_length_zero_and_ignores_what_is_not_an_ra() -> None:
    probe = _probe_module()
    ra = probe.parse_ra(_ra(bytes([38, 0, 0, 0]) + bytes(12), PREF64_96))
    assert ra["pref64"] == [] and ra["malformed"] == "option 38 of length 0 at byte 16"
    assert probe.parse_ra(bytes([133, 0, 0, 0, 0, 0, 0, 0])) is None  # a Router Solicitation


# -- the check on the client -------------------------------------------------------------------------


def _inputs():  # type: ignore[no-untyped-def]
    return load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")


def _check(stage: str):  # type: ignore[no-untyped-def]
    inputs = _inputs()
    checks = build_pack(inputs.intent, inputs.plan, get_stage(stage), pref64_capable=stage != "dual-stack")
    return next(c for c in checks if c.name == "pref64 pc1")


def _seen(*pref64: dict[str, object]) -> str:
    return json.dumps({"router": "fe80::1", "router_lifetime": 30, "pref64": list(pref64)})


@pytest.mark.parametrize(
    ("stage", "answer", "verdict"),
    [
        ("ipv6-mostly", _seen({"lifetime": 32, "plc": 0, "prefix": NAT64}), (True, f"PREF64 {NAT64} (lifetime 32 s)")),
        ("ipv6-only", _seen({"lifetime": 32, "plc": 0, "prefix": NAT64}), (True, f"PREF64 {NAT64} (lifetime 32 s)")),
        ("ipv6-mostly", _seen(), (False, "no PREF64")),
        ("ipv6-mostly", _seen({"lifetime": 0, "plc": 0, "prefix": NAT64}), (False, f"PREF64 {NAT64} (lifetime 0 s)")),
        (
            "ipv6-mostly",
            _seen({"lifetime": 32, "plc": 1, "prefix": "2001:db8:64::/64"}),
            (False, "PREF64 2001:db8:64::/64 (lifetime 32 s)"),
        ),
        ("dual-stack", _seen(), (True, "no PREF64")),
        ("dual-stack", _seen({"lifetime": 32, "plc": 0, "prefix": NAT64}), (False, f"PREF64 {NAT64} (lifetime 32 s)")),
    ],
)
def test_the_pref64_check_on_the_option108_client(stage: str, answer: str, verdict: tuple[bool, str]) -> None:
    check = _check(stage)
    assert check.node == "pc1"
    assert check.expected == (f"RA carries PREF64 {NAT64}" if stage != "dual-stack" else "RA carries no PREF64")
    shell = FakeShell().on("pc1", r"^python3 - eth1 4 <<'PILOT_EOF'\n", answer)
    passed, observed = check.probe(shell, "pc1")
    assert (passed, observed) == (verdict[0], f"RA from fe80::1 carries {verdict[1]}")
    assert "parse_ra" in shell.calls[0][1]  # the probe script itself went to the client


def test_no_ra_at_all_fails_with_the_probes_reason() -> None:
    shell = FakeShell().on("pc1", r"^python3 - ", json.dumps({"error": "no Router Advertisement on eth1 within 4 s"}))
    assert _check("ipv6-mostly").probe(shell, "pc1") == (False, "no Router Advertisement on eth1 within 4 s")
    broken = FakeShell().on("pc1", r"^python3 - ", "", returncode=127, stderr="sh: python3: not found\n")
    assert _check("ipv6-mostly").probe(broken, "pc1") == (False, "the RA probe gave no answer: sh: python3: not found")


def test_ipv4_has_no_ra_to_check() -> None:
    inputs = _inputs()
    assert not [c for c in build_pack(inputs.intent, inputs.plan, get_stage("ipv4")) if c.name.startswith("pref64")]


# -- the platform: FRR alone cannot, radvd beside it can ----------------------------------------------


def test_frr_sends_pref64_through_radvd_and_says_so() -> None:
    frr = load_platform(ROOT / "templates", "frr")
    assert frr.capabilities["pref64"] is False  # FRR 8.4 alone: no `ipv6 nd nat64` before 10.4
    assert frr.can("pref64") and frr.provided_by("pref64") == "radvd"
    assert frr.ra_daemon == "radvd"
    assert frr.provided_by("ospfv3") == "frr" and frr.provided_by("vlan_trunks") is None
    linux = load_platform(ROOT / "templates", "linux")
    assert not linux.can("pref64") and linux.ra_daemon is None


def test_an_ra_daemon_that_is_no_companion_is_refused(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    descriptor = templates / "frr" / "platform.yml"
    descriptor.write_text(descriptor.read_text().replace("ra_daemon: radvd", "ra_daemon: bird"))
    with pytest.raises(PilotError) as info:
        load_platform(templates, "frr")
    assert str(info.value).startswith(f"{descriptor}:")
    assert "ra_daemon 'bird' is not one of the platform's companions" in str(info.value)


@pytest.mark.parametrize("stage", stage_names())
def test_one_ra_source_per_interface(stage: str) -> None:
    """radvd sends every RA of a province router, FRR none; radvd runs exactly where there are RAs."""
    result = render_stage(_inputs(), get_stage(stage), templates=ROOT / "templates", check=False)
    routers = [d for d in result.devices if d.device.router is not None and d.device.platform == "frr"]
    assert routers
    for rd in routers:
        files = {f.path: f.text for f in rd.files}
        assert rd.device.router is not None
        advertising = [i.name for i in rd.device.router.advertising]
        assert " ipv6 nd " not in files["/etc/frr/frr.conf"]
        assert rd.services["radvd"] is bool(advertising)
        if not advertising:
            assert "/etc/radvd.conf" not in files
            continue
        radvd = files["/etc/radvd.conf"]
        assert [line.split()[1] for line in radvd.splitlines() if line.startswith("interface ")] == advertising
        assert radvd.count(f"    nat64prefix {NAT64}\n") == (len(advertising) if get_stage(stage).pref64 else 0)
        assert radvd.count("    MaxRtrAdvInterval 10;\n") == len(advertising)  # the intent's ra_interval
        assert not rd.device.notes  # nothing left unsent
