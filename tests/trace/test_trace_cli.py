"""`fabric-console trace` on the command line: text, JSON, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main

DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "topologies" / "demo.yaml")
MTU_LAB = str(Path(__file__).resolve().parents[2] / "resources" / "topologies" / "mtu-lab.yaml")


def test_text_trace_of_a_hairpin(capsys):
    assert main(["trace", DEMO, "db1/eth0", "web1/eth0", "--at", "0.1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("trace db1/eth0 (52:54:00:00:01:02) -> web1/eth0 (52:54:00:00:01:01), "
                      "64 bytes (not IP), at 0.1 s")
    assert out[-1] == "verdict: reached: delivered to web1/eth0"
    assert any("hairpin: web1/eth0 is on kvm1" in line for line in out)


def test_json_of_a_df_drop_exits_1(capsys):
    code = main(["trace", MTU_LAB, "nas1/eth0", "nas2/eth0", "--size", "1551", "--df",
                 "--at", "0.01", "--json"])
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["delivered"] == []
    assert [(d["where"], d["reason"]) for d in doc["drops"]] == [("vem1", "mtu-df")]
    assert doc["ip"] is True and doc["df"] is True and doc["size"] == 1551
    assert {"where", "kind", "text"} == set(doc["steps"][0])
    assert doc["steps"][-1]["kind"] == "drop"


def test_broadcast_json(capsys):
    assert main(["trace", DEMO, "os1/eth0", "broadcast", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # unicast-only tenant-b: copies to vem2 (os3) and vem3 (os2), in member order
    assert doc["delivered"] == ["os3/eth0", "os2/eth0"] and doc["drops"] == []


@pytest.mark.parametrize("argv, message", [
    (["web9/eth0", "web1/eth0"], "web9/eth0: no such vNIC in the topology (write vm/nic)"),
    (["web1/eth0", "db9/eth0"], "db9/eth0: no such vNIC in the topology (write vm/nic)"),
    (["web1/eth0", "nowhere"], "nowhere: not a vNIC (vm/nic), a MAC address or broadcast"),
    (["web1/eth0", "broadcast", "--src-mac", "zz"], "zz: not a MAC address"),
])
def test_unknown_names_exit_2_with_a_message(capsys, argv, message):
    assert main(["trace", DEMO, *argv]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"fabric-console trace: {DEMO}: {message}"
    assert "Traceback" not in err


def test_unreadable_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: fabric-console/1\nhosts: [oops\n")
    assert main(["trace", str(bad), "a/eth0", "broadcast"]) == 2
    assert str(bad) in capsys.readouterr().err
    assert main(["trace", str(tmp_path / "missing.yaml"), "a/eth0", "broadcast"]) == 2


def test_bad_size_is_a_usage_error(capsys):
    assert main(["trace", DEMO, "web1/eth0", "broadcast", "--size", "20"]) == 2
    assert "size is 28 to 65535" in capsys.readouterr().err
