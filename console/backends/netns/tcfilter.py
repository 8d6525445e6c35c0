"""A tc u32 filter that classifies frames by source MAC, sent as a raw netlink message.

pyroute2 packs u32 keys at offsets from the network header and cannot express the negative
offsets the Ethernet source address sits at (-8 and -4), and this kernel has neither the
flower classifier nor tc actions (no police, no gact): so MAC forging deny is a u32 filter
that sends the VIF's own MAC to a normal class and lets everything else fall into a class
whose queue holds nothing (a drop, counted in the qdisc statistics)."""

from __future__ import annotations

import os
import socket
import struct

RTM_NEWTFILTER = 44
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
TCA_KIND, TCA_OPTIONS = 1, 2
TCA_U32_CLASSID, TCA_U32_SEL = 1, 5
TC_U32_TERMINAL = 1
ETH_P_ALL = 0x0003
NLA_F_NESTED = 0x8000


def _attr(kind: int, payload: bytes) -> bytes:
    head = struct.pack("=HH", 4 + len(payload), kind)
    pad = (4 - len(payload) % 4) % 4
    return head + payload + b"\0" * pad


def u32_src_mac_message(ifindex: int, parent: int, classid: int, mac: str,
                        prio: int = 1, seq: int = 1) -> bytes:
    """RTM_NEWTFILTER: frames from `mac` go to `classid` (keys at network header -8, -4)."""
    raw = bytes(int(x, 16) for x in mac.split(":"))
    keys = [(0xFFFFFFFF, struct.unpack("!I", raw[:4])[0], -8),
            (0xFFFF0000, struct.unpack("!H", raw[4:])[0] << 16, -4)]
    sel = struct.pack("=BBBxHHhhI", TC_U32_TERMINAL, 0, len(keys), 0, 0, 0, 0, 0)
    for mask, value, offset in keys:
        sel += struct.pack("!II", mask, value) + struct.pack("=ii", offset, 0)
    options = _attr(TCA_U32_CLASSID, struct.pack("=I", classid)) + _attr(TCA_U32_SEL, sel)
    info = (prio << 16) | socket.htons(ETH_P_ALL)
    body = struct.pack("=BxxxiIII", socket.AF_UNSPEC, ifindex, 0, parent, info)
    body += _attr(TCA_KIND, b"u32\0") + _attr(TCA_OPTIONS | NLA_F_NESTED, options)
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    return struct.pack("=IHHII", 16 + len(body), RTM_NEWTFILTER, flags, seq, 0) + body


def add_src_mac_filter(ifindex: int, parent: int, classid: int, mac: str) -> None:
    """Install the filter in the calling thread's network namespace (run it via run_in)."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.bind((0, 0))
        sock.send(u32_src_mac_message(ifindex, parent, classid, mac))
        reply = sock.recv(65536)
    kind = struct.unpack_from("=H", reply, 4)[0]
    if kind == NLMSG_ERROR:
        error = struct.unpack_from("=i", reply, 16)[0]
        if error:
            raise OSError(-error, f"tc u32 filter on ifindex {ifindex}: "
                                  f"{os.strerror(-error)}")
