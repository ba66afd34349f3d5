"""The device agent's reading of the live system, on a temporary root with recorded outputs (tests/unit/data/
agent, recorded on a lab at dual-stack): FRR's delta, sysctls, nftables tables, interfaces, addresses
and routes, and the commands that repair kernel drift."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from agent_kit import Device, InProcess, data

# dost-rtr's expected kernel state at dual-stack, as pilot rendered it into the bundle (owner: FRR holds
# the addresses, so zebra re-installs a missing one).
DOST_RTR: dict[str, Any] = {
    "owner": "frr",
    "links": {
        "eth1": {"addresses": ["198.51.100.113/31", "2001:db8:0:1000::3/127"], "up": True},
        "eth2": {"addresses": ["198.51.100.1/26", "2001:db8:1000:100a::1/64"], "up": True},
        "eth3": {"addresses": ["198.51.100.97/28", "2001:db8:1000:4028::1/64"], "up": True},
        "lo": {"addresses": ["198.51.100.115/32", "2001:db8::2/128"], "up": True},
    },
    "routes": [],
}
# dost-sw: host ports in their VLAN's bridge, no addresses (ifupdown owns them).
DOST_SW: dict[str, Any] = {
    "owner": "ifupdown",
    "links": {
        **{f"eth{i}": {"addresses": [], "master": "vlan10", "up": True} for i in (1, 2, 3, 5)},
        **{f"eth{i}": {"addresses": [], "master": "vlan40", "up": True} for i in (4, 6)},
        "vlan10": {"addresses": [], "up": True},
        "vlan40": {"addresses": [], "up": True},
    },
    "routes": [],
}
NAT64_ROUTES = [
    {"dev": "eth1", "dst": "default", "via": "198.51.100.81"},
    {"dev": "eth1", "dst": "default", "via": "2001:db8:100:2014::1"},
]


# -- material(): what counts as a change in a file ------------------------------------------------------


def test_material_ignores_comments_blank_lines_and_trailing_spaces(agent_here: InProcess) -> None:
    conf = data("agent/core.frr.conf")
    other_header = conf.replace("stage dual-stack (Dual-stack everywhere, IPv4 unchanged)", "stage ipv4 (IPv4 only)")
    assert other_header != conf
    assert agent_here.material(other_header) == agent_here.material(conf)
    nft = data("agent/dost-sw.pilot.nft")
    assert agent_here.material(nft.replace("# RA Guard (RFC 6105).", "# RA Guard.") + "\n\n") == agent_here.material(
        nft
    )
    for comment in ("# hash", "! bang", "; semicolon", "// slashes", "   # indented"):
        assert agent_here.material("a = 1\n" + comment + "\nb = 2   \n") == "a = 1\nb = 2"
    assert agent_here.material(None) is None


def test_material_keeps_every_real_difference(agent_here: InProcess) -> None:
    conf = data("agent/core.frr.conf")
    assert agent_here.material(conf.replace("ipv6 nd ra-interval 10", "ipv6 nd ra-interval 30")) != agent_here.material(
        conf
    )
    assert agent_here.material("") != agent_here.material(None)  # an empty file is not an absent one


def test_the_banner_of_show_running_config_is_not_configuration(agent_here: InProcess) -> None:
    config = agent_here._frr_config(data("agent/core.show-running-config.txt"))
    assert "Building configuration..." not in config and "Current configuration:" not in config
    assert config.lstrip("\n").startswith("!\nfrr version 8.4.4\n") and config.endswith("!\nend\n")


# -- FRR: frr-reload.py --test's delta ----------------------------------------------------------------


def test_frr_delta_is_frr_reloads_answer_about_the_rendered_text(device: Device, agent_here: InProcess) -> None:
    conf = data("agent/core.frr.conf")
    delta = data("agent/core.frr-reload-test.route-map-drift.txt")
    device.on("frr-reload.py", "--test", "*", stdout=delta, stderr="INFO: Called via ...\n")
    assert agent_here._frr_delta("/etc/frr/frr.conf", conf) == delta.strip() + "\n"
    (call,) = device.log()
    assert call["argv"][0] == str(device.bin / "frr-reload.py")  # PILOT_AGENT_FRR_RELOAD, not FRR's own
    assert list(call["files"].values()) == [conf]  # the candidate handed to frr-reload.py is the rendered text


def test_no_delta_when_frr_runs_the_configuration(device: Device, agent_here: InProcess) -> None:
    device.on("frr-reload.py", "--test", "*", stdout="")
    assert agent_here._frr_delta("/etc/frr/frr.conf", "x") == ""
    # Only the section titles (and their underlines) is no delta either.
    device.on(
        "frr-reload.py", "--test", "*", stdout="\nLines To Delete\n===============\n\nLines To Add\n============\n"
    )
    assert agent_here._frr_delta("/etc/frr/frr.conf", "x") == ""


def test_frr_reload_failing_is_an_error_naming_its_last_line(device: Device, agent_here: InProcess) -> None:
    device.on(
        "frr-reload.py",
        "--test",
        "*",
        rc=1,
        stderr="INFO: Called via ...\nERROR: vtysh failed to process new configuration\n",
    )
    with pytest.raises(agent_here.Failed, match=r"frr-reload\.py --test failed: ERROR: vtysh failed to process new"):
        agent_here._frr_delta("/etc/frr/frr.conf", "x")


def test_the_candidate_file_does_not_outlive_the_comparison(device: Device, agent_here: InProcess) -> None:
    device.on("frr-reload.py", "--test", "*", stdout="")
    agent_here._frr_delta("/etc/frr/frr.conf", data("agent/core.frr.conf"))
    assert list(device.tmp.iterdir()) == []


# -- sysctls ----------------------------------------------------------------------------------------


def test_sysctl_drift_reads_proc_sys_under_the_root(device: Device, agent_here: InProcess) -> None:
    conf = data("agent/nat64.90-pilot.ipv6-mostly.conf")  # forwarding on for both families
    device.put("/proc/sys/net/ipv4/ip_forward", "1\n")
    device.put("/proc/sys/net/ipv6/conf/all/forwarding", "0\n")
    assert agent_here._sysctl_drift(conf) == ["sysctl net.ipv6.conf.all.forwarding = 0, wanted 1"]
    device.put("/proc/sys/net/ipv6/conf/all/forwarding", "1\n")
    assert agent_here._sysctl_drift(conf) == []


def test_sysctl_drift_absent_key_comments_and_whitespace(device: Device, agent_here: InProcess) -> None:
    device.put("/proc/sys/net/ipv4/ping_group_range", "0\t2147483647\n")
    text = "# a comment = 1\n; another = 2\nnet.ipv4.ping_group_range = 0 2147483647\nnet.ipv6.conf.eth9.accept_ra=0\n"
    assert agent_here._sysctl_drift(text) == ["sysctl net.ipv6.conf.eth9.accept_ra = absent, wanted 0"]


# -- nftables -----------------------------------------------------------------------------------------


def test_nft_tables_compare_without_counters(agent_here: InProcess) -> None:
    live = agent_here._nft_tables(data("agent/dost-sw.nft-list-live.txt"))  # RA Guard has dropped 9 RAs
    scratch = agent_here._nft_tables(data("agent/dost-sw.nft-list-scratch.txt"))  # just loaded: all zero
    assert "counter packets 9 bytes 792" in data("agent/dost-sw.nft-list-live.txt")
    assert list(live) == ["bridge pilot_fhs"] and live == scratch
    changed = data("agent/dost-sw.nft-list-live.txt").replace('"eth5"', '"eth7"')
    assert agent_here._nft_tables(changed) != scratch


def _nft_scene(device: Device, file: str, scratch: str, live: str | None, table: str) -> None:
    device.on("unshare", "-n", "sh", "-c", 'nft -f "$1" && nft list ruleset', "nft", "*", stdout=scratch)
    if live is None:
        device.on("nft", "list", "table", *table.split(), rc=1, stderr="Error: No such file or directory\n")
    else:
        device.on("nft", "list", "table", *table.split(), stdout=live)


def test_nft_no_drift_when_the_live_table_is_what_the_file_loads(device: Device, agent_here: InProcess) -> None:
    text = data("agent/dost-sw.pilot.nft")
    _nft_scene(
        device,
        text,
        data("agent/dost-sw.nft-list-scratch.txt"),
        data("agent/dost-sw.nft-list-live.txt"),
        "bridge pilot_fhs",
    )
    assert agent_here._nft_drift(text) == []
    loaded = device.ran("unshare", "**")[0]
    assert device.log()[0]["files"][loaded[-1]] == text  # the scratch namespace loaded the file's own text
    assert list(device.tmp.iterdir()) == []


def test_nft_table_missing_or_changed_is_drift(device: Device, agent_here: InProcess) -> None:
    text = data("agent/dost-sw.pilot.nft")
    scratch = data("agent/dost-sw.nft-list-scratch.txt")
    _nft_scene(device, text, scratch, None, "bridge pilot_fhs")
    assert agent_here._nft_drift(text) == ["nftables table bridge pilot_fhs: absent, wanted present"]
    without_shield = "".join(
        line for line in data("agent/dost-sw.nft-list-live.txt").splitlines(True) if "DHCPv6-Shield" not in line
    )
    _nft_scene(device, text, scratch, without_shield, "bridge pilot_fhs")
    assert agent_here._nft_drift(text) == ["nftables table bridge pilot_fhs: different, wanted present"]


def test_nft_a_table_the_stage_deletes_must_be_gone(device: Device, agent_here: InProcess) -> None:
    text = data("agent/nat64.pilot.dual-stack.nft")  # `table ip pilot_nat64` + `delete table ...`: no NAT44
    _nft_scene(device, text, "", data("agent/nat64.nft-list-live.ipv6-mostly.txt"), "ip pilot_nat64")
    assert agent_here._nft_drift(text) == ["nftables table ip pilot_nat64: present, wanted absent"]
    _nft_scene(device, text, "", None, "ip pilot_nat64")
    assert agent_here._nft_drift(text) == []
    assert agent_here._nft_drift("# no table at all\n") == []


# -- interfaces, addresses, routes ------------------------------------------------------------------------


def test_no_kernel_drift_on_the_recorded_router(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-rtr.ip-addr.json"))
    assert agent_here.kernel_drift(DOST_RTR) == []
    assert agent_here.kernel_drift(None) == [] and agent_here.kernel_drift({}) == []


def test_a_deleted_gateway_address_is_missing(device: Device, agent_here: InProcess) -> None:
    # Issue 7's reproduction: `ip -6 addr del 2001:db8:1000:4028::1/64 dev eth3` on dost-rtr.
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-rtr.ip-addr.eth3-v6-deleted.json"))
    assert agent_here.kernel_drift(DOST_RTR) == [
        ("eth3: address 2001:db8:1000:4028::1/64 missing", ("add", "eth3", "2001:db8:1000:4028::1/64"))
    ]


def test_an_address_not_in_the_configuration_is_extra(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-rtr.ip-addr.json"))
    expect = copy.deepcopy(DOST_RTR)
    expect["links"]["eth2"]["addresses"] = ["198.51.100.1/26"]  # the stage has no IPv6 on eth2
    assert agent_here.kernel_drift(expect) == [
        ("eth2: address 2001:db8:1000:100a::1/64 not in the configuration", ("del", "eth2", "2001:db8:1000:100a::1/64"))
    ]


def test_addresses_compare_in_canonical_form(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-rtr.ip-addr.json"))
    expect = copy.deepcopy(DOST_RTR)
    expect["links"]["lo"]["addresses"] = ["198.51.100.115/32", "2001:0db8:0:0::2/128"]
    assert agent_here.kernel_drift(expect) == []


def test_a_link_down_is_drift(device: Device, agent_here: InProcess) -> None:
    # Recorded after `ip link set eth1 down`, with eth3's address still deleted from the test above.
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-rtr.ip-addr.eth1-down.json"))
    assert agent_here.kernel_drift(DOST_RTR) == [
        ("interface eth1 down", ("link", "eth1", True)),
        ("eth3: address 2001:db8:1000:4028::1/64 missing", ("add", "eth3", "2001:db8:1000:4028::1/64")),
    ]


def test_a_port_out_of_its_bridge_is_drift(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.json"))
    assert agent_here.kernel_drift(DOST_SW) == []
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.eth2-nomaster.json"))
    assert agent_here.kernel_drift(DOST_SW) == [
        ("interface eth2 in no bridge, wanted vlan10", ("master", "eth2", "vlan10"))
    ]
    wrong = copy.deepcopy(DOST_SW)
    wrong["links"]["eth4"]["master"] = "vlan10"
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-sw.ip-addr.json"))
    assert agent_here.kernel_drift(wrong) == [("interface eth4 in vlan40, wanted vlan10", ("master", "eth4", "vlan10"))]


def test_a_missing_interface_cannot_be_repaired(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "-j", "addr", "show", stdout=data("agent/dost-rtr.ip-addr.json"))
    expect = copy.deepcopy(DOST_RTR)
    expect["links"]["eth9"] = {"addresses": [], "up": True}
    assert agent_here.kernel_drift(expect) == [("interface eth9 missing", None)]


def test_dynamic_addresses_belong_to_nobody(device: Device, agent_here: InProcess) -> None:
    # A client's SLAAC and DHCPv6 addresses are dhcpcd's, not the configuration's: never "extra".
    device.on("ip", "-j", "addr", "show", stdout=data("probes/pc1.ip6-addr-eth1.json"))
    assert agent_here.kernel_drift({"links": {"eth1": {"addresses": [], "up": True}}}) == []


def test_routes_present_or_missing(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "-j", "addr", "show", stdout=data("agent/nat64.ip-addr.json"))
    device.on("ip", "-j", "-4", "route", "show", "default", stdout=data("agent/nat64.ip-route-default4.json"))
    device.on("ip", "-j", "-6", "route", "show", "default", stdout=data("agent/nat64.ip-route-default6.json"))
    expect = {"owner": "ifupdown", "links": {}, "routes": NAT64_ROUTES}
    assert agent_here.kernel_drift(expect) == []
    device.on("ip", "-j", "-6", "route", "show", "default", stdout="[]\n")
    assert agent_here.kernel_drift(expect) == [
        ("route default via 2001:db8:100:2014::1 missing", ("route", NAT64_ROUTES[1]))
    ]
    other_gateway = [dict(NAT64_ROUTES[0], via="198.51.100.82")]
    assert agent_here.kernel_drift({"routes": other_gateway}) == [
        ("route default via 198.51.100.82 missing", ("route", other_gateway[0]))
    ]
    other_dev = [dict(NAT64_ROUTES[0], dev="eth2")]
    assert [what for what, _ in agent_here.kernel_drift({"routes": other_dev})] == [
        "route default via 198.51.100.81 missing"
    ]


# -- repairs ------------------------------------------------------------------------------------------


def _repairs(
    device: Device, agent_here: InProcess, problems: list[tuple[str, Any]], owner: str | None
) -> list[list[str]]:
    device.on("ip", "**")
    device.on("vtysh", "**")
    device.forget()
    agent_here.repair_kernel(problems, owner)
    return device.commands()


def test_addresses_frr_owns_are_restored_through_frr(device: Device, agent_here: InProcess) -> None:
    problems = [
        ("eth3: address 2001:db8:1000:4028::1/64 missing", ("add", "eth3", "2001:db8:1000:4028::1/64")),
        ("eth3: address 198.51.100.97/28 missing", ("add", "eth3", "198.51.100.97/28")),
    ]
    assert _repairs(device, agent_here, problems, "frr") == [
        ["vtysh", "-c", "configure terminal", "-c", "interface eth3", "-c", "ipv6 address 2001:db8:1000:4028::1/64"],
        ["vtysh", "-c", "configure terminal", "-c", "interface eth3", "-c", "ip address 198.51.100.97/28"],
    ]


def test_other_kernel_repairs_use_ip(device: Device, agent_here: InProcess) -> None:
    problems = [
        ("interface eth9 missing", None),
        ("eth1: address 2001:db8:100:2014::11/64 missing", ("add", "eth1", "2001:db8:100:2014::11/64")),
        ("eth1: address 198.51.100.83/28 missing", ("add", "eth1", "198.51.100.83/28")),
        ("eth1: address 2001:db8:bad:bad::1/64 not in the configuration", ("del", "eth1", "2001:db8:bad:bad::1/64")),
        ("interface eth1 down", ("link", "eth1", True)),
        ("interface eth2 in no bridge, wanted vlan10", ("master", "eth2", "vlan10")),
        ("interface eth3 in vlan10, wanted no bridge", ("master", "eth3", None)),
        ("route default via 2001:db8:100:2014::1 missing", ("route", NAT64_ROUTES[1])),
        ("route 203.0.113.0/24 dev eth1 missing", ("route", {"dst": "203.0.113.0/24", "dev": "eth1"})),
    ]
    assert _repairs(device, agent_here, problems, "ifupdown") == [
        ["ip", "addr", "add", "2001:db8:100:2014::11/64", "dev", "eth1", "nodad"],
        ["ip", "addr", "add", "198.51.100.83/28", "dev", "eth1"],
        ["ip", "addr", "del", "2001:db8:bad:bad::1/64", "dev", "eth1"],
        ["ip", "link", "set", "eth1", "up"],
        ["ip", "link", "set", "eth2", "master", "vlan10"],
        ["ip", "link", "set", "eth3", "nomaster"],
        ["ip", "-6", "route", "replace", "default", "via", "2001:db8:100:2014::1", "dev", "eth1"],
        ["ip", "-4", "route", "replace", "203.0.113.0/24", "dev", "eth1"],
    ]


def test_a_failing_repair_is_an_error(device: Device, agent_here: InProcess) -> None:
    device.on("ip", "link", "set", "**", rc=1, stderr='Cannot find device "eth1"\n')
    with pytest.raises(agent_here.Failed, match='ip link set eth1 up failed \\(exit 1\\): Cannot find device "eth1"'):
        agent_here.repair_kernel([("interface eth1 down", ("link", "eth1", True))], None)


def test_a_pid_file_naming_a_pid_given_to_another_process_is_not_the_service(
    device: Device, agent_here: InProcess
) -> None:
    """The service died and the kernel gave its pid to another process (pids wrap at 32768 on many
    hosts): the agent must neither report the service running nor kill that process when stopping it."""
    me = os.getpid()
    with open(f"/proc/{me}/stat") as fh:
        started = fh.read().rsplit(")", 1)[1].split()[19]
    device.put("/run/pilot/kea-dhcp4-server.pid", f"{me} {int(started) + 1}\n")  # another process's start
    assert agent_here._pid("kea-dhcp4-server") is None and not agent_here.running("kea-dhcp4-server")
    agent_here.stop("kea-dhcp4-server")  # would SIGTERM this test process if it trusted the pid alone
    device.put("/run/pilot/kea-dhcp4-server.pid", f"{me} {started}\n")
    assert agent_here._pid("kea-dhcp4-server") == me
