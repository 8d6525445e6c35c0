"""`fabric-console validate`: findings one per line, exit 0/1/2, --json, load problems."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from console import cli
from console.models.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources/topologies/demo.yaml"
LARGE = ROOT / "resources/topologies/large.yaml"

BROKEN = """\
format: fabric-console/1
name: broken
ucs: {release: "2.2"}
hosts:
  - {name: kvm1, os: rhel-6.4, vic: {model: VIC-1280, pfs: [{name: eth2, vfs: 4}]}}
port_profiles: [{name: web, clients: [default], vlans: [100]}]
vms:
  - name: web1
    host: kvm1
    nics: [{name: eth0, mac: "52:54:00:00:01:01", port_profile: web,
            attach: macvtap-passthrough, pf: eth9}]
  - name: db1
    host: kvm1
    nics: [{name: eth0, mac: "52:54:00:00:01:02", port_profile: web, attach: hostdev}]
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["validate", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def write(tmp_path: Path, text: str | bytes, name: str = "t.yaml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_demo_validates_with_its_one_warning(capsys):
    code, out, err = run(capsys, str(DEMO))
    assert code == 0
    assert out.splitlines() == [
        "warning: vms[1].nics[0].attach: VM db1 cannot live-migrate: its vNIC eth0 is hostdev "
        "(SR-IOV passthrough); use macvtap-passthrough where migration matters "
        "[vmfex.hostdev-no-migration]"]
    assert err.strip().endswith("0 errors, 1 warning")


def test_large_validates_clean(capsys):
    code, out, err = run(capsys, str(LARGE))
    assert (code, out) == (0, "")
    assert "0 errors, 0 warnings" in err


def test_errors_exit_1_one_finding_per_line(tmp_path, capsys):
    code, out, _ = run(capsys, write(tmp_path, BROKEN))
    assert code == 1
    lines = out.splitlines()
    assert "error: vms[0].nics[0].pf: vNIC eth0 of VM web1 uses PF eth9, which host kvm1 " \
           "does not have (its PFs: eth2) [ref.pf]" in lines
    assert any(line.startswith("warning: vms[1].nics[0].attach: ") for line in lines)
    assert all(line.split(":")[0] in ("error", "warning") and line.endswith("]")
               for line in lines)


def test_strict_makes_warnings_fail(capsys):
    assert run(capsys, "--strict", str(DEMO))[0] == 1


@pytest.mark.parametrize(("text", "expected"), [
    (b"", "empty file"),
    (b"\x00\x01binary", "binary data"),
    (b"format: fabric-console/1\nvms: [\n", "not valid YAML"),
    (b"format: fabric-console/9\n", "format: 'fabric-console/9' is not a format"),
    (b"format: fabric-console/1\nhosts: [{name: h, colour: red}]\n",
     "hosts[0]: unknown key 'colour'"),
    (b"format: fabric-console/1\nvms: [{name: v, host: h, nics: [{name: e, mac: zz, "
     b"port_profile: p}]}]\n", "vms[0].nics[0].mac:"),
])
def test_unreadable_files_exit_2_with_the_file_name(tmp_path, capsys, text, expected):
    path = write(tmp_path, text)
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert all(line.startswith(f"{path}: ") for line in err.splitlines())
    assert expected in err


def test_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml: cannot open" in err


def test_json_output(tmp_path, capsys):
    code, out, _ = run(capsys, "--json", write(tmp_path, BROKEN))
    data = json.loads(out)
    assert code == 1 and data["format"] == "fabric-console-findings/1" and data["readable"]
    assert data["errors"] >= 1 and data["warnings"] == 1
    first = data["findings"][0]
    assert set(first) == {"path", "rule", "severity", "message"} and first["rule"] in RULES
    code, out, _ = run(capsys, "--json", write(tmp_path, b"- a list\n", "bad.yaml"))
    data = json.loads(out)
    assert code == 2 and data["readable"] is False and "mapping" in data["problems"][0]["message"]


def test_several_files_prefix_each_line_and_exit_with_the_worst(tmp_path, capsys):
    broken = write(tmp_path, BROKEN)
    code, out, _ = run(capsys, str(DEMO), broken)
    assert code == 1
    assert all(line.startswith((str(DEMO), broken)) for line in out.splitlines())
    assert run(capsys, str(DEMO), str(tmp_path / "missing.yaml"))[0] == 2


def test_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DEMO.read_bytes())))
    assert run(capsys, "-")[0] == 0


def test_list_rules_names_every_rule(capsys):
    code, out, _ = run(capsys, "--list-rules")
    assert code == 0
    assert {line.split()[0] for line in out.splitlines() if not line.startswith(" ")} == \
        set(RULES)
    code, out, _ = run(capsys, "--list-rules", "--json")
    assert {r["id"] for r in json.loads(out)["rules"]} == set(RULES)


def test_no_file_is_a_usage_error(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "FILE" in err


def test_the_real_entry_point(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "console.cli", "validate",
                           write(tmp_path, BROKEN)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 1 and "[ref.pf]" in proc.stdout
    assert "Traceback" not in proc.stderr


def _generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_topology", ROOT / "scripts/gen_topology.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_large_is_what_the_generator_writes():
    gen = _generator()
    data = gen.generate(vems=64, vms=2000, segments=200, vteps_per_vem=4, vmfex_hosts=4,
                        flows=200, seed=1)
    assert gen.dumps(data) == LARGE.read_text(), \
        "regenerate: python3 scripts/gen_topology.py --seed 1 -o resources/topologies/large.yaml"
    assert len(LARGE.read_bytes()) < 2_000_000


@pytest.mark.parametrize(("vems", "vms", "segments", "vteps", "vmfex", "seed"), [
    (1, 1, 1, 1, 0, 0), (3, 50, 7, 2, 1, 5), (40, 400, 30, 4, 3, 9), (70, 300, 13, 3, 0, 2)])
def test_generated_topologies_validate_clean(tmp_path, capsys, vems, vms, segments, vteps,
                                             vmfex, seed):
    out = tmp_path / "g.yaml"
    assert _generator().main(["--vems", str(vems), "--vms", str(vms), "--segments",
                              str(segments), "--vteps-per-vem", str(vteps), "--vmfex-hosts",
                              str(vmfex), "--seed", str(seed), "-o", str(out)]) == 0
    capsys.readouterr()
    assert run(capsys, str(out))[:2] == (0, "")
