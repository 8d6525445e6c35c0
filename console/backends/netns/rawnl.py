"""Netlink dumps the counters need on every sample, parsed with struct.

pyroute2 turns each netlink message into a tree of Python objects: a bridge FDB dump took
~30 ms per VEM, so one counter sample of a 64-host lab took seconds. These dumps read only
the few attributes the counters use, from a raw NETLINK_ROUTE socket that was opened inside
the namespace (a socket stays in the namespace it was created in)."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from typing import NamedTuple

RTM_GETLINK, RTM_NEWLINK = 18, 16
RTM_GETNEIGH, RTM_NEWNEIGH = 30, 28
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
AF_BRIDGE = 7
IFLA_IFNAME = 3
NDA_DST, NDA_LLADDR, NDA_MASTER = 1, 2, 9


class FdbEntry(NamedTuple):
    ifindex: int
    state: int
    flags: int
    mac: str
    dst: str | None
    master: int | None


def open_socket() -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((0, 0))
    return sock


def _dump(sock: socket.socket, kind: int, body: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (type, payload) of every message of a dump."""
    header = struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    sock.send(header + body)
    while True:
        data = sock.recv(1 << 20)
        offset = 0
        while offset < len(data):
            length, mtype = struct.unpack_from("=IH", data, offset)
            if mtype == NLMSG_DONE:
                return
            if mtype == NLMSG_ERROR:
                error = struct.unpack_from("=i", data, offset + 16)[0]
                if error:
                    raise OSError(-error, os.strerror(-error))
                return
            yield mtype, data[offset + 16:offset + length]
            offset += (length + 3) & ~3


def _attrs(payload: bytes, start: int) -> Iterator[tuple[int, bytes]]:
    offset = start
    while offset + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, offset)
        if length < 4:
            return
        yield kind & 0x3FFF, payload[offset + 4:offset + length]
        offset += (length + 3) & ~3


def link_names(sock: socket.socket) -> dict[int, str]:
    out = {}
    for mtype, payload in _dump(sock, RTM_GETLINK, struct.pack("=BxHiII", 0, 0, 0, 0, 0)):
        if mtype != RTM_NEWLINK:
            continue
        index = struct.unpack_from("=i", payload, 4)[0]
        for kind, value in _attrs(payload, 16):
            if kind == IFLA_IFNAME:
                out[index] = value.rstrip(b"\0").decode()
    return out


def bridge_fdb(sock: socket.socket) -> list[FdbEntry]:
    out = []
    for mtype, payload in _dump(sock, RTM_GETNEIGH, struct.pack("=BxxxiHBB", AF_BRIDGE,
                                                                 0, 0, 0, 0)):
        if mtype != RTM_NEWNEIGH:
            continue
        _, ifindex, state, flags, _ = struct.unpack_from("=BxxxiHBB", payload, 0)
        mac, dst, master = "", None, None
        for kind, value in _attrs(payload, 12):
            if kind == NDA_LLADDR and len(value) == 6:
                mac = ":".join(f"{b:02x}" for b in value)
            elif kind == NDA_DST and len(value) == 4:
                dst = socket.inet_ntoa(value)
            elif kind == NDA_MASTER:
                master = struct.unpack("=I", value)[0]
        out.append(FdbEntry(ifindex, state, flags, mac, dst, master))
    return out


NLM_F_ACK, NLM_F_CREATE, NLM_F_APPEND = 0x4, 0x400, 0x800
NUD_PERMANENT, NTF_SELF = 0x80, 0x02


def fdb_append(sock: socket.socket, ifindex: int, mac: str, dsts: list[str]) -> None:
    """`bridge fdb append MAC dev IFINDEX dst D` for every D, sent as one batch and then
    acknowledged (head-end replication lists grow with the square of the VEM count)."""
    lladdr = bytes(int(x, 16) for x in mac.split(":"))
    batch = b""
    for seq, dst in enumerate(dsts, 1):
        body = struct.pack("=BxxxiHBB", AF_BRIDGE, ifindex, NUD_PERMANENT, NTF_SELF, 0)
        body += struct.pack("=HH", 10, NDA_LLADDR) + lladdr + b"\0\0"
        body += struct.pack("=HH", 8, NDA_DST) + socket.inet_aton(dst)
        flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND
        batch += struct.pack("=IHHII", 16 + len(body), RTM_NEWNEIGH, flags, seq, 0) + body
    if not batch:
        return
    sock.send(batch)
    pending = len(dsts)
    while pending:
        data = sock.recv(1 << 20)
        offset = 0
        while offset < len(data):
            length, mtype = struct.unpack_from("=IH", data, offset)
            if mtype == NLMSG_ERROR:
                pending -= 1
                error = struct.unpack_from("=i", data, offset + 16)[0]
                if error:
                    raise OSError(-error, f"fdb append on ifindex {ifindex}: "
                                          f"{os.strerror(-error)}")
            offset += (length + 3) & ~3
