"""`fabric-console simulate FILE [--duration S] [--seed N] [--json] [--plane P]`.

Runs a topology's traffic on the emulated fabric and prints the counters: readable tables
by default, the `fabric-console-stats/1` object with --json. Any file that loads runs, even
one with error findings (planners simulate misconfigurations on purpose); the findings go
to standard error as warnings. Only an unreadable file or dangling references (names the
file does not define) stop it. Exit status: 0 simulated, 1 dangling references, 2 the file
cannot be read (or the compiled plane is not built when asked for explicitly).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from console.commands import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_topology

PROG = "fabric-console simulate"
PROGRESS_AFTER_S = 1.0  # wall seconds before a progress bar is worth showing
CHUNK_S = 0.25  # simulated seconds between progress updates


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `simulate` command on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "simulate",
        help="run a topology's traffic on the emulated fabric and print the counters",
        description="Run the traffic of a topology file on the emulated fabric (VM-FEX and "
                    "VXLAN semantics) and print per-VIF, bridge-domain, VEM and fabric "
                    "interconnect counters.",
        epilog="Exit status: 0 simulated, 1 the file has dangling references, 2 the file "
               "cannot be read.",
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="topology file (fabric-console/1 YAML)")
    parser.add_argument("--duration", metavar="S", type=_seconds, default=10.0,
                        help="simulated seconds to run (default 10)")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed of flow phases and ordering (default 0)")
    parser.add_argument("--json", action="store_true",
                        help="print the fabric-console-stats/1 JSON object")
    parser.add_argument("--plane", choices=("compiled", "reference"), default=None,
                        help="data plane (default: compiled when built, else reference)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 10**7:
        raise argparse.ArgumentTypeError("duration is 0 to 10,000,000 seconds")
    return value


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `simulate` with parsed arguments; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    topo = load_topology(args.file, err)
    if topo is None:
        return EXIT_UNREADABLE
    refused = _report_findings(topo, args.file, err)
    if refused:
        return EXIT_FINDINGS

    from console.engine.facade import Fabric

    plane = args.plane or "compiled"
    try:
        fabric = Fabric(topo, seed=args.seed, plane=plane)
    except ImportError:
        if args.plane == "compiled":
            print(f"{PROG}: the compiled data plane is not built (python3 setup.py "
                  "build_ext --inplace); use --plane reference", file=err)
            return EXIT_UNREADABLE
        fabric = Fabric(topo, seed=args.seed, plane="reference")
    _run(fabric, args.duration, err)
    sample = fabric.sample()
    if args.json:
        json.dump(sample.to_json(), out, indent=2)
        out.write("\n")
    else:
        from console.engine.summary import render

        out.write(render(topo, sample, plane=fabric.plane_name, seed=args.seed))
    out.flush()
    return EXIT_OK


def _report_findings(topo, path: str, err: TextIO) -> bool:
    """Print the findings as warnings; True when dangling references forbid the run."""
    from console.models import rules

    findings = rules.check(topo)
    dangling = rules.dangling(findings)
    for f in findings:
        kind = "error" if rules.is_dangling(f) else "warning"
        print(f"{path}: {kind}: {f.path}: {f.message} [{f.rule}]", file=err)
    if dangling:
        print(f"{PROG}: {path}: cannot simulate: {len(dangling)} dangling reference(s) "
              "(names the file does not define)", file=err)
    return bool(dangling)


def _run(fabric, duration: float, err: TextIO) -> None:
    """Advance to `duration`, with a progress bar on a terminal once the run is long."""
    tty = hasattr(err, "isatty") and err.isatty()
    start = time.monotonic()
    shown = False
    t = 0.0
    while t < duration:
        t = min(duration, t + CHUNK_S)
        fabric.run_until(t)
        if tty and time.monotonic() - start > PROGRESS_AFTER_S:
            shown = True
            width = 30
            done = int(width * t / duration) if duration else width
            err.write(f"\rsimulating [{'#' * done}{'.' * (width - done)}] "
                      f"{t:.1f}/{duration:g} s")
            err.flush()
    fabric.run_until(duration)
    if shown:
        err.write("\r" + " " * 60 + "\r")
        err.flush()
