"""Send a Router Advertisement from this host: the rogue RA a first-hop-security check throws at a switch.

usage: python3 rogue_ra.py IFACE PREFIX LIFETIME   (LIFETIME 0 withdraws the router and the prefix)
Standard library only: it runs on the probe host, read from standard input.
"""

import socket
import struct
import sys
import time

iface, prefix, lifetime = sys.argv[1], sys.argv[2], int(sys.argv[3])
index = socket.if_nametoindex(iface)
sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)  # RFC 4861: hop limit 255
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
# ICMPv6 type 134, code 0, checksum (the kernel fills it), hop limit, flags, router lifetime, timers.
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, min(lifetime, 9000), 0, 0)
# Prefix information: on-link and autonomous, so a host that believed it would build an address. Valid
# and preferred lifetimes are the router's: whatever gets through expires with it.
pio = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, lifetime, lifetime, 0) + socket.inet_pton(socket.AF_INET6, prefix)
for _ in range(3):
    sock.sendto(ra + pio, ("ff02::1", 0, 0, index))
    time.sleep(0.2)
print(f"sent 3 RAs for {prefix}/64 on {iface}, lifetime {lifetime}")
