#!/usr/bin/env python3
# Sends UDP datagrams whose source port is 0, which no socket API lets a program choose: a raw
# socket (IPPROTO_UDP) where we write the UDP header ourselves and the kernel adds the IP header.
# Needs CAP_NET_RAW (root). Used by the tests and the fuzzer (test/fuzz/net-scenarios.mjs) to
# check that such a datagram cannot stop sinkd. Loopback only: the destination must be loopback.
#
#   udp-port0.py probe                       exit 0 when a raw socket can be opened, else 77
#   udp-port0.py send SRC DST PORT < HEX     one datagram per line of hex on stdin
import socket
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def datagram(family: int, src: str, dst: str, port: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    header = struct.pack('!HHHH', 0, port, length, 0)
    if family == socket.AF_INET:
        pseudo = socket.inet_pton(family, src) + socket.inet_pton(family, dst) + struct.pack('!BBH', 0, 17, length)
    else:
        pseudo = socket.inet_pton(family, src) + socket.inet_pton(family, dst) + struct.pack('!IxxxB', length, 17)
    # The checksum is optional over IPv4 but required over IPv6; 0 is sent as 0xffff (RFC 768).
    total = checksum(pseudo + header + payload) or 0xFFFF
    return struct.pack('!HHHH', 0, port, length, total) + payload


def main() -> int:
    if len(sys.argv) >= 2 and sys.argv[1] == 'probe':
        try:
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP).close()
        except OSError as err:
            print(f'cannot open a raw socket: {err}', file=sys.stderr)
            return 77
        return 0
    if len(sys.argv) != 5 or sys.argv[1] != 'send':
        print(__doc__ or 'usage: udp-port0.py probe | send SRC DST PORT < hex lines', file=sys.stderr)
        return 2
    src, dst, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    family = socket.AF_INET6 if ':' in dst else socket.AF_INET
    if not (dst.startswith('127.') or dst == '::1'):
        print('loopback destinations only', file=sys.stderr)
        return 2
    s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.bind((src, 0))
    sent = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            s.sendto(datagram(family, src, dst, port, bytes.fromhex(line)), (dst, 0))
            sent += 1
        except OSError:
            pass  # too big for one datagram: not the point of this tool
    print(sent)
    return 0


if __name__ == '__main__':
    sys.exit(main())
