"""`simulate FILE --replay CAP`: captured frames through the emulated fabric, both planes."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
import pytest
from dpkt import pcap as dpkt_pcap

from console.commands import simulate
from console.engine.facade import Fabric
from console.models.capture.analysis import summarize_file
from console.models.capture.reader import read_all
from console.models.capture.topology import to_topology
from console.models.topofile import save

DATA = Path(__file__).parent.parent / "data" / "captures"
V8472 = DATA / "vxlan_port_8472.pcap"
GSO = DATA / "gso-ipv4-vxlan-ipv4.pcap"


def _compiled() -> bool:
    try:
        import console.engine._dataplane  # noqa: F401
    except ImportError:
        return False
    return True


PLANES = ["reference", pytest.param("compiled", marks=pytest.mark.skipif(
    not _compiled(), reason="compiled data plane not built"))]


@pytest.fixture(params=PLANES)
def plane(request) -> str:
    return request.param


def run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    simulate.add_parser(parser.add_subparsers())
    args = parser.parse_args(["simulate", *argv])
    out, err = io.StringIO(), io.StringIO()
    return simulate.run(args, out, err), out.getvalue(), err.getvalue()


def topology_of(tmp_path: Path, cap: Path, edit=None) -> str:
    topo = to_topology(summarize_file(cap)).topology
    if edit is not None:
        edit(topo)
    path = tmp_path / f"{cap.stem}.yaml"
    save(topo, path)
    return str(path)


def vnic_capture(tmp_path: Path) -> str:
    """The VMs' own frames of vxlan_port_8472.pcap, as a capture on their vNICs shows them."""
    records, _ = read_all(V8472)
    path = tmp_path / "vnic.pcap"
    with open(path, "wb") as fh:
        writer = dpkt_pcap.Writer(fh)
        for r in records:
            writer.writepkt(r.data[50:], ts=r.ts)
    return str(path)


def test_uplink_capture_replays_on_both_planes(tmp_path, plane):
    code, out, err = run(topology_of(tmp_path, V8472), "--replay", str(V8472), "--json",
                         "--plane", plane)
    assert code == 0
    assert f"{V8472}: replayed 10 of 10 frames over 3.049 s" in err
    stats = json.loads(out)
    assert stats["timestamp"] == 3.049
    a, b = "vm-00163e37f604/eth0", "vm-003088010002/eth0"
    # 4 echo requests of 84 bytes of IP and one ARP of 28 each way: 4*98 + 42 on the VIF
    for vif in (a, b):
        assert stats["vifs"][vif] == {"tx_packets": 5, "tx_bytes": 434, "rx_packets": 5,
                                      "rx_bytes": 434, "tx_drops": 0, "rx_drops": 0}
    # Two floods, where the capture shows one: the emulated VEMs start with empty L2
    # tables, so the first echo request (record 1) is unknown unicast here; the captured
    # VEM had learned its destination before the capture began.
    assert stats["bridge_domains"]["vni-100"] == {
        "flood_frames": 2, "flood_copies": 2, "igmp_joins": 0, "igmp_leaves": 0,
        "learned_macs": 2}
    for vem in ("vem-192-168-202-1", "vem-192-168-203-1"):
        assert stats["vems"][vem]["encap_packets"] == 5
        assert stats["vems"][vem]["decap_packets"] == 5
        assert stats["vems"][vem]["flood_copies_sent"] == 1


def test_planes_agree_and_a_vnic_capture_gives_the_same_counters(tmp_path):
    topo = topology_of(tmp_path, V8472)
    runs = [run(topo, "--replay", cap, "--json", "--plane", p)[1]
            for cap in (str(V8472), vnic_capture(tmp_path))
            for p in (["reference", "compiled"] if _compiled() else ["reference"])]
    assert all(r == runs[0] for r in runs)


def test_offloaded_frames_replay_as_their_segments(tmp_path, plane):
    def small_underlay(topo):
        topo.underlay.mtu = 1500

    code, out, err = run(topology_of(tmp_path, GSO), "--replay", str(GSO), "--json",
                         "--plane", plane)
    stats = json.loads(out)
    sender = stats["vifs"]["vm-76bd914a21f9/eth0"]
    assert code == 0 and "replayed 5 of 5 frames" in err
    assert (sender["tx_packets"], sender["tx_bytes"]) == (5, 4 * 1514 + 1264)
    assert stats["vems"]["vem-10-25-132-11"]["mtu_drops"] == 0
    # On a 1500-byte transport the four full segments (+50) no longer fit, DF is set
    code, out, _ = run(topology_of(tmp_path, GSO, small_underlay), "--replay", str(GSO),
                       "--json", "--plane", plane)
    vem = json.loads(out)["vems"]["vem-10-25-132-11"]
    assert (vem["mtu_drops"], vem["pmtu_notifications"], vem["encap_packets"]) == (4, 4, 1)


def test_at_a_vnic_and_mac_forging(tmp_path, plane):
    def one_vm(topo, deny=False):
        topo.vms = [vm for vm in topo.vms if vm.name == "vm-00163e37f604"]
        topo.traffic = []
        if deny:
            topo.port_profiles[0].mac_forging = "deny"

    cap = vnic_capture(tmp_path)
    topo = topology_of(tmp_path, V8472, one_vm)
    code, out, err = run(topo, "--replay", cap, "--json", "--plane", plane)
    assert code == 0
    assert f"{cap}: 5 frame(s) from 00:30:88:01:00:02 not entered: no vNIC has that MAC" in err
    assert json.loads(out)["vifs"]["vm-00163e37f604/eth0"]["tx_packets"] == 5
    # --at: the frames from the MAC of no vNIC enter at the one named
    code, out, err = run(topo, "--replay", cap, "--at", "vm-00163e37f604/eth0", "--json",
                         "--plane", plane)
    assert code == 0 and "not entered" not in err
    assert json.loads(out)["vifs"]["vm-00163e37f604/eth0"]["tx_packets"] == 10
    denied = topology_of(tmp_path, V8472, lambda t: one_vm(t, deny=True))
    _, out, _ = run(denied, "--replay", cap, "--at", "vm-00163e37f604/eth0", "--json",
                    "--plane", plane)
    vif = json.loads(out)["vifs"]["vm-00163e37f604/eth0"]
    assert (vif["tx_packets"], vif["tx_drops"]) == (5, 5)


def test_replay_errors(tmp_path):
    topo = topology_of(tmp_path, V8472)
    code, _, err = run(topo, "--replay", str(V8472), "--at", "nosuch/eth0")
    assert code == 1 and "--at nosuch/eth0: " in err and "has no such vNIC" in err
    assert run(topo, "--at", "vm-00163e37f604/eth0")[0] == 2
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"junk junk")
    code, out, err = run(topo, "--replay", str(junk))
    assert (code, out) == (2, "") and f"{junk}: not a pcap or pcapng file" in err
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(V8472.read_bytes()[:-10])
    code, out, err = run(topo, "--replay", str(cut), "--json", "--plane", "reference")
    assert code == 0 and f"{cut}: record 10: truncated" in err
    assert "replayed 9 of 9 frames" in err


def test_inject_interleaves_with_the_files_flows(tmp_path, plane):
    from console.models.topofile import load

    topo = load(topology_of(tmp_path, V8472))
    a, b = "vm-00163e37f604/eth0", "vm-003088010002/eth0"
    fabric = Fabric(topo, plane=plane)  # its 4 flows: 10 frames, sent in the first ticks
    vif = fabric._tables.vif_ids.index(a)
    mac = int("00163e37f604", 16)
    ticks = np.array([0, 0, 5, 2000])
    fabric.inject(ticks, np.full(4, vif), np.full(4, mac, dtype=np.uint64),
                  np.full(4, 0xFFFFFFFFFFFF, dtype=np.uint64), np.full(4, 100),
                  np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="in the past"):
        fabric.inject(np.array([10]), np.array([vif]), np.array([mac], dtype=np.uint64),
                      np.array([mac], dtype=np.uint64), np.array([64]), np.array([0]),
                      np.array([0]))
    fabric.run_until(3.0)
    s = fabric.sample()
    assert fabric.offered == 10 + 4
    assert s.vifs[a].tx_packets == 5 + 4 and s.vifs[b].tx_packets == 5
    assert s.vifs[b].rx_packets == 5 + 4  # the four injected broadcasts reach b
