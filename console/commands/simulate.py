"""`fabric-console simulate FILE [--duration S] [--seed N] [--json] [--plane P]`
`fabric-console simulate FILE --replay CAP [--at vm/nic] [--json]`.

Runs a topology's traffic on the emulated fabric and prints the counters: readable tables
by default, the `fabric-console-stats/1` object with --json. Any file that loads runs, even
one with error findings (planners simulate misconfigurations on purpose); the findings go
to standard error as warnings. Only an unreadable file or dangling references (names the
file does not define) stop it. Exit status: 0 simulated, 1 dangling references, 2 the file
cannot be read (or the compiled plane is not built when asked for explicitly).

With --replay, the frames of a capture are the traffic (the file's own flows do not run):
an uplink capture is decapsulated and each frame enters at the VIF of its inner source
MAC, a vNIC capture at the VIF of its source MAC or at --at (console/engine/replay.py).
The run lasts from the first frame to the last (or --duration). Bad records of the capture
are reported on standard error and the rest is replayed; an unreadable capture exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from console.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREADABLE,
    load_topology,
    seconds,
)

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
    parser.add_argument("--duration", metavar="S", type=seconds("duration"), default=None,
                        help="simulated seconds to run (default 10; with --replay, the "
                             "capture's length)")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed of flow phases and ordering (default 0)")
    parser.add_argument("--json", action="store_true",
                        help="print the fabric-console-stats/1 JSON object")
    parser.add_argument("--plane", choices=("compiled", "reference"), default=None,
                        help="data plane (default: compiled when built, else reference)")
    parser.add_argument("--replay", metavar="CAP",
                        help="the frames of this capture (pcap, pcapng) are the traffic")
    parser.add_argument("--at", metavar="VM/NIC",
                        help="with --replay: the vNIC a vNIC capture was taken on (frames "
                             "from MACs of no other vNIC enter there)")
    parser.add_argument("--udp-port", metavar="N", type=int, action="append", default=[],
                        help="with --replay: also decode UDP to port N as VXLAN (4789, 8472 "
                             "and the file's underlay.udp_port always are)")


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `simulate` with parsed arguments; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if args.at and not args.replay:
        print(f"{PROG}: --at applies to --replay only", file=err)
        return EXIT_UNREADABLE
    topo = load_topology(args.file, err)
    if topo is None:
        return EXIT_UNREADABLE
    refused = _report_findings(topo, args.file, err)
    if refused:
        return EXIT_FINDINGS
    if args.replay:
        from console.models.capture.reader import CaptureError, open_capture

        try:
            open_capture(args.replay).close()  # unreadable: say so before any work
        except CaptureError as exc:
            print(str(exc), file=err)
            return EXIT_UNREADABLE
        if topo.traffic:
            print(f"{args.file}: note: its {len(topo.traffic)} flow(s) do not run: the "
                  f"frames of {args.replay} are the traffic", file=err)
            topo.traffic = []

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
    duration = 10.0 if args.duration is None else args.duration
    if args.replay:
        try:
            placement = _replay(fabric, topo, args, err)
        except KeyError:
            print(f"{PROG}: --at {args.at}: {args.file} has no such vNIC (write vm/nic)",
                  file=err)
            return EXIT_FINDINGS
        if placement is None:
            return EXIT_UNREADABLE
        _report_placement(placement, args.replay, err)
        if args.duration is None:
            duration = placement.duration_s
    _run(fabric, max(duration, fabric.now), err)
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
    from console.models.findings import cap_repeated

    findings = rules.check(topo)
    dangling = rules.dangling(findings)
    listed, omitted = cap_repeated(findings)
    for f in listed:
        kind = "error" if rules.is_dangling(f) else "warning"
        print(f"{path}: {kind}: {f.path}: {f.message} [{f.rule}]", file=err)
    for rule, (_, n) in omitted.items():
        kind = "error" if rule.startswith(rules.REF_PREFIX) else "warning"
        print(f"{path}: {kind}: ...: and {n:,} more like this [{rule}]", file=err)
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


def _replay(fabric, topo, args: argparse.Namespace, err: TextIO):
    """Enter the capture's frames; the Placement, or None after saying why the capture
    cannot be read. A classic pcap takes the compiled walk (console.engine._pcapwalk),
    anything else the Python decoder; both give the same frames and problems."""
    from console.engine.replay import replay, replay_pcap
    from console.models import Vnic
    from console.models.capture.analysis import sent_frames
    from console.models.capture.decode import DEFAULT_VXLAN_PORTS
    from console.models.capture.reader import CaptureError

    ports = frozenset({*DEFAULT_VXLAN_PORTS, topo.underlay.udp_port, *args.udp_port})
    vm_mtu = Vnic.model_fields["mtu"].default
    fast = replay_pcap(fabric, args.replay, ports, vm_mtu, args.at)
    if fast is not None:
        placement, problems = fast
    else:
        try:
            summary, sent = sent_frames(args.replay, ports, transport_mtu=topo.underlay.mtu,
                                        vm_mtu=vm_mtu)
        except CaptureError as exc:
            print(str(exc), file=err)
            return None
        problems = summary.problems
        placement = replay(fabric, sent, args.at)
    for problem in problems:
        print(f"{args.replay}: {problem}", file=err)
    return placement


def _report_placement(placement, source: str, err: TextIO) -> None:
    print(f"{source}: replayed {placement.entered} of {placement.frames} frames over "
          f"{placement.duration_s:g} s", file=err)
    for mac, n in sorted(placement.unplaced.items()):
        print(f"{source}: {n} frame(s) from {mac} not entered: no vNIC has that MAC "
              "(give --at vm/nic for a vNIC capture)", file=err)
    if placement.stopped:
        print(f"{source}: {placement.stopped} frame(s) at vNICs of shut-off VMs not sent",
              file=err)
