"""Differential check with the kernel lab: a topology runs on netns:// (Linux bridges and
vxlan devices), its transport is captured with AF_PACKET, the capture is read back with
`capture show`'s summary, and what it shows (floods and their copies per bridge domain,
MAC -> VTEP pairs learned on decapsulation) must equal what the emulated fabric predicts
for the same traffic.

Skipped where the lab cannot run (not root, no pyroute2, no vxlan/bridge in the kernel).
The transport is captured on the underlay namespace's bridge ports, each frame once: as it
comes in from a VEM's uplink (frames leaving a port are the same frames again).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from dpkt import pcap as dpkt_pcap

sys.path.insert(0, str(Path(__file__).parent.parent / "netns"))  # the lab's scenarios

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
A_B_C = [{"from": "a/eth0", "to": "broadcast", "count": 3},  # 3 floods, 2 copies each
         {"from": "a/eth0", "to": "b/eth0", "count": 2},  # unknown unicast: flooded
         {"from": "b/eth0", "to": "a/eth0", "count": 2},  # kvm2 knows a: unicast
         {"from": "a/eth0", "to": "b/eth0", "count": 2},  # kvm1 learned b: unicast
         {"from": "c/eth0", "to": "broadcast", "count": 1}]


def _lab_problem() -> str | None:
    try:
        import pyroute2  # noqa: F401
    except ImportError:
        return "the kernel lab needs pyroute2"
    from console.backends.netns.nsctl import has_net_admin

    if not has_net_admin():
        return "needs root (CAP_NET_ADMIN) to create network namespaces"
    return None


class TransportCapture:
    """AF_PACKET on every port of the underlay bridge, frames kept as they come in."""

    def __init__(self, lab) -> None:
        from console.backends.netns.nsctl import run_in
        from console.backends.netns.plan import UNDERLAY

        ns = lab.role_ns(UNDERLAY)
        ports = set(lab.host_ports.values())

        def open_socket() -> socket.socket:
            return socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))

        self.ports = ports
        self.sock = run_in(ns, open_socket)  # it stays in the namespace it was made in
        self.sock.settimeout(0.05)
        self.frames: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            ifname, _proto, pkttype = addr[:3]
            if ifname in self.ports and pkttype != PACKET_OUTGOING:
                self.frames.append((time.time(), data))

    def quiet(self, for_s: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no frame has come for `for_s` (the kernel forwards on softirq)."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline and seen != len(self.frames):
            seen = len(self.frames)
            time.sleep(for_s)

    def stop(self, path: Path) -> Path:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        with open(path, "wb") as fh:
            writer = dpkt_pcap.Writer(fh, snaplen=65535)
            for ts, data in self.frames:
                writer.writepkt(data, ts=ts)
        return path


def test_kernel_transport_capture_matches_the_engine(tmp_path):
    problem = _lab_problem()
    if problem:
        pytest.skip(problem)
    from netns_scenarios import overlay

    from console.backends.netns.frames import build_frame
    from console.backends.netns.lab import Lab
    from console.backends.netns.plan import plan_lab
    from console.backends.netns.traffic import count_flows, send
    from console.engine.facade import Fabric
    from console.models.capture.analysis import summarize_file

    topo = overlay("unicast-only", traffic=A_B_C)
    lab = Lab("capture-test")
    try:
        try:
            lab.build(plan_lab(topo))
        except OSError as exc:
            pytest.skip(f"this kernel cannot build a lab: {exc}")
        # Its socket is open when this returns: frames queue in it from now on.
        capture = TransportCapture(lab)
        index = topo.index()
        for flow in count_flows(topo):
            frame = build_frame(flow, index)
            assert frame is not None
            send(lab, flow.source, frame, flow.count)
            capture.quiet(0.15)  # one flow after another, as the engine runs them
        capture.quiet()
        pcap = capture.stop(tmp_path / "transport.pcap")
    finally:
        lab.teardown()

    summary = summarize_file(pcap, frozenset({topo.underlay.udp_port}))
    assert summary.problems == []
    (seg,) = summary.segments.values()
    assert seg.vni == 5000 and seg.mode is not None and seg.mode.value == "unicast-only"

    fabric = Fabric(overlay("unicast-only", traffic=A_B_C), plane="reference")
    fabric.run_until(2.0)
    predicted = fabric.sample().bridge_domains["blue"]
    assert len(seg.floods) == predicted.flood_frames == 3 + 2 + 1
    assert sum(len(f.copies) for f in seg.floods) == predicted.flood_copies == 12
    assert all(len(f.copies) == seg.expected_copies(f) == 2 for f in seg.floods)
    learned = {(e.mac, e.vtep_ip) for e in fabric.l2_table("blue") if not e.local}
    seen = {(m.mac, m.vtep) for m in seg.macs.values() if m.learned == "source"}
    assert seen == learned == {("52:54:00:00:00:01", "10.0.1.11"),
                               ("52:54:00:00:00:02", "10.0.1.12"),
                               ("52:54:00:00:00:03", "10.0.1.13")}
