"""Send one UDP datagram from a given source port: with port 547 it is a DHCPv6 server's message.

usage: python3 udp_from.py SOURCE_PORT ADDRESS%IFACE PORT
"""

import socket
import sys

sport, target, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
address, _, iface = target.partition("%")
sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("::", sport))
# A DHCPv6 Advertise (message type 2) with a transaction id: enough to look like a server's reply.
sock.sendto(b"\x02\x00\x00\x01pilot-dhcpv6-shield-check", (address, port, 0, socket.if_nametoindex(iface)))
print(f"sent from port {sport} to {target} port {port}")
