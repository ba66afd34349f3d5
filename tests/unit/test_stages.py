"""What each stage means, asserted on the platform-neutral device model (not on template text)."""

from __future__ import annotations

from ipaddress import IPv6Network
from pathlib import Path

import pytest
import yaml

from pilot.addressing import Record, build_plan
from pilot.inputs import load_inputs
from pilot.intent import load_intent
from pilot.render import render_stage
from pilot.stages import build_devices, get_stage, stage_names
from pilot.stages.model import Device
from testroot import ROOT

NAT64 = IPv6Network("2001:db8:0:6464::/96")


def devices(stage: str, can_pref64: bool = False) -> dict[str, Device]:
    inputs = load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")
    built = build_devices(inputs.intent, inputs.plan, get_stage(stage), lambda p, c: can_pref64 and c == "pref64")
    return {d.name: d for d in built}


def iface(device: Device, name: str):  # type: ignore[no-untyped-def]
    assert device.router is not None
    return next(i for i in device.router.interfaces if i.name == name)


def test_stage_order() -> None:
    assert stage_names() == ["ipv4", "dual-stack", "ipv6-mostly", "ipv6-only"]


def test_unknown_stage() -> None:
    from pilot.errors import PilotError

    with pytest.raises(PilotError, match=r"unknown stage 'ipv5'.*use one of: ipv4, dual-stack"):
        get_stage("ipv5")


def test_ipv4_baseline_has_no_ipv6_in_the_province() -> None:
    d = devices("ipv4")
    for name in ("core", "dost-rtr"):
        router = d[name].router
        assert router is not None and not router.ospf6
        assert all(not i.ipv6 and i.ra is None for i in router.interfaces)
        assert router.bgp is None or not router.bgp.networks6
    assert d["dhcp"].host.dhcp.subnets6 == ()  # type: ignore[union-attr]
    assert d["dns64"].host.dns.dns64_prefix is None  # type: ignore[union-attr]
    assert not d["nat64"].host.nat64.enabled  # type: ignore[union-attr]
    assert not d["dost-sw"].switch.first_hop_security  # type: ignore[union-attr]
    assert all(not r.aaaa for r in d["dns64"].host.dns.zones[0].records)  # type: ignore[union-attr]


def test_dual_stack_adds_ipv6_ra_dhcpv6_aaaa_and_first_hop_security() -> None:
    d = devices("dual-stack")
    users = iface(d["dost-rtr"], "eth2")
    assert [str(a) for a in users.ipv4] == ["198.51.100.1/26"]
    assert [str(a) for a in users.ipv6] == ["2001:db8:1000:100a::1/64"]
    # The users segment is stateful (an audit trail of addresses): M and O, and SLAAC kept beside it.
    assert users.ra.other and users.ra.managed and users.ra.prefixes[0].autonomous
    printers = iface(d["dost-rtr"], "eth3")
    assert printers.ra.other and not printers.ra.managed  # stateless
    assert [str(a) for a in users.ra.rdnss] == ["2001:db8:100:2014::10"] and users.ra.dnssl == ("pilot.test",)
    assert users.ra.pref64 is None and users.ra.pref64_unsupported is None  # PREF64 is ipv6-mostly's
    servers = iface(d["core"], "eth3")
    assert not servers.ra.prefixes[0].autonomous and not servers.ra.other  # static servers: no SLAAC
    core_bgp = d["core"].router.bgp  # type: ignore[union-attr]
    assert len(core_bgp.neighbors_of("ipv6")) == 2 and core_bgp.networks6 == (IPv6Network("2001:db8::/32"),)
    records = {r.name: r for r in d["dns64"].host.dns.zones[0].records}  # type: ignore[union-attr]
    assert records["portal"].aaaa and records["v4web"].a and not records["v4web"].aaaa
    sw = d["dost-sw"].switch
    assert sw.first_hop_security and sw.host_ports == ("eth2", "eth3", "eth4", "eth5")  # uplinks eth1, eth6 exempt
    assert all(s.v6only_wait is None for s in d["dhcp"].host.dhcp.subnets4)  # type: ignore[union-attr]
    relay6 = d["dost-rtr"].router.relay(6)  # type: ignore[union-attr]
    assert relay6 is not None and relay6.downstream == ("eth2", "eth3") and relay6.upstream == "eth1"


def test_ipv6_mostly_adds_nat64_dns64_and_option108_on_user_segments_only() -> None:
    d = devices("ipv6-mostly")
    assert d["dns64"].host.dns.dns64_prefix == NAT64  # type: ignore[union-attr]
    nat64 = d["nat64"].host.nat64  # type: ignore[union-attr]
    assert nat64.enabled and nat64.prefix == NAT64 and str(nat64.pool) == "198.51.100.64/28"
    routes = {str(r.prefix): str(r.via) for r in d["core"].router.static_routes}  # type: ignore[union-attr]
    assert routes[str(NAT64)] == "2001:db8:100:2014::11"
    waits = {s.segment: s.v6only_wait for s in d["dhcp"].host.dhcp.subnets4}  # type: ignore[union-attr]
    assert waits == {"dost/hq/users": 300, "dost/hq/printers": None, "soyte/hq/users": 300}
    users = iface(d["dost-rtr"], "eth2")
    assert users.ra.pref64 is None and users.ra.pref64_unsupported == NAT64  # FRR 8.4 cannot send it
    assert any("PREF64" in note for note in d["dost-rtr"].notes)


def test_pref64_is_sent_where_the_platform_can() -> None:
    users = iface(devices("ipv6-mostly", can_pref64=True)["dost-rtr"], "eth2")
    assert users.ra.pref64 == NAT64 and users.ra.pref64_unsupported is None


def test_ipv6_only_removes_ipv4_from_user_segments_but_keeps_legacy_servers_and_internet() -> None:
    d = devices("ipv6-only")
    assert iface(d["dost-rtr"], "eth2").ipv4 == ()
    assert [str(a) for a in iface(d["dost-rtr"], "eth3").ipv4] == ["198.51.100.97/28"]  # legacy exception
    assert iface(d["dost-rtr"], "eth1").ipv4 and iface(d["core"], "eth1").ipv4  # toward NAT64's Internet side
    assert d["nat64"].host.interfaces[0].ipv4 is not None  # type: ignore[union-attr]
    relay4 = d["dost-rtr"].router.relay(4)  # type: ignore[union-attr]
    assert relay4 is not None and relay4.downstream == ("eth3",)
    assert [s.segment for s in d["dhcp"].host.dhcp.subnets4] == ["dost/hq/printers"]  # type: ignore[union-attr]
    assert d["dost-rtr"].router.ospf  # type: ignore[union-attr]  # OSPFv2 still carries the legacy segment


def test_the_internet_and_the_clients_do_not_change_between_stages() -> None:
    first = devices("ipv4")
    for stage in stage_names()[1:]:
        d = devices(stage)
        for name in ("isp1", "isp2", "v4web", "pc1", "pc2", "legacy1", "rogue1"):
            assert d[name].router == first[name].router and d[name].host == first[name].host, (stage, name)
    assert first["pc1"].host.client.option108 and not first["pc2"].host.client.option108  # type: ignore[union-attr]
    assert first["legacy1"].host.client.ipv4_only  # type: ignore[union-attr]


def test_stateful_segment_gets_the_m_flag_and_a_pool_and_stateless_does_not(tmp_path: Path) -> None:
    stateful = {s.segment: s.pool for s in devices("dual-stack")["dhcp"].host.dhcp.subnets6}  # type: ignore[union-attr]
    assert stateful["dost/hq/printers"] is None and stateful["dost/hq/users"] is not None
    data = yaml.safe_load((ROOT / "inventory/intent.yml").read_text())
    data["agencies"][2]["sites"][0]["segments"][0]["dhcpv6"] = "stateless"
    changed = tmp_path / "intent.yml"
    changed.write_text(yaml.safe_dump(data))
    from pilot.topology import load_topology

    intent = load_intent(changed, load_topology(ROOT / "containerlab.yml"))
    plan = build_plan(intent, Record())
    built = {d.name: d for d in build_devices(intent, plan, get_stage("dual-stack"), lambda p, c: False)}
    users = iface(built["dost-rtr"], "eth2")
    assert not users.ra.managed and users.ra.other and users.ra.prefixes[0].autonomous
    subnet = next(s for s in built["dhcp"].host.dhcp.subnets6 if s.segment == "dost/hq/users")  # type: ignore[union-attr]
    assert subnet.pool is None


@pytest.mark.parametrize("stage", ["ipv4", "dual-stack"])
def test_rollback_stages_warn_about_v6only_wait(stage: str) -> None:
    inputs = load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")
    result = render_stage(inputs, get_stage(stage), templates=ROOT / "templates", check=False)
    assert any("or after its V6ONLY_WAIT (300 s" in note for note in result.notes)


def test_services_follow_the_stage() -> None:
    inputs = load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")
    wanted = {}
    for stage in stage_names():
        result = render_stage(inputs, get_stage(stage), templates=ROOT / "templates", check=False)
        wanted[stage] = {d.device.name: d.services for d in result.devices}
    assert [wanted[s]["nat64"]["tayga"] for s in stage_names()] == [False, False, True, True]
    assert [wanted[s]["dhcp"]["kea-dhcp6-server"] for s in stage_names()] == [False, True, True, True]
    assert [wanted[s]["dost-rtr"]["isc-dhcp-relay6"] for s in stage_names()] == [False, True, True, True]
    assert all(wanted[s]["dns64"]["unbound"] for s in stage_names())
