"""The `fabric-console` dispatcher: GUI or subcommand, lazy imports, never a traceback."""

from __future__ import annotations

import argparse
import sys
import types

import pytest

from console import cli


def fake_command(monkeypatch, name: str, run) -> None:
    """Install console.commands.<name> as a module with add_parser/run."""
    module = types.ModuleType(f"console.commands.{name}")

    def add_parser(subparsers):
        p = subparsers.add_parser(name)
        p.add_argument("--connect")
        p.add_argument("rest", nargs="*")
        p.set_defaults(func=run)

    module.add_parser = add_parser
    module.run = run
    monkeypatch.setitem(sys.modules, f"console.commands.{name}", module)
    monkeypatch.setitem(cli.COMMANDS, name, f"the {name} test command")


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("validate", "simulate", "export", "apply", "stats"):
        assert f"  {name} " in out
    assert "--connect URI" in out and "[FILE ...]" in out


def test_command_help_and_usage_errors_do_not_raise(capsys):
    assert cli.main(["validate", "--help"]) == 0
    assert "--json" in capsys.readouterr().out
    assert cli.main(["validate", "--no-such-option", "x"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err and "Traceback" not in err


def test_a_command_whose_dependency_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "needy", "needs a library")

    def fail(name, *a, **k):
        if name == "console.commands.needy":
            raise ModuleNotFoundError("No module named 'libvirt'", name="libvirt")
        return real(name, *a, **k)

    real = cli.importlib.import_module
    monkeypatch.setattr(cli.importlib, "import_module", fail)
    assert cli.main(["needy"]) == 2
    assert "it needs libvirt, which is not installed" in capsys.readouterr().err


def test_unexpected_errors_are_one_line_and_a_traceback_only_with_debug(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("the engine fell over\nsecond line")

    fake_command(monkeypatch, "boom", boom)
    assert cli.main(["boom"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("fabric-console: unexpected error: RuntimeError: the engine fell "
                           "over (run 'fabric-console --debug ...' for details)")
    assert cli.main(["--debug", "boom"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "the engine fell over" in err


def test_ctrl_c_exits_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    fake_command(monkeypatch, "slow", interrupted)
    assert cli.main(["slow"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_global_connect_goes_to_the_command_and_results_normalise(monkeypatch):
    seen: list[argparse.Namespace] = []

    def record(args):
        seen.append(args)
        return None

    fake_command(monkeypatch, "probe", record)
    assert cli.main(["--connect", "test:///default", "probe", "a", "--debug"]) == 0
    assert seen[0].connect == "test:///default" and seen[0].rest == ["a"] and seen[0].debug


def test_without_a_command_the_gui_gets_the_parsed_options(monkeypatch):
    got: list[argparse.Namespace] = []
    app = types.ModuleType("console.app")
    app.main = lambda args: got.append(args) or 0
    monkeypatch.setitem(sys.modules, "console.app", app)
    assert cli.main(["--connect", "test:///default", "--connect", "emulated:///demo",
                     "t.yaml"]) == 0
    assert got[0].connect == ["test:///default", "emulated:///demo"]
    assert got[0].file == ["t.yaml"] and got[0].debug is False


def test_without_the_gui_installed_the_message_is_clear(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "console.app", None)  # import fails as if missing
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "the GUI is not available" in err and "validate" in err


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_every_shipped_command_registers_a_parser(name):
    module = cli.load_command(name)  # every listed command is written: none may be missing
    parser = argparse.ArgumentParser()
    module.add_parser(parser.add_subparsers())
    assert callable(module.run)
