"""The live state a configuration implies: FRR's running configuration, sysctls, nftables tables,
interfaces, addresses and routes. Each is compared with what the bundle says; kernel drift is repaired
directly (addresses FRR owns through FRR itself)."""

from __future__ import annotations

import ipaddress
import json
import re
import tempfile

from pilot.agent.device.common import FRR_RELOAD, Failed, read, remove, run


def _frr_delta(path, text):
    """frr-reload.py's delta from FRR's running configuration to `text`; "" when nothing differs."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as fh:
        fh.write(text)
    try:
        result = run([FRR_RELOAD, "--test", fh.name], check=False, timeout=120)
    finally:
        remove(fh.name)
    if result.returncode != 0:
        raise Failed("frr-reload.py --test failed: {}".format((result.stderr.strip().splitlines() or [""])[-1]))
    delta = result.stdout.strip()
    lines = [line for line in delta.splitlines() if line.strip() and not set(line.strip()) <= {"="}]
    return "" if all(line.strip() in ("Lines To Delete", "Lines To Add") for line in lines) else delta + "\n"


def _sysctl_pairs(text):
    for line in text.splitlines():
        m = re.match(r"^\s*([\w.-]+)\s*=\s*(.*?)\s*$", line)
        if m and not line.lstrip().startswith(("#", ";")):
            yield m.group(1), m.group(2)


def _sysctl_now(key):
    value = read("/proc/sys/" + key.replace(".", "/"))
    return None if value is None else value.strip()


def _sysctl_drift(text):
    out = []
    for key, value in _sysctl_pairs(text):
        now = _sysctl_now(key)
        if now is None or now.split() != value.split():
            out.append("sysctl {} = {}, wanted {}".format(key, "absent" if now is None else now, value))
    return out


def _nft_names(text):
    return sorted(set(re.findall(r"(?m)^table (\S+ \S+)", text)))


def _nft_live(name):
    """`nft list table` of one table, or None when it does not exist."""
    live = run(["nft", "list", "table", *name.split()], check=False)
    return live.stdout if live.returncode == 0 else None


def _nft_tables(listing):
    """`nft list ...` output as {"family name": normalized text}: counters do not count as drift."""
    tables, current = {}, None
    for line in listing.splitlines():
        m = re.match(r"^table (\S+) (\S+) \{", line)
        if m:
            current = m.group(1) + " " + m.group(2)
            tables[current] = []
        elif current is not None:
            if line == "}":
                current = None
            else:
                tables[current].append(re.sub(r"counter packets \d+ bytes \d+", "counter", line.strip()))
    return {name: "\n".join(lines) for name, lines in tables.items()}


def _nft_drift(text):
    """The tables an nft file declares, as nft itself would hold them after loading it (loaded in a
    scratch network namespace), against the live ones."""
    names = _nft_names(text)
    if not names:
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".nft", delete=False) as fh:
        fh.write(text)
    try:
        scratch = run(["unshare", "-n", "sh", "-c", 'nft -f "$1" && nft list ruleset', "nft", fh.name])
    finally:
        remove(fh.name)
    wanted = _nft_tables(scratch.stdout)
    out = []
    for name in names:
        have = _nft_tables(_nft_live(name) or "").get(name)
        if have != wanted.get(name):
            state = "absent" if have is None else "present" if name not in wanted else "different"
            out.append(
                "nftables table {}: {}, wanted {}".format(name, state, "present" if name in wanted else "absent")
            )
    return out


def _links():
    out = {}
    for link in json.loads(run(["ip", "-j", "addr", "show"]).stdout or "[]"):
        addresses = [
            "{}/{}".format(a["local"], a["prefixlen"])
            for a in link.get("addr_info", [])
            if a.get("scope") == "global" and not a.get("dynamic")
        ]
        out[link["ifname"]] = {
            "up": "UP" in link.get("flags", []),
            "master": link.get("master"),
            "addresses": addresses,
        }
    return out


def _canon(address):
    return str(ipaddress.ip_interface(address))


def _route_present(route):
    family = "-6" if ":" in (route.get("via") or route["dst"]) else "-4"
    for r in json.loads(run(["ip", "-j", family, "route", "show", route["dst"]], check=False).stdout or "[]"):
        if route.get("via") and r.get("gateway") != route["via"]:
            continue
        if route.get("dev") and r.get("dev") != route["dev"]:
            continue
        return True
    return False


def loaded_state(bundle):
    """What the bundle's sysctl and nftables files act on, as it is now: {"sysctl": {key: value or None},
    "nft": {"family table": its listing or None}}. A backup keeps it, so that a restore also undoes
    what a file loaded when the file itself did not exist before (removing a file unloads nothing)."""
    sysctl, nft = {}, {}
    for f in bundle["files"]:
        if f["text"] is None:
            continue
        if f.get("hook") == "sysctl":
            sysctl.update({key: _sysctl_now(key) for key, _ in _sysctl_pairs(f["text"])})
        elif f.get("hook") == "nft":
            nft.update({name: _nft_live(name) for name in _nft_names(f["text"])})
    return {"sysctl": sysctl, "nft": nft} if sysctl or nft else None


def loaded_drift(loaded):
    """[(what, repair)] where the live sysctls and tables differ from a backup's loaded_state()."""
    out = []
    for key, value in sorted((loaded or {}).get("sysctl", {}).items()):
        now = _sysctl_now(key)
        if value is not None and (now or "").split() != value.split():
            out.append((f"sysctl {key} = {now}, was {value}", ("sysctl", key, value)))
    for name, listing in sorted((loaded or {}).get("nft", {}).items()):
        have = _nft_tables(_nft_live(name) or "").get(name)
        want = _nft_tables(listing).get(name) if listing else None
        if have != want:
            state = "absent" if have is None else "present" if want is None else "different"
            out.append(
                (
                    f"nftables table {name}: {state}, was {'absent' if want is None else 'present'}",
                    ("nft", name, listing),
                )
            )
    return out


def kernel_drift(expect):
    """[(what, repair)] for every interface, address and route that is not as `expect` says."""
    if not expect:
        return []
    out = []
    links = _links()
    for name, want in sorted(expect.get("links", {}).items()):
        have = links.get(name)
        if have is None:
            out.append((f"interface {name} missing", None))
            continue
        if want.get("up") is not None and have["up"] != want["up"]:
            out.append((f"interface {name} {'down' if want['up'] else 'up'}", ("link", name, want["up"])))
        if want.get("master", False) is not False and have["master"] != want["master"]:
            out.append(
                (
                    f"interface {name} in {have['master'] or 'no bridge'}, wanted {want['master']}",
                    ("master", name, want["master"]),
                )
            )
        if want.get("addresses") is not None:
            wanted = {_canon(a) for a in want["addresses"]}
            got = {_canon(a) for a in have["addresses"]}
            out += [(f"{name}: address {a} missing", ("add", name, a)) for a in sorted(wanted - got)]
            out += [(f"{name}: address {a} not in the configuration", ("del", name, a)) for a in sorted(got - wanted)]
    for route in expect.get("routes", []):
        if not _route_present(route):
            how = " via " + route["via"] if route.get("via") else " dev " + route.get("dev", "")
            out.append((f"route {route['dst']}{how} missing", ("route", route)))
    return out


def repair_kernel(problems, owner):
    for _, fix in problems:
        if fix is None:
            continue
        kind = fix[0]
        if kind == "link":
            run(["ip", "link", "set", fix[1], "up" if fix[2] else "down"])
        elif kind == "master":
            run(
                ["ip", "link", "set", fix[1], "master", fix[2]] if fix[2] else ["ip", "link", "set", fix[1], "nomaster"]
            )
        elif kind == "add" and owner == "frr":
            # FRR's own configuration holds the address: ask zebra to install it again.
            family = "ipv6" if ":" in fix[2] else "ip"
            run(["vtysh", "-c", "configure terminal", "-c", f"interface {fix[1]}", "-c", f"{family} address {fix[2]}"])
        elif kind == "add":
            run(["ip", "addr", "add", fix[2], "dev", fix[1], *(["nodad"] if ":" in fix[2] else [])])
        elif kind == "del":
            run(["ip", "addr", "del", fix[2], "dev", fix[1]])
        elif kind == "sysctl":
            run(["sysctl", "-q", "-w", f"{fix[1]}={fix[2]}"])
        elif kind == "nft":  # the table as the backup listed it, or gone
            run(["nft", "delete", "table", *fix[1].split()], check=False)
            if fix[2]:
                run(["nft", "-f", "-"], stdin=fix[2])
        elif kind == "route":
            route = fix[1]
            family = "-6" if ":" in (route.get("via") or route["dst"]) else "-4"
            how = ["via", route["via"]] if route.get("via") else []
            run(
                [
                    "ip",
                    family,
                    "route",
                    "replace",
                    route["dst"],
                    *how,
                    *(["dev", route["dev"]] if route.get("dev") else []),
                ]
            )
