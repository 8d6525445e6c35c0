"""`fabric-console stats --connect URI [--interval S] [--count N] [--json]`.

Prints the per-VIF counters of a fabric every interval: a table of totals and rates
(rates between this sample and the previous one), or with --json one
`fabric-console-stats/1` object per line (totals; `live` says whether they are fresh).
A sample taken while the connection is down is marked "not live", never passed off as
current; stderr says when the connection drops (with the reason: a host that is not
answering names what had no answer) and when it is back.

Nothing waits for ever: opening and every call to a libvirt host have time-outs (20 s
to connect, 30 s a call by default; ?fc_connect_timeout=S, ?fc_call_timeout=S in the URI
or FABRIC_CONSOLE_CONNECT_TIMEOUT, FABRIC_CONSOLE_CALL_TIMEOUT change them; see
console/backends/libvirt/connection.py).
Exit status: 0 done, 1 the connection was down at the last sample, 2 the connection
cannot be opened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from typing import TYPE_CHECKING, TextIO

from console.commands import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE
from console.models.stats import CounterSample, rate

if TYPE_CHECKING:
    from console.backends.base import Backend

PROG = "fabric-console stats"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats", help="print live counters of a fabric (--connect URI)",
        description="Print per-VIF counters of a fabric (vm/nic): totals and rates per "
                    "interval, or one JSON object per line.",
        epilog="A libvirt host has 20 s to answer the connection and 30 s each call "
               "(?fc_connect_timeout=S&fc_call_timeout=S in the URI, or "
               "FABRIC_CONSOLE_CONNECT_TIMEOUT / FABRIC_CONSOLE_CALL_TIMEOUT). Exit status: "
               "0 done, 1 the connection was down at the last sample, 2 no connection.")
    parser.add_argument("--connect", metavar="URI", required=True,
                        help="emulated:///demo, a libvirt URI (qemu:///system, "
                             "test:///path/node.xml)...")
    parser.add_argument("--interval", metavar="S", type=_positive, default=1.0,
                        help="seconds between samples (default 1)")
    parser.add_argument("--count", metavar="N", type=int, default=0,
                        help="samples to print, then exit (default: until interrupted)")
    parser.add_argument("--json", action="store_true",
                        help="one fabric-console-stats/1 object per line")
    parser.set_defaults(func=run)


def _positive(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("the interval is 0 or more seconds")
    return value


def table(sample: CounterSample, prev: CounterSample | None) -> str:
    """One interval as text: a row per VIF with totals and packet/byte rates."""
    seconds = sample.timestamp - prev.timestamp if prev is not None else 0.0
    state = "live" if sample.live else "NOT LIVE (connection down: last known totals)"
    lines = [f"-- {sample.timestamp:.3f}  {state}",
             f"{'vif':<28} {'tx_pkts':>14} {'rx_pkts':>14} {'tx_bytes':>16} "
             f"{'rx_bytes':>16} {'tx_pps':>10} {'rx_pps':>10}"]
    for vif in sorted(sample.vifs):
        c = sample.vifs[vif]
        old = prev.vifs.get(vif) if prev is not None and sample.live else None
        tx_pps = rate(old.tx_packets, c.tx_packets, seconds) if old is not None else 0.0
        rx_pps = rate(old.rx_packets, c.rx_packets, seconds) if old is not None else 0.0
        lines.append(f"{vif:<28} {c.tx_packets:>14} {c.rx_packets:>14} {c.tx_bytes:>16} "
                     f"{c.rx_bytes:>16} {tx_pps:>10.1f} {rx_pps:>10.1f}")
    if not sample.vifs:
        lines.append("(no running VM with a vNIC)")
    return "\n".join(lines)


def report_error(exc: Exception, err: TextIO) -> None:
    """A backend's message, and for a time-out how to give the host longer."""
    print(f"{PROG}: {exc}", file=err)
    hint = getattr(exc, "hint", "")
    if hint:
        print(f"{PROG}: {hint}", file=err)


async def _follow(backend: Backend, err: TextIO) -> None:
    """Say on stderr when the connection drops and when it is back."""
    from console.backends.base import ConnectionState, EventKind

    down = False
    async for event in backend.events():
        if event.kind is not EventKind.STATE:
            continue
        state = event.data.get("state")
        if state in (ConnectionState.RECONNECTING, ConnectionState.FAILED) and not down:
            down = True
            print(f"{PROG}: {_named(backend.uri, event.detail)}; samples are not live "
                  "until it is back", file=err, flush=True)
        elif state == ConnectionState.CONNECTED and down:
            down = False
            print(f"{PROG}: {backend.uri}: {event.detail}", file=err, flush=True)


def _named(uri: str, detail: str) -> str:
    """The reason, with the URI once (libvirt's reasons already start with it)."""
    return f"connection down: {detail}" if uri in detail else \
        f"{uri}: connection down: {detail}"


async def _stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.backends import BackendError, open_backend

    try:
        backend = open_backend(args.connect)
        await backend.connect()
    except BackendError as exc:
        report_error(exc, err)
        return EXIT_UNREADABLE
    prev: CounterSample | None = None
    n = 0
    follower = asyncio.get_running_loop().create_task(_follow(backend, err))
    try:
        while args.count <= 0 or n < args.count:
            if n:
                await asyncio.sleep(args.interval)
            sample = await backend.sample()
            n += 1
            if args.json:
                obj = sample.to_json()
                obj["live"] = sample.live
                print(json.dumps(obj, sort_keys=True), file=out, flush=True)
            else:
                print(table(sample, prev), file=out, flush=True)
            prev = sample
    finally:
        await asyncio.sleep(0)  # let the follower print what the last sample caused
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        await backend.close()  # bounded: a silent host does not hold the command
    if prev is not None and not prev.live:
        print(f"{PROG}: {args.connect}: the connection was down at the last sample "
              "(its counters are the last known totals)", file=err)
        return EXIT_FINDINGS
    return EXIT_OK


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    return asyncio.run(_stats(args, out, err))
