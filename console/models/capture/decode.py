"""Decoding captured Ethernet frames: 802.1Q tags, IPv4, ARP, UDP, TCP, ICMP and VXLAN.

Pure Python and deliberately small: only what the fabric needs to know about a frame
(who sent it, to whom, in which segment, how long it is against an MTU). A frame that ends
before a header does is decoded as far as it goes and says where it stopped
(`Frame.error`); nothing here raises on bad bytes.

Lengths follow tcpdump: `Frame.length` is the frame's length on the wire (the pcap
record's original length), an inner frame's length is what its UDP datagram carries.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_VLAN_TAGS = (0x8100, 0x88A8, 0x9100)  # 802.1Q, 802.1ad, the old QinQ tag
IP_TCP = 6
IP_UDP = 17
IP_ICMP = 1
VXLAN_PORT_IANA = 4789
VXLAN_PORT_LINUX = 8472  # Linux's default, and Nexus 1000V's
DEFAULT_VXLAN_PORTS = frozenset({VXLAN_PORT_IANA, VXLAN_PORT_LINUX})
VXLAN_FLAG_I = 0x08  # the VNI is valid
VXLAN_HEADER = 8
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
_MAX_NESTING = 3  # VXLAN in VXLAN in VXLAN: deeper is a crafted frame, not traffic


def mac_text(raw: bytes | memoryview) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def ip_text(raw: bytes | memoryview) -> str:
    return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"


def is_group_mac(mac: str) -> bool:
    """Broadcast or multicast: the I/G bit of the first octet."""
    return int(mac[:2], 16) & 1 == 1


@dataclass(slots=True)
class Ipv4:
    src: str
    dst: str
    proto: int
    total_length: int  # as tcpdump prints it: BIG TCP's 0 replaced by the real length
    header_length: int
    ident: int
    ttl: int
    tos: int
    df: bool
    mf: bool
    frag_offset: int  # bytes
    length_was_zero: bool = False  # BIG TCP: IPv4 total length 0, the record says the size

    @property
    def is_fragment(self) -> bool:
        return self.mf or self.frag_offset > 0

    @property
    def is_multicast(self) -> bool:
        return 224 <= int(self.dst.split(".", 1)[0]) <= 239


@dataclass(slots=True)
class Arp:
    op: int  # 1 request, 2 reply
    sender_mac: str
    sender_ip: str
    target_mac: str
    target_ip: str


@dataclass(slots=True)
class Udp:
    src_port: int
    dst_port: int
    length: int


@dataclass(slots=True)
class Tcp:
    src_port: int
    dst_port: int
    seq: int
    ack: int
    flags: int
    payload_length: int


@dataclass(slots=True)
class Icmp:
    type: int
    code: int
    ident: int | None = None  # echo request/reply only
    seq: int | None = None


@dataclass(slots=True)
class Vxlan:
    flags: int
    vni: int
    inner: Frame
    offset: int  # where the inner frame starts in the outer frame's bytes

    @property
    def vni_valid(self) -> bool:
        return bool(self.flags & VXLAN_FLAG_I)


@dataclass(slots=True)
class Frame:
    """One Ethernet frame, decoded as far as its bytes go."""

    length: int  # on the wire
    captured: int  # bytes present in the capture
    dst: str = ""
    src: str = ""
    vlans: list[int] = field(default_factory=list)
    ethertype: int | None = None  # None: an 802.3 length field, or the frame ended first
    ipv4: Ipv4 | None = None
    arp: Arp | None = None
    udp: Udp | None = None
    tcp: Tcp | None = None
    icmp: Icmp | None = None
    vxlan: Vxlan | None = None
    error: str | None = None  # where decoding stopped, when the bytes ran out or were bad

    @property
    def l3_length(self) -> int:
        """What an MTU limits: the IP total length, or the frame less its Ethernet header."""
        if self.ipv4 is not None:
            return self.ipv4.total_length
        return max(0, self.length - 14 - 4 * len(self.vlans))

    @property
    def is_flood_dst(self) -> bool:
        return bool(self.dst) and is_group_mac(self.dst)

    def innermost(self) -> Frame:
        frame = self
        while frame.vxlan is not None:
            frame = frame.vxlan.inner
        return frame


def decode(data: bytes, wire_len: int | None = None,
           vxlan_ports: frozenset[int] = DEFAULT_VXLAN_PORTS) -> Frame:
    """Decode an Ethernet frame; `wire_len` is its length on the wire (default: the bytes)."""
    return _decode(memoryview(data), len(data) if wire_len is None else wire_len,
                   vxlan_ports, 0)


def _decode(buf: memoryview, wire_len: int, ports: frozenset[int], depth: int,
            base: int = 0) -> Frame:
    n = len(buf)
    frame = Frame(length=wire_len, captured=n)
    if n < 14:
        frame.error = f"Ethernet header cut short ({n} of 14 bytes)"
        return frame
    frame.dst = mac_text(buf[0:6])
    frame.src = mac_text(buf[6:12])
    off = 12
    etype = (buf[off] << 8) | buf[off + 1]
    off += 2
    while etype in ETH_VLAN_TAGS:
        if n < off + 4:
            frame.error = "802.1Q tag cut short"
            return frame
        frame.vlans.append(((buf[off] << 8) | buf[off + 1]) & 0x0FFF)
        etype = (buf[off + 2] << 8) | buf[off + 3]
        off += 4
    if etype < 0x0600:  # an 802.3 length, LLC follows: nothing the fabric looks into
        return frame
    frame.ethertype = etype
    if etype == ETH_IPV4:
        _ipv4(frame, buf, off, ports, depth, base)
    elif etype == ETH_ARP:
        _arp(frame, buf, off)
    return frame


def _ipv4(frame: Frame, buf: memoryview, off: int, ports: frozenset[int], depth: int,
          base: int) -> None:
    n = len(buf)
    if n < off + 20:
        frame.error = f"IPv4 header cut short ({n - off} of 20 bytes)"
        return
    vihl = buf[off]
    if vihl >> 4 != 4:
        frame.error = f"IPv4 ethertype but IP version {vihl >> 4}"
        return
    ihl = (vihl & 0x0F) * 4
    if ihl < 20:
        frame.error = f"IPv4 header length {ihl} is below 20"
        return
    if n < off + ihl:
        frame.error = "IPv4 options cut short"
        return
    tos = buf[off + 1]
    total, ident, frag = struct.unpack_from(">HHH", buf, off + 2)
    ttl, proto = buf[off + 8], buf[off + 9]
    length_was_zero = False
    if total == 0:
        # BIG TCP (and GSO past 64 KB): Linux leaves the total length 0 and the size is
        # the rest of the frame, as tcpdump "presumes" (its "[was 0, presumed BIG TCP]").
        on_wire = frame.length - off
        total = on_wire
        length_was_zero = True
    frame.ipv4 = ip = Ipv4(
        src=ip_text(buf[off + 12:off + 16]), dst=ip_text(buf[off + 16:off + 20]),
        proto=proto, total_length=total, header_length=ihl, ident=ident, ttl=ttl, tos=tos,
        df=bool(frag & 0x4000), mf=bool(frag & 0x2000), frag_offset=(frag & 0x1FFF) * 8,
        length_was_zero=length_was_zero,
    )
    if total < ihl:
        frame.error = f"IPv4 total length {total} is below its header length {ihl}"
        return
    if ip.frag_offset:  # a later fragment: no transport header in it
        return
    l4 = off + ihl
    l4_len = total - ihl
    if proto == IP_UDP:
        _udp(frame, buf, l4, l4_len, ports, depth, base)
    elif proto == IP_TCP:
        if n < l4 + 20:
            frame.error = "TCP header cut short"
            return
        sport, dport, seq, ack, doff_flags = struct.unpack_from(">HHIIH", buf, l4)
        doff = (doff_flags >> 12) * 4
        frame.tcp = Tcp(sport, dport, seq, ack, doff_flags & 0x1FF, max(0, l4_len - doff))
    elif proto == IP_ICMP:
        if n < l4 + 4:
            frame.error = "ICMP header cut short"
            return
        icmp = Icmp(buf[l4], buf[l4 + 1])
        if icmp.type in (0, 8) and n >= l4 + 8:
            icmp.ident, icmp.seq = struct.unpack_from(">HH", buf, l4 + 4)
        frame.icmp = icmp


def _udp(frame: Frame, buf: memoryview, off: int, ip_payload: int, ports: frozenset[int],
         depth: int, base: int) -> None:
    n = len(buf)
    if n < off + 8:
        frame.error = "UDP header cut short"
        return
    sport, dport, length = struct.unpack_from(">HHH", buf, off)
    if frame.ipv4 is not None and frame.ipv4.length_was_zero:
        length = ip_payload  # the 16-bit UDP length cannot hold a BIG TCP datagram either
    frame.udp = Udp(sport, dport, length)
    if dport not in ports or depth >= _MAX_NESTING:
        return
    vx = off + 8
    if n < vx + VXLAN_HEADER:
        frame.error = "VXLAN header cut short"
        return
    flags = buf[vx]
    vni = (buf[vx + 4] << 16) | (buf[vx + 5] << 8) | buf[vx + 6]
    # The inner frame's wire length is what the datagram carries (as tcpdump prints it);
    # the bytes present may be fewer when the capture used a snap length.
    inner_len = max(0, min(length, ip_payload) - 8 - VXLAN_HEADER)
    at = vx + VXLAN_HEADER
    inner = _decode(buf[at:], inner_len, ports, depth + 1, base + at)
    frame.vxlan = Vxlan(flags, vni, inner, base + at)
    if inner.error and frame.error is None:
        frame.error = f"inner frame: {inner.error}"


def _arp(frame: Frame, buf: memoryview, off: int) -> None:
    if len(buf) < off + 28:
        frame.error = "ARP packet cut short"
        return
    htype, ptype, hlen, plen, op = struct.unpack_from(">HHBBH", buf, off)
    if htype != 1 or ptype != ETH_IPV4 or hlen != 6 or plen != 4:
        return  # ARP for something other than IPv4 over Ethernet: not the fabric's business
    a = off + 8
    frame.arp = Arp(op, mac_text(buf[a:a + 6]), ip_text(buf[a + 6:a + 10]),
                    mac_text(buf[a + 10:a + 16]), ip_text(buf[a + 16:a + 20]))
