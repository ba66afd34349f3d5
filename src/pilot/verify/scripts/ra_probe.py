"""Ask the routers on a link for a Router Advertisement and say what it carries, PREF64 included.

usage: python3 ra_probe.py IFACE [SECONDS]

Sends a Router Solicitation (again every second) and decodes the first Router Advertisement that
arrives on IFACE within SECONDS (default 4): flags, router lifetime, prefixes, RDNSS, DNSSL and the
PREF64 option (RFC 8781, type 38), which rdisc6 does not decode. Only reads: the host's own addresses
and routes are the kernel's business, as always. Prints one JSON object, or {"error": ...}.
Standard library only: it runs on the probe host, read from standard input.
"""

import json
import select
import socket
import struct
import sys
import time

RS, RA = 133, 134
ALL_ROUTERS = "ff02::2"
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
# RFC 8781 4: the Prefix Length Code, the length of the NAT64 prefix that follows.
PLC_LENGTHS = {0: 96, 1: 64, 2: 56, 3: 48, 4: 40, 5: 32}


def _prefix(raw, length):
    """raw: the prefix's leading bytes (the rest is zero); as "addr/len", host bits cleared."""
    full = bytearray((raw + bytes(16))[:16])
    for bit in range(length, 128):
        full[bit // 8] &= ~(0x80 >> (bit % 8)) & 0xFF
    return f"{socket.inet_ntop(socket.AF_INET6, bytes(full))}/{length}"


def _names(data):
    """DNSSL's domain names (RFC 8106 5.2: DNS wire format, padded with zeros)."""
    names, labels, i = [], [], 0
    while i < len(data):
        size = data[i]
        if size == 0:
            if labels:
                names.append(".".join(labels))
            labels = []
            i += 1
            continue
        labels.append(data[i + 1 : i + 1 + size].decode("ascii", "replace"))
        i += 1 + size
    return names


def parse_ra(packet):
    """An ICMPv6 Router Advertisement (from its type byte on) as a dict; None when it is not one."""
    if len(packet) < 16 or packet[0] != RA:
        return None
    hop_limit, flags, lifetime, reachable, retrans = struct.unpack("!BBHII", packet[4:16])
    ra = {
        "hop_limit": hop_limit,
        "managed": bool(flags & 0x80),
        "other": bool(flags & 0x40),
        "router_lifetime": lifetime,
        "reachable_time": reachable,
        "retrans_timer": retrans,
        "prefixes": [],
        "rdnss": [],
        "dnssl": [],
        "pref64": [],
        "mtu": None,
    }
    i = 16
    while i + 2 <= len(packet):
        kind, units = packet[i], packet[i + 1]
        if units == 0:  # RFC 4861 4.6: a zero length is invalid; the rest cannot be trusted
            ra["malformed"] = f"option {kind} of length 0 at byte {i}"
            break
        body = packet[i : i + 8 * units]
        if kind == 3 and len(body) >= 32:
            length, pflags, valid, preferred = struct.unpack("!BBII", body[2:12])
            ra["prefixes"].append(
                {
                    "prefix": _prefix(body[16:32], length),
                    "on_link": bool(pflags & 0x80),
                    "autonomous": bool(pflags & 0x40),
                    "valid": valid,
                    "preferred": preferred,
                }
            )
        elif kind == 5 and len(body) >= 8:
            ra["mtu"] = struct.unpack("!I", body[4:8])[0]
        elif kind == 25 and len(body) >= 24:
            (life,) = struct.unpack("!I", body[4:8])
            for k in range(8, len(body) - 15, 16):
                ra["rdnss"].append({"address": socket.inet_ntop(socket.AF_INET6, body[k : k + 16]), "lifetime": life})
        elif kind == 31 and len(body) >= 8:
            (life,) = struct.unpack("!I", body[4:8])
            ra["dnssl"] += [{"domain": name, "lifetime": life} for name in _names(body[8:])]
        elif kind == 38 and len(body) >= 16:
            (word,) = struct.unpack("!H", body[2:4])
            plc = word & 0x7
            entry = {"lifetime": (word >> 3) * 8, "plc": plc}
            if plc in PLC_LENGTHS:
                entry["prefix"] = _prefix(body[4:16], PLC_LENGTHS[plc])
            else:  # RFC 8781 4: a host ignores an option with an unknown PLC
                entry["invalid"] = f"unknown prefix length code {plc}"
            ra["pref64"].append(entry)
        i += 8 * units
    return ra


def probe(iface, seconds):
    index = socket.if_nametoindex(iface)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, iface.encode())
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)  # RFC 4861: hop limit 255
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    solicitation = struct.pack("!BBHI", RS, 0, 0, 0)  # the kernel fills in the checksum
    start = time.monotonic()
    deadline, next_send = start + seconds, 0.0
    while True:
        now = time.monotonic()
        if now >= deadline:
            return {"error": f"no Router Advertisement on {iface} within {seconds:g} s"}
        if now >= next_send:
            sock.sendto(solicitation, (ALL_ROUTERS, 0, 0, index))
            next_send = now + 1.0
        ready, _, _ = select.select([sock], [], [], max(0.0, min(deadline, next_send) - now))
        if not ready:
            continue
        packet, ancillary, _, source = sock.recvmsg(65535, socket.CMSG_SPACE(4))
        hops = [struct.unpack("i", data[:4])[0] for level, kind, data in ancillary if kind == socket.IPV6_HOPLIMIT]
        # RFC 4861 6.1.2: an RA comes from a link-local address with hop limit 255 (nothing routed).
        if (hops and hops[0] != 255) or not source[0].lower().startswith("fe80:"):
            continue
        ra = parse_ra(packet)
        if ra is not None:
            ra["router"] = source[0].split("%")[0]
            ra["seconds"] = round(time.monotonic() - start, 2)
            return ra


def main(argv):
    iface = argv[1]
    seconds = float(argv[2]) if len(argv) > 2 else 4.0
    try:
        result = probe(iface, seconds)
    except OSError as exc:
        result = {"error": f"{iface}: {exc}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
