"""Subcommands of `fabric-console`, one module each.

Each module exposes `add_parser(subparsers) -> None` (which calls
`subparsers.add_parser(...)` and `set_defaults(func=run)`) and `run(args) -> int`. console/cli.py
imports them lazily, so a command that needs Qt or libvirt costs nothing to the others.

Shared here: reading a topology file the same way in every command, with its problems
printed one per line with the file name, and the exit codes of DESIGN.md's CLI contract.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

from console.models import Topology
from console.models.topofile import TopologyFileError, load, loads

EXIT_OK = 0
EXIT_FINDINGS = 1  # validate: error findings; other commands: the operation failed
EXIT_UNREADABLE = 2  # the input cannot be read (or a command is not available)

STDIN = "-"


def read_topology(path: str) -> Topology:
    """Load a topology file; `-` reads standard input. Raises TopologyFileError only."""
    if path == STDIN:
        try:
            data = sys.stdin.buffer.read()
        except (OSError, ValueError, AttributeError) as exc:
            from console.models.topofile import Problem

            raise TopologyFileError("<stdin>", [Problem("", f"cannot read: {exc}")]) from None
        return loads(data, source="<stdin>")
    return load(path)


def print_problems(exc: TopologyFileError, err: TextIO | None = None) -> None:
    """One line per problem, each starting with the file name: `FILE: path: message`."""
    err = err if err is not None else sys.stderr
    if not exc.problems:
        print(f"{exc.source}: cannot be read", file=err)
    for problem in exc.problems:
        print(f"{exc.source}: {problem}", file=err)


def load_topology(path: str, err: TextIO | None = None) -> Topology | None:
    """Load a topology for a command: the Topology, or None after printing why it cannot
    be read (the command then exits with EXIT_UNREADABLE)."""
    try:
        return read_topology(path)
    except TopologyFileError as exc:
        print_problems(exc, err)
        return None


def seconds(option: str) -> Callable[[str], float]:
    """An argparse type for a simulated time `option` (--duration, --at): 0 to 10,000,000
    seconds, with a message naming the option."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not 0 <= value <= 10**7:
            raise argparse.ArgumentTypeError(f"{option} is 0 to 10,000,000 seconds")
        return value

    return parse


def refuse_dangling(topo: Topology, path: str, verb: str, err: TextIO) -> bool:
    """Print the dangling references of `topo` (one line each, then a summary saying it
    cannot `verb`); True when there were any: the command then stops."""
    from console.models import rules

    dangling = rules.dangling(rules.check(topo))
    for f in dangling:
        print(f"{path}: error: {f.path}: {f.message} [{f.rule}]", file=err)
    if dangling:
        print(f"fabric-console: {path}: cannot {verb}: {len(dangling)} dangling "
              "reference(s)", file=err)
    return bool(dangling)
