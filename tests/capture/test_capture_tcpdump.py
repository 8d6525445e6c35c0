"""The decoder against tcpdump: every .out in tests/data/captures, frame by frame.

Each capture comes from tcpdump's own test suite with the text tcpdump prints for it
(`tcpdump -e` for vxlan*, `tcpdump -v` for gso-*/bigtcp-*). The decode is rendered back
in tcpdump's words, for the fields the decoder knows, and compared line by line; only what
the decoder does not look at (TCP checksum, window and options) is cut from tcpdump's line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.models.capture.decode import ETH_ARP, ETH_IPV4, Frame, decode
from console.models.capture.reader import read_all

DATA = Path(__file__).parent.parent / "data" / "captures"
OUTS = sorted(DATA.glob("*.out"))
_ETHERTYPES = {ETH_IPV4: "IPv4", ETH_ARP: "ARP"}
_PROTOS = {1: "ICMP", 6: "TCP", 17: "UDP"}


def _stamp(number: int, ts: float) -> str:
    when = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{number:5d}  {when}.{round(ts * 1e6) % 1_000_000:06d}"


def _ip_v(frame: Frame) -> str:
    ip = frame.ipv4
    assert ip is not None
    flags = "DF" if ip.df else ("+" if ip.mf else "none")
    was = " [was 0, presumed BIG TCP]" if ip.length_was_zero else ""
    return (f"IP (tos 0x{ip.tos:x}, ttl {ip.ttl}, id {ip.ident}, offset {ip.frag_offset}, "
            f"flags [{flags}], proto {_PROTOS[ip.proto]} ({ip.proto}), "
            f"length {ip.total_length}{was})")


def _payload(frame: Frame) -> str:
    """What follows 'length N: ' in -e output, or the indented line in -v output."""
    ip = frame.ipv4
    if frame.arp is not None:
        a = frame.arp
        if a.op == 1:
            return f"Request who-has {a.target_ip} tell {a.sender_ip}, length 28"
        return f"Reply {a.sender_ip} is-at {a.sender_mac}, length 28"
    assert ip is not None
    if frame.vxlan is not None:
        u = frame.udp
        return (f"{ip.src}.{u.src_port} > {ip.dst}.{u.dst_port}: VXLAN, flags [I] "
                f"(0x{frame.vxlan.flags:02x}), vni {frame.vxlan.vni}")
    if frame.icmp is not None:
        kind = {8: "echo request", 0: "echo reply"}[frame.icmp.type]
        return (f"{ip.src} > {ip.dst}: ICMP {kind}, id {frame.icmp.ident}, "
                f"seq {frame.icmp.seq}, length {ip.total_length - ip.header_length}")
    t = frame.tcp
    assert t is not None
    return (f"{ip.src}.{t.src_port} > {ip.dst}.{t.dst_port}: Flags [P.], "
            f"seq {t.seq}:{t.seq + t.payload_length}, ack {t.ack}, length {t.payload_length}")


def _ether(frame: Frame) -> str:
    et = frame.ethertype
    return (f"{frame.src} > {frame.dst}, ethertype {_ETHERTYPES[et]} (0x{et:04x}), "
            f"length {frame.length}: {_payload(frame)}")


def render(path: Path, verbose: bool) -> list[str]:
    records, cap = read_all(path)
    assert cap.problems == []
    lines = []
    for rec in records:
        frame = decode(rec.data, rec.wire_len)
        assert frame.error is None and frame.vxlan is not None
        inner = frame.vxlan.inner
        if verbose:
            lines += [f"{_stamp(rec.number, rec.ts)} {_ip_v(frame)}", f"    {_payload(frame)}",
                      _ip_v(inner), f"    {_payload(inner)}"]
        else:
            lines += [f"{_stamp(rec.number, rec.ts)} {_ether(frame)}", _ether(inner)]
    return lines


def _tcpdump_lines(out: Path) -> list[str]:
    lines = out.read_text().splitlines()
    # The TCP fields the decoder does not read: checksum, window, options.
    return [re.sub(r", cksum 0x[0-9a-f]+ \(incorrect -> 0x[0-9a-f]+\)|, win \d+|"
                   r", options \[[^\]]*\]", "", line) for line in lines]


def test_every_capture_has_its_tcpdump_decode():
    assert {p.stem for p in OUTS} == {"vxlan", "vxlan_port_8472", "gso-ipv4-vxlan-ipv4",
                                      "bigtcp-ipv4-vxlan-ipv4"}
    assert all(p.with_suffix(".pcap").exists() for p in OUTS)


@pytest.mark.parametrize("out", OUTS, ids=lambda p: p.stem)
def test_decode_agrees_with_tcpdump_line_by_line(out: Path):
    verbose = not out.stem.startswith("vxlan")
    expected = _tcpdump_lines(out)
    got = render(out.with_suffix(".pcap"), verbose)
    assert len(got) == len(expected)
    for number, (mine, theirs) in enumerate(zip(got, expected), 1):
        assert mine == theirs, f"line {number}"


def test_vxlan_frames_in_numbers():
    records, _ = read_all(DATA / "vxlan_port_8472.pcap")
    frames = [decode(r.data, r.wire_len) for r in records]
    assert len(frames) == 10
    assert [f.length for f in frames] == [148, 92, 92, 148, 148, 148, 148, 148, 148, 148]
    assert {f.vxlan.vni for f in frames} == {100}
    assert all(f.vxlan.vni_valid for f in frames)
    inner = [f.vxlan.inner for f in frames]
    assert [i.ethertype for i in inner[:4]] == [ETH_IPV4, ETH_ARP, ETH_ARP, ETH_IPV4]
    assert inner[1].dst == "ff:ff:ff:ff:ff:ff" and inner[1].is_flood_dst
    assert all(f.ipv4.df for f in frames)
    # An inner frame of 98 bytes is 84 of IP: with the 50 of VXLAN, 134 on the transport.
    assert inner[0].l3_length == 84 and frames[0].l3_length == 134


def test_port_4789_is_vxlan_by_default_and_other_ports_only_when_asked():
    records, _ = read_all(DATA / "vxlan.pcap")
    assert decode(records[0].data).vxlan.vni == 100
    records, _ = read_all(DATA / "vxlan_port_8472.pcap")
    assert decode(records[0].data, vxlan_ports=frozenset({4789})).vxlan is None
    assert decode(records[0].data, vxlan_ports=frozenset({8472})).vxlan.vni == 100


def test_big_tcp_lengths_come_from_the_record():
    records, _ = read_all(DATA / "bigtcp-ipv4-vxlan-ipv4.pcap")
    frame = decode(records[0].data, records[0].wire_len)
    assert frame.length == 80116
    assert frame.ipv4.length_was_zero and frame.ipv4.total_length == 80102
    inner = frame.vxlan.inner
    assert inner.ipv4.length_was_zero and inner.ipv4.total_length == 80052
    assert inner.ipv4.df and inner.tcp.payload_length == 80000
