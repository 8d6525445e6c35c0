"""`fabric-console capture show|to-topology` on the real captures and on edited copies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dpkt import pcap as dpkt_pcap
from dpkt import pcapng as dpkt_pcapng

from console import cli
from console.models.capture.reader import read_all
from console.models.topofile import load, loads

DATA = Path(__file__).parent.parent / "data" / "captures"
V8472 = DATA / "vxlan_port_8472.pcap"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_pcap(path: Path, frames: list[tuple[float, bytes]], ng: bool = False) -> str:
    with open(path, "wb") as fh:
        writer = dpkt_pcapng.Writer(fh) if ng else dpkt_pcap.Writer(fh)
        for ts, data in frames:
            writer.writepkt(data, ts=ts)
    return str(path)


def with_outer_dst(data: bytes, ip: str) -> bytes:
    """The frame with another outer destination IP (checksums are not read)."""
    raw = bytearray(data)
    raw[30:34] = bytes(int(x) for x in ip.split("."))
    return bytes(raw)


def test_done_when_show_on_port_8472(capsys):
    code, out, err = run(capsys, "capture", "show", str(V8472))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (f"{V8472}: pcap, 10 records: 10 VXLAN (UDP 4789/8472), 0 without "
                        "VXLAN, 0 problems")
    assert "VTEPs: 2" in lines
    assert "  192.168.202.1    sent 5, received 5  MAC 00:16:3e:08:71:cf" in lines
    assert "  192.168.203.1    sent 5, received 5  MAC 36:dc:85:1e:b3:40" in lines
    assert ("  in 2 different subnets (/24 assumed: a capture carries no prefix lengths): "
            "192.168.202.0/24: 192.168.202.1; 192.168.203.0/24: 192.168.203.1") in lines
    assert "VNI 100  (outside 4096..16,000,000: Nexus 1000V refuses it)" in lines
    assert "  flood mode: unicast-only; 10 frames, 868 bytes inside" in lines
    assert "    00:16:3e:37:f6:04  behind 192.168.203.1  IP 192.168.203.3" in lines
    assert "    00:30:88:01:00:02  behind 192.168.202.1  IP 192.168.203.5" in lines
    at = lines.index("  floods: 1")
    assert lines[at + 1] == ("    record 2: broadcast ARP request from 00:30:88:01:00:02 at "
                             "192.168.202.1: 1 unicast copy (to 192.168.203.1)")
    assert "  10 frames, 10 fit; largest 134 (record 1); 0 fragments" in lines
    assert "  over the MTU: 0" in lines


def test_show_json(capsys):
    code, out, _ = run(capsys, "capture", "show", "--json", str(DATA / "vxlan.pcap"))
    data = json.loads(out)
    assert code == 0 and data["format"] == "fabric-console-capture/1"
    assert [v["ip"] for v in data["vteps"]] == ["192.168.202.1", "192.168.203.1"]
    assert len(data["vtep_subnets"]["subnets"]) == 2
    (seg,) = data["segments"]
    assert (seg["vni"], seg["in_range"], seg["mode"]) == (100, False, "unicast-only")
    assert {m["mac"]: m["vtep"] for m in seg["macs"]} == {
        "00:16:3e:37:f6:04": "192.168.203.1", "00:30:88:01:00:02": "192.168.202.1"}
    (flood,) = seg["floods"]
    assert (flood["record"], flood["kind"], flood["what"], flood["copies"],
            flood["expected_copies"]) == (2, "broadcast", "ARP request", ["192.168.203.1"], 1)
    assert data["sizes"]["offloaded"] == [] and data["sizes"]["over_mtu"] == []


@pytest.mark.parametrize(("name", "length", "why"), [
    ("gso-ipv4-vxlan-ipv4", 7092, "TCP segmentation offload (TSO/GSO) or receive "
                                  "coalescing (GRO)"),
    ("bigtcp-ipv4-vxlan-ipv4", 80102, "BIG TCP (IPv4 total length 0)"),
])
def test_offloaded_frames_are_not_mtu_drops(capsys, name, length, why):
    code, out, _ = run(capsys, "capture", "show", "--json", str(DATA / f"{name}.pcap"))
    sizes = json.loads(out)["sizes"]
    assert code == 0 and sizes["over_mtu"] == [] and sizes["fit"] == 0
    assert sizes["offloaded"] == [{"record": 1, "l3_length": length, "mtu": 1600, "why": why}]


def test_small_mtu_shows_which_frames_it_drops(capsys):
    code, out, _ = run(capsys, "capture", "show", "--mtu", "120", str(V8472))
    lines = out.splitlines()
    assert code == 0 and "  over the MTU: 8" in lines
    assert ("    record 1: 134 > 120: inner 84 + 50: DF set: dropped, with a PMTU "
            "notification to the VM") in lines
    assert "  offloaded (larger than any MTU on the wire; not MTU drops): 0" in lines


def test_truncated_capture_reports_the_record_and_shows_the_rest(tmp_path, capsys):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(V8472.read_bytes()[:-10])
    code, out, err = run(capsys, "capture", "show", str(cut))
    assert code == 1
    assert err == f"{cut}: record 10: truncated: the header says 148 bytes, the file has " \
                  "138 left\n"
    assert out.startswith(f"{cut}: pcap, 10 records: 9 VXLAN")
    assert "  floods: 1" in out.splitlines()


def test_cut_frame_inside_a_record_is_a_problem_too(tmp_path, capsys):
    records, _ = read_all(V8472)
    frames = [(r.ts, r.data) for r in records]
    frames[3] = (frames[3][0], frames[3][1][:40])
    path = write_pcap(tmp_path / "short.pcap", frames)
    code, _, err = run(capsys, "capture", "show", path)
    assert code == 1 and err == f"{path}: record 4: UDP header cut short\n"


@pytest.mark.parametrize("content", [b"", b"not a capture at all"])
def test_unreadable_exit_2_without_traceback(tmp_path, capsys, content):
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    code, out, err = run(capsys, "capture", "show", str(path))
    assert code == 2 and out == "" and err.startswith(f"{path}: ")
    assert "Traceback" not in err
    code, _, err = run(capsys, "capture", "to-topology", str(tmp_path / "missing.pcap"))
    assert code == 2 and "missing.pcap: cannot open" in err


def test_head_end_replication_and_unknown_unicast(tmp_path, capsys):
    """Three VTEPs: the ARP broadcast copied to two, an unknown unicast copied to two."""
    records, _ = read_all(V8472)
    arp, icmp = records[1], records[0]
    frames = [(icmp.ts, icmp.data),
              (icmp.ts + 0.000010, with_outer_dst(icmp.data, "192.168.202.7")),
              (arp.ts, arp.data),
              (arp.ts + 0.000005, with_outer_dst(arp.data, "192.168.202.9"))]
    path = write_pcap(tmp_path / "her.pcap", frames, ng=True)
    code, out, _ = run(capsys, "capture", "show", "--json", path)
    (seg,) = json.loads(out)["segments"]
    assert code == 0 and seg["mode"] == "unicast-only"
    floods = [(f["record"], f["kind"], f["copies"], f["copy_records"]) for f in seg["floods"]]
    assert floods == [
        (1, "unknown-unicast", ["192.168.202.1", "192.168.202.7"], [1, 2]),
        (3, "broadcast", ["192.168.203.1", "192.168.202.9"], [3, 4])]


def test_a_burst_of_identical_floods_counts_each(tmp_path, capsys):
    """The kernel sends a burst of equal frames back to back: each is a flood of its own
    once the next one goes again to a VTEP that already had a copy."""
    arp = read_all(V8472)[0][1]
    again = with_outer_dst(arp.data, "192.168.202.9")
    frames = [(arp.ts + i * 0.000005, data) for i, data in
              enumerate([arp.data, again, arp.data, again, arp.data])]
    path = write_pcap(tmp_path / "burst.pcap", frames)
    code, out, _ = run(capsys, "capture", "show", "--json", path)
    (seg,) = json.loads(out)["segments"]
    assert [(f["record"], f["copy_records"]) for f in seg["floods"]] == [
        (1, [1, 2]), (3, [3, 4]), (5, [5])]


def test_multicast_flood_makes_a_multicast_bridge_domain(tmp_path, capsys):
    records, _ = read_all(V8472)
    frames = [(r.ts, with_outer_dst(r.data, "239.1.1.1") if r.number == 2 else r.data)
              for r in records]
    path = write_pcap(tmp_path / "mc.pcap", frames)
    code, out, _ = run(capsys, "capture", "show", path)
    assert code == 0
    assert "  flood mode: multicast, group 239.1.1.1; 10 frames, 868 bytes inside" in out
    assert ("record 2: broadcast ARP request from 00:30:88:01:00:02 at 192.168.202.1: "
            "1 multicast copy (to 239.1.1.1)") in out
    topo_path = tmp_path / "mc.yaml"
    assert run(capsys, "capture", "to-topology", path, "-o", str(topo_path))[0] == 0
    topo = load(topo_path)
    (bd,) = topo.bridge_domains
    assert (bd.mode.value, str(bd.group)) == ("multicast", "239.1.1.1")
    assert topo.underlay.multicast is True


def test_done_when_to_topology_validates_with_its_findings(tmp_path, capsys):
    topo_path = tmp_path / "t.yaml"
    code, out, err = run(capsys, "capture", "to-topology", str(V8472), "-o", str(topo_path))
    assert code == 0 and out == ""
    assert f"{V8472}: wrote {topo_path} (2 VEMs, 1 bridge domain, 2 VMs, 4 flows)" in err
    topo = load(topo_path)
    assert [h.name for h in topo.hosts] == ["vem-192-168-202-1", "vem-192-168-203-1"]
    assert [str(h.vteps[0].ip) for h in topo.hosts] == ["192.168.202.1/24", "192.168.203.1/24"]
    assert [(b.name, b.segment_id, b.mode.value) for b in topo.bridge_domains] == [
        ("vni-100", 100, "unicast-only")]
    assert {(vm.name, vm.host, vm.nics[0].mac, str(vm.nics[0].ip)) for vm in topo.vms} == {
        ("vm-00163e37f604", "vem-192-168-203-1", "00:16:3e:37:f6:04", "192.168.203.3"),
        ("vm-003088010002", "vem-192-168-202-1", "00:30:88:01:00:02", "192.168.203.5")}
    assert topo.underlay.udp_port == 8472 and topo.underlay.proxy_arp is True
    flows = [(f.source, f.to, f.count, f.size, f.ip, f.df) for f in topo.traffic]
    assert flows == [
        ("vm-00163e37f604/eth0", "vm-003088010002/eth0", 4, 84, True, True),
        ("vm-003088010002/eth0", "broadcast", 1, 28, False, False),
        ("vm-00163e37f604/eth0", "vm-003088010002/eth0", 1, 28, False, False),
        ("vm-003088010002/eth0", "vm-00163e37f604/eth0", 4, 84, True, False)]
    code, out, err = run(capsys, "validate", str(topo_path))
    assert code == 1
    assert out.splitlines() == [
        "error: bridge_domains[0].segment_id: bridge domain vni-100 has segment id 100; "
        "Nexus 1000V accepts 4096 to 16,000,000 [vxlan.segment-id-range]"]


def test_to_topology_of_offloaded_traffic_becomes_segments(capsys):
    code, out, _ = run(capsys, "capture", "to-topology", str(DATA / "gso-ipv4-vxlan-ipv4.pcap"))
    assert code == 0
    topo = loads(out)
    assert topo.underlay.udp_port == 4789 and topo.underlay.mtu == 1600
    # The receiver never sent a frame: its VM stands where the known unicast went.
    assert [(vm.name, vm.host) for vm in topo.vms] == [
        ("vm-76bd914a21f9", "vem-10-25-132-11"), ("vm-fe36a567e0ac", "vem-10-25-132-13")]
    # 6990 bytes of TCP in 1448-byte segments: 4 full frames of 1500 and one of 1250
    assert [(f.source, f.to, f.count, f.size, f.df) for f in topo.traffic] == [
        ("vm-76bd914a21f9/eth0", "vm-fe36a567e0ac/eth0", 4, 1500, True),
        ("vm-76bd914a21f9/eth0", "vm-fe36a567e0ac/eth0", 1, 1250, True)]


def test_no_vxlan_no_topology(tmp_path, capsys):
    records, _ = read_all(V8472)
    inner = [(r.ts, r.data[50:]) for r in records]  # the VMs' frames, as on a vNIC
    path = write_pcap(tmp_path / "vnic.pcap", inner)
    code, out, _ = run(capsys, "capture", "show", path)
    assert code == 0 and "Frames without VXLAN: 10 (1 flood)" in out
    assert "    00:16:3e:37:f6:04  5 frames sent  IP 192.168.203.3" in out
    code, _, err = run(capsys, "capture", "to-topology", path)
    assert code == 1 and "no VXLAN frames (UDP 4789, 8472)" in err


def test_capture_commands_import_no_qt():
    code = ("import sys; from console import cli; "
            f"assert cli.main(['capture', 'show', {str(V8472)!r}]) == 0; "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', "
            "'libvirt', 'console.engine'))], sorted(sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_frame_from_an_all_zero_mac_does_not_become_a_vm(tmp_path, capsys):
    """An all-zero source is no station; a vNIC cannot hold it, so to-topology refused
    the whole capture (#17 made the model refuse zero MACs)."""
    records, _ = read_all(V8472)
    inner_src = slice(50 + 6, 50 + 12)  # outer Ethernet, IPv4, UDP, VXLAN: 50 bytes
    frames = []
    for r in records:
        raw = bytearray(r.data)
        if r.number == 3:
            raw[inner_src] = bytes(6)
        frames.append((r.ts, bytes(raw)))
    path = write_pcap(tmp_path / "zero.pcap", frames)
    topo_path = tmp_path / "zero.yaml"
    code, _, err = run(capsys, "capture", "to-topology", path, "-o", str(topo_path))
    assert code == 0, err
    macs = {nic.mac for vm in load(topo_path).vms for nic in vm.nics}
    assert "00:00:00:00:00:00" not in macs and len(macs) == 2
