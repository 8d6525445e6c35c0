"""The capture reader: pcap, nanosecond pcap and pcapng, and damaged files.

The pcapng and nanosecond files are written here by dpkt's own writers from the records of
a real capture, so both sides of the comparison are the same frames.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from dpkt import pcap as dpkt_pcap
from dpkt import pcapng as dpkt_pcapng

from console.models.capture.reader import CaptureError, open_capture, read_all

DATA = Path(__file__).parent.parent / "data" / "captures"
VXLAN = DATA / "vxlan_port_8472.pcap"


@pytest.fixture
def original():
    records, cap = read_all(VXLAN)
    assert cap.format == "pcap" and cap.problems == [] and len(records) == 10
    return records


def test_classic_pcap_records(original):
    assert [r.number for r in original] == list(range(1, 11))
    assert original[0].ts == pytest.approx(1368908504.837063, abs=1e-7)
    assert [len(r.data) for r in original[:3]] == [148, 92, 92]
    assert all(r.linktype == 1 and r.wire_len == len(r.data) for r in original)


def test_pcapng_reads_the_same_frames(tmp_path, original):
    path = tmp_path / "v.pcapng"
    with open(path, "wb") as fh:
        writer = dpkt_pcapng.Writer(fh)
        for r in original:
            writer.writepkt(r.data, ts=r.ts)
    records, cap = read_all(path)
    assert cap.format == "pcapng" and cap.problems == []
    assert [r.data for r in records] == [r.data for r in original]
    assert [r.number for r in records] == list(range(1, 11))
    assert records[4].ts == pytest.approx(original[4].ts, abs=1e-6)


def test_nanosecond_pcap(tmp_path, original):
    path = tmp_path / "ns.pcap"
    with open(path, "wb") as fh:
        writer = dpkt_pcap.Writer(fh, nano=True)
        for r in original:
            writer.writepkt(r.data, ts=r.ts)
    records, cap = read_all(path)
    assert cap.format == "pcap-ns" and cap.problems == []
    assert records[9].ts == pytest.approx(original[9].ts, abs=1e-6)
    assert [r.data for r in records] == [r.data for r in original]


def test_big_endian_pcap(tmp_path, original):
    path = tmp_path / "be.pcap"
    body = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for r in original[:2]:
        sec = int(r.ts)
        body += struct.pack(">IIII", sec, round((r.ts - sec) * 1e6), len(r.data), len(r.data))
        body += r.data
    path.write_bytes(body)
    records, cap = read_all(path)
    assert cap.problems == [] and [r.data for r in records] == [r.data for r in original[:2]]


def test_snap_length_keeps_the_wire_length(tmp_path, original):
    path = tmp_path / "snap.pcap"
    raw = VXLAN.read_bytes()
    # Record 1 cut to 64 captured bytes, its wire length kept at 148, the rest unchanged.
    first = raw[24:40]
    sec, usec, caplen, wire = struct.unpack("<IIII", first)
    assert (caplen, wire) == (148, 148)
    path.write_bytes(raw[:24] + struct.pack("<IIII", sec, usec, 64, 148) + raw[40:40 + 64]
                     + raw[40 + 148:])
    records, cap = read_all(path)
    assert cap.problems == [] and len(records) == 10
    assert (len(records[0].data), records[0].wire_len) == (64, 148)


def test_truncated_last_record_is_reported_with_its_number(tmp_path):
    path = tmp_path / "cut.pcap"
    path.write_bytes(VXLAN.read_bytes()[:-10])
    records, cap = read_all(path)
    assert len(records) == 9 and cap.records_read == 9
    assert [str(p) for p in cap.problems] == [
        "record 10: truncated: the header says 148 bytes, the file has 138 left"]


def test_cut_record_header(tmp_path):
    raw = VXLAN.read_bytes()
    path = tmp_path / "cut.pcap"
    path.write_bytes(raw + raw[24:30])
    records, cap = read_all(path)
    assert len(records) == 10
    assert [str(p) for p in cap.problems] == [
        "record 11: record header cut short: 6 of 16 bytes at the end of the file"]


def test_absurd_length_stops_and_says_what_is_left(tmp_path):
    raw = bytearray(VXLAN.read_bytes())
    # record 3 starts after the file header and records 1 (16+148) and 2 (16+92)
    at = 24 + 16 + 148 + 16 + 92
    struct.pack_into("<I", raw, at + 8, 0x7FFFFFFF)
    path = tmp_path / "bad.pcap"
    path.write_bytes(bytes(raw))
    records, cap = read_all(path)
    assert len(records) == 2
    assert len(cap.problems) == 1 and cap.problems[0].record == 3
    assert "not plausible" in cap.problems[0].message
    assert f"{len(raw) - at - 16} bytes after it left unread" in cap.problems[0].message


def test_pcapng_truncated_block(tmp_path, original):
    path = tmp_path / "cut.pcapng"
    with open(path, "wb") as fh:
        writer = dpkt_pcapng.Writer(fh)
        for r in original:
            writer.writepkt(r.data, ts=r.ts)
    path.write_bytes(path.read_bytes()[:-20])
    records, cap = read_all(path)
    assert len(records) == 9
    assert len(cap.problems) == 1 and cap.problems[0].record == 10
    assert "truncated packet" in cap.problems[0].message


@pytest.mark.parametrize("content, message", [
    (b"", "empty or shorter than a capture file header"),
    (b"format: fabric-console/1\n", "not a pcap or pcapng file (starts with 0x666f726d)"),
])
def test_not_a_capture(tmp_path, content, message):
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureError) as err:
        open_capture(path)
    assert err.value.message == message and str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(CaptureError, match="cannot open: No such file"):
        open_capture(tmp_path / "nope.pcap")


def test_header_only(tmp_path):
    path = tmp_path / "h.pcap"
    path.write_bytes(VXLAN.read_bytes()[:10])
    records, cap = read_all(path)
    assert records == [] and [str(p) for p in cap.problems] == [
        "file header cut short (10 of 24 bytes)"]
