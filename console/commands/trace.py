"""`fabric-console trace FILE FROM TO [--size N] [--ip] [--df] [--at S] [--json]`.

Sends one frame from FROM (vm/nic) to TO (vm/nic, a MAC, or broadcast) after the file's own
traffic has run for S simulated seconds (default 0: empty L2 tables), and prints every step
and decision of the fabric with the numbers behind it, then the verdict. The steps come
from the reference data plane itself (console/engine/trace.py), so a trace never disagrees
with what `simulate` counts. With --json: {"delivered": [...], "drops": [{"where",
"reason", "text"}], "steps": [{"where", "kind", "text"}], ...}; `reason` is a stable id.

Any file that loads is traced, even one with error findings (a trace is how one sees what a
misconfiguration does); dangling references stop it, as for `simulate`. Exit status: 0 the
frame reached TO (every copy of a broadcast), 1 it did not (or the file has dangling
references), 2 the file cannot be read or FROM/TO name nothing in it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from console.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREADABLE,
    load_topology,
    refuse_dangling,
    seconds,
)

PROG = "fabric-console trace"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `trace` command on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "trace",
        help="follow one frame through the emulated fabric, step by step",
        description="Send one frame from a vNIC and print every step and decision of the "
                    "fabric (ingress policy, VM-FEX and VEM lookups, flooding, VXLAN "
                    "encapsulation, VTEP reachability, MTU) with the numbers behind them, "
                    "then the verdict.",
        epilog="Exit status: 0 the frame reached TO, 1 it did not (or the file has dangling "
               "references), 2 the file cannot be read or FROM/TO name nothing in it.",
    )
    parser.add_argument("file", metavar="FILE", help="topology file (fabric-console/1 YAML)")
    parser.add_argument("source", metavar="FROM", help="the sending vNIC, vm/nic")
    parser.add_argument("to", metavar="TO", help="vm/nic, a MAC address, or broadcast")
    parser.add_argument("--size", metavar="N", type=_size, default=64,
                        help="L3 length in bytes, what an MTU limits (default 64)")
    parser.add_argument("--ip", action="store_true", help="an IP packet (may be fragmented)")
    parser.add_argument("--df", action="store_true",
                        help="IP with don't-fragment set (implies --ip)")
    parser.add_argument("--at", metavar="S", type=seconds("--at"), default=0.0,
                        help="send it after the file's traffic has run S simulated seconds "
                             "(default 0: empty L2 tables)")
    parser.add_argument("--src-mac", metavar="MAC", default=None,
                        help="send with this source MAC instead of the vNIC's (a forged "
                             "frame, to see MAC forging at work)")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed of the file's traffic before --at (default 0)")
    parser.add_argument("--json", action="store_true", help="print the trace as JSON")
    parser.set_defaults(func=run)
    return parser


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of bytes: {text!r}") from None
    if not 28 <= value <= 65535:
        raise argparse.ArgumentTypeError("size is 28 to 65535 bytes (an L3 length)")
    return value


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `trace` with parsed arguments; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    topo = load_topology(args.file, err)
    if topo is None:
        return EXIT_UNREADABLE
    if refuse_dangling(topo, args.file, "trace", err):
        return EXIT_FINDINGS
    from console.engine.trace import TraceError, trace

    try:
        result = trace(topo, args.source, args.to, size=args.size, ip=args.ip or args.df,
                       df=args.df, at=args.at, seed=args.seed, src_mac=args.src_mac)
    except TraceError as exc:
        print(f"{PROG}: {args.file}: {exc}", file=err)
        return EXIT_UNREADABLE
    if args.json:
        json.dump(result.to_json(), out, indent=2)
        out.write("\n")
    else:
        out.write(render(result))
    out.flush()
    return EXIT_OK if result.reached else EXIT_FINDINGS


def render(result) -> str:
    """The trace as text: a header, numbered steps, the verdict."""
    kind = "IP, DF" if result.df else "IP" if result.ip else "not IP"
    to = result.to if result.to == result.dst_mac else f"{result.to} ({result.dst_mac})"
    lines = [f"trace {result.source} ({result.src_mac}) -> {to}, {result.size} bytes "
             f"({kind}), at {result.at_s:g} s"]
    width = max((len(s.where) for s in result.steps), default=0)
    for n, s in enumerate(result.steps, 1):
        lines.append(f"{n:3}  {s.where:<{width}}  {s.text}")
    lines.append(f"verdict: {'reached' if result.reached else 'NOT reached'}: "
                 f"{result.verdict()}")
    return "\n".join(lines) + "\n"
