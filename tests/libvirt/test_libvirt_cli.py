"""`fabric-console apply` and `stats` against libvirt's test driver."""

from __future__ import annotations

import json
from pathlib import Path

from libvirt_nodes import node_uri

from console.cli import main

PLAN = Path(__file__).resolve().parent / "kvm1_plan.yaml"


def test_apply_dry_run_prints_the_plan_and_changes_nothing(capsys):
    assert main(["apply", str(PLAN), "--connect", node_uri("kvm1"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1. Edit vNIC web1/eth0" in out
    assert "- update interface web1/eth0 (port profile backup)" in out
    assert "2. Define VM new1 (3 vNICs)" in out and "- define domain new1" in out
    assert "left alone: VM app1" in out
    assert "Applying" not in out


def test_apply_carries_out_each_step(capsys):
    assert main(["apply", str(PLAN), "--connect", node_uri("kvm1")]) == 0
    out = capsys.readouterr().out
    assert "1. Edit vNIC web1/eth0: ok" in out
    assert "done: define domain new1 (3 interfaces) [defined]" in out
    assert "Done: 2 change(s) applied." in out


def test_apply_refusal_stops_with_an_account(tmp_path, capsys):
    text = PLAN.read_text().replace('release: "2.0"', 'release: "2.2"')
    bad = tmp_path / "plan.yaml"
    bad.write_text(text)
    assert main(["apply", str(bad), "--connect", node_uri("kvm1")]) == 1
    out = capsys.readouterr().out
    assert "Define VM new1 (3 vNICs): REFUSED" in out and "macvtap-private" in out
    assert "Stopped. Applied: Edit vNIC web1/eth0." in out
    assert "Not applied: Define VM new1 (3 vNICs)." in out


def test_apply_without_a_host_connection_exits_2(capsys):
    assert main(["apply", str(PLAN), "--connect", node_uri("missing")]) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "Traceback" not in err


def test_stats_json_one_object_per_line(capsys):
    assert main(["stats", "--connect", node_uri("kvm1"), "--count", "2", "--interval", "0",
                 "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["format"] == "fabric-console-stats/1" and first["live"] is True
    assert set(first["vifs"]) == {"web1/eth0", "web2/eth0", "web2/eth1", "db1/eth0",
                                  "app1/eth0"}
    assert second["timestamp"] >= first["timestamp"]


def test_stats_table(capsys):
    assert main(["stats", "--connect", node_uri("kvm1"), "--count", "1"]) == 0
    out = capsys.readouterr().out
    assert "live" in out and "web2/eth1" in out and "tx_pps" in out
