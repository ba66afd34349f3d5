"""A fresh DHCP exchange from a client port, without touching the client's own DHCP state.

usage: python3 dhcp_probe.py 4|6|6i IFACE [SECONDS] [--option108]

DHCPv4: a DHCPDISCOVER (broadcast flag set) from a random locally administered MAC address and client
identifier; prints the DHCPOFFER. DHCPv6: a Solicit with a random DUID and an IA_NA from the
interface's link-local address; prints the Advertise (6i: an Information-Request, for segments where
DHCPv6 is stateless; prints the Reply). All are offers, never commitments: the server
stores no lease, and the host's own DHCP client (which ignores these transaction ids) is untouched.
Packets go out and come back through a packet socket: nothing binds the DHCP client ports.
Prints one JSON object: the offer, or {"error": ...} when no server answered within SECONDS (default 3).
Standard library only: it runs on the probe host, read from standard input.
"""

import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_of(iface):
    with open(f"/sys/class/net/{iface}/address") as fh:
        return bytes.fromhex(fh.read().strip().replace(":", ""))


def link_local(iface):
    with open("/proc/net/if_inet6") as fh:
        for line in fh:
            address, _, _, scope, _, name = line.split()
            if name == iface and scope == "20":
                return bytes.fromhex(address)
    raise SystemExit(json.dumps({"error": f"{iface} has no link-local address"}))


def options4(data):
    out, i = {}, 0
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        code, length = data[i], data[i + 1]
        out[code] = data[i + 2 : i + 2 + length]
        i += 2 + length
    return out


def probe4(iface, seconds, want108):
    mac = bytes([0x02]) + os.urandom(5)
    xid = os.urandom(4)
    prl = [1, 3, 6, 15, 51, 54] + ([108] if want108 else [])
    opts = bytes([53, 1, 1, 61, 7, 1]) + mac + bytes([55, len(prl), *prl, 255])
    bootp = (
        struct.pack(
            "!BBBB4sHH4s4s4s4s16s64s128s4s",
            1,
            1,
            6,
            0,
            xid,
            0,
            0x8000,
            b"\0" * 4,
            b"\0" * 4,
            b"\0" * 4,
            b"\0" * 4,
            mac + b"\0" * 10,
            b"",
            b"",
            b"\x63\x82\x53\x63",
        )
        + opts
    )
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\0" * 4, b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    frame = b"\xff" * 6 + mac + struct.pack("!H", ETH_P_IP) + ip + udp
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sock.bind((iface, ETH_P_IP))

    def answer(packet):
        ihl = (packet[14] & 0x0F) * 4
        udp_at = 14 + ihl
        if packet[23] != 17 or struct.unpack("!H", packet[udp_at + 2 : udp_at + 4])[0] != 68:
            return None
        msg = packet[udp_at + 8 :]
        if len(msg) < 240 or msg[0] != 2 or msg[4:8] != xid:
            return None
        opts = options4(msg[240:])
        if opts.get(53) != b"\x02":
            return None
        dns = opts.get(6, b"")
        return {
            "yiaddr": socket.inet_ntoa(msg[16:20]),
            "server": socket.inet_ntoa(opts[54]) if 54 in opts else None,
            "router": socket.inet_ntoa(opts[3][:4]) if 3 in opts else None,
            "dns": [socket.inet_ntoa(dns[i : i + 4]) for i in range(0, len(dns) - 3, 4)],
            "v6only_wait": struct.unpack("!I", opts[108])[0] if len(opts.get(108, b"")) == 4 else None,
        }

    return exchange(sock, frame, answer, seconds, "DHCPv4 offer")


def options6(data):
    out, i = [], 0
    while i + 4 <= len(data):
        code, length = struct.unpack("!HH", data[i : i + 4])
        out.append((code, data[i + 4 : i + 4 + length]))
        i += 4 + length
    return out


def probe6(iface, seconds, stateful=True):
    mac = mac_of(iface)
    source = link_local(iface)
    xid = os.urandom(3)
    duid = struct.pack("!HH", 3, 1) + bytes([0x02]) + os.urandom(5)  # DUID-LL of a made-up address
    ia_na = struct.pack("!HHIII", 3, 12, 0x70696C74, 0, 0)  # IAID "pilt", T1 and T2 left to the server
    message = (
        bytes([1 if stateful else 11])  # Solicit, or Information-Request
        + xid
        + struct.pack("!HH", 1, len(duid))
        + duid
        + struct.pack("!HHH", 8, 2, 0)
        + struct.pack("!HHHH", 6, 4, 23, 24)
        + (ia_na if stateful else b"")
    )
    destination = socket.inet_pton(socket.AF_INET6, "ff02::1:2")
    length = 8 + len(message)
    pseudo = source + destination + struct.pack("!I3xB", length, 17)
    header = struct.pack("!HHHH", 546, 547, length, 0)
    udp = struct.pack("!HHHH", 546, 547, length, checksum(pseudo + header + message) or 0xFFFF) + message
    ip = struct.pack("!IHBB", 0x60000000, length, 17, 1) + source + destination
    frame = b"\x33\x33\x00\x01\x00\x02" + mac + struct.pack("!H", ETH_P_IPV6) + ip + udp
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
    sock.bind((iface, ETH_P_IPV6))

    def answer(packet):
        if packet[20] != 17 or struct.unpack("!H", packet[56:58])[0] != 546:
            return None
        msg = packet[62:]
        if len(msg) < 4 or msg[0] != (2 if stateful else 7) or msg[1:4] != xid:
            return None
        offer = {"addresses": [], "dns": [], "domains": [], "status": None}
        for code, value in options6(msg[4:]):
            if code == 23:
                offer["dns"] = [socket.inet_ntop(socket.AF_INET6, value[i : i + 16]) for i in range(0, len(value), 16)]
            elif code == 24:
                offer["domains"] = [labels(value)]
            elif code == 13:
                offer["status"] = value[2:].decode(errors="replace") or str(struct.unpack("!H", value[:2])[0])
            elif code == 3:
                for inner, data in options6(value[12:]):
                    if inner == 5:
                        offer["addresses"].append(socket.inet_ntop(socket.AF_INET6, data[:16]))
                    elif inner == 13:
                        offer["status"] = data[2:].decode(errors="replace")
        return offer

    return exchange(sock, frame, answer, seconds, "DHCPv6 advertise" if stateful else "DHCPv6 reply")


def labels(data):
    out, i = [], 0
    while i < len(data) and data[i]:
        out.append(data[i + 1 : i + 1 + data[i]].decode(errors="replace"))
        i += 1 + data[i]
    return ".".join(out)


def exchange(sock, frame, answer, seconds, what):
    """Send the frame, again every second, until an answer matches or the time is up."""
    start = time.monotonic()
    deadline, next_send = start + seconds, 0.0
    while True:
        now = time.monotonic()
        if now >= deadline:
            return {"error": f"no {what} within {seconds:g} s"}
        if now >= next_send:
            sock.send(frame)
            next_send = now + 1.0
        ready, _, _ = select.select([sock], [], [], max(0.0, min(deadline, next_send) - now))
        if ready:
            found = answer(sock.recv(65535))
            if found is not None:
                found["seconds"] = round(time.monotonic() - start, 2)
                return found


def main(argv):
    family, iface = argv[1], argv[2]
    seconds = float(argv[3]) if len(argv) > 3 and not argv[3].startswith("-") else 3.0
    if family == "4":
        result = probe4(iface, seconds, "--option108" in argv)
    else:
        result = probe6(iface, seconds, stateful=family == "6")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
