"""The address plan: the pilot's prefixes, determinism, the record (nothing existing is renumbered), the
exports, and how a province block is cut into agencies and sites."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml

from pilot.addressing import Plan, PlanError, Record, build_plan, export, load_record
from pilot.addressing.plan import site_bits
from pilot.cli import main
from pilot.errors import Location, PilotError
from pilot.intent import Intent, load_intent
from pilot.prefixes import Prefix, overlaps, subnet_of
from pilot.topology import load_topology
from testroot import ROOT

TOPOLOGY = ROOT / "containerlab.yml"
INTENT = ROOT / "inventory/intent.yml"
RECORD = ROOT / "inventory/addresses.yml"
CONTAINERS = ("site6", "segment6", "segment4")  # kinds whose prefixes hold other allocations


def pilot_intent() -> Intent:
    return load_intent(INTENT, load_topology(TOPOLOGY))


def fresh_plan() -> Plan:
    return build_plan(pilot_intent(), Record())


def intent_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(INTENT.read_text())
    return data


def changed_intent(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], topology: Path = TOPOLOGY, name: str = "intent.yml"
) -> Intent:
    """The pilot's intent with `change` applied, written to a copy under tmp_path and read back."""
    data = intent_data()
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_intent(path, load_topology(topology))


def agency(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in data["agencies"] if a["name"] == name)
    return found


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def addresses_argv(record: Path, *extra: str) -> list[str]:
    return ["addresses", "-t", str(TOPOLOGY), "-i", str(INTENT), "--record", str(record), *extra]


# -- the pilot's plan --------------------------------------------------------------------------------
def test_pilot_segments_sites_and_nat64() -> None:
    plan = fresh_plan()
    assert plan.province6 == IPv6Network("2001:db8::/32")
    assert plan.infrastructure == IPv6Network("2001:db8::/48")
    assert dict(plan.sites) == {
        "infrastructure/site0": IPv6Network("2001:db8::/48"),
        "data-centre/main": IPv6Network("2001:db8:100::/48"),  # agency 0x01, site 0
        "dost/hq": IPv6Network("2001:db8:1000::/48"),  # agency 0x10, site 0
        "soyte/hq": IPv6Network("2001:db8:2000::/48"),  # agency 0x20, site 0
    }
    v6 = {key: seg.ipv6 for key, seg in plan.segments.items()}
    assert v6 == {
        "data-centre/main/servers": IPv6Network("2001:db8:100:2014::/64"),  # servers = 2, VLAN 20 = 0x014
        "dost/hq/users": IPv6Network("2001:db8:1000:100a::/64"),  # users = 1, VLAN 10 = 0x00a
        "dost/hq/printers": IPv6Network("2001:db8:1000:4028::/64"),  # iot = 4, VLAN 40 = 0x028
        "soyte/hq/users": IPv6Network("2001:db8:2000:106e::/64"),  # users = 1, VLAN 110 = 0x06e
    }
    assert plan.nat64_prefix == IPv6Network("2001:db8:0:6464::/96")
    assert plan.segments["dost/hq/users"].gateway6.with_prefixlen == "2001:db8:1000:100a::1/64"
    assert plan.segments["dost/hq/users"].pool6 == (
        IPv6Address("2001:db8:1000:100a::1000"),
        IPv6Address("2001:db8:1000:100a::1fff"),
    )


def test_pilot_router_link_loopbacks_and_static_hosts() -> None:
    plan = fresh_plan()
    link = plan.links["core:eth4~dost-rtr:eth1"]
    assert link.reserved6 == IPv6Network("2001:db8:0:1000::/64")  # a /64 reserved, …:0:1xxx
    assert link.a_end.node == "core" and link.b_end.node == "dost-rtr"
    assert link.a.ipv6 is not None and link.b.ipv6 is not None
    assert (link.a.ipv6.with_prefixlen, link.b.ipv6.with_prefixlen) == (
        "2001:db8:0:1000::2/127",
        "2001:db8:0:1000::3/127",
    )
    assert link.a.ipv6.network == link.b.ipv6.network  # one /127 (RFC 6164)
    assert link.a.ipv4 is not None and link.b.ipv4 is not None and link.a.ipv4.network.prefixlen == 31
    own, _, far, far_addr = link.end("dost-rtr")
    assert (str(own), str(far), far_addr) == ("dost-rtr:eth1", "core:eth4", link.a)
    loop = {node: addr.ipv6.with_prefixlen for node, addr in plan.loopbacks.items() if addr.ipv6}
    assert loop["core"] == "2001:db8::1/128" and loop["dost-rtr"] == "2001:db8::2/128"  # …:0:0::/64
    assert loop["soyte-rtr"] == "2001:db8::3/128"
    assert plan.links["core:eth5~soyte-rtr:eth1"].reserved6 == IPv6Network("2001:db8:0:1001::/64")
    assert plan.router_id("core") == plan.loopbacks["core"].ipv4.ip  # type: ignore[union-attr]
    servers = plan.segments["data-centre/main/servers"]
    assert [str(h.ipv6.ip) for h in servers.hosts.values() if h.ipv6] == [
        "2001:db8:100:2014::10",
        "2001:db8:100:2014::11",
        "2001:db8:100:2014::12",
        "2001:db8:100:2014::13",
    ]
    assert set(servers.hosts) == {"dns64", "nat64", "dhcp", "portal"}  # clients get no static address
    assert plan.segments["dost/hq/users"].hosts == {}


def test_pilot_ipv4_baseline() -> None:
    plan = fresh_plan()
    province4 = IPv4Network("198.51.100.0/24")
    users = plan.segments["dost/hq/users"].ipv4
    printers = plan.segments["dost/hq/printers"].ipv4
    servers = plan.segments["data-centre/main/servers"]
    assert users is not None and users.prefixlen == 26  # 60 hosts + network + broadcast
    assert printers is not None and printers.prefixlen == 28  # 14 hosts
    soyte = plan.segments["soyte/hq/users"].ipv4
    assert soyte is not None and soyte.prefixlen == 27  # 28 hosts
    assert servers.ipv4 is not None and servers.ipv4.prefixlen == 28
    assert plan.nat64_pool.prefixlen == 28
    v4 = [users, printers, soyte, servers.ipv4, plan.nat64_pool]
    v4 += [
        addr.ipv4.network
        for node, addr in plan.loopbacks.items()
        if node in ("core", "dost-rtr", "soyte-rtr") and addr.ipv4
    ]
    assert all(p.subnet_of(province4) for p in v4)
    assert not any(a.overlaps(b) for n, a in enumerate(v4) for b in v4[n + 1 :])
    # Static hosts sit just above the gateway; the DHCPv4 pool stays clear of them.
    statics = sorted(h.ipv4.ip for h in servers.hosts.values() if h.ipv4)
    assert statics[0] == servers.ipv4[2] and servers.gateway4 is not None and servers.gateway4.ip == servers.ipv4[1]
    pool = servers.pool4
    assert pool is not None and pool[0] > statics[-1] and pool[1] == servers.ipv4[-2]
    assert plan.exchange4 == IPv4Network("203.0.113.0/29") and plan.exchange6 == IPv6Network("3fff:100:0:1::/64")
    assert plan.links["core:eth1~isp1:eth1"].reserved6 == IPv6Network("3fff:100:0:1000::/64")


def test_no_two_prefixes_of_the_plan_overlap() -> None:
    plan = fresh_plan()
    leaves: list[tuple[str, Prefix]] = [("nat64", plan.nat64_prefix), ("nat64-pool", plan.nat64_pool)]
    leaves += [(f"segment {k}", s.ipv6) for k, s in plan.segments.items()]
    leaves += [(f"segment {k}", s.ipv4) for k, s in plan.segments.items() if s.ipv4]
    leaves += [(f"link {k}", link.reserved6) for k, link in plan.links.items()]
    leaves += [(f"link4 {k}", link.a.ipv4.network) for k, link in plan.links.items() if link.a.ipv4]
    leaves += [(f"loopback {n}", a.network) for n, h in plan.loopbacks.items() for a in (h.ipv4, h.ipv6) if a]
    for n, (name_a, a) in enumerate(leaves):
        for name_b, b in leaves[n + 1 :]:
            assert not overlaps(a, b), (name_a, a, name_b, b)


def test_the_repository_record_holds_the_whole_plan() -> None:
    plan = build_plan(pilot_intent(), load_record(RECORD))
    assert plan.new == () and plan.notes == ()
    assert plan.record.to_text() == RECORD.read_text()


# -- determinism and the record ------------------------------------------------------------------------
def test_two_builds_are_equal() -> None:
    first, second = fresh_plan(), fresh_plan()
    assert first == second
    assert first.record.to_text() == second.record.to_text()
    assert len(first.new) == len(list(first.record.items())) and first.new == second.new


def test_record_round_trip(tmp_path: Path) -> None:
    plan = fresh_plan()
    path = tmp_path / "addresses.yml"
    plan.record.save(path)
    loaded = load_record(path)
    assert loaded.path == path and loaded.entries == plan.record.entries
    again = build_plan(pilot_intent(), loaded)
    assert again.new == () and again.notes == ()
    assert again.segments == plan.segments and again.links == plan.links and again.loopbacks == plan.loopbacks


def test_load_record_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    record = load_record(tmp_path / "none.yml")
    assert record.entries == {} and record.path == tmp_path / "none.yml"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("version: 2\nallocations: {}\n", "unknown record version 2"),
        ("version: 1\nallocations: [a]\n", "allocations must be a mapping of kinds"),
        ("version: 1\nallocations:\n  segment6: [2001:db8::/64]\n", "each kind maps keys to prefixes"),
        ("version: 1\nallocations:\n  segment6:\n    dost/hq/users: 2001:db8::1/64\n", "not a prefix"),
        ("version: 1\nallocations:\n  segment6:\n    dost/hq/users: [\n", "malformed YAML"),
    ],
)
def test_bad_record(tmp_path: Path, text: str, expect: str) -> None:
    path = tmp_path / "addresses.yml"
    path.write_text(text)
    with pytest.raises(PilotError) as info:
        load_record(path)
    assert expect in str(info.value) and str(path) in str(info.value) and "fix:" in str(info.value)


def test_save_where_it_cannot_write_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "addresses.yml"
    with pytest.raises(PilotError, match=r"cannot write the address record.*fix:"):
        fresh_plan().record.save(path)
    assert not path.parent.exists()


def extra_topology(tmp_path: Path) -> Path:
    """The pilot topology plus three bridges on spare router ports (for new segments) and a web server."""
    data = yaml.safe_load(TOPOLOGY.read_text())
    nodes, links = data["topology"]["nodes"], data["topology"]["links"]
    for bridge, port in (("br-branch", "dost-rtr:eth4"), ("br-guest", "dost-rtr:eth5"), ("br-edu", "core:eth6")):
        nodes[bridge] = {"kind": "bridge"}
        links.append({"endpoints": [port, f"{bridge}:{bridge}-gw"]})
    nodes["web2"] = {"group": "services"}
    links.append({"endpoints": ["web2:eth1", "br-edu:br-edu-web2"]})
    path = tmp_path / "containerlab.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def grow(data: dict[str, Any]) -> None:
    """A new agency (with a site, a segment and a static host), a new site and a new segment: no new links."""
    dost = agency(data, "dost")
    dost["sites"][0]["segments"].append(
        {"name": "guests", "purpose": "guest", "vlan": 50, "gateway": "dost-rtr:eth5", "ipv4_hosts": 0}
    )
    dost["sites"].append(
        {
            "name": "branch",
            "number": 1,
            "segments": [{"name": "users", "purpose": "users", "vlan": 10, "gateway": "dost-rtr:eth4"}],
        }
    )
    data["agencies"].append(
        {
            "name": "education",
            "code": 0x30,
            "sites": [
                {
                    "name": "hq",
                    "number": 0,
                    "segments": [
                        {
                            "name": "servers",
                            "purpose": "servers",
                            "vlan": 20,
                            "gateway": "core:eth6",
                            "hosts": ["web2"],
                            "ipv4_hosts": 6,
                        }
                    ],
                }
            ],
        }
    )


def test_growing_the_intent_renumbers_nothing(tmp_path: Path) -> None:
    before = fresh_plan()
    saved = tmp_path / "addresses.yml"
    before.record.save(saved)
    old = {(kind, key): prefix for kind, key, prefix in load_record(saved).items()}

    intent = changed_intent(tmp_path, grow, extra_topology(tmp_path))
    assert [lk.key for lk in intent.router_links] == ["core:eth4~dost-rtr:eth1", "core:eth5~soyte-rtr:eth1"], (
        "the change adds no router link"
    )
    after = build_plan(intent, load_record(saved))

    now = {(kind, key): prefix for kind, key, prefix in after.record.items()}
    assert {k: now[k] for k in old} == old, "every recorded prefix is unchanged"
    for key in before.segments:
        assert after.segments[key] == before.segments[key]
    assert after.links == before.links and after.nat64_prefix == before.nat64_prefix
    assert {n: after.loopbacks[n] for n in before.loopbacks} == dict(before.loopbacks)
    assert after.notes == ()

    added = {k: p for k, p in now.items() if k not in old}
    assert {f"{kind} {key} {prefix}" for (kind, key), prefix in added.items()} == set(after.new)
    assert added[("segment6", "dost/hq/guests")] == IPv6Network("2001:db8:1000:6032::/64")
    assert added[("site6", "dost/branch")] == IPv6Network("2001:db8:1001::/48")
    assert added[("segment6", "dost/branch/users")] == IPv6Network("2001:db8:1001:100a::/64")
    assert added[("site6", "education/hq")] == IPv6Network("2001:db8:3000::/48")
    assert added[("segment6", "education/hq/servers")] == IPv6Network("2001:db8:3000:2014::/64")
    assert added[("host6", "education/hq/servers/web2")] == IPv6Network("2001:db8:3000:2014::10/128")
    assert ("segment4", "dost/hq/guests") not in added  # ipv4_hosts: 0, born IPv6-only
    assert added[("segment4", "dost/branch/users")].prefixlen == 27  # the default 30 hosts
    for (kind, key), prefix in added.items():
        for (old_kind, old_key), old_prefix in old.items():
            if not overlaps(prefix, old_prefix):
                continue
            # The only overlap allowed: a new allocation inside an existing container (a segment of dost/hq).
            assert old_kind in CONTAINERS and subnet_of(prefix, old_prefix), (kind, key, prefix, old_key, old_prefix)


def test_an_entry_the_intent_no_longer_uses_is_kept_and_reported(tmp_path: Path) -> None:
    record = load_record(RECORD)
    record.put("segment6", "dost/hq/old", IPv6Network("2001:db8:1000:1063::/64"))
    plan = build_plan(pilot_intent(), record)
    assert plan.new == ()
    assert any("segment6 dost/hq/old 2001:db8:1000:1063::/64 is no longer in the intent" in n for n in plan.notes)
    path = tmp_path / "addresses.yml"
    plan.record.save(path)
    assert load_record(path).get("segment6", "dost/hq/old") == IPv6Network("2001:db8:1000:1063::/64")


def test_a_removed_segment_keeps_its_prefixes(tmp_path: Path) -> None:
    """Remove the printers segment: its entries stay in the record, reported, and nothing else moves."""
    record = load_record(RECORD)

    def drop_printers(data: dict[str, Any]) -> None:
        agency(data, "dost")["sites"][0]["segments"].pop(1)
        del data["clients"]["legacy1"]

    plan = build_plan(changed_intent(tmp_path, drop_printers), record)
    assert plan.new == ()
    assert "dost/hq/printers" not in plan.segments
    stale = [n for n in plan.notes if "dost/hq/printers" in n]
    assert len(stale) == 2 and all("kept reserved" in n for n in stale)  # segment6 and segment4
    assert plan.record.get("segment4", "dost/hq/printers") == IPv4Network("198.51.100.96/28")
    full = build_plan(pilot_intent(), load_record(RECORD))
    assert dict(plan.segments) == {k: v for k, v in full.segments.items() if k != "dost/hq/printers"}
    assert plan.links == full.links and plan.loopbacks == full.loopbacks


@pytest.mark.parametrize(
    ("kind", "key", "prefix", "check"),
    [
        # Released entries stay reserved: the next allocation goes around them.
        ("loopback6", "gone", "2001:db8::1/128", lambda p: str(p.loopbacks["core"].ipv6) == "2001:db8::2/128"),
        ("segment4", "dost/hq/gone", "198.51.100.0/26", lambda p: str(p.segments["dost/hq/users"].ipv4) != "198.51.100.0/26"),
        ("link6", "core:eth9~x:eth1", "2001:db8:0:1000::/64", lambda p: str(p.links["core:eth4~dost-rtr:eth1"].reserved6) == "2001:db8:0:1001::/64"),
        ("internet4", "loopback/isp3", "203.0.113.12/32", lambda p: "203.0.113.12" not in {str(p.loopbacks[n].ipv4.ip) for n in ("isp1", "isp2")}),
        ("host6", "data-centre/main/servers/gone", "2001:db8:100:2014::10/128", lambda p: str(p.segments["data-centre/main/servers"].hosts["dns64"].ipv6.ip) == "2001:db8:100:2014::11"),
    ],
)  # fmt: skip
def test_released_entries_stay_reserved(kind: str, key: str, prefix: str, check: Callable[[Plan], bool]) -> None:
    record = Record()
    record.put(kind, key, ip_network(prefix))
    plan = build_plan(pilot_intent(), record)
    assert check(plan)
    assert record.get(kind, key) == ip_network(prefix)
    assert any(f"{kind} {key} {prefix} is no longer in the intent" in n for n in plan.notes)


def test_a_released_static_ipv4_host_stays_reserved() -> None:
    record = Record()
    record.put("segment4", "data-centre/main/servers", IPv4Network("198.51.100.80/28"))
    record.put("host4", "data-centre/main/servers/gone", IPv4Network("198.51.100.82/32"))
    plan = build_plan(pilot_intent(), record)
    taken = {str(h.ipv4.ip) for h in plan.segments["data-centre/main/servers"].hosts.values() if h.ipv4}
    assert "198.51.100.82" not in taken and len(taken) == 4


def test_a_recorded_prefix_that_differs_wins_with_a_note() -> None:
    record = load_record(RECORD)
    moved = IPv6Network("2001:db8:1000:1063::/64")
    record.put("segment6", "dost/hq/users", moved)
    plan = build_plan(pilot_intent(), record)
    assert plan.segments["dost/hq/users"].ipv6 == moved
    assert plan.segments["dost/hq/users"].gateway6.with_prefixlen == "2001:db8:1000:1063::1/64"
    assert any(
        "keeping the recorded 2001:db8:1000:1063::/64" in n and "2001:db8:1000:100a::/64" in n for n in plan.notes
    )
    assert plan.new == () and record.get("segment6", "dost/hq/users") == moved


def test_a_recorded_prefix_that_does_not_fit_is_an_error(tmp_path: Path) -> None:
    record = load_record(RECORD)
    record.path = tmp_path / "addresses.yml"
    record.put("segment6", "dost/hq/users", IPv6Network("2001:db8:1000::/56"))
    with pytest.raises(PlanError) as info:
        build_plan(pilot_intent(), record)
    text = str(info.value)
    assert "recorded segment6 dost/hq/users = 2001:db8:1000::/56 is not a /64 inside 2001:db8:1000::/48" in text
    assert (
        str(record.path) in text and "allocations.segment6.dost/hq/users" in text and "fix: delete that entry" in text
    )


def test_two_sites_on_one_recorded_prefix_is_an_error() -> None:
    record = Record()
    record.put("site6", "dost/hq", IPv6Network("2001:db8:100::/48"))  # data-centre/main's
    with pytest.raises(PlanError, match="overlapping prefixes: sites data-centre/main and dost/hq"):
        build_plan(pilot_intent(), record)


def test_an_ipv6_only_router(tmp_path: Path) -> None:
    intent = changed_intent(tmp_path, lambda d: d["routers"].update({"dost-rtr": {"ipv4": False}}))
    plan = build_plan(intent, Record())
    assert plan.loopbacks["dost-rtr"].ipv4 is None
    assert plan.router_id("dost-rtr") == IPv4Address("0.0.0.2")  # the low 32 bits of 2001:db8::2
    link = plan.links["core:eth4~dost-rtr:eth1"]
    assert link.a.ipv4 is None and link.b.ipv4 is None and link.a.ipv6 is not None


# -- the command -------------------------------------------------------------------------------------
def test_check_exits_1_until_the_record_holds_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "addresses.yml"
    assert run(monkeypatch, *addresses_argv(record, "--check")) == 1
    err = capsys.readouterr().err
    assert f"allocations are not in {record} yet" in err and "segment6 dost/hq/users 2001:db8:1000:100a::/64" in err
    assert not record.exists(), "--check changes nothing"

    assert run(monkeypatch, *addresses_argv(record)) == 0
    assert "recorded 44 new allocations" in capsys.readouterr().err
    assert record.read_text() == fresh_plan().record.to_text()

    assert run(monkeypatch, *addresses_argv(record, "--check")) == 0
    captured = capsys.readouterr()
    assert "not in" not in captured.err and "2001:db8:1000:100a::/64" in captured.out
    written = record.read_text()
    assert run(monkeypatch, *addresses_argv(record)) == 0
    assert "recorded" not in capsys.readouterr().err and record.read_text() == written


def test_csv_for_netbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, *addresses_argv(tmp_path / "addresses.yml", "--csv")) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "prefix,status,is_pool,description"
    table = list(csv.DictReader(io.StringIO(text)))
    plan, intent = fresh_plan(), pilot_intent()
    assert len(table) == len(export.rows(plan, intent))
    prefixes = [row["prefix"] for row in table]
    assert len(set(prefixes)) == len(prefixes), "one row per prefix"
    for row in table:
        ip_network(row["prefix"], strict=True)
        assert row["status"] in ("container", "active", "reserved") and row["is_pool"] in ("true", "false")
        assert row["description"]
    by_prefix = {row["prefix"]: row for row in table}
    assert by_prefix["2001:db8:0:6464::/96"]["description"].startswith("nat64 prefix: ")
    assert by_prefix[str(plan.nat64_pool)]["is_pool"] == "true"
    assert [r["prefix"] for r in table if r["is_pool"] == "true"] == [str(plan.nat64_pool)]
    assert by_prefix["2001:db8:0:1000::/64"]["status"] == "reserved"
    assert "dost/hq/users" in by_prefix["2001:db8:1000:100a::/64"]["description"]
    assert export.to_csv(plan, intent) == text


USERS_TITLES = "Sở Khoa học và Công nghệ / Trụ sở chính / Người dùng"


def test_titles_in_the_table_the_json_and_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "addresses.yml"
    assert run(monkeypatch, *addresses_argv(record)) == 0
    table = capsys.readouterr().out
    assert "title" in table.splitlines()[0] and USERS_TITLES in table and "Thí điểm IPv6-only cấp tỉnh (lab)" in table

    assert run(monkeypatch, *addresses_argv(record, "--json")) == 0
    rows = json.loads(capsys.readouterr().out)["prefixes"]
    by_prefix = {r["prefix"]: r for r in rows}
    assert by_prefix["2001:db8:1000:100a::/64"]["title"] == USERS_TITLES
    assert by_prefix["2001:db8::/32"]["title"] == "Thí điểm IPv6-only cấp tỉnh (lab)"
    assert by_prefix["2001:db8::/48"]["title"] == "Hạ tầng mạng tỉnh"  # agency 0 holds the infrastructure /48
    assert by_prefix["2001:db8:100::/48"]["title"] == "Trung tâm dữ liệu tỉnh"  # its site has no title
    assert by_prefix["2001:db8:0:6464::/96"]["title"] == ""

    assert run(monkeypatch, *addresses_argv(record, "--csv")) == 0
    csv_rows = {r["prefix"]: r["description"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (
        csv_rows["2001:db8:1000:100a::/64"]
        == f"segment dost/hq/users ({USERS_TITLES}): users VLAN 10, gateway dost-rtr:eth2"
    )
    assert csv_rows["2001:db8::/32"] == "Thí điểm IPv6-only cấp tỉnh (lab): the province's IPv6 block"
    assert csv_rows["2001:db8:0:6464::/96"] == "nat64 prefix: NAT64 network-specific prefix (RFC 6052)"


def test_titles_in_the_exports_are_one_line_and_fit_netbox(tmp_path: Path) -> None:
    def long_titles(data: dict[str, Any]) -> None:
        agency(data, "dost")["title"] = "Sở Khoa học\nvà Công nghệ\x00 " + "rất dài " * 40
        data["province"]["title"] = "Thí điểm\r\n\u2028(lab)"

    intent = changed_intent(tmp_path, long_titles)
    plan = build_plan(intent, load_record(RECORD))
    rows = export.rows(plan, intent)
    assert all("\n" not in r.title and "\x00" not in r.title for r in rows)
    assert rows[0].title == "Thí điểm (lab)"
    text = export.to_csv(plan, intent)
    assert len(text.splitlines()) == len(rows) + 1, "one CSV line per row"
    descriptions = [r["description"] for r in csv.DictReader(io.StringIO(text))]
    assert max(len(d) for d in descriptions) == export.NETBOX_DESCRIPTION_MAX
    assert any(
        d.startswith("segment dost/hq/users (Sở Khoa học và Công nghệ rất dài") and d.endswith("…")
        for d in descriptions
    )


def test_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "addresses.yml"
    assert run(monkeypatch, *addresses_argv(record, "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["province"] == "2001:db8::/32" and data["nat64_prefix"] == "2001:db8:0:6464::/96"
    assert len(data["new"]) == 44 and data["notes"] == []
    rows = {(r["kind"], r["name"]): r for r in data["prefixes"]}
    assert rows[("nat64", "prefix")]["prefix"] == "2001:db8:0:6464::/96"
    assert rows[("nat64", "pool")]["is_pool"] is True
    assert {r["prefix"] for r in data["prefixes"] if r["name"] == "dost/hq/printers" and r["kind"] == "segment"} >= {
        "2001:db8:1000:4028::/64"
    }
    assert run(monkeypatch, *addresses_argv(record, "--json")) == 0
    assert json.loads(capsys.readouterr().out)["new"] == []


def test_json_and_csv_exclude_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, *addresses_argv(tmp_path / "addresses.yml", "--csv", "--json")) == 2
    assert "--json and --csv exclude each other" in capsys.readouterr().err
    assert not (tmp_path / "addresses.yml").exists()


# -- how a province block is cut ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("block", "bits"), [("2001:db8::/32", (8, 8)), ("2001:db8::/36", (8, 4)), ("2001:db8::/40", (4, 4)), ("2001:db8::/44", (4, 0))]
)  # fmt: skip
def test_site_bits_stay_on_nibbles(block: str, bits: tuple[int, int]) -> None:
    agency_bits, site_bits_ = site_bits(IPv6Network(block), Location("intent.yml"))
    assert (agency_bits, site_bits_) == bits
    assert agency_bits % 4 == 0 and site_bits_ % 4 == 0
    assert IPv6Network(block).prefixlen + agency_bits + site_bits_ == 48


@pytest.mark.parametrize(
    ("block", "expect"),
    [
        ("2001:db8::/33", "is not on a nibble boundary"),
        ("2001:db8::/46", "is too small for a /48 per site"),
        ("2001:db8::/48", "is too small for a /48 per site"),
    ],
)
def test_site_bits_refuses(block: str, expect: str) -> None:
    with pytest.raises(PlanError, match=expect):
        site_bits(IPv6Network(block), Location("intent.yml", "province.ipv6"))


def test_a_40_gives_a_44_per_agency(tmp_path: Path) -> None:
    def shrink(data: dict[str, Any]) -> None:
        data["province"]["ipv6"] = "2001:db8::/40"
        agency(data, "dost")["code"] = 0x2  # 4 bits for agencies now
        agency(data, "soyte")["code"] = 0x3
        agency(data, "dost")["sites"].append({"name": "branch", "number": 15})

    plan = build_plan(changed_intent(tmp_path, shrink), Record())
    assert plan.sites["data-centre/main"] == IPv6Network("2001:db8:10::/48")
    assert plan.sites["dost/hq"] == IPv6Network("2001:db8:20::/48")
    assert plan.sites["dost/branch"] == IPv6Network("2001:db8:2f::/48")
    assert plan.sites["soyte/hq"] == IPv6Network("2001:db8:30::/48")
    dost = IPv6Network("2001:db8:20::/44")  # the agency's /44: all its sites
    assert all(p.subnet_of(dost) for k, p in plan.sites.items() if k.startswith("dost/"))
    assert plan.segments["dost/hq/users"].ipv6 == IPv6Network("2001:db8:20:100a::/64")
    assert plan.nat64_prefix == IPv6Network("2001:db8:0:6464::/96")


def test_a_44_has_one_site_per_agency(tmp_path: Path) -> None:
    def shrink(data: dict[str, Any]) -> None:
        data["province"]["ipv6"] = "2001:db8::/44"
        agency(data, "dost")["code"] = 0x2
        agency(data, "soyte")["code"] = 0x3

    plan = build_plan(changed_intent(tmp_path, shrink), Record())
    assert plan.sites["dost/hq"] == IPv6Network("2001:db8:2::/48")

    def two_sites(data: dict[str, Any]) -> None:
        shrink(data)
        agency(data, "dost")["sites"].append({"name": "branch", "number": 1})

    with pytest.raises(PlanError, match="site 'branch' number 1 does not fit the 0 bits"):
        build_plan(changed_intent(tmp_path, two_sites, name="two.yml"), Record())
