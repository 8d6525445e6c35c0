#!/usr/bin/env python3
"""GUI responsiveness with 1,000 live VIFs (5,000 series) while the engine runs, and how
soon a large fabric's window shows moving graphs.

    python3 benchmarks/gui.py [--vifs 1000] [--seconds 20] [--poll 1.0]
                              [--before DIR] [--large FILE] [--json]

--before DIR runs the same measurements first on another checkout (the tree before a
change: `git archive COMMIT | tar -x -C DIR`, plus console/engine/*.so copied in) in a
subprocess, and prints its figures beside this tree's, from one run on one machine.

Opens the real main window (offscreen unless a display is set) on an emulated fabric
with --vifs VIFs and traffic on them, selects the whole connection so the VIF graphs show
every VIF at once (rx and tx merged into one curve each, per graph), fills ten minutes of
history, then for --seconds measures:

- event-loop latency: how late a 10 ms asyncio sleep wakes up (p50, p99, max);
- redraw time of the one plot timer (mean, p99), with the points drawn per redraw;
- the simulated-time rate the engine kept up (simulated s per wall s).

Then the large fabric (--large, resources/topologies/large.yaml: 2,000 VMs), opened as
`fabric-console FILE` does (the window, the editors and canvas, one emulated
connection): the wall time from building the window to a graph that has drawn two rates
of the VIF the window picks by itself, and the event-loop latency while the fabric's
inventory is read again five times (F5, what every live event from the fabric does).

Targets (issue 16): latency p99 <= 16 ms and max <= 50 ms; large window to moving graphs
<= 2 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
HERE = Path(__file__).resolve().parents[1]
# --root DIR: measure another checkout (what --before runs in a subprocess)
ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv \
    else HERE
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

TARGETS = {"lat_p99_ms": 16.0, "lat_max_ms": 50.0, "large_moving_s": 2.0}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def make_topology(vifs: int, path: Path) -> None:
    import yaml
    from gen_topology import generate

    data = generate(vems=max(4, vifs // 25), vms=vifs, segments=max(2, vifs // 20),
                    vteps_per_vem=2, vmfex_hosts=2, flows=vifs, seed=1, name="gui-bench")
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def prefill(history, vif_names: list[str], seconds: float, poll: float) -> None:
    """Ten minutes of synthetic history before the live samples (timestamps < 0)."""
    from console.models.stats import CounterSample, VifCounters

    steps = int(seconds / poll)
    for i in range(steps + 1):
        t = (i - steps) * poll - 1.0
        n = i * 100
        history.add(CounterSample(t, vifs={v: VifCounters(n + k, n * 64, n + 2 * k, n * 80)
                                           for k, v in enumerate(vif_names)}))


async def bench(args: argparse.Namespace) -> dict[str, float]:
    from PySide6.QtCore import QSettings

    from console.views.mainwindow import MainWindow
    from console.views.preferences import Preferences

    tmp = Path(tempfile.mkdtemp(prefix="gui-bench-"))
    topo = tmp / "bench.yaml"
    make_topology(args.vifs, topo)
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    prefs = Preferences(poll_s=args.poll, history_min=10)
    if args.no_graphs:  # attribution: what the tree, polling and engine cost alone
        prefs.graphs = []
    prefs.save(settings)
    window = MainWindow(settings)
    window.resize(1400, 900)
    window.show()
    conn = window.add_connection(f"emulated://{topo}?speed={args.speed}")
    started = time.perf_counter()
    while conn.state not in ("connected", "failed"):
        await asyncio.sleep(0.05)
    if conn.state == "failed":
        raise SystemExit(f"connection failed: {conn.detail}")
    connect_s = time.perf_counter() - started
    vif_names = [f"{vm.name}/{nic.name}" for vm in conn.topology.vms for nic in vm.nics]
    conn.history.clear()
    prefill(conn.history, vif_names, 600.0, args.poll)
    window.mark_user_selection()
    window.select_node(window.model.connection_node(conn))
    plots = window.details.plots.plots
    series = sum(len(p.names) * len(p.spec.metrics) for p in plots)

    redraws: list[float] = [0.0]
    original = window.refresher.redraw

    def timed_redraw() -> None:
        t0 = time.perf_counter()
        original()
        redraws.append(time.perf_counter() - t0)

    window.refresher.timer.timeout.disconnect()
    window.refresher.timer.timeout.connect(timed_redraw)

    loop = asyncio.get_running_loop()
    profiler = None
    if os.environ.get("GUI_BENCH_PROFILE"):  # where the time goes, for whoever tunes this
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    latencies: list[float] = []
    sim0, wall0 = conn.backend.now, time.perf_counter()
    end = loop.time() + args.seconds
    while loop.time() < end:
        t0 = loop.time()
        await asyncio.sleep(0.01)
        latencies.append(max(0.0, loop.time() - t0 - 0.01))
    sim_rate = (conn.backend.now - sim0) / (time.perf_counter() - wall0)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.environ["GUI_BENCH_PROFILE"])
    points = sum(p.point_count() for p in plots)
    result = {
        "vifs": len(vif_names), "series": series, "points": points,
        "connect_s": connect_s,
        "lat_p50_ms": percentile(latencies, 50) * 1e3,
        "lat_p99_ms": percentile(latencies, 99) * 1e3,
        "lat_max_ms": max(latencies) * 1e3,
        "redraw_mean_ms": statistics.fmean(redraws) * 1e3 if redraws else float("nan"),
        "redraw_p99_ms": percentile(redraws, 99) * 1e3,
        "redraws": len(redraws), "sim_rate": sim_rate, "plane": conn.backend.plane,
        "skipped_ticks": conn.skipped_ticks,
    }
    window.shutdown()
    await window.close_all()
    window.close()
    return result


async def latency_while(seconds: float, busy) -> list[float]:
    """How late a 10 ms sleep wakes up while `busy` (a coroutine) runs, then `seconds` more."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    task = loop.create_task(busy)
    end = loop.time() + seconds
    while not task.done() or loop.time() < end:
        t0 = loop.time()
        await asyncio.sleep(0.01)
        latencies.append(max(0.0, loop.time() - t0 - 0.01))
    await task
    return latencies


async def bench_large(args: argparse.Namespace) -> dict[str, float]:
    """The large fabric as `fabric-console FILE` opens it: window to moving graphs."""
    from PySide6.QtCore import QSettings

    from console.app import install_editors
    from console.views.mainwindow import MainWindow
    from console.views.preferences import Preferences

    tmp = Path(tempfile.mkdtemp(prefix="gui-bench-large-"))
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    Preferences(poll_s=args.poll, history_min=10).save(settings)
    started = time.perf_counter()
    window = MainWindow(settings)
    install_editors(window)
    window.resize(1400, 900)
    window.show()
    conn = window.add_connection(f"emulated://{Path(args.large).resolve()}")
    result: dict[str, float] = {}
    moving = None
    while time.perf_counter() - started < 60:
        await asyncio.sleep(0.01)
        if "large_connected_s" not in result and conn.state == "connected":
            result["large_connected_s"] = time.perf_counter() - started
        if conn.state == "failed":
            raise SystemExit(f"connection failed: {conn.detail}")
        plots = window.details.plots.plots
        if conn.history.count >= 2 and any(
                p.isVisible() and not p.stale and p.point_count() >= 2 for p in plots):
            moving = time.perf_counter() - started
            break
    result["large_moving_s"] = float("nan") if moving is None else moving

    async def reloads() -> None:
        for _ in range(5):
            await conn.reload()
            await asyncio.sleep(0.3)

    latencies = await latency_while(1.0, reloads())
    result["large_reload_p99_ms"] = percentile(latencies, 99) * 1e3
    result["large_reload_max_ms"] = max(latencies) * 1e3
    window.shutdown()
    await window.close_all()
    window.close()
    return result


def run_before(args: argparse.Namespace) -> dict[str, float]:
    """This script's figures on the --before checkout, from a subprocess."""
    import json
    import subprocess

    argv = [sys.executable, str(Path(__file__).resolve()), "--root", args.before, "--json",
            "--vifs", str(args.vifs), "--seconds", f"{args.seconds:g}", "--poll",
            f"{args.poll:g}", "--speed", args.speed, "--large", args.large]
    if args.no_graphs:
        argv.append("--no-graphs")
    if args.skip_large:
        argv.append("--skip-large")
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not lines:
        raise SystemExit(f"the --before run failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vifs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--speed", default="1x", help="engine clock: pause, 1x, 10x, max")
    parser.add_argument("--no-graphs", action="store_true", help="measure without plots")
    parser.add_argument("--large", default=str(ROOT / "resources/topologies/large.yaml"),
                        help="the large fabric whose window-to-moving-graphs time is taken")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--before", metavar="DIR",
                        help="another checkout measured first, its figures printed beside")
    parser.add_argument("--root", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="one JSON line of figures")
    args = parser.parse_args()
    before = run_before(args) if args.before else None

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if os.environ.get("GUI_BENCH_DEBUG"):  # name the slow callbacks
        import logging

        logging.basicConfig(level=logging.WARNING)
        loop.set_debug(True)
        loop.slow_callback_duration = 0.05
    with loop:
        r = loop.run_until_complete(bench(args))
        if not args.skip_large:
            r.update(loop.run_until_complete(bench_large(args)))
    r["poll"] = args.poll
    if args.json:
        import json

        print(json.dumps(r))
        return 0

    def was(key: str, fmt: str) -> str:
        if before is None or key not in before:
            return ""
        return f" (before: {format(before[key], fmt)})"

    def target(key: str) -> str:
        met = r[key] <= TARGETS[key]
        return f"target <= {TARGETS[key]:g}: {'met' if met else 'NOT met'}"

    print(f"GUI benchmark: {r['vifs']} VIFs, {r['series']} live series "
          f"({r['points']:,} points drawn), poll {args.poll:g} s, "
          f"{args.seconds:g} s measured, engine plane {r['plane']}"
          + (f"; before = {args.before}, measured first in this run" if before else ""))
    print(f"  connect (load + compile + first inventory): {r['connect_s']:.2f} s"
          f"{was('connect_s', '.2f')}")
    print(f"  event-loop latency: p50 {r['lat_p50_ms']:.1f} ms{was('lat_p50_ms', '.1f')}")
    print(f"                      p99 {r['lat_p99_ms']:.1f} ms{was('lat_p99_ms', '.1f')}  "
          f"{target('lat_p99_ms')}")
    print(f"                      max {r['lat_max_ms']:.1f} ms{was('lat_max_ms', '.1f')}  "
          f"{target('lat_max_ms')}")
    print(f"  redraw (one timer, every visible plot): mean {r['redraw_mean_ms']:.1f} ms"
          f"{was('redraw_mean_ms', '.1f')}, p99 {r['redraw_p99_ms']:.1f} ms"
          f"{was('redraw_p99_ms', '.1f')} over {r['redraws']} redraws")
    print(f"  engine kept {r['sim_rate']:.2f} simulated s per wall s at 1x"
          f"{was('sim_rate', '.2f')}; {r['skipped_ticks']} slow poll ticks")
    if "large_moving_s" in r:
        print(f"  {Path(args.large).name} (editors and canvas too): connected after "
              f"{r['large_connected_s']:.2f} s{was('large_connected_s', '.2f')}")
        print(f"    window to moving graphs: {r['large_moving_s']:.2f} s"
              f"{was('large_moving_s', '.2f')}  {target('large_moving_s')}")
        print(f"    latency while the inventory is read again (5 x F5): p99 "
              f"{r['large_reload_p99_ms']:.1f} ms{was('large_reload_p99_ms', '.1f')}, max "
              f"{r['large_reload_max_ms']:.1f} ms{was('large_reload_max_ms', '.1f')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
