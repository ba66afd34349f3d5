"""The pilot topology as a real lab: every node reachable over SSH with host keys pinned, exec, FRR,
per-role kernel settings, wiring as in containerlab.yml, management isolation, Nornir over netmiko."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from labkit import ROOT, eventually, lab_exec, pilot, status

from pilot.lab.paths import LabPaths
from pilot.topology import Role, load_topology

TOPO = load_topology(ROOT / "containerlab.yml")
SHELL_NODES = [n.name for n in TOPO.shell_nodes]


def ssh(lab: str, node: str, *command: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    config = config or LabPaths(lab).ssh_config
    return subprocess.run(
        ["ssh", "-F", str(config), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", node, *command],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_status_lists_every_node_running(pilot_lab: str) -> None:
    data = status(pilot_lab)
    assert data["state"] == "running" and data["backend"] == "namespace"
    nodes = {n["name"]: n for n in data["nodes"]}
    assert list(nodes) == SHELL_NODES
    for name, node in nodes.items():
        assert node["state"] == "running" and node["pid"] > 1
        assert node["role"] == TOPO.node(name).role.value
        assert node["mgmt_ipv6"].startswith(data["mgmt_subnet"].split("::")[0])
        daemons = {d["name"] for d in node["daemons"]}
        assert "sshd" in daemons
        if node["role"] == "router":
            assert {"watchfrr", "zebra", "staticd", "ospfd", "ospf6d", "bgpd"} <= daemons
        else:
            assert not daemons & {"zebra", "bgpd", "kea-dhcp4", "unbound", "radvd", "tayga"}
        names = {i["name"] for i in node["interfaces"]}
        assert names >= {"eth0", *TOPO.node(name).interfaces}
    assert data["bridges"] == ["inet", "dc"]


def test_every_sshd_answers_with_host_key_checking(pilot_lab: str) -> None:
    for node in SHELL_NODES:
        result = ssh(pilot_lab, node, "uname", "-n")
        assert (result.returncode, result.stdout.strip()) == (0, node), result.stderr


def test_unknown_host_key_is_refused(pilot_lab: str, tmp_path: Path) -> None:
    """Host key checking is really on: with an empty known_hosts, ssh refuses to connect."""
    config = LabPaths(pilot_lab).ssh_config.read_text()
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    changed = tmp_path / "config"
    changed.write_text(config.replace(str(LabPaths(pilot_lab).known_hosts), str(empty)))
    result = ssh(pilot_lab, "core", "true", config=changed)
    assert result.returncode == 255
    assert "Host key verification failed" in result.stderr


def test_exec_passes_exit_status_and_runs_inside_the_node(pilot_lab: str) -> None:
    assert lab_exec(pilot_lab, "pc1", "sh", "-c", "exit 7").returncode == 7
    result = lab_exec(pilot_lab, "pc1", "sh", "-c", "hostname; cat /proc/1/comm; echo $PILOT_NODE")
    assert result.stdout.split() == ["pc1", "tini-static", "pc1"] or result.stdout.split() == ["pc1", "tini", "pc1"]


def test_nodes_have_private_files(pilot_lab: str) -> None:
    assert lab_exec(pilot_lab, "pc1", "sh", "-c", "echo pc1-only > /etc/pilot-test").returncode == 0
    assert not Path("/etc/pilot-test").exists()
    assert lab_exec(pilot_lab, "pc2", "test", "-e", "/etc/pilot-test").returncode == 1
    # The write landed in the node's directory, which mirrors its /etc.
    assert (LabPaths(pilot_lab).node_dir("pc1") / "etc" / "pilot-test").read_text() == "pc1-only\n"
    # /run and /tmp are the node's own.
    assert lab_exec(pilot_lab, "pc1", "test", "-d", "/run/pilot").returncode == 1


def test_routers_run_frr_with_an_empty_config(pilot_lab: str) -> None:
    for router in ("isp1", "isp2", "core", "dost-rtr", "soyte-rtr"):
        result = lab_exec(pilot_lab, router, "vtysh", "-c", "show running-config")
        assert result.returncode == 0, result.stderr
        assert f"hostname {router}" in result.stdout
        for block in ("router ospf", "router bgp", "interface eth1\n ip address"):
            assert block not in result.stdout


def test_kernel_settings_per_role(pilot_lab: str) -> None:
    def read(node: str, key: str) -> str:
        return lab_exec(pilot_lab, node, "cat", "/proc/sys/" + key.replace(".", "/")).stdout.strip()

    assert read("core", "net.ipv6.conf.all.forwarding") == "1"
    assert read("core", "net.ipv4.ip_forward") == "1"
    assert read("pc1", "net.ipv6.conf.all.forwarding") == "0"
    assert read("dost-sw", "net.ipv6.conf.eth2.accept_ra") == "0"
    assert read("soyte-sw", "net.ipv6.conf.eth2.accept_ra") == "0"
    for node in SHELL_NODES:
        assert read(node, "net.ipv6.conf.eth0.accept_ra") == "0", node


def _link_local(lab: str, node: str, iface: str) -> str | None:
    out = lab_exec(lab, node, "ip", "-6", "-j", "addr", "show", "dev", iface, "scope", "link").stdout
    for entry in json.loads(out or "[]"):
        for addr in entry.get("addr_info", []):
            if not addr.get("tentative"):
                return str(addr["local"])
    return None


def _pings(lab: str, src: str, iface: str, dst: str, dst_iface: str) -> bool:
    target = eventually(lambda: _link_local(lab, dst, dst_iface), what=f"{dst}:{dst_iface} link-local")
    ping = lab_exec(lab, src, "ping", "-6", "-c", "1", "-W", "1", f"{target}%{iface}")
    return ping.returncode == 0


def test_links_are_wired_as_in_the_file(pilot_lab: str) -> None:
    # A segment is a bridge node or the switch (whose ports switch in VLAN 1 until the rollout says
    # otherwise): every end on it must reach the segment's first end. Other links are point to point.
    segments: dict[str, list[tuple[str, str]]] = {}
    for link in TOPO.links:
        a, b = link.a, link.b
        if TOPO.node(a.node).role in (Role.BRIDGE, Role.SWITCH):
            a, b = b, a
        if TOPO.node(b.node).role in (Role.BRIDGE, Role.SWITCH):
            segments.setdefault(b.node, []).append((a.node, a.interface))
            continue
        eventually(lambda a=a, b=b: _pings(pilot_lab, a.node, a.interface, b.node, b.interface), what=f"{a} -> {b}")
    assert sorted(segments) == ["dc", "dost-sw", "inet", "soyte-sw"]
    for segment, ends in segments.items():
        (first_node, first_if), *others = ends
        for node, iface in others:
            eventually(
                lambda n=node, i=iface, fn=first_node, fi=first_if: _pings(pilot_lab, n, i, fn, fi),
                what=f"{node}:{iface} -> {first_node}:{first_if} over {segment}",
            )


def test_management_stays_inside_the_lab(pilot_lab: str) -> None:
    data = status(pilot_lab)
    root_if = data["root_ifname"]
    sysctl = Path(f"/proc/sys/net/ipv6/conf/{root_if}")
    assert (sysctl / "accept_ra").read_text().strip() == "0"
    routes = subprocess.run(["ip", "-6", "route", "show", "dev", root_if], capture_output=True, text=True).stdout
    assert [line.split()[0] for line in routes.splitlines() if not line.startswith("fe80")] == [data["mgmt_subnet"]]
    # Nodes have no route off their management link, so no lab traffic can reach the host's uplink.
    for node in ("core", "pc1", "nat64"):
        out = lab_exec(pilot_lab, node, "ip", "-6", "route", "show", "default").stdout
        assert out.strip() == "", node
        assert lab_exec(pilot_lab, node, "ip", "-4", "route", "show").stdout.strip() == "", node


def test_nornir_inventory_drives_the_routers_over_netmiko(pilot_lab: str, tmp_path: Path) -> None:
    result = pilot("lab", "inventory", "--name", pilot_lab, "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    # The inventory's journal learns once that this build of the lab starts from boot configurations.
    assert f"lab {pilot_lab} was built again" in json.loads(result.stdout)["journal"]
    again = pilot("lab", "inventory", "--name", pilot_lab, "--out", str(tmp_path), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["journal"] is None, again.stderr
    from nornir import InitNornir
    from nornir_netmiko.tasks import netmiko_send_command

    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 8}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(tmp_path / "hosts.yaml"),
                "group_file": str(tmp_path / "groups.yaml"),
                "defaults_file": str(tmp_path / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    routers = nr.filter(filter_func=lambda h: h.has_parent_group("routers"))
    assert sorted(routers.inventory.hosts) == ["core", "dost-rtr", "isp1", "isp2", "soyte-rtr"]
    results = routers.run(task=netmiko_send_command, command_string="vtysh -c 'show version'")
    for host, multi in results.items():
        assert not multi.failed, (host, multi.exception)
        assert "FRRouting 8.4" in multi.result
