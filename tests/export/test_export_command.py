"""`fabric-console export`: golden files, --out, standard output, unreadable input."""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

import pytest

from console.commands import export as export_cmd
from console.export import FormatUnavailable, load_format
from console.models import topofile

DATA = Path(__file__).parent.parent / "data"
GOLDEN = Path(__file__).parent / "golden"
EXAMPLE = DATA / "design_example.yaml"
UPDATE = os.environ.get("FC_UPDATE_GOLDEN") == "1"  # regenerate after a reviewed change


def run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="fabric-console")
    export_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.run(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("fmt", ["nxos", "ucsm"])
def test_design_example_matches_the_golden_files(fmt, tmp_path):
    files = load_format(fmt).render(topofile.load(EXAMPLE))
    for name, text in files.items():
        golden = GOLDEN / f"design_example.{name}"
        if UPDATE:
            golden.write_text(text)
        assert text == golden.read_text(), f"{name} differs from {golden}"


@pytest.mark.parametrize("fmt", ["nxos", "ucsm"])
def test_out_writes_the_files_atomically_and_leaves_no_temporary_file(fmt, tmp_path):
    out = tmp_path / "new" / "dir"
    code, stdout, stderr = run(str(EXAMPLE), "--format", fmt, "--out", str(out))
    assert code == 0 and stdout == ""
    expected = load_format(fmt).render(topofile.load(EXAMPLE))
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    for name, text in expected.items():
        assert (out / name).read_text() == text
        assert f"wrote {out / name}" in stderr
        assert (out / name).stat().st_mode & 0o044  # readable like any saved file, not 0600


def test_out_replaces_an_existing_file(tmp_path):
    (tmp_path / "nexus1000v-vsm.cfg").write_text("old\n")
    assert run(str(EXAMPLE), "--format", "nxos", "--out", str(tmp_path))[0] == 0
    assert (tmp_path / "nexus1000v-vsm.cfg").read_text().startswith("! Fabric Console export")
    assert [p.name for p in tmp_path.iterdir()] == ["nexus1000v-vsm.cfg"]


def test_out_into_a_path_that_is_a_file_fails_cleanly(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    code, _, stderr = run(str(EXAMPLE), "--format", "ucsm", "--out", str(blocker))
    assert code == 1
    assert stderr.startswith(f"fabric-console export: cannot write to {blocker}")
    assert "Traceback" not in stderr and blocker.read_text() == "x"


def test_stdout_mode_names_each_file():
    code, stdout, _ = run(str(EXAMPLE), "--format", "nxos")
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == "# ---- file nexus1000v-vsm.cfg ----"
    assert "\n".join(lines[1:]) + "\n" == (GOLDEN / "design_example.nexus1000v-vsm.cfg").read_text()


def test_write_files_puts_every_file_of_a_multi_file_format_in_order(tmp_path):
    files = {"b.xml": "<b/>\n", "domains/a.xml": "<a/>\n"}
    written = export_cmd.write_files(tmp_path, files)
    assert written == [tmp_path / "b.xml", tmp_path / "domains" / "a.xml"]
    assert (tmp_path / "domains" / "a.xml").read_text() == "<a/>\n"
    with pytest.raises(ValueError):
        export_cmd.write_files(tmp_path, {"../escape": "x"})
    assert not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage", b"format: other/9\n",
                                     b"name: [unclosed\n", b"vms: 3\n"])
def test_unreadable_file_exits_2_with_problems_one_per_line(tmp_path, content):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    code, stdout, stderr = run(str(bad), "--format", "nxos", "--out", str(tmp_path / "o"))
    assert code == 2 and stdout == ""
    assert stderr and "Traceback" not in stderr
    assert all(line.startswith(str(bad)) for line in stderr.splitlines())
    assert not (tmp_path / "o").exists()


def test_missing_file_exits_2():
    code, _, stderr = run("/nonexistent/topo.yaml", "--format", "ucsm")
    assert code == 2 and "cannot open" in stderr


def test_load_format_names_unknown_formats():
    with pytest.raises(FormatUnavailable, match="choose one of libvirt, nxos, ucsm"):
        load_format("junos")


def test_findings_do_not_stop_the_export(tmp_path):
    # a VXLAN profile pointing at a bridge domain that does not exist: still exported
    text = EXAMPLE.read_text().replace("bridge_domain: tenant-a}", "bridge_domain: nowhere}")
    broken = tmp_path / "dangling.yaml"
    broken.write_text(text)
    for fmt in ("nxos", "ucsm"):
        code, stdout, stderr = run(str(broken), "--format", fmt)
        assert code == 0 and stdout.startswith("# ---- file ")
        assert stderr == (f"fabric-console export: warning: {broken} has 1 finding (1 error, "
                          f"0 warnings); exported anyway; see `fabric-console validate "
                          f"{broken}`\n")


def test_a_clean_file_exports_without_warnings():
    code, _, stderr = run(str(EXAMPLE), "--format", "ucsm")
    assert code == 0 and stderr == ""


def test_stdin_is_read_with_a_dash(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(EXAMPLE.read_bytes())

    monkeypatch.setattr("sys.stdin", Stdin)
    code, stdout, _ = run("-", "--format", "ucsm")
    assert code == 0
    assert stdout.split("\n", 1)[1] == (GOLDEN / "design_example.ucsm-vmfex.cli").read_text()


def test_through_the_cli_dispatcher(tmp_path):
    cli = pytest.importorskip("console.cli", reason="the CLI dispatcher is not written yet")
    code = cli.main(["export", str(EXAMPLE), "--format", "ucsm", "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "ucsm-vmfex.cli").read_text() == \
        (GOLDEN / "design_example.ucsm-vmfex.cli").read_text()
    assert cli.main(["export", str(tmp_path / "missing.yaml"), "--format", "nxos"]) == 2
