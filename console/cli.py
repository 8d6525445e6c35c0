"""The `fabric-console` command line.

    fabric-console [--connect URI] [--debug] [FILE]     the GUI (console/app.py)
    fabric-console validate|simulate|export|apply|stats ...

A subcommand lives in console/commands/<name>.py (`add_parser(subparsers)`, `run(args)`)
and is imported only when used, so `validate` never loads Qt or libvirt, and a command
that cannot import its dependencies says it is not available instead of breaking the
others. Nothing reaches the user as a traceback: Ctrl-C exits
130, an unexpected error prints one line and exits 2 (the traceback only with --debug).
"""

# ruff: noqa: E402  (STARTED is taken before the other imports)
from __future__ import annotations

import time

# The startup log's zero (FABRIC_CONSOLE_STARTUP_LOG, console/app.py): as near the
# process start as this package gets, before anything else of it is imported.
STARTED = time.monotonic()

import argparse
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

PROG = "fabric-console"
EXIT_UNAVAILABLE = 2
EXIT_INTERRUPTED = 130

# name -> one line for `fabric-console --help` (the module itself gives the full help)
COMMANDS: dict[str, str] = {
    "validate": "check a topology file against every domain rule",
    "simulate": "run a topology file on the emulated fabric and print its counters",
    "export": "render a topology as libvirt, Nexus 1000V or UCS Manager configuration",
    "apply": "push a topology file to a fabric (--connect URI)",
    "stats": "print live counters of a fabric (--connect URI)",
    "capture": "read a packet capture in the fabric's terms, or derive a topology from it",
    "trace": "follow one frame through the emulated fabric, step by step",
    "compare": "run two topology files and report what changes from the first to the second",
    "plan": "write a planning report (MTU, flood cost, VTEP load, reachability) for a file",
}


class CommandUnavailable(Exception):
    """A subcommand that cannot be imported here (a dependency missing or broken)."""


def _gui_parser() -> argparse.ArgumentParser:
    width = max(len(n) for n in COMMANDS)
    listing = "\n".join(f"  {name:<{width}}  {text}" for name, text in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fabric Console: a management console for KVM networking with Cisco "
                    "VM-FEX and Nexus 1000V VXLAN overlays. Without a command, opens the "
                    "GUI (default: the emulated demo fabric).",
        epilog=f"commands:\n{listing}\n\nRun '{PROG} COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--connect", metavar="URI", action="append",
                        help="fabric to open (repeat for several): emulated:///demo, "
                             "emulated:///path/file.yaml, or a libvirt URI (qemu:///system, "
                             "test:///default)")
    parser.add_argument("--debug", action="store_true",
                        help="print tracebacks and debug logging")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("file", metavar="FILE", nargs="*",
                        help="topology files to run and open (fabric-console/1 YAML), "
                             "each on an emulated fabric of its own")
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("fabric-console")
    except Exception:  # not installed (running from a checkout)
        return "(development)"


def load_command(name: str) -> ModuleType:
    """Import console.commands.<name>, or raise CommandUnavailable saying why not."""
    module_name = f"console.commands.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise CommandUnavailable(f"the '{name}' command is not available: it needs "
                                 f"{exc.name}, which is not installed") from exc
    except Exception as exc:  # a broken module must not take the other commands down
        raise CommandUnavailable(f"the '{name}' command is not available: {type(exc).__name__}: "
                                 f"{exc}") from exc


def _split_globals(argv: list[str]) -> tuple[list[str], int | None]:
    """Where the subcommand is, if any: skip leading --debug and --connect URI."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--debug" or arg.startswith("--connect="):
            i += 1
        elif arg == "--connect":
            i += 2
        else:
            break
    if i < len(argv) and argv[i] in COMMANDS:
        return argv, i
    return argv, None


def _run_command(argv: list[str], at: int, debug: bool) -> int:
    name = argv[at]
    leading = argv[:at]
    rest = argv[at + 1:]
    # Global options written before the command go to it (`--connect URI stats`).
    forwarded = [a for a in leading if a != "--debug"]
    try:
        module = load_command(name)
    except CommandUnavailable as exc:
        if debug and exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__)
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    parser = argparse.ArgumentParser(prog=PROG)
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    module.add_parser(subparsers)
    args = parser.parse_args([name, *forwarded, *[a for a in rest if a != "--debug"]])
    args.debug = debug
    func = getattr(args, "func", None) or module.run
    result = func(args)
    return 0 if result is None else int(result)


def _run_gui(argv: list[str]) -> int:
    args = _gui_parser().parse_args(argv)
    # No cycle collection while the GUI starts: console/app.py turns it back on once the
    # window has painted (collect_again_once_shown says why); here if it never gets there.
    gc.disable()
    try:
        try:
            from console.app import main as gui_main
        except ModuleNotFoundError as exc:
            if exc.name not in ("console.app", "PySide6", "qasync", "pyqtgraph"):
                raise
            print(f"{PROG}: the GUI is not available ({exc.name} is not installed); the "
                  f"commands still work: {', '.join(COMMANDS)} (see '{PROG} --help')",
                  file=sys.stderr)
            return EXIT_UNAVAILABLE
        result = gui_main(args)
    finally:
        gc.enable()
    return 0 if result is None else int(result)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # SystemExit("message") convention
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `fabric-console` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("FABRIC_CONSOLE_DEBUG"))
    try:
        args, at = _split_globals(args)
        if at is not None:
            return _run_command(args, at, debug)
        return _run_gui(args)
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return _exit_code(exc.code)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): silence the flush at exit, as a pipe tool does.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
        text = str(exc).splitlines()[0] if str(exc) else ""
        hint = "" if debug else f" (run '{PROG} --debug ...' for details)"
        print(f"{PROG}: unexpected error: {type(exc).__name__}: {text}{hint}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
