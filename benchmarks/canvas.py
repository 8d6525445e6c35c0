"""Frame time of the topology canvas while panning and zooming, with thousands of items.

    python3 benchmarks/canvas.py [TOPOLOGY.yaml] [--frames N]

Default topology: resources/topologies/large.yaml (64 VEMs, 2,000 VMs, 200 segments).
Each frame is one synchronous repaint of the view's viewport (offscreen platform), after a
pan step or a zoom step; the figures are per frame (target: under 16 ms, 60 frames/s).
Also prints how long the scene takes to build and to follow one edit and one undo.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from console.models import topofile as tf  # noqa: E402


def frames(view, step, n: int) -> list[float]:
    out = []
    viewport = view.viewport()
    for i in range(n):
        t0 = time.perf_counter()
        step(i)
        viewport.repaint()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{label:<34} median {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms   "
          f"max {times[-1]:6.2f} ms   ({1000 / statistics.median(times):5.0f} frames/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topology", nargs="?",
                        default=str(ROOT / "resources" / "topologies" / "large.yaml"))
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    from console.views.canvas import CanvasWidget
    from console.views.editors.document import Document
    from console.views.undo import MovePositions

    topo = tf.load(args.topology)
    settings = QSettings(str(Path("/tmp") / "fabric-console-bench.ini"),
                         QSettings.Format.IniFormat)
    doc = Document(topo, args.topology, settings=settings)
    t0 = time.perf_counter()
    canvas = CanvasWidget(doc)
    build_ms = (time.perf_counter() - t0) * 1000
    canvas.resize(1600, 1000)
    canvas.show()
    app.processEvents()
    scene = canvas.scene
    n_nodes, n_links = len(scene.nodes), len(scene.links())
    print(f"topology: {Path(args.topology).name}: {n_nodes} objects, {n_links} links, "
          f"{len(scene.items())} graphics items")
    print(f"scene build (items, links, layered layout): {build_ms:8.1f} ms")

    view = canvas.view
    n = args.frames

    # Baseline of this machine in this run: the same view with an empty scene.
    from console.models import Topology
    empty = CanvasWidget(Document(Topology(), settings=settings))
    empty.resize(1600, 1000)
    empty.show()
    app.processEvents()
    base = frames(empty.view, lambda i: empty.view.pan(40 if i % 40 < 20 else -40, 0), n)
    report("baseline: empty canvas", base)
    empty.close()

    # Zoomed in (1:1): a normal working view, panning across the fabric.
    view.reset_zoom()
    view.centerOn(scene.itemsBoundingRect().center())
    frames(view, lambda i: view.pan(40, 0), 10)  # warm the item caches
    report("pan at 1:1", frames(view, lambda i: view.pan(40 if i % 40 < 20 else -40, 0), n))
    report("zoom steps around 1:1", frames(
        view, lambda i: view.zoom(1.1 if i % 10 < 5 else 1 / 1.1), n))

    # Everything visible: the worst case, every item painted every frame.
    view.fit()
    print(f"fit-all scale: {view.transform().m11():.3f}")
    frames(view, lambda i: view.pan(20, 0), 10)
    report("pan with every item visible", frames(
        view, lambda i: view.pan(20 if i % 40 < 20 else -20, 0), n))
    report("zoom with every item visible", frames(
        view, lambda i: view.zoom(1.05 if i % 10 < 5 else 1 / 1.05), n))

    # One edit (a drag of 20 items) and its undo: the per-event path, no scene scan.
    nodes = list(scene.nodes.values())[:20]
    moves = {}
    from console.views.undo import COLLECTIONS
    for node in nodes:
        x, y = node.pos().x(), node.pos().y()
        moves[(COLLECTIONS[node.kind], node.name)] = (node.obj.position, (x + 30, y + 30))
    t0 = time.perf_counter()
    doc.push(MovePositions(doc.topology, moves))
    edit_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    doc.stack.undo()
    undo_ms = (time.perf_counter() - t0) * 1000
    print(f"move 20 items (one command):  {edit_ms:8.1f} ms; undo {undo_ms:8.1f} ms")
    t0 = time.perf_counter()
    scene.refresh_badges()
    print(f"badges (rules over the topology, debounced): {(time.perf_counter() - t0) * 1000:8.1f}"
          " ms")
    canvas.close()


if __name__ == "__main__":
    main()
