"""Frame time of the topology canvas while panning, zooming and dragging, with thousands of
items.

    python3 benchmarks/canvas.py [TOPOLOGY.yaml] [--frames N]
    python3 benchmarks/canvas.py --against DIR [--rounds R]

Default topology: resources/topologies/large.yaml (64 VEMs, 2,000 VMs, 200 segments).
Each frame is one synchronous repaint of the whole viewport (offscreen platform) after a pan
step, a zoom step or a drag step; the figures are per frame (target: under 16 ms, 60
frames/s). A zoom gesture's steps draw from caches made at the previous scale; the canvas
renders sharp once the gesture settles, and that one redraw is timed on its own line. Also
prints how long the scene takes to build and to follow one edit and one undo, and to show
a connection's samples (set_live: rates on links, drop badges) on 2,000 VMs.

The canvas spreads rendering over frames (a budget a frame, the rest drawn from what it has):
the first frame of each change is timed with the others, and the frames that follow until
all is sharp are counted on their own lines.

--against DIR compares with another copy of the code: DIR holds a `console` package (for
example this tree with console/views/canvas/ from an older commit). Each round runs this
benchmark once on each copy, in separate processes, alternately, so both meet the same
machine load; it prints the median over rounds of each figure, their ratio, and the spread
over rounds (how noisy the machine was).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("CANVAS_BENCH_CODE", str(ROOT)))  # where `console` is imported from
sys.path.insert(0, str(CODE))


def frames(view, step, n: int) -> list[float]:
    out = []
    viewport = view.viewport()
    for i in range(n):
        t0 = time.perf_counter()
        step(i)
        viewport.repaint()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pending(view) -> bool:
    """The canvas spreads rendering over frames: are some left to come (older code: no)?"""
    scene = view.scene()
    layers = [getattr(scene, "node_layer", None), getattr(scene, "overview", None)]
    return any(getattr(layer, "pending", False) for layer in layers)


def catch_up(view) -> tuple[int, float]:
    """Frames drawn, and their total time, until the view is rendered sharp."""
    n, t0 = 0, time.perf_counter()
    while pending(view) and n < 500:
        view.viewport().repaint()
        n += 1
    return n, (time.perf_counter() - t0) * 1000


def settled(view, step, n: int, after: list[tuple[int, float]]) -> list[float]:
    """The first sharp frame after each of `n` short zoom gestures (none on older code);
    `after` gets the frames that followed until all was sharp, and their time."""
    settle = getattr(view, "settle", None)
    if settle is None:
        return []
    out = []
    for i in range(n):
        step(i)
        view.viewport().repaint()
        t0 = time.perf_counter()
        settle()
        view.viewport().repaint()
        out.append((time.perf_counter() - t0) * 1000)
        after.append(catch_up(view))
    return out


def catch_up_line(label: str, after: list[tuple[int, float]]) -> str:
    if not after:
        return f"{label:<42} (nothing spread over frames)"
    frames_ = statistics.median(a[0] for a in after)
    total = statistics.median(a[1] for a in after)
    return (f"{label:<42} median {frames_:.0f} more frames, {total:.1f} ms in all "
            f"({total / max(frames_, 1):.1f} ms a frame)")


def drag_frames(view, node, n: int) -> list[float]:
    """A mouse drag of one node, a repaint per mouse move (press and drop not counted)."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    viewport = view.viewport()
    start = view.mapFromScene(node.sceneBoundingRect().center())
    none, left = Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton
    QTest.mousePress(viewport, left, none, start)
    QTest.mouseMove(viewport, start + QPoint(2, 1))
    viewport.repaint()
    out = frames(view, lambda i: QTest.mouseMove(viewport, start + QPoint(3 * i, 2 * i)), n)
    QTest.mouseRelease(viewport, left, none, start + QPoint(3 * n, 2 * n))
    return out


def measure(topology: str, n: int) -> tuple[dict[str, list[float]], list[str]]:
    """Frame times per figure, and the other lines of the report."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from console.models import topofile as tf

    app = QApplication.instance() or QApplication([])
    from console.views.canvas import CanvasWidget
    from console.views.editors.document import Document
    from console.views.undo import COLLECTIONS, MovePositions

    lines: list[str] = []
    times: dict[str, list[float]] = {}
    topo = tf.load(topology)
    settings = QSettings(str(Path("/tmp") / "fabric-console-bench.ini"),
                         QSettings.Format.IniFormat)
    doc = Document(topo, topology, settings=settings)
    t0 = time.perf_counter()
    canvas = CanvasWidget(doc)
    times["scene build (items, links, layout)"] = [(time.perf_counter() - t0) * 1000]
    canvas.resize(1600, 1000)
    canvas.show()
    app.processEvents()
    scene = canvas.scene
    lines.append(f"topology: {Path(topology).name}: {len(scene.nodes)} objects, "
                 f"{len(scene.links())} links, {len(scene.items())} graphics items")
    view = canvas.view

    # Baseline of this machine in this run: the same view with an empty scene.
    from console.models import Topology
    empty = CanvasWidget(Document(Topology(), settings=settings))
    empty.resize(1600, 1000)
    empty.show()
    app.processEvents()
    times["baseline: empty canvas"] = frames(
        empty.view, lambda i: empty.view.pan(40 if i % 40 < 20 else -40, 0), n)
    empty.close()

    # Zoomed in (1:1): a normal working view, panning across the fabric.
    view.reset_zoom()
    view.centerOn(scene.itemsBoundingRect().center())
    frames(view, lambda i: view.pan(40, 0), 10)  # warm the item caches
    catch_up(view)
    times["pan at 1:1"] = frames(view, lambda i: view.pan(40 if i % 40 < 20 else -40, 0), n)
    times["zoom steps around 1:1"] = frames(
        view, lambda i: view.zoom(1.1 if i % 10 < 5 else 1 / 1.1), n)
    after: list[tuple[int, float]] = []
    times["  first frame once a 1:1 zoom settles"] = settled(
        view, lambda i: view.zoom(1.1 if i % 2 else 1 / 1.1), 8, after)
    lines.append(catch_up_line("then, until sharp (1:1 zoom)", after))
    if hasattr(view, "settle"):
        view.settle()

    # In between: nodes still in detail (names only), most links on screen; then zoomed
    # out below the text scale, a gesture zooming out past what the overview has drawn.
    view.reset_zoom()
    view.zoom(0.45)
    if hasattr(view, "settle"):
        view.settle()
    view.centerOn(scene.itemsBoundingRect().center())
    frames(view, lambda i: view.pan(40, 0), 10)
    catch_up(view)
    times["pan at 0.45"] = frames(view, lambda i: view.pan(40 if i % 40 < 20 else -40, 0), n)
    view.zoom(0.35 / 0.45)
    if hasattr(view, "settle"):
        view.settle()
    view.viewport().repaint()
    times["zoom out from 0.35, one gesture"] = frames(
        view, lambda i: view.zoom(1 / 1.1), 12)

    # Each step crosses the scale below which nodes are drawn as blocks: the worst steps
    # of a zoom gesture, which switch every node's drawing.
    view.reset_zoom()
    view.zoom(0.45)
    if hasattr(view, "settle"):
        view.settle()
    view.centerOn(scene.itemsBoundingRect().center())
    times["zoom steps across the text scale"] = frames(
        view, lambda i: view.zoom(0.85 if i % 2 == 0 else 1 / 0.85), max(6, n // 10))
    if hasattr(view, "settle"):
        view.settle()
    lines.append(catch_up_line("then, until every name shows", [catch_up(view)]))

    # Everything visible: the worst case, every item on screen every frame.
    view.fit()
    lines.append(f"fit-all scale: {view.transform().m11():.3f}")
    frames(view, lambda i: view.pan(20, 0), 10)
    times["pan with every item visible"] = frames(
        view, lambda i: view.pan(20 if i % 40 < 20 else -20, 0), n)
    times["zoom with every item visible"] = frames(
        view, lambda i: view.zoom(1.05 if i % 10 < 5 else 1 / 1.05), n)
    after = []
    times["  first frame once a fit-all zoom settles"] = settled(
        view, lambda i: view.zoom(1.05 if i % 2 else 1 / 1.05), 8, after)
    lines.append(catch_up_line("then, until sharp (fit-all zoom)", after))
    view.fit()
    vms = [scene.nodes[f"vm:{vm.name}"] for vm in topo.vms[:3]]
    times["drag a VM with every item visible"] = [
        t for node in vms for t in drag_frames(view, node, max(10, n // 6))]
    doc.stack.undo()
    doc.stack.undo()
    doc.stack.undo()

    # One edit (a move of 20 items) and its undo: the per-event path, no scene scan.
    nodes = list(scene.nodes.values())[:20]
    moves = {}
    for node in nodes:
        x, y = node.pos().x(), node.pos().y()
        moves[(COLLECTIONS[node.kind], node.name)] = (node.obj.position, (x + 30, y + 30))
    t0 = time.perf_counter()
    doc.push(MovePositions(doc.topology, moves))
    times["move 20 items (one command)"] = [(time.perf_counter() - t0) * 1000]
    t0 = time.perf_counter()
    doc.stack.undo()
    times["undo that move"] = [(time.perf_counter() - t0) * 1000]
    t0 = time.perf_counter()
    scene.refresh_badges()
    times["badges (rules, debounced)"] = [(time.perf_counter() - t0) * 1000]
    times.update(live_figures(canvas, topo))
    canvas.close()
    return times, lines


def live_figures(canvas, topo) -> dict[str, list[float]]:
    """A connection's samples on the canvas (set_live; none on older code): the first one
    restyles every busy link and badges every dropping VM, a repeat changes nothing, one
    with a tenth of the VIFs' rates changed redraws those; and a frame with it all."""
    if not hasattr(canvas, "set_live"):
        return {}
    from PySide6.QtCore import QObject, Signal

    from console.models.stats import CounterSample, VifCounters
    from console.views.history import StatsHistory

    class Source(QObject):
        sampled = Signal()

    source = Source()
    source.history = StatsHistory(60)
    vifs = [f"{vm.name}/{nic.name}" for vm in topo.vms for nic in vm.nics]

    def sample(t: int, busier: int = 0) -> None:
        s = CounterSample(timestamp=float(t))
        for i, key in enumerate(vifs):
            pps = (i % 7) * 300 + (200 if i % 10 < busier else 0)
            s.vifs[key] = VifCounters(rx_packets=pps * t, tx_packets=pps * t,
                                      tx_drops=(i % 13 == 0) * 50 * t)
        source.history.add(s)

    def timed(t: int, busier: int = 0) -> list[float]:
        sample(t, busier)
        t0 = time.perf_counter()
        source.sampled.emit()
        return [(time.perf_counter() - t0) * 1000]

    canvas.set_live(source)
    sample(0)
    out = {"live: first sample (all links and badges)": timed(1)}
    out["live: a sample that changes nothing"] = timed(2)
    out["live: a sample changing 10% of the VIFs"] = timed(3, busier=1)
    view = canvas.view
    view.reset_zoom()
    view.centerOn(canvas.scene.itemsBoundingRect().center())
    catch_up(view)
    out["pan at 1:1 with live rates"] = frames(
        view, lambda i: view.pan(40 if i % 40 < 20 else -40, 0), 60)
    return out


ONE_OFF = ("scene build", "move 20", "undo that", "badges", "live: ")


def summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median": statistics.median(times),
            "p95": times[max(0, int(len(times) * 0.95) - 1)], "max": times[-1]}


def report(label: str, times: list[float]) -> None:
    if not times:
        print(f"{label:<42} (not measured on this code)")
        return
    s = summary(times)
    if label.startswith(ONE_OFF):
        print(f"{label:<42} {s['median']:8.1f} ms")
        return
    print(f"{label:<42} median {s['median']:6.2f} ms   p95 {s['p95']:6.2f} ms   "
          f"max {s['max']:6.2f} ms   ({1000 / s['median']:5.0f} frames/s)")


def against(args) -> None:
    """Alternate runs of this code and the other in child processes; medians and ratios."""
    runs: dict[str, list[dict[str, list[float]]]] = {"this": [], "other": []}
    for r in range(args.rounds):
        for which, code in (("this", ROOT), ("other", Path(args.against).resolve())):
            env = dict(os.environ, CANVAS_BENCH_CODE=str(code))
            out = subprocess.run(
                [sys.executable, __file__, args.topology, "--frames", str(args.frames),
                 "--json"], env=env, capture_output=True, text=True, check=True).stdout
            runs[which].append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {r + 1}/{args.rounds}: {which} done", file=sys.stderr)
    print(f"median per figure over {args.rounds} rounds (this = {ROOT}, other = "
          f"{args.against}); spread = lowest..highest round median")
    print(f"{'':<42} {'this':>9} {'other':>9} {'other/this':>10}   spread this; other")
    for label in runs["this"][0]:
        mine = [statistics.median(run[label]) for run in runs["this"] if run[label]]
        theirs = [statistics.median(run[label]) for run in runs["other"]
                  if run.get(label)]
        m = statistics.median(mine) if mine else float("nan")
        o = statistics.median(theirs) if theirs else float("nan")
        spread = (f"{min(mine):.1f}..{max(mine):.1f}; "
                  + (f"{min(theirs):.1f}..{max(theirs):.1f}" if theirs else "-"))
        ratio = f"{o / m:9.1f}x" if mine and theirs else f"{'-':>10}"
        print(f"{label:<42} {m:7.2f}ms {o:7.2f}ms {ratio}   {spread}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topology", nargs="?",
                        default=str(ROOT / "resources" / "topologies" / "large.yaml"))
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--against", metavar="DIR",
                        help="compare with the `console` package in DIR")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.against:
        against(args)
        return
    times, lines = measure(args.topology, args.frames)
    if args.json:
        print(json.dumps(times))
        return
    for line in lines:
        print(line)
    for label, values in times.items():
        report(label, values)


if __name__ == "__main__":
    main()
