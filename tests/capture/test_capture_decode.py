"""The decoder on cut and damaged frames: it says where it stopped, it never raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from console.models.capture.decode import decode
from console.models.capture.reader import read_all

DATA = Path(__file__).parent.parent / "data" / "captures"
FIRST = read_all(DATA / "vxlan_port_8472.pcap")[0][0].data  # 148 bytes, ICMP in VXLAN


def test_each_cut_says_where_it_stopped():
    assert decode(FIRST[:10]).error == "Ethernet header cut short (10 of 14 bytes)"
    assert decode(FIRST[:30]).error == "IPv4 header cut short (16 of 20 bytes)"
    assert decode(FIRST[:38]).error == "UDP header cut short"
    assert decode(FIRST[:46]).error == "VXLAN header cut short"
    cut = decode(FIRST[:64], wire_len=148)
    assert cut.vxlan.vni == 100 and cut.vxlan.inner.length == 98
    assert cut.error == "inner frame: IPv4 header cut short (0 of 20 bytes)"
    # a snap length keeps what the headers say: the wire length, and the lengths inside
    assert cut.length == 148 and cut.captured == 64 and cut.l3_length == 134


def test_vlan_tag_and_fragments():
    tagged = FIRST[:12] + b"\x81\x00\x20\x64" + FIRST[12:]
    frame = decode(tagged)
    assert frame.vlans == [100] and frame.vxlan.vni == 100 and frame.l3_length == 134
    later = bytearray(FIRST)
    later[20:22] = b"\x00\xb9"  # fragment offset 185*8, no DF: no UDP header in it
    frame = decode(bytes(later))
    assert frame.ipv4.is_fragment and frame.ipv4.frag_offset == 1480
    assert frame.udp is None and frame.vxlan is None and frame.error is None


def test_bad_ip_header_length_and_version():
    bad = bytearray(FIRST)
    bad[14] = 0x44
    assert decode(bytes(bad)).error == "IPv4 header length 16 is below 20"
    bad[14] = 0x65
    assert decode(bytes(bad)).error == "IPv4 ethertype but IP version 6"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 20))
def test_random_bytes_never_raise(noise, keep):
    frame = decode(FIRST[: keep * 7] + noise)
    assert frame.captured == len(FIRST[: keep * 7] + noise)
