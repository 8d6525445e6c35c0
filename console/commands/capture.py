"""`fabric-console capture show|to-topology CAP`: packet captures in the fabric's terms.

    capture show CAP [--json]            VTEPs, per VNI the inner MACs and their VTEP, the
                                         floods and their copies, frame sizes vs the MTU
    capture to-topology CAP [-o FILE]    a starting fabric-console/1 file from the capture

Both read pcap and pcapng. VXLAN is UDP to 4789 and 8472, the topology's
`underlay.udp_port` (--topology FILE) and any --udp-port. Bad or truncated records are
reported one per line, `CAP: record N: why`, and what could be read is still shown.
Exit status: 0 read cleanly, 1 the capture has bad records (show) or nothing to build a
topology from / the output cannot be written (to-topology), 2 the capture (or the
--topology file) cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from ipaddress import IPv4Address
from typing import TextIO

from console.commands import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_topology

PROG = "fabric-console capture"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `capture` and its actions on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "capture",
        help="read a packet capture (pcap, pcapng) in the fabric's terms",
        description="Read a packet capture of a VEM uplink (VXLAN) or of a vNIC, and say "
                    "what it holds in the fabric's terms, or derive a starting topology.",
        epilog="Exit status: 0 read cleanly, 1 bad records (show) or no topology could be "
               "made or written (to-topology), 2 the capture cannot be read.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser(
        "show", help="VTEPs, VNIs, inner MACs, floods and frame sizes of a capture",
        description="Show what a capture holds: the VTEP IPs; per VNI the inner MACs and "
                    "the VTEP each sits behind; flood frames and the copies each caused on "
                    "the wire; frame sizes against the MTU.")
    _common(show)
    show.add_argument("--json", action="store_true",
                      help="print one JSON object (fabric-console-capture/1)")
    show.set_defaults(func=run_show)

    derive = actions.add_parser(
        "to-topology", help="a starting fabric-console/1 file from a VXLAN capture",
        description="Write a starting topology: one VEM per VTEP IP, a bridge domain per "
                    "VNI (flood mode from how its floods travelled), one VM per inner MAC, "
                    "and the capture's traffic as flows. Check it with 'fabric-console "
                    "validate'.")
    _common(derive)
    derive.add_argument("-o", "--output", metavar="FILE",
                        help="write the topology to FILE (atomically; default: stdout)")
    derive.set_defaults(func=run_to_topology)
    parser.set_defaults(func=run)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", metavar="CAP", help="capture file (pcap or pcapng)")
    parser.add_argument("--udp-port", metavar="N", type=_port, action="append", default=[],
                        help="also decode UDP to port N as VXLAN (repeatable; 4789 and 8472 "
                             "always are)")
    parser.add_argument("--topology", metavar="FILE",
                        help="take the VXLAN port and the MTU from this topology's underlay")
    parser.add_argument("--mtu", metavar="N", type=_mtu,
                        help="transport MTU that VXLAN frames are held against (default: the "
                             "topology's underlay.mtu, else 1600)")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("a UDP port is 1 to 65535")
    return value


def _mtu(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an MTU: {text!r}") from None
    if not 68 <= value <= 65535:
        raise argparse.ArgumentTypeError("an MTU is 68 to 65535")
    return value


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Dispatch to the action (argparse requires one)."""
    if args.action == "to-topology":
        return run_to_topology(args, stdout, stderr)
    return run_show(args, stdout, stderr)


def _summary(args: argparse.Namespace, err: TextIO):
    """The capture's summary, or None after saying why it cannot be read."""
    from console.models.capture.analysis import DEFAULT_TRANSPORT_MTU, summarize_file
    from console.models.capture.decode import DEFAULT_VXLAN_PORTS
    from console.models.capture.reader import CaptureError

    ports = set(DEFAULT_VXLAN_PORTS) | set(args.udp_port)
    mtu = DEFAULT_TRANSPORT_MTU
    if args.topology:
        topo = load_topology(args.topology, err)
        if topo is None:
            return None
        ports.add(topo.underlay.udp_port)
        mtu = topo.underlay.mtu
    if args.mtu:
        mtu = args.mtu
    try:
        return summarize_file(args.capture, frozenset(ports), transport_mtu=mtu)
    except CaptureError as exc:
        print(str(exc), file=err)
        return None


def _report_problems(summary, err: TextIO) -> None:
    for problem in summary.problems:
        print(f"{summary.source}: {problem}", file=err)


def run_show(args: argparse.Namespace, stdout: TextIO | None = None,
             stderr: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    summary = _summary(args, err)
    if summary is None:
        return EXIT_UNREADABLE
    _report_problems(summary, err)
    if args.json:
        json.dump(summary.to_json(), out, indent=2)
        out.write("\n")
    else:
        out.write(render(summary))
    out.flush()
    return EXIT_FINDINGS if summary.problems else EXIT_OK


def run_to_topology(args: argparse.Namespace, stdout: TextIO | None = None,
                    stderr: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    from console.models.capture.topology import to_topology
    from console.models.topofile import dumps, save

    summary = _summary(args, err)
    if summary is None:
        return EXIT_UNREADABLE
    _report_problems(summary, err)
    try:
        derived = to_topology(summary, udp_port=args.udp_port[-1] if args.udp_port else None)
    except ValueError as exc:
        print(f"{PROG} to-topology: {summary.source}: {exc}", file=err)
        return EXIT_FINDINGS
    for note in derived.notes:
        print(f"{summary.source}: note: {note}", file=err)
    if args.output:
        try:
            save(derived.topology, args.output)
        except OSError as exc:
            print(f"{PROG} to-topology: cannot write {args.output}: {exc.strerror or exc}",
                  file=err)
            return EXIT_FINDINGS
        t = derived.topology
        print(f"{summary.source}: wrote {args.output} ({_plural(len(t.hosts), 'VEM')}, "
              f"{_plural(len(t.bridge_domains), 'bridge domain')}, "
              f"{_plural(len(t.vms), 'VM')}, {_plural(len(t.traffic), 'flow')}); "
              f"check it with 'fabric-console validate {args.output}'", file=err)
    else:
        out.write(dumps(derived.topology))
        out.flush()
    return EXIT_OK


# ---------------------------------------------------------------------------- the text

def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def render(summary) -> str:
    """The readable report of `capture show`."""
    from console.models import FloodMode
    from console.models.capture.analysis import ASSUMED_PREFIX

    lines: list[str] = []
    ports = "/".join(str(p) for p in sorted(summary.vxlan_ports))
    lines.append(f"{summary.source}: {summary.format}, {_plural(summary.records, 'record')}: "
                 f"{summary.vxlan_frames} VXLAN (UDP {ports}), {summary.plain_frames} "
                 f"without VXLAN, {_plural(len(summary.problems), 'problem')}")
    if summary.first_ts is not None:
        lines.append(f"  over {summary.last_ts - summary.first_ts:.6f} s")

    vteps = sorted(summary.vteps.values(), key=lambda v: IPv4Address(v.ip))
    if vteps:
        lines.append("")
        lines.append(f"VTEPs: {len(vteps)}")
        for v in vteps:
            macs = f"  MAC {', '.join(sorted(v.macs))}" if v.macs else ""
            lines.append(f"  {v.ip:<15}  sent {v.sent}, received {v.received}{macs}")
        subnets = summary.vtep_subnets()
        if len(subnets) > 1:
            lines.append(f"  in {len(subnets)} different subnets (/{ASSUMED_PREFIX} assumed: a "
                         f"capture carries no prefix lengths): " + "; ".join(
                             f"{net}: {', '.join(ips)}" for net, ips in subnets.items()))
            lines.append("  they reach each other only by proxy ARP or a VTEP gateway")
        elif subnets:
            lines.append(f"  all in {next(iter(subnets))} (/{ASSUMED_PREFIX} assumed)")

    for vni, seg in sorted(summary.segments.items()):
        lines.append("")
        rng = "" if seg.in_range else "  (outside 4096..16,000,000: Nexus 1000V refuses it)"
        lines.append(f"VNI {vni}{rng}")
        mode = seg.mode.value if seg.mode else "unknown (no flood seen)"
        groups = f", group {', '.join(sorted(seg.groups))}" if seg.groups else ""
        lines.append(f"  flood mode: {mode}{groups}; {_plural(seg.frames, 'frame')}, "
                     f"{seg.bytes} bytes inside")
        lines.append(f"  inner MACs: {len(seg.macs)}")
        for m in seg.macs.values():
            ips = f"  IP {', '.join(sorted(m.ips))}" if m.ips else ""
            how = "" if m.learned == "source" else "  (a destination only: where known " \
                                                   "unicast to it went)"
            moved = f"  (moved from {', '.join(m.moved_from)})" if m.moved_from else ""
            lines.append(f"    {m.mac}  behind {m.vtep}{ips}{moved}{how}")
        lines.append(f"  floods: {len(seg.floods)}")
        for f in seg.floods:
            way = "multicast" if f.via is FloodMode.MULTICAST else "unicast"
            copies = _plural(len(f.copies), f"{way} copy", f"{way} copies")
            expected = seg.expected_copies(f)
            short = (f"; {expected} expected, one per remote VTEP in the segment"
                     if len(f.copies) != expected else "")
            lines.append(f"    record {f.record}: {f.kind} {f.what} from {f.src} at {f.vtep}: "
                         f"{copies} (to {', '.join(f.copies)}){short}")

    if summary.plain_frames:
        lines.append("")
        lines.append(f"Frames without VXLAN: {summary.plain_frames} "
                     f"({_plural(summary.plain_floods, 'flood')})")
        for m in summary.plain_macs.values():
            ips = f"  IP {', '.join(sorted(m.ips))}" if m.ips else ""
            lines.append(f"    {m.mac}  {_plural(m.frames, 'frame')} sent{ips}")

    sz = summary.sizes
    lines.append("")
    lines.append(f"Sizes (L3 bytes) against the transport MTU {sz.transport_mtu} (VXLAN) and "
                 f"the VM MTU {sz.vm_mtu} (without VXLAN):")
    lines.append(f"  {_plural(sz.frames, 'frame')}, {sz.fit} fit; largest {sz.largest} (record "
                 f"{sz.largest_record}); {sz.fragments} fragments")
    lines.append(f"  over the MTU: {len(sz.over_mtu)}")
    for o in sz.over_mtu:
        lines.append(f"    record {o.record}: {o.l3_length} > {o.mtu}: {o.why}")
    lines.append(f"  offloaded (larger than any MTU on the wire; not MTU drops): "
                 f"{len(sz.offloaded)}")
    for o in sz.offloaded:
        lines.append(f"    record {o.record}: {o.l3_length} bytes: {o.why}")
    return "\n".join(lines) + "\n"
