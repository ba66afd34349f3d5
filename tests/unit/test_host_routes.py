"""The host-route reader behind the overlap check sees every route `ip route show table all` sees."""

import ipaddress
import json
import subprocess

from pilot.lab.netlink import host_routes


def ip_routes() -> set[str]:
    out = set()
    for family in ("-4", "-6"):
        argv = ["ip", "-j", family, "route", "show", "table", "all"]
        text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        for route in json.loads(text or "[]"):
            dst = route.get("dst", "default")
            if dst == "default":
                continue
            net = ipaddress.ip_network(dst if "/" in dst else f"{dst}/{32 if family == '-4' else 128}", strict=False)
            if net.is_multicast or net.is_link_local:
                continue
            out.add(str(net))
    return out


def test_host_routes_match_ip_route_table_all() -> None:
    seen = {str(r.prefix) for r in host_routes()}
    assert seen == ip_routes()
    assert seen, "a machine with a network has routes"
