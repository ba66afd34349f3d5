"""Generate a large province for the benchmarks: a containerlab topology and an intent file.

Shape: `core` multihomed to two operators, then a tree of routers (each with up to four children),
each router the gateway of its share of the segments. Segments are spread over agencies (50 sites
each, up to 100 segments per site). Like a province after the pilot: IPv4 only survives in the pilot's
corner (the first routers and segments), everything else is IPv6-only, as the 2030 plan wants.

With `sites=N` the segments are grouped by site instead, as a province that migrates site by site:
N sites (ten per agency), each of one or two user segments on ONE router of the tree (dealt round-robin
below `core`), so moving a site concerns that router only. The first `ipv4_sites` sites still have IPv4
(their routers and the routers between them and `core` too), so moving them to ipv6-only changes them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

PURPOSES = ["users", "servers", "voice", "iot", "management", "guest"]
USER_PURPOSES = ["users", "voice", "iot", "guest"]  # the segments whose IPv4 goes at ipv6-only
SITES_PER_AGENCY = 10


def generate(
    out: Path,
    routers: int = 1000,
    segments: int = 5000,
    ipv4_routers: int = 8,
    fast_ospf: bool = False,
    sites: int = 0,
    ipv4_sites: int = 12,
) -> tuple[Path, Path]:
    """`fast_ospf`: OSPF hello 1 s / dead 4 s on router links, as the pilot's intent has (for live labs).
    `sites`: group the segments per site, one router per site (`segments` is then ignored; see above)."""
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
    ipv4_names = set(names[:ipv4_routers])
    if sites:
        ipv4_names = _site_segments(sites, ipv4_sites, names, nodes, links, next_if, agencies)
    per_site, per_agency = 100, 50
    for n in range(0 if sites else segments - 1):
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
        "routers": {name: ({} if name in ipv4_names else {"ipv4": False}) for name in names},
        "agencies": agencies,
    }
    topo_path, intent_path = out / "containerlab.yml", out / "intent.yml"
    topo_path.write_text(yaml.safe_dump(topology, sort_keys=False))
    intent_path.write_text(yaml.safe_dump(intent, sort_keys=False))
    return topo_path, intent_path


def _site_segments(
    sites: int,
    ipv4_sites: int,
    names: list[str],
    nodes: dict[str, dict],
    links: list[dict],
    next_if: dict[str, int],
    agencies: list[dict],
) -> set[str]:
    """Add `sites` sites to `agencies` (and their segments' bridges and links), each site's segments on
    one router below `core`; returns the routers that keep IPv4: `core`, those of the first `ipv4_sites`
    sites and every router between them and `core` (a tree: router i hangs below (i - 1) // 4)."""
    ipv4_names = {names[0]}
    segment = 0
    for k in range(sites):
        agency_index, number = divmod(k, SITES_PER_AGENCY)
        if len(agencies) < agency_index + 3:
            agencies.append({"name": f"agency{agency_index:02d}", "code": 0x10 + agency_index, "sites": []})
        index = 1 + k % (len(names) - 1)  # round-robin over the routers below core
        router = names[index]
        if k < ipv4_sites:
            while index:
                ipv4_names.add(names[index])
                index = (index - 1) // 4
        site: dict = {"name": f"site{number:02d}", "number": number, "segments": []}
        for seg_index in range(2 if k % 2 == 0 else 1):  # one or two segments per site
            bridge = f"s{segment:05d}"
            nodes[bridge] = {"kind": "bridge"}
            links.append({"endpoints": [f"{router}:eth{next_if[router]}", f"{bridge}:{bridge}-gw"]})
            site["segments"].append(
                {
                    "name": f"seg{seg_index:03d}",
                    "purpose": USER_PURPOSES[segment % len(USER_PURPOSES)],
                    "vlan": 100 + seg_index,
                    "gateway": f"{router}:eth{next_if[router]}",
                    "ipv4_hosts": 6 if k < ipv4_sites else 0,
                }
            )
            next_if[router] += 1
            segment += 1
        agencies[agency_index + 2]["sites"].append(site)
    return ipv4_names


def serving_router(intent: Path) -> dict[str, str]:
    """{agency/site: the router its segments hang off} for the sites that migrate, read back from a
    generated intent (the data centre's site hosts the province's services: it is shared, not a site
    that moves)."""
    data = yaml.safe_load(intent.read_text())
    return {
        f"{agency['name']}/{site['name']}": site["segments"][0]["gateway"].split(":", 1)[0]
        for agency in data["agencies"]
        for site in agency.get("sites", [])
        if not any(segment.get("hosts") for segment in site["segments"])
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--segments", type=int, default=5000)
    parser.add_argument("--sites", type=int, default=0, help="group the segments per site, one router each")
    args = parser.parse_args()
    print(*generate(args.out, args.routers, args.segments, sites=args.sites))
