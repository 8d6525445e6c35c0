"""`fabric-console compare`: hand-computed differences between two files.

Every run is 10 s on seed 0 (the command's defaults) unless the test says otherwise.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from console.cli import main

TOPOLOGIES = Path(__file__).resolve().parents[2] / "resources" / "topologies"
DEMO = TOPOLOGIES / "demo.yaml"
MTU_LAB = TOPOLOGIES / "mtu-lab.yaml"


def variant(tmp_path: Path, source: Path, *edits: tuple[str, str]) -> str:
    """A copy of a sample topology with literal edits (each must apply once)."""
    text = source.read_text()
    for old, new in edits:
        assert text.count(old) >= 1, old
        text = text.replace(old, new)
    out = tmp_path / f"b-{source.name}"
    out.write_text(text)
    return str(out)


def compare_json(capsys, a, b, *extra) -> tuple[int, dict]:
    code = main(["compare", str(a), str(b), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def jumbo(tmp_path) -> str:
    # mtu-lab with a 9000-byte transport and uplinks: every packet of the file fits
    return variant(tmp_path, MTU_LAB, ("underlay: {mtu: 1600,", "underlay: {mtu: 9000,"),
                   ("uplink_mtu: 1600", "uplink_mtu: 9000"))


def test_jumbo_transport_counters(capsys, jumbo):
    code, doc = compare_json(capsys, MTU_LAB, jumbo)
    assert code == 1
    c = doc["counters"]
    # nas1 -> nas2, 1551 bytes with DF, 100 pps for 10 s: 1,000 packets, each 1551 + 50 =
    # 1601 > 1600, dropped with a PMTU notice in A; carried in B.
    assert c["vems.vem1.mtu_drops"] == [1000, 0]
    assert c["vems.vem1.pmtu_notifications"] == [1000, 0]
    # nas2 -> nas1, 4000 bytes not IP, 10 pps: 100 drops in A
    assert c["vems.vem2.mtu_drops"] == [100, 0]
    # nas2 -> nas1, 8000 bytes IP without DF, 50 pps: 500 packets in ceil(7980 / 1528) = 6
    # fragments each = 3,000 in A, none in B
    assert c["vems.vem2.fragments"] == [3000, 0]
    # nas2 receives 1 (count flow) + 1,000 (1550 DF) in A; + the 1,000 of 1551 DF in B,
    # each 1551 + 14 bytes more: 1,565,000
    assert c["vifs.nas2/eth0.rx_packets"] == [1001, 2001]
    assert c["vifs.nas2/eth0.rx_bytes"][1] - c["vifs.nas2/eth0.rx_bytes"][0] == 1_565_000
    # the most telling counters come first: MTU drops before the VIF totals
    keys = list(c)
    assert keys.index("vems.vem1.mtu_drops") < keys.index("vifs.nas2/eth0.rx_packets")
    assert "bridge_domains.storage.flood_copies" not in c  # unchanged: not listed


def test_jumbo_transport_flows_started_with_the_reason(capsys, jumbo):
    _, doc = compare_json(capsys, MTU_LAB, jumbo)
    flows = {(f["flow"], f["traffic_a"]): f for f in doc["flows"]}
    assert set(flows) == {("nas1/eth0 -> nas2/eth0", 3), ("nas2/eth0 -> nas1/eth0", 5)}
    df = flows[("nas1/eth0 -> nas2/eth0", 3)]
    assert df["started"] == ["nas2/eth0"] and df["stopped"] == []
    assert [(r["where"], r["reason"]) for r in df["reasons"]] == [("vem1", "mtu-df")]
    non_ip = flows[("nas2/eth0 -> nas1/eth0", 5)]
    assert [(r["where"], r["reason"]) for r in non_ip["reasons"]] == [("vem2", "mtu-non-ip")]
    assert non_ip["frame"] == "4000 bytes, not IP"


def test_jumbo_transport_findings_and_config(capsys, jumbo):
    _, doc = compare_json(capsys, MTU_LAB, jumbo)
    # the transport-MTU error stays (a 9000-byte VM needs 9050), with other numbers: the
    # findings of A went away and those of B appeared, two each (nas1 and nas2)
    changes = [(f["change"], f["rule"], f["path"]) for f in doc["findings"]]
    assert sorted(changes) == [
        ("appeared", "vxlan.transport-mtu", "vms[0].nics[0].mtu"),
        ("appeared", "vxlan.transport-mtu", "vms[1].nics[0].mtu"),
        ("gone", "vxlan.transport-mtu", "vms[0].nics[0].mtu"),
        ("gone", "vxlan.transport-mtu", "vms[1].nics[0].mtu")]
    nxos = [(e["change"], e["object"]) for e in doc["config"] if e["format"] == "nxos"]
    assert nxos[:2] == [("added", "port-profile type ethernet fc-uplink-mtu9000"),
                        ("removed", "port-profile type ethernet fc-uplink-mtu1600")]
    added = doc["config"][0]["lines"]
    assert added[0] == "port-profile type ethernet fc-uplink-mtu9000"
    assert "  mtu 9000" in added
    assert doc["config"][1]["lines"] == ["no port-profile type ethernet fc-uplink-mtu1600"]


def test_unicast_only_and_a_lost_gateway_on_the_demo(tmp_path, capsys):
    b = variant(tmp_path, DEMO,
                ("{name: tenant-a, segment_id: 5000, mode: multicast, group: 239.1.1.1}",
                 "{name: tenant-a, segment_id: 5000, mode: unicast-only}"),
                ("ip: 10.0.2.13/24, gateway: 10.0.2.1}", "ip: 10.0.2.13/24}"))
    code, doc = compare_json(capsys, DEMO, b)
    assert code == 1
    c = doc["counters"]
    # In B vem3 (10.0.2.13, no gateway, no proxy ARP) reaches no other VTEP. app2 and os3
    # never send, so app3 -> app2 (300 pps) and os2 -> os3 (100 pps) are unknown unicast,
    # flooded to the two other member VEMs: 2 unreachable copies a frame over 10 s:
    # 2 * (3,000 + 1,000) = 8,000.
    assert c["vems.vem3.unreachable_drops"] == [0, 8000]
    # tenant-a in B, unicast-only: app1's broadcast (50 pps) -> 500 floods x 2 copies; app1
    # -> app3 (1,000 pps) is never learned by vem1 (vem3's frames never reach it): 10,000
    # floods x 2 copies (vem2, and vem3 through vem1's gateway); app3's 3,000 floods put
    # no copy on the transport. 1,000 + 20,000 = 21,000.
    assert c["bridge_domains.tenant-a.flood_copies"][1] == 21000
    assert c["bridge_domains.tenant-a.flood_frames"][1] == 500 + 10000 + 3000
    # multicast in A: vem1, vem2, vem3 joined 239.1.1.1 at start; nobody joins in B
    assert c["bridge_domains.tenant-a.igmp_joins"] == [3, 0]
    flows = {f["flow"]: f for f in doc["flows"]}
    assert set(flows) == {"app3/eth0 -> app2/eth0", "os2/eth0 -> os3/eth0"}
    for f in flows.values():
        assert f["status"] == "changed" and f["started"] == []
        assert {r["reason"] for r in f["reasons"]} == {"unreachable-vtep"}
    assert flows["app3/eth0 -> app2/eth0"]["stopped"] == ["app2/eth0"]
    assert [f["rule"] for f in doc["findings"]] == ["vxlan.vtep-reachability"]
    bd = next(e for e in doc["config"] if e["object"] == "bridge-domain tenant-a")
    assert bd["lines"] == ["bridge-domain tenant-a", "  no group 239.1.1.1",
                           "  segment mode unicast-only"]


def test_port_profile_edit_in_ucs_manager_terms(tmp_path, capsys):
    b = variant(tmp_path, DEMO,
                ("qos: {rate_mbps: 1000}, mac_forging: deny,",
                 "qos: {rate_mbps: 100}, mac_forging: allow,"),
                ("vlans: [200, 201], native_vlan: 200", "vlans: [200], native_vlan: 200"))
    code, doc = compare_json(capsys, DEMO, b)
    # web1 sends 2,000 x 526 + 500 x 270 bytes/s, about 9.5 Mbit/s: under 100 Mbit/s, so
    # no counter moves; nothing is forged, so MAC forging changes nothing either.
    assert code == 1 and doc["counters"] == {} and doc["flows"] == []
    ucsm = {e["object"]: e for e in doc["config"] if e["format"] == "ucsm"}
    web = ucsm["scope system > scope vm-mgmt > scope profile-set > create port-profile web"]
    assert web["change"] == "changed"
    assert web["lines"] == ["scope system", "  scope vm-mgmt", "    scope profile-set",
                            "      scope port-profile web",
                            "        set nw-ctrl-policy fc-forge-allow", "commit-buffer"]
    qos = ucsm["scope org / > create qos-policy fc-qos-1"]
    assert "      set rate 100000 burst 65536" in qos["lines"]  # 100 Mbit/s in kbps
    vlan = ucsm["scope eth-uplink > create vlan vlan201 201"]
    assert vlan["change"] == "removed"
    assert vlan["lines"] == ["scope eth-uplink", "  delete vlan vlan201", "commit-buffer"]
    # removals come last: vlan201 is deleted after the db profile stops using it
    order = [e["object"] for e in doc["config"] if e["format"] == "ucsm"]
    assert order.index("scope eth-uplink > create vlan vlan201 201") == len(order) - 2
    nxos = {e["object"]: e["lines"] for e in doc["config"] if e["format"] == "nxos"}
    assert nxos["port-profile type vethernet db"] == [
        "port-profile type vethernet db", "  no switchport trunk allowed vlan 200-201",
        "  no switchport trunk native vlan 200", "  switchport mode access",
        "  switchport access vlan 200"]


def test_same_file_has_no_difference(capsys):
    code, doc = compare_json(capsys, DEMO, DEMO, "--duration", "1")
    assert code == 0
    assert (doc["counters"], doc["flows"], doc["findings"], doc["config"]) == ({}, [], [], [])
    assert main(["compare", str(DEMO), str(DEMO), "--duration", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no differences"


def test_text_report_order(capsys, jumbo):
    assert main(["compare", str(MTU_LAB), jumbo]) == 1
    out = capsys.readouterr().out
    heads = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert heads[1:] == ["flows that started reaching a destination (A's trace said why "
                         "not):", "counters (A -> B):", "findings that appeared:",
                         "findings that went away:", "configuration from A to B:"]
    assert re.search(r"vems\.vem1\.mtu_drops +1,000 -> 0 +\(-1,000\)", out)


def test_a_shut_off_vm_stops_its_flows(tmp_path, capsys):
    b = variant(tmp_path, DEMO, ("  - name: os2\n    host: vem3\n",
                                 "  - name: os2\n    host: vem3\n    state: shut-off\n"))
    code, doc = compare_json(capsys, DEMO, b)
    flows = {f["flow"]: f for f in doc["flows"]}
    assert flows["os2/eth0 -> os3/eth0"]["stopped"] == ["os3/eth0"]
    assert [r["reason"] for r in flows["os2/eth0 -> os3/eth0"]["reasons"]] == \
        ["vm-not-running"]
    # os2 sent 100 pps for 10 s in A, nothing in B
    assert doc["counters"]["vifs.os2/eth0.tx_packets"] == [1000, 0]


def test_unreadable_and_dangling_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: fabric-console/1\nvms: [\n")
    assert main(["compare", str(DEMO), str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    dangling = variant(tmp_path, DEMO, ("port_profile: db,", "port_profile: nosuch,"))
    assert main(["compare", str(DEMO), dangling]) == 2
    err = capsys.readouterr().err
    assert "cannot run: 1 dangling reference(s)" in err and "Traceback" not in err
