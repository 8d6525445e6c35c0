"""Ethernet frames for the file's flows: what a VM puts on its vNIC.

`size` is the L3 length (console.models.traffic): the frame is size + ETHERNET_HEADER (14)
bytes. IP flows carry a valid IPv4 header (checksum, DF as asked) and a UDP datagram;
others a local experimental EtherType (0x88B5, IEEE 802 "local experimental")."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

from console.models.topology import TopologyIndex
from console.models.traffic import BROADCAST, TrafficFlow

ETH_P_IP = 0x0800
ETH_P_LOCAL_EXPERIMENTAL = 0x88B5
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"


def mac_bytes(mac: str) -> bytes:
    return bytes(int(part, 16) for part in mac.split(":"))


def ipv4_checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_header(src: IPv4Address, dst: IPv4Address, total_length: int, df: bool,
                ident: int = 0, proto: int = 17, ttl: int = 64) -> bytes:
    flags = 0x4000 if df else 0
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total_length, ident & 0xFFFF, flags, ttl,
                       proto, 0, src.packed, dst.packed)
    return head[:10] + struct.pack("!H", ipv4_checksum(head)) + head[12:]


def link_local(position: int) -> IPv4Address:
    """An address for a VIF without one: link-local, never routed anywhere."""
    return IPv4Address(f"169.254.{1 + (position >> 8) % 254}.{1 + position % 254}")


def destination_mac(flow: TrafficFlow, index: TopologyIndex) -> str:
    if flow.to == BROADCAST:
        return BROADCAST_MAC
    if flow.to_vif:
        ref = index.vifs.get(flow.to)
        return ref.nic.mac if ref is not None else BROADCAST_MAC
    return flow.to_mac or BROADCAST_MAC


def build_frame(flow: TrafficFlow, index: TopologyIndex) -> bytes | None:
    """The frame of one flow, or None when its source VIF does not exist."""
    src_ref = index.vifs.get(flow.source)
    if src_ref is None:
        return None
    dst_mac = destination_mac(flow, index)
    src_mac = flow.src_mac or src_ref.nic.mac
    if not flow.ip:
        eth = mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ETH_P_LOCAL_EXPERIMENTAL)
        return eth + bytes(flow.size)
    vifs = list(index.vifs)
    src_ip = src_ref.nic.ip or link_local(vifs.index(flow.source))
    if flow.to_vif and flow.to in index.vifs:
        dst_ip = index.vifs[flow.to].nic.ip or link_local(vifs.index(flow.to))
    elif dst_mac == BROADCAST_MAC:
        dst_ip = IPv4Address("255.255.255.255")
    elif int(dst_mac[:2], 16) & 1:  # multicast MAC: the group it maps to (RFC 1112)
        low = mac_bytes(dst_mac)[3:]
        dst_ip = IPv4Address(bytes([239, low[0] & 0x7F, low[1], low[2]]))
    else:
        dst_ip = IPv4Address("169.254.254.254")
    eth = mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ETH_P_IP)
    ip = ipv4_header(src_ip, dst_ip, flow.size, flow.df)
    udp_len = flow.size - 20
    udp = struct.pack("!HHHH", 40000, 40000, udp_len, 0)  # UDP checksum 0: none (IPv4)
    return eth + ip + udp + bytes(udp_len - 8)
