"""The compiled pcap walk (console.engine._pcapwalk) against the Python decoder it follows:
the same frames into the fabric, the same counters, the same problems, on the real
captures and on damaged and edited copies of them."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from dpkt import pcap as dpkt_pcap
from dpkt import pcapng as dpkt_pcapng

from console.engine.facade import Fabric
from console.engine.replay import replay, replay_pcap
from console.models.capture.analysis import sent_frames, summarize_file
from console.models.capture.decode import DEFAULT_VXLAN_PORTS
from console.models.capture.reader import read_all
from console.models.capture.topology import to_topology

pytest.importorskip("console.engine._pcapwalk")

DATA = Path(__file__).parent.parent / "data" / "captures"
V8472 = DATA / "vxlan_port_8472.pcap"


def _write(path: Path, frames, nano: bool = False) -> Path:
    with open(path, "wb") as fh:
        writer = dpkt_pcap.Writer(fh, nano=nano)
        for ts, data in frames:
            writer.writepkt(data, ts=ts)
    return path


def _frames():
    return [(r.ts, r.data) for r in read_all(V8472)[0]]


def _outer_dst(data: bytes, ip: str) -> bytes:
    raw = bytearray(data)
    raw[30:34] = bytes(int(x) for x in ip.split("."))
    return bytes(raw)


def _edited(tmp_path: Path) -> dict[str, Path]:
    f = _frames()
    raw = V8472.read_bytes()
    cases = {
        "truncated": raw[:-10],
        "header-cut": raw + raw[24:30],
    }
    out = {name: tmp_path / f"{name}.pcap" for name in cases}
    for name, data in cases.items():
        out[name].write_bytes(data)
    cut = list(f)
    cut[3] = (cut[3][0], cut[3][1][:40])  # UDP header cut
    cut[5] = (cut[5][0], cut[5][1][:60])  # inner frame cut inside its IPv4 header
    out["cut-frames"] = _write(tmp_path / "cut.pcap", cut)
    her = list(f)
    her.insert(2, (f[1][0] + 0.000004, _outer_dst(f[1][1], "192.168.202.9")))
    her.insert(1, (f[0][0] + 0.000004, _outer_dst(f[0][1], "192.168.202.7")))
    out["head-end"] = _write(tmp_path / "her.pcap", her)
    burst = [(f[1][0] + i * 0.000005, d) for i, d in enumerate(
        [f[1][1], _outer_dst(f[1][1], "192.168.202.9")] * 3)]
    out["burst"] = _write(tmp_path / "burst.pcap", f[:1] + burst + f[2:])
    out["multicast"] = _write(tmp_path / "mc.pcap", [
        (ts, _outer_dst(d, "239.1.1.1") if i == 1 else d) for i, (ts, d) in enumerate(f)])
    out["vnic"] = _write(tmp_path / "vnic.pcap", [(ts, d[50:]) for ts, d in f])
    out["tagged"] = _write(tmp_path / "tag.pcap", [
        (ts, d[:12] + b"\x81\x00\x00\x64" + d[12:]) for ts, d in f])
    out["nano"] = _write(tmp_path / "nano.pcap", f, nano=True)
    be = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for ts, d in f:
        be += struct.pack(">IIII", int(ts), round((ts - int(ts)) * 1e6), len(d), len(d)) + d
    out["big-endian"] = tmp_path / "be.pcap"
    out["big-endian"].write_bytes(be)
    snap = bytearray(raw[:24])
    for ts, d in f:  # every record cut to 70 bytes: the wire lengths stay
        sec, usec = int(ts), round((ts - int(ts)) * 1e6)
        snap += struct.pack("<IIII", sec, usec, min(70, len(d)), len(d)) + d[:70]
    out["snap"] = tmp_path / "snap.pcap"
    out["snap"].write_bytes(bytes(snap))
    return out


def _both(cap: Path, topo_cap: Path, plane: str, at: str | None = None):
    runs = []
    for fast in (True, False):
        topo = to_topology(summarize_file(topo_cap)).topology
        topo.traffic = []
        fabric = Fabric(topo, plane=plane)
        if fast:
            placement, problems = replay_pcap(fabric, cap, DEFAULT_VXLAN_PORTS, 1500, at)
        else:
            summary, sent = sent_frames(cap)
            placement, problems = replay(fabric, sent, at), summary.problems
        fabric.run_until(placement.duration_s)
        runs.append((placement, [str(p) for p in problems],
                     json.dumps(fabric.sample().to_json(), sort_keys=True)))
    return runs


@pytest.mark.parametrize("name", ["vxlan", "vxlan_port_8472", "gso-ipv4-vxlan-ipv4",
                                  "bigtcp-ipv4-vxlan-ipv4"])
def test_real_captures(name):
    cap = DATA / f"{name}.pcap"
    fast, python = _both(cap, cap, "compiled")
    assert fast == python
    assert fast[0].frames > 0 and fast[0].entered == fast[0].frames


def test_edited_captures(tmp_path):
    seen_problems = set()
    for name, cap in _edited(tmp_path).items():
        fast, python = _both(cap, V8472, "compiled")
        assert fast == python, name
        seen_problems.update(fast[1])
    # the damage is reported, the same way on both paths
    assert {p.split(":")[0] for p in seen_problems} >= {"record 10", "record 11", "record 4",
                                                        "record 6", "record 1"}


def test_at_and_unplaced(tmp_path):
    vnic = _edited(tmp_path)["vnic"]
    fast, python = _both(vnic, V8472, "reference", at="vm-00163e37f604/eth0")
    assert fast == python
    other = tmp_path / "other.pcap"
    _write(other, [(ts, d[50:56] + b"\x02\x00\x00\x00\x00\x01" + d[62:])
                   for ts, d in _frames()])  # the VMs' frames from a MAC of no vNIC
    fast, python = _both(other, V8472, "reference")
    assert fast == python and fast[0].unplaced == {"02:00:00:00:00:01": 10}


def test_pcapng_is_left_to_the_python_path(tmp_path):
    path = tmp_path / "x.pcapng"
    with open(path, "wb") as fh:
        writer = dpkt_pcapng.Writer(fh)
        for ts, d in _frames():
            writer.writepkt(d, ts=ts)
    topo = to_topology(summarize_file(V8472)).topology
    assert replay_pcap(Fabric(topo, plane="reference"), path, DEFAULT_VXLAN_PORTS,
                       1500) is None
