"""fabric-console(1) is generated from the argparse parsers (scripts/manpage.py): the
committed page must be what a fresh generation gives, so it never drifts from --help."""

from __future__ import annotations

import argparse
import re
import subprocess

import pytest
from pkgsupport import MANPAGE, load_script, require_tool


@pytest.fixture(scope="module")
def manpage():
    return load_script("manpage")


def test_committed_man_page_is_a_fresh_generation(manpage):
    assert MANPAGE.read_text(encoding="utf-8") == manpage.render(), (
        "docs/man/fabric-console.1 is stale: run scripts/manpage.py (make man)")


def test_check_mode_fails_on_a_stale_page(manpage, tmp_path, monkeypatch):
    stale = tmp_path / "fabric-console.1"
    stale.write_text(manpage.render().replace("list\\-rules", "list\\-rulez", 1),
                     encoding="utf-8")
    assert stale.read_text(encoding="utf-8") != manpage.render()
    monkeypatch.setattr(manpage, "MANPAGE", stale)
    assert manpage.main(["--check"]) == 1
    stale.write_text(manpage.render(), encoding="utf-8")
    assert manpage.main(["--check"]) == 0


def commands(parser: argparse.ArgumentParser, prefix: str = ""):
    """(name, parser) of every command under parser, nested ones too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from commands(sub, f"{prefix}{name} ")


def test_page_has_every_command_and_option_of_the_parsers(manpage):
    from console import cli

    parser, usages = manpage.build_parser()
    text = MANPAGE.read_text(encoding="utf-8").replace("\\-", "-")
    found = dict(commands(parser))
    assert set(cli.COMMANDS) <= set(found)
    assert len(usages) == 1 + len(cli.COMMANDS)
    for name in cli.COMMANDS:
        assert f".B fabric-console {name}\n" in text, name
    for name, sub in [("", parser), *found.items()]:
        if name:
            assert re.search(rf"^\.SH COMMAND .*'fabric-console {name}'", text, re.M), name
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in text, f"{name or 'fabric-console'}: {option}"
    for heading in ("NAME", "SYNOPSIS", "OPTIONS", "EXIT STATUS", "FILES", "SEE ALSO"):
        assert f".SH {heading}" in text


def test_page_renders_without_groff_warnings():
    groff = require_tool("groff")
    result = subprocess.run([groff, "-man", "-ww", "-z", str(MANPAGE)], capture_output=True,
                            text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    text = subprocess.run([groff, "-man", "-Tutf8", "-P-c", str(MANPAGE)], capture_output=True,
                          text=True, check=True).stdout
    assert "fabric-console validate" in text
