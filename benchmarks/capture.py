"""Replay frames per second from a classic pcap file, parsing included, against reading the
same file with dpkt alone.

    python3 benchmarks/capture.py [--frames N] [--python-frames N] [--keep FILE]

The capture is generated: a VEM uplink view of 64 VMs on 8 VEMs (one VTEP each, /24),
one unicast-only bridge domain (VNI 5000), every inner frame 64 bytes on the wire (50 of
IPv4, DF set, so 114 bytes encapsulated, 130 with the pcap record header), each VM talking
to a VM on another VEM and answered, 1 microsecond apart. The topology is the one
`capture to-topology` derives from it.

Figures (CPU seconds of this process, one core; the engine is single-threaded):
- dpkt alone: `for ts, buf in dpkt.pcap.Reader(f)`, no decoding (the library's floor);
- compiled walk: console.engine._pcapwalk over the mapped file, columns only;
- replay, compiled: simulate --replay's path: walk + Fabric.inject on the compiled plane
  (every frame: ingress, learning, lookups, encapsulation, decapsulation, delivery; the
  flow cache does not apply to replayed frames);
- replay, Python decoder: the general path (pcapng, other link types) on --python-frames.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.engine.facade import Fabric  # noqa: E402
from console.engine.replay import replay, replay_pcap  # noqa: E402
from console.models.capture.analysis import sent_frames, summarize_file  # noqa: E402
from console.models.capture.decode import DEFAULT_VXLAN_PORTS  # noqa: E402
from console.models.capture.topology import to_topology  # noqa: E402

VMS, VEMS = 64, 8
INNER = 64  # bytes of each inner Ethernet frame
FRAME = 14 + 20 + 8 + 8 + INNER  # encapsulated


def _ip_checksum(hdr: np.ndarray) -> np.ndarray:
    words = hdr.reshape(len(hdr), 10, 2).astype(np.uint32)
    total = (words[:, :, 0] << 8 | words[:, :, 1]).sum(axis=1)
    while (total >> 16).any():
        total = (total & 0xFFFF) + (total >> 16)
    return (~total & 0xFFFF).astype(np.uint16)


def make_capture(path: Path, n: int) -> None:
    """n VXLAN records, written with numpy (a Python loop would dominate the run)."""
    k = np.arange(n, dtype=np.int64)
    a = k % VMS
    b = np.where((k // VMS) % 2 == 0, (a + 9) % VMS, (a + VMS - 9) % VMS)
    rec = np.zeros((n, 16 + FRAME), dtype=np.uint8)
    usec = k + 1  # 1 us apart
    rec[:, 0:4] = np.frombuffer((1_700_000_000 + usec // 1_000_000).astype("<u4").tobytes(),
                                dtype=np.uint8).reshape(n, 4)
    rec[:, 4:8] = np.frombuffer((usec % 1_000_000).astype("<u4").tobytes(),
                                dtype=np.uint8).reshape(n, 4)
    rec[:, 8:12] = np.frombuffer(np.full(n, FRAME, "<u4").tobytes(), np.uint8).reshape(n, 4)
    rec[:, 12:16] = rec[:, 8:12]
    f = rec[:, 16:]
    vem_a, vem_b = a % VEMS, b % VEMS
    f[:, 0:6] = [0x02, 0xEE, 0, 0, 0, 0]
    f[:, 5] = vem_b + 1  # outer MACs: the VTEPs'
    f[:, 6:12] = [0x02, 0xEE, 0, 0, 0, 0]
    f[:, 11] = vem_a + 1
    f[:, 12:14] = [0x08, 0x00]
    ip = f[:, 14:34]
    ip[:, 0] = 0x45
    ip[:, 2:4] = [(FRAME - 14) >> 8, (FRAME - 14) & 0xFF]
    ip[:, 6] = 0x40  # DF
    ip[:, 8], ip[:, 9] = 64, 17
    ip[:, 12:15] = [10, 0, 0]
    ip[:, 15] = vem_a + 1
    ip[:, 16:19] = [10, 0, 0]
    ip[:, 19] = vem_b + 1
    csum = _ip_checksum(ip)
    ip[:, 10], ip[:, 11] = csum >> 8, csum & 0xFF
    udp = f[:, 34:42]
    udp[:, 0:2] = [0xC0, 0x00]
    udp[:, 2:4] = [4789 >> 8, 4789 & 0xFF]
    udp[:, 4:6] = [(FRAME - 34) >> 8, (FRAME - 34) & 0xFF]
    f[:, 42] = 0x08  # VXLAN I flag
    f[:, 46:49] = [5000 >> 16, (5000 >> 8) & 0xFF, 5000 & 0xFF]
    inner = f[:, 50:]
    inner[:, 0:6] = [0x52, 0x54, 0, 0, 0, 0]
    inner[:, 5] = b
    inner[:, 6:12] = [0x52, 0x54, 0, 0, 0, 0]
    inner[:, 11] = a
    inner[:, 12:14] = [0x08, 0x00]
    iip = inner[:, 14:34]
    iip[:, 0] = 0x45
    iip[:, 3] = INNER - 14
    iip[:, 6] = 0x40
    iip[:, 8], iip[:, 9] = 64, 1
    iip[:, 12:15] = [192, 168, 0]
    iip[:, 15] = a + 1
    iip[:, 16:19] = [192, 168, 0]
    iip[:, 19] = b + 1
    csum = _ip_checksum(iip)
    iip[:, 10], iip[:, 11] = csum >> 8, csum & 0xFF
    inner[:, 34] = 8  # ICMP echo request
    header = np.array([0xA1B2C3D4, 0x00040002, 0, 0, 65535, 1], dtype="<u4").tobytes()
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(rec.tobytes())


def timed(label: str, frames: int, work) -> float:
    start = time.process_time()
    work()
    cpu = time.process_time() - start
    rate = frames / cpu if cpu > 0 else float("inf")
    print(f"  {label:<38} {frames:>10,} frames {cpu:8.3f} s  {rate / 1e6:8.3f} M frames/s")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5_000_000)
    parser.add_argument("--python-frames", type=int, default=100_000)
    parser.add_argument("--keep", metavar="FILE", help="write the capture here and keep it")
    args = parser.parse_args()

    import dpkt

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(args.keep) if args.keep else Path(tmp) / "replay.pcap"
        small = Path(tmp) / "replay-small.pcap"
        make_capture(big, args.frames)
        make_capture(small, args.python_frames)
        size = big.stat().st_size
        print(f"capture: {args.frames:,} VXLAN frames ({INNER}-byte inner frames), "
              f"{size / 2**20:.1f} MiB, {VMS} VMs on {VEMS} VEMs")
        topo = to_topology(summarize_file(small)).topology
        topo.traffic = []

        def dpkt_alone() -> None:
            with open(big, "rb") as fh:
                for _ts, _buf in dpkt.pcap.Reader(fh):
                    pass

        def walk_alone() -> None:
            import mmap

            from console.engine._pcapwalk import Walker

            with open(big, "rb") as fh:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                walker = Walker(memoryview(mm), sorted(DEFAULT_VXLAN_PORTS), 1500)
                while len(walker.walk(1 << 20)["src"]):
                    pass
                del walker
                mm.close()

        fabric = Fabric(topo, plane="compiled")

        def compiled_replay() -> None:
            placement, problems = replay_pcap(fabric, big, DEFAULT_VXLAN_PORTS, 1500)
            assert placement.entered == args.frames and not problems
            fabric.run_until(placement.duration_s)

        slow = Fabric(topo, plane="compiled")

        def python_replay() -> None:
            _summary, sent = sent_frames(small)
            placement = replay(slow, sent)
            assert placement.entered == args.python_frames
            slow.run_until(placement.duration_s)

        base = timed("dpkt.pcap.Reader alone (no decode)", args.frames, dpkt_alone)
        timed("compiled walk alone (decode, columns)", args.frames, walk_alone)
        fast = timed("replay, compiled walk + plane", args.frames, compiled_replay)
        timed("replay, Python decoder + plane", args.python_frames, python_replay)
        s = fabric.sample()
        vems = s.vems.values()
        print(f"  replay counters: encap {sum(v.encap_packets for v in vems):,}, decap "
              f"{sum(v.decap_packets for v in vems):,}, flood frames "
              f"{sum(b.flood_frames for b in s.bridge_domains.values()):,}")
        print(f"replay (parsing included) vs dpkt reading alone: {fast / base:.1f}x; "
              f"target 5 M frames/s: {'met' if fast >= 5e6 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
