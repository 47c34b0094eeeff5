#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""UDP fault proxy for the SNMP tests: listens on 127.0.0.1:LISTEN, forwards
to 127.0.0.1:TARGET and back, and after N requests drops everything (a
device that stops answering in the middle of a walk). With MAXBYTES, it
also drops every response larger than that (a path that loses big
datagrams).

usage: udpfault.py LISTEN TARGET N [MAXBYTES]
"""
import select
import socket
import sys

listen, target, limit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
maxbytes = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 20
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", listen))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
client = None
seen = 0
while True:
    r, _, _ = select.select([front, back], [], [])
    if front in r:
        data, client = front.recvfrom(65535)
        seen += 1
        if seen <= limit:
            back.sendto(data, ("127.0.0.1", target))
    if back in r:
        data, _ = back.recvfrom(65535)
        if client and len(data) <= maxbytes:
            front.sendto(data, client)
