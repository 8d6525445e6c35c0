"""`fabric-console plan FILE [--out DIR] [--sweep KEY=V1,V2,...] [--scheduler ADDRESS]`.

Writes a planning report for the file's fabric and traffic into DIR (default
`NAME-plan/` beside the current directory): `plan.md`, `plan.html` and the PNG plots the
HTML shows. The numbers come from console/engine/plan.py: the MTU plan per pair of VEMs,
the flood cost of each bridge domain under both flood modes, the load of each designated
VTEP with a designation that spreads it, and the VTEP reachability matrix.

`--sweep KEY=V1,V2,...` (repeatable) runs each value as an independent simulation: in local
processes (concurrent.futures.ProcessPoolExecutor), or with `--scheduler ADDRESS` on an
existing Dask cluster, whose Client hands out a concurrent.futures Executor, so one code
path serves both. KEY is a dotted path in the file (`underlay.mtu`,
`bridge_domains.tenant-a.mode`, `hosts.vem1.uplink_mtu`) or `vems` (the VEM host count).

matplotlib and dask are imported only here and only when the command runs: the other
commands never pay for them. Exit status: 0 report written, 1 a sweep value is refused or
the file has dangling references, 2 the file cannot be read (or matplotlib, or dask for
--scheduler, is not installed).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from console.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREADABLE,
    load_topology,
    refuse_dangling,
    seconds,
)

if TYPE_CHECKING:
    from console.engine.plan import FloodCost, MtuPair, ReachMatrix, VtepLoad
    from console.models import Topology

PROG = "fabric-console plan"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
               ) -> argparse.ArgumentParser:
    """Register the `plan` command on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "plan",
        help="write a planning report (MTU, flood cost, VTEP load, reachability) for a file",
        description="Write a report (HTML with PNG plots, and Markdown) for the file's "
                    "fabric and traffic: the MTU each pair of VEMs needs and what limits it, "
                    "the flood cost of each bridge domain under multicast and unicast-only, "
                    "the flood load of each designated VTEP and a designation that spreads "
                    "it, and the VTEP reachability matrix. --sweep runs variants of the "
                    "file as independent simulations, locally or on a Dask cluster.",
        epilog="Exit status: 0 report written, 1 a sweep value is refused or the file has "
               "dangling references, 2 the file cannot be read or a needed library is "
               "missing.",
    )
    parser.add_argument("file", metavar="FILE", help="topology file (fabric-console/1 YAML)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="directory for plan.html, plan.md and the plots "
                             "(default: NAME-plan)")
    parser.add_argument("--sweep", metavar="KEY=V1,V2,...", action="append", default=[],
                        help="simulate each value of a setting: underlay.mtu=1550,1600,9000, "
                             "bridge_domains.NAME.mode=multicast,unicast-only, vems=2,4,8 "
                             "(repeatable)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run the sweep on this Dask scheduler (tcp://host:8786) "
                             "instead of local processes")
    parser.add_argument("--duration", metavar="S", type=seconds("--duration"), default=10.0,
                        help="simulated seconds of each sweep run, and the span count flows "
                             "are spread over (default 10)")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed of the sweep's simulations (default 0)")
    parser.add_argument("--workers", metavar="N", type=int, default=None,
                        help="local worker processes (default: the CPU count)")
    parser.add_argument("--open", action="store_true",
                        help="open plan.html in the desktop's web browser when written")
    parser.set_defaults(func=run)
    return parser


# ---------------------------------------------------------------------- the report
@dataclass
class Report:
    name: str
    file: str
    duration: float
    mtu: list[MtuPair]
    flood: list[FloodCost]
    load: list[VtepLoad]
    designation: dict[str, dict[str, str]]
    reach: ReachMatrix
    sweeps: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    plots: dict[str, str] = field(default_factory=dict)  # section -> PNG file name


def build(topo: Topology, file: str, duration: float) -> Report:
    """The analytic sections (no simulation): fast, the same on every run."""
    from console.engine import plan as P
    from console.models.derived import Derived

    d = Derived(topo)
    load, designation = P.vtep_load(topo, duration, d)
    return Report(topo.name, file, duration, P.mtu_plan(topo, duration, d),
                  P.flood_cost(topo, duration, d), load, designation,
                  P.reach_matrix(topo, d))


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


MAX_ROWS = 60  # a table longer than this is a log, not a report: the most telling rows
MAX_MATRIX = 16  # VTEPs up to which the reachability matrix is a table (and has text)
MAX_BARS = 30  # bars or lines per plot


def _more(total: int, what: str, which: str) -> str:
    return f" {total:,} {what}: listed, {which} ({MAX_ROWS})." if total > MAX_ROWS else ""


def _tables(r: Report) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(section, intro, header, rows) of every table, shared by Markdown and HTML. Long
    sections list their most telling rows and say how many there are."""
    from console.engine.plan import REACH_KINDS

    out = []
    rows = []
    mtu = r.mtu
    if len(mtu) > MAX_ROWS:  # a large fabric: the pairs that do not fit, then the tightest
        mtu = sorted(mtu, key=lambda p: (p.fits, p.path_mtu - p.required))[:MAX_ROWS]
    for p in mtu:
        lower = "; ".join(f"{x.vif} {x.mtu} -> {x.to}" for x in p.lower) or "-"
        now = []
        if p.dropped:
            now.append("drops flows " + ", ".join(f"#{i}" for i in p.dropped))
        if p.fragmented:
            now.append("fragments flows " + ", ".join(f"#{i}" for i in p.fragmented))
        rows.append([f"{p.vems[0]} <-> {p.vems[1]}", ", ".join(p.bridge_domains),
                     str(p.largest), str(p.required), str(p.path_mtu), p.limited_by,
                     ", ".join(p.grow) if p.grow else "nothing (fits)",
                     "; ".join(now) or "fits", lower])
    out.append(("MTU plan",
                "For every pair of VEMs that exchange VXLAN traffic: the largest frame "
                "(L3 size) between them, the transport MTU that carries every flow whole "
                "(largest + 50), the path MTU now and the link that limits it, the links "
                "to grow, and the vNICs to lower instead if the transport cannot grow "
                "(their MTU now -> the MTU that fits). Flow #N is entry N of traffic:, from 0."
                + _more(len(r.mtu), "pairs", "the pairs that do not fit, then the tightest"),
                ["VEMs", "bridge domains", "largest", "needs MTU", "path MTU now",
                 "limited by", "grow", "now", "or lower"], rows))
    flood = r.flood if len(r.flood) <= MAX_ROWS else sorted(
        r.flood, key=lambda f: -f.unicast_bytes)[:MAX_ROWS]
    rows = [[f.bridge_domain, f.mode, str(f.members), _num(f.floods_per_s),
             _num(f.multicast_copies), _num(f.multicast_bytes), _num(f.unicast_copies),
             _num(f.unicast_bytes),
             f"multicast from {f.multicast_wins_from} member VEMs"] for f in flood]
    out.append(("Flood cost per bridge domain",
                "Transport copies and bytes per second of each bridge domain's floods "
                "(broadcast, multicast, MACs nobody owns) for this traffic: one copy to the "
                "group in multicast mode, one per other member VEM in unicast-only mode. "
                "With N member VEMs unicast-only sends N - 1 copies per flood, multicast 1."
                + _more(len(r.flood), "bridge domains", "the costliest under unicast-only"),
                ["bridge domain", "mode", "member VEMs", "floods/s", "multicast copies/s",
                 "multicast B/s", "unicast-only copies/s", "unicast-only B/s", "cheaper"],
                rows))
    load = r.load if len(r.load) <= MAX_ROWS else sorted(
        r.load, key=lambda x: -x.copies_per_s)[:MAX_ROWS]
    rows = [[f"{x.vem}/{x.vtep}", x.ip, ", ".join(x.bridge_domains) or "-",
             _num(x.copies_per_s), ", ".join(x.proposed) or "-", _num(x.proposed_per_s)]
            for x in load]
    change = "; ".join(f"{h}: designated_vteps {m}" for h, m in r.designation.items())
    out.append(("Designated VTEP load",
                "Flood copies per second each VTEP receives as the designated VTEP of its "
                "segments, and with a designation that spreads them over the VEM's VTEPs. "
                + (f"Proposed: {change}." if change else
                   "The designation already spreads the load as well as it can.")
                + _more(len(r.load), "VTEPs", "the most loaded"),
                ["VTEP", "IP", "designated for", "copies/s", "proposed for",
                 "proposed copies/s"], rows))
    intro = ("Can the VTEP of the row send to the VTEP of the column: same subnet, "
             "through proxy ARP, through the gateway on the sending VTEP, or unreachable "
             "(the VEM does not use the host routing table).")
    if len(r.reach.vteps) <= MAX_MATRIX:
        rows = [[a, *[c or "-" for c in row]]
                for a, row in zip(r.reach.vteps, r.reach.cells, strict=True)]
        out.append(("VTEP reachability", intro,
                    ["from \\ to", *[v.split(" ")[0] for v in r.reach.vteps]], rows))
    else:  # a matrix this wide is read in the plot; the table counts the pairs
        counts = Counter(c for row in r.reach.cells for c in row if c)
        out.append(("VTEP reachability", intro + f" {len(r.reach.vteps)} VTEPs: the "
                    "matrix is the plot; pairs of VTEPs by verdict:",
                    ["verdict", "VTEP pairs"],
                    [[k, f"{counts.get(k, 0):,}"] for k in REACH_KINDS]))
    paths = r.reach.paths
    note = ""
    if len(paths) > MAX_ROWS:
        counts = Counter(p[3] for p in paths)
        note = (f" {len(paths):,} paths (" + ", ".join(
            f"{counts[k]:,} {k}" for k in REACH_KINDS if counts.get(k)) +
            "); listed: the unreachable ones" + (
                f", the first {MAX_ROWS}" if counts.get("unreachable", 0) > MAX_ROWS
                else "") + ".")
        paths = [p for p in paths if p[3] == "unreachable"][:MAX_ROWS]
    rows = [[bd, a, b, kind, how] for bd, a, b, kind, how in paths]
    out.append(("Designated paths",
                "The paths each bridge domain's traffic takes between member VEMs "
                "(designated VTEP to designated VTEP), as the rules judge them." + note,
                ["bridge domain", "from", "to", "verdict", "how"], rows))
    for key, srows in r.sweeps:
        from console.engine.plan import SWEEP_COUNTERS

        cols = ["value", *SWEEP_COUNTERS, "delivered", "tx_drops"]
        out.append((f"Sweep {key}",
                    f"Each value simulated for {r.duration:g} s on its own (totals over "
                    "every VEM and vNIC).", [key, *cols[1:]],
                    [[str(x["value"]), *[f"{x[c]:,}" for c in cols[1:]]] for x in srows]))
    return out


def markdown(r: Report) -> str:
    lines = [f"# Plan for {r.name}", "", f"From `{r.file}`; count flows spread over "
             f"{r.duration:g} s.", ""]
    for title, intro, header, rows in _tables(r):
        lines += [f"## {title}", "", intro, ""]
        png = r.plots.get(title)
        if png:
            lines += [f"![{title}]({png})", ""]
        if not rows:
            lines += ["(nothing to show)", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        lines.append("")
    return "\n".join(lines)


_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;
font-size:90%;text-align:left}th{background:#eee}img{max-width:100%;border:1px solid #ddd}
.unreachable{background:#f6c5c5}.gateway{background:#fbe7b0}.same.subnet{background:#cdebc8}
.proxy.ARP{background:#d5e2f7}"""


def to_html(r: Report) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Plan for {e(r.name)}"
             f"</title><style>{_CSS}</style></head><body>", f"<h1>Plan for {e(r.name)}</h1>",
             f"<p>From <code>{e(r.file)}</code>; count flows spread over {r.duration:g} s."
             "</p>"]
    for title, intro, header, rows in _tables(r):
        parts.append(f"<h2>{e(title)}</h2><p>{e(intro)}</p>")
        png = r.plots.get(title)
        if png:
            parts.append(f"<img src='{e(png)}' alt='{e(title)}'>")
        if not rows:
            parts.append("<p>(nothing to show)</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td class='{e(c)}'>{e(c)}</td>" for c in row)
                         + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


# ---------------------------------------------------------------------- plots
def plot(r: Report, out: Path) -> None:
    """One PNG per section with something to draw (matplotlib, Agg: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def save(fig: Any, title: str, name: str) -> None:
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
        r.plots[title] = name

    if r.mtu:
        fig, ax = plt.subplots(figsize=(9, 3.2 if len(r.mtu) <= 6 else 4.2))
        mtu = r.mtu if len(r.mtu) <= MAX_BARS else sorted(
            r.mtu, key=lambda p: (p.fits, p.path_mtu - p.required))[:MAX_BARS]
        labels = [f"{p.vems[0]}-{p.vems[1]}" for p in mtu]
        xs = range(len(mtu))
        ax.bar([x - 0.2 for x in xs], [p.required for p in mtu], 0.4,
               label="needs (largest + 50)", color="#d9822b")
        ax.bar([x + 0.2 for x in xs], [p.path_mtu for p in mtu], 0.4,
               label="path MTU now", color="#4a7ab5")
        ax.set_xticks(list(xs), labels, rotation=30 if len(mtu) > 6 else 0,
                      ha="right" if len(mtu) > 6 else "center", fontsize=7)
        ax.set_ylabel("bytes")
        ax.set_title("MTU per pair of VEMs" if len(mtu) == len(r.mtu) else
                     f"MTU: the {len(mtu)} tightest of {len(r.mtu):,} pairs of VEMs")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        save(fig, "MTU plan", "mtu.png")
    if r.flood:
        fig, ax = plt.subplots(figsize=(9, 3.2))
        flood = r.flood if len(r.flood) <= 6 else sorted(
            r.flood, key=lambda f: -f.unicast_bytes)[:6]  # more lines are unreadable
        most = max([f.members for f in flood] + [2]) + 4
        ns = list(range(1, most + 1))
        for f in flood:
            mc = [f.copies_at(n)[0] for n in ns]
            uc = [f.copies_at(n)[1] for n in ns]
            line = ax.plot(ns, uc, marker="o", label=f"{f.bridge_domain} unicast-only")[0]
            ax.plot(ns, mc, linestyle="--", color=line.get_color(),
                    label=f"{f.bridge_domain} multicast")
            if f.members:
                ax.axvline(f.members, color=line.get_color(), alpha=0.3)
        ax.set_xlabel("member VEMs (vertical line: now)")
        ax.set_ylabel("transport copies/s")
        ax.set_title("Flood cost by flood mode")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        save(fig, "Flood cost per bridge domain", "flood.png")
    if r.load:
        fig, ax = plt.subplots(figsize=(9, 4.2))
        load = r.load if len(r.load) <= MAX_BARS else sorted(
            r.load, key=lambda x: -x.copies_per_s)[:MAX_BARS]
        xs = range(len(load))
        ax.bar([x - 0.2 for x in xs], [x.copies_per_s for x in load], 0.4, label="now",
               color="#4a7ab5")
        ax.bar([x + 0.2 for x in xs], [x.proposed_per_s for x in load], 0.4,
               label="proposed", color="#5aa469")
        ax.set_xticks(list(xs), [f"{x.vem}/{x.vtep}" for x in load], rotation=30,
                      ha="right", fontsize=7)
        ax.set_ylabel("flood copies/s received")
        ax.set_title("Designated VTEP load")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        save(fig, "Designated VTEP load", "vtep-load.png")
    if r.reach.vteps:
        from matplotlib.colors import ListedColormap

        from console.engine.plan import REACH_KINDS

        colours = ["#cdebc8", "#d5e2f7", "#fbe7b0", "#f6c5c5", "#ffffff"]
        code = {k: i for i, k in enumerate(REACH_KINDS)} | {"": 4}
        grid = [[code[c] for c in row] for row in r.reach.cells]
        n = len(r.reach.vteps)
        fig, ax = plt.subplots(figsize=(min(2 + n * 1.1, 12), min(1.5 + n * 0.6, 10)))
        ax.imshow(grid, cmap=ListedColormap(colours), vmin=0, vmax=4)
        names = [v.split(" ")[0] for v in r.reach.vteps]
        if n <= 40:
            ax.set_xticks(range(n), names, rotation=30, ha="right")
            ax.set_yticks(range(n), names)
        if n <= MAX_MATRIX:
            for i, row in enumerate(r.reach.cells):
                for j, c in enumerate(row):
                    ax.text(j, i, c, ha="center", va="center", fontsize=7)
        else:  # too many cells to write in: a legend says which colour is which
            from matplotlib.patches import Patch

            ax.legend(handles=[Patch(color=colours[i], label=k)
                               for i, k in enumerate(REACH_KINDS)],
                      loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_title("VTEP reachability (row sends to column)")
        save(fig, "VTEP reachability", "reachability.png")
    for key, rows in r.sweeps:
        fig, ax = plt.subplots(figsize=(9, 3.2))
        labels = [str(x["value"]) for x in rows]
        xs = range(len(rows))
        for i, c in enumerate(("mtu_drops", "fragments", "unreachable_drops")):
            ax.bar([x + (i - 1) * 0.27 for x in xs], [x[c] for x in rows], 0.27, label=c)
        ax.set_xticks(list(xs), labels)
        ax.set_xlabel(key)
        ax.set_ylabel(f"total over {r.duration:g} s")
        ax.set_title(f"Sweep {key}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        safe = "".join(ch if ch.isalnum() else "-" for ch in key)
        save(fig, f"Sweep {key}", f"sweep-{safe}.png")


# ---------------------------------------------------------------------- sweeps
class _Bar:
    """A one-line progress bar on stderr (the sweep's only output while it runs)."""

    def __init__(self, err: TextIO, label: str):
        self.err, self.label = err, label

    def __call__(self, done: int, total: int) -> None:
        if not (hasattr(self.err, "isatty") and self.err.isatty()):
            # a log or a pipe: no carriage returns, one line when the sweep is done
            if done >= total:
                self.err.write(f"{self.label}: {done}/{total} variants simulated\n")
            return
        width = 30
        full = width * done // total if total else width
        end = "\n" if done >= total else ""
        self.err.write(f"\r{self.label} [{'#' * full}{'.' * (width - full)}] "
                       f"{done}/{total}{end}")
        self.err.flush()


def executor(scheduler: str | None, workers: int | None
             ) -> tuple[Executor, Callable[[], None]]:
    """The executor of the sweep and what to close after it: local processes, or the
    executor of a dask.distributed Client connected to `scheduler`."""
    if scheduler:
        from dask.distributed import Client

        client = Client(scheduler)
        return client.get_executor(), client.close
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers or min(os.cpu_count() or 1, 4))
    return pool, pool.shutdown


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `plan` with parsed arguments; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    topo = load_topology(args.file, err)
    if topo is None:
        return EXIT_UNREADABLE
    if refuse_dangling(topo, args.file, "plan", err):
        return EXIT_FINDINGS
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        print(f"{PROG}: matplotlib is not installed: the report's plots need it", file=err)
        return EXIT_UNREADABLE
    from console.engine.plan import SweepError, parse_sweep, sweep, variant

    try:
        sweeps = [parse_sweep(s) for s in args.sweep]
        for key, values in sweeps:
            for v in values:
                variant(topo, key, v)
    except SweepError as exc:
        print(f"{PROG}: {args.file}: --sweep {exc}", file=err)
        return EXIT_FINDINGS
    report = build(topo, args.file, args.duration)
    if sweeps:
        try:
            pool, closer = executor(args.scheduler, args.workers)
        except ModuleNotFoundError as exc:
            print(f"{PROG}: --scheduler needs dask.distributed ({exc.name} is not "
                  "installed)", file=err)
            return EXIT_UNREADABLE
        except OSError as exc:
            print(f"{PROG}: cannot reach the Dask scheduler {args.scheduler}: {exc}",
                  file=err)
            return EXIT_UNREADABLE
        try:
            for key, values in sweeps:
                rows = sweep(topo, key, values, pool, duration=args.duration,
                             seed=args.seed, progress=_Bar(err, f"sweep {key}"))
                report.sweeps.append((key, rows))
        finally:
            closer()
    outdir = Path(args.out or f"{topo.name}-plan")
    outdir.mkdir(parents=True, exist_ok=True)
    plot(report, outdir)
    (outdir / "plan.md").write_text(markdown(report), encoding="utf-8")
    (outdir / "plan.html").write_text(to_html(report), encoding="utf-8")
    for name in ("plan.html", "plan.md", *report.plots.values()):
        print(outdir / name, file=out)
    out.flush()
    if args.open:
        import webbrowser  # the standard library's: the desktop's own browser

        webbrowser.open((outdir / "plan.html").resolve().as_uri())
    return EXIT_OK
