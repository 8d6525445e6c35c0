"""`fabric-console simulate`: readable and JSON output, warnings, refusals, exit codes."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from console.commands import simulate

DATA = Path(__file__).resolve().parents[1] / "data" / "design_example.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    simulate.add_parser(parser.add_subparsers())
    args = parser.parse_args(["simulate", *argv])
    out, err = io.StringIO(), io.StringIO()
    return simulate.run(args, out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("plane", ["reference", "compiled"])
def test_json_counts_the_design_example(plane):
    if plane == "compiled":
        pytest.importorskip("console.engine._dataplane")
    code, out, err = run(str(DATA), "--duration", "2", "--json", "--plane", plane)
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "fabric-console-stats/1"
    assert data["timestamp"] == 2.0
    # app1 -> web1 at 1000 pps for 2 s; the count flow of 10 broadcasts runs once
    assert data["vifs"]["app1/eth0"]["tx_packets"] == 2000
    assert data["vifs"]["app1/eth0"]["tx_bytes"] == 2000 * (512 + 14)
    assert data["vifs"]["web1/eth0"]["tx_packets"] == 10
    # web1 is VM-FEX in VLAN 100, app1 is in VXLAN tenant-a: isolated, so app1's frames
    # are unknown unicast flooded in tenant-a (kvm2 is its only member: one copy each)
    assert data["vifs"]["web1/eth0"]["rx_packets"] == 0
    assert data["bridge_domains"]["tenant-a"] == {
        "flood_frames": 2000, "flood_copies": 2000, "igmp_joins": 1, "igmp_leaves": 0,
        "learned_macs": 0}
    assert data["fabric_interconnects"]["fi-a"]["flooded_frames"] == 10


def test_readable_summary_has_a_table_per_kind():
    code, out, _ = run(str(DATA), "--duration", "1", "--plane", "reference")
    assert code == 0
    for title in ("VIFs", "Bridge domains", "VEMs", "Fabric interconnects"):
        assert f"\n{title}\n" in out
    assert "app1/eth0" in out and "1,000" in out


def test_error_findings_are_warnings_and_the_run_goes_on(tmp_path):
    # kvm1 in cluster lab breaks two VM-FEX rules; a small underlay shows its drops
    text = DATA.read_text().replace("mtu: 1600, multicast", "mtu: 1500, multicast") \
        .replace("pps: 1000, size: 512", "pps: 1000, size: 1451") \
        .replace("clusters: [{name: default}]", "clusters: [{name: default}, {name: lab}]") \
        .replace("    cluster: default", "    cluster: lab", 1)
    path = tmp_path / "small-mtu.yaml"
    path.write_text(text)
    code, out, err = run(str(path), "--duration", "1", "--json", "--plane", "reference")
    assert code == 0
    assert "warning:" in err and "[vmfex.default-cluster]" in err
    vem = json.loads(out)["vems"]["kvm2"]
    # 1451 + 50 > 1500 with DF set: every flood copy is dropped with a PMTU notification
    assert (vem["mtu_drops"], vem["pmtu_notifications"], vem["encap_packets"]) == (1000, 1000, 0)


def test_dangling_references_refuse_the_run(tmp_path):
    path = tmp_path / "dangling.yaml"
    path.write_text(DATA.read_text().replace("port_profile: tenant-a", "port_profile: nope"))
    code, out, err = run(str(path), "--plane", "reference")
    assert code == 1
    assert out == ""
    assert "error:" in err and "nope" in err and "cannot simulate" in err


def test_unreadable_file_exit_2(tmp_path):
    code, out, err = run(str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "missing.yaml" in err


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    code, _, err = run(str(DATA), "--duration", "30", "--json", "--plane", "reference")
    assert code == 0
    assert "simulating" not in err


def test_same_seed_same_json_and_planes_agree():
    pytest.importorskip("console.engine._dataplane")
    runs = [run(str(DATA), "--duration", "3", "--json", "--seed", "5", "--plane", p)[1]
            for p in ("reference", "compiled", "compiled")]
    assert runs[0] == runs[1] == runs[2]
