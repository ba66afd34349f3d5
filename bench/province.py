"""Generate a large province for the benchmarks: a containerlab topology and an intent file.

Shape: `core` multihomed to two operators, then a tree of routers (each with up to four children),
each router the gateway of its share of the segments. Segments are spread over agencies (50 sites
each, up to 100 segments per site). Like a province after the pilot: IPv4 only survives in the pilot's
corner (the first routers and segments), everything else is IPv6-only, as the 2030 plan wants.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

PURPOSES = ["users", "servers", "voice", "iot", "management", "guest"]


def generate(
    out: Path, routers: int = 1000, segments: int = 5000, ipv4_routers: int = 8, fast_ospf: bool = False
) -> tuple[Path, Path]:
    """`fast_ospf`: OSPF hello 1 s / dead 4 s on router links, as the pilot's intent has (for live labs)."""
    out.mkdir(parents=True, exist_ok=True)
    names = ["core"] + [f"r{i:04d}" for i in range(1, routers)]
    nodes: dict[str, dict] = {name: {"group": "routers"} for name in names}
    nodes.update({"isp1": {"group": "routers"}, "isp2": {"group": "routers"}, "inet": {"kind": "bridge"}})
    nodes.update({"v4web": {"group": "services"}, "dc": {"kind": "bridge"}})
    for svc in ("dns64", "nat64", "dhcp", "portal"):
        nodes[svc] = {"group": "services"}
    links = [
        {"endpoints": ["core:eth1", "isp1:eth1"]},
        {"endpoints": ["core:eth2", "isp2:eth1"]},
        {"endpoints": ["isp1:eth2", "inet:inet-isp1"]},
        {"endpoints": ["isp2:eth2", "inet:inet-isp2"]},
        {"endpoints": ["v4web:eth1", "inet:inet-v4web"]},
        {"endpoints": ["core:eth3", "dc:dc-core"]},
    ]
    links += [{"endpoints": [f"{svc}:eth1", f"dc:dc-{svc}"]} for svc in ("dns64", "nat64", "dhcp", "portal")]
    next_if = {name: 1 for name in names}
    next_if["core"] = 4
    for i in range(1, routers):  # a tree: router i hangs below router (i - 1) // 4
        parent, child = names[(i - 1) // 4], names[i]
        links.append({"endpoints": [f"{parent}:eth{next_if[parent]}", f"{child}:eth{next_if[child]}"]})
        next_if[parent] += 1
        next_if[child] += 1
    agencies: list[dict] = [{"name": "infrastructure", "code": 0}]
    agencies.append({"name": "data-centre", "code": 1, "sites": [{"name": "main", "number": 0, "segments": [
        {"name": "servers", "purpose": "servers", "vlan": 20, "gateway": "core:eth3",
         "hosts": ["dns64", "nat64", "dhcp", "portal"], "ipv4_hosts": 14}]}]})  # fmt: skip
    per_site, per_agency = 100, 50
    for n in range(segments - 1):
        agency_index, rest = divmod(n, per_site * per_agency)
        site_index, seg_index = divmod(rest, per_site)
        if len(agencies) < agency_index + 3:
            agencies.append({"name": f"agency{agency_index:02d}", "code": 0x10 + agency_index, "sites": []})
        agency = agencies[agency_index + 2]
        if len(agency["sites"]) <= site_index:
            agency["sites"].append({"name": f"site{site_index:02d}", "number": site_index, "segments": []})
        router = names[n % routers]
        bridge = f"s{n:05d}"
        nodes[bridge] = {"kind": "bridge"}
        links.append({"endpoints": [f"{router}:eth{next_if[router]}", f"{bridge}:{bridge}-gw"]})
        agency["sites"][site_index]["segments"].append(
            {
                "name": f"seg{seg_index:03d}",
                "purpose": PURPOSES[n % len(PURPOSES)],
                "vlan": 100 + seg_index,
                "gateway": f"{router}:eth{next_if[router]}",
                "ipv4_hosts": 6 if n < 12 else 0,  # IPv4 only in the pilot's corner
            }
        )
        next_if[router] += 1
    topology = {
        "name": "province",
        "topology": {
            "groups": {
                "routers": {
                    "kind": "linux",
                    "image": "quay.io/frrouting/frr:8.4.4",
                    "labels": {"pilot.role": "router"},
                },
                "services": {"kind": "linux", "labels": {"pilot.role": "service"}},
            },
            "nodes": nodes,
            "links": links,
        },
    }
    intent = {
        "province": {
            "name": "generated",
            "title": "Tỉnh mô phỏng (generated province)",
            "asn": 64500,
            "ipv6": "2001:db8::/32",
            "ipv4": "198.51.100.0/24",
            "domain": "province.test",
            **({"ospf_hello": 1, "ospf_dead": 4, "ospf_retransmit": 1} if fast_ospf else {}),
        },
        "services": {"dns64": "dns64", "nat64": "nat64", "dhcp": "dhcp", "portal": "portal"},
        "internet": {
            "ipv4": "203.0.113.0/24",
            "ipv6": "3fff:100::/32",
            "exchange": "inet",
            "operators": [
                {"node": "isp1", "asn": 64501, "name": "Operator 1"},
                {"node": "isp2", "asn": 64502, "name": "Operator 2"},
            ],
            "sites": [{"node": "v4web", "name": "v4web"}],
        },
        "routers": {name: ({} if i < ipv4_routers else {"ipv4": False}) for i, name in enumerate(names)},
        "agencies": agencies,
    }
    topo_path, intent_path = out / "containerlab.yml", out / "intent.yml"
    topo_path.write_text(yaml.safe_dump(topology, sort_keys=False))
    intent_path.write_text(yaml.safe_dump(intent, sort_keys=False))
    return topo_path, intent_path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--segments", type=int, default=5000)
    args = parser.parse_args()
    print(*generate(args.out, args.routers, args.segments))
