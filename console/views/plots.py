"""Live rate plots (pyqtgraph), following PATTERNS.md "Live plots".

- numpy ring buffers (views.history.StatsHistory) hold the data; nothing is appended per
  point.
- ONE QTimer (PlotRefresher) redraws every visible plot whose data changed.
- One object per plot: a PlotDataItem per metric with clip-to-view and peak downsampling.
  Many objects (a VM's VIFs, a whole host): every object's series of one metric merged
  into ONE PlotCurveItem with a `connect` array (pyqtgraph #1039), decimated to the pixel
  width first.
- Auto-range is off while streaming: the x range follows the newest sample and the y range
  only moves when the data leaves it. Pens are width 1 and opaque (pyqtgraph #533, #2040).
- A stale history (live=False) greys the curves and says "not live".
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from .history import LABELS, StatsHistory

pg.setConfigOptions(antialias=False, background="w", foreground="#333")

COLORS = {
    "rx_pps": "#1f77b4", "tx_pps": "#d62728", "rx_bps": "#1f77b4", "tx_bps": "#d62728",
    "drops_ps": "#ff7f0e", "flood_fps": "#9467bd", "mcast_copies_ps": "#2ca02c",
    "ucast_copies_ps": "#d62728", "igmp_joins_ps": "#17becf", "igmp_leaves_ps": "#8c564b",
    "learned_macs": "#e377c2", "encap_ps": "#1f77b4", "decap_ps": "#2ca02c",
    "mtu_drops_ps": "#ff7f0e",
}
STALE = "#b0b0b0"
WALL_CLOCK = 1e8  # timestamps above this are epoch seconds (real hosts), not simulated time


@dataclass(frozen=True)
class GraphSpec:
    """One graph: a title, the object kind, the metrics drawn and the unit on the axis."""

    key: str
    title: str
    kind: str
    metrics: tuple[str, ...]
    unit: str = ""


GRAPHS: tuple[GraphSpec, ...] = (
    GraphSpec("vif_packets", "Packets/s", "vif", ("rx_pps", "tx_pps"), "pps"),
    GraphSpec("vif_bits", "Bits/s", "vif", ("rx_bps", "tx_bps"), "bit/s"),
    GraphSpec("vif_drops", "Drops/s", "vif", ("drops_ps",), "pps"),
    GraphSpec("bd_flood", "Flood frames/s", "bd", ("flood_fps",), "fps"),
    GraphSpec("bd_copies", "Underlay copies/s", "bd", ("mcast_copies_ps", "ucast_copies_ps"),
              "pps"),
    GraphSpec("bd_igmp", "IGMP joins and leaves/s", "bd", ("igmp_joins_ps", "igmp_leaves_ps"),
              "/s"),
    GraphSpec("bd_macs", "Learned MACs", "bd", ("learned_macs",), ""),
    GraphSpec("vem_encap", "Encap/decap per second", "vem", ("encap_ps", "decap_ps"), "pps"),
    GraphSpec("vem_mtu", "MTU drops/s", "vem", ("mtu_drops_ps",), "pps"),
)
GRAPH_BY_KEY = {g.key: g for g in GRAPHS}


class PlotRefresher(QObject):
    """The one redraw timer every plot of a window shares."""

    redrawn = Signal()

    def __init__(self, interval_ms: int = 100, parent: QObject | None = None):
        super().__init__(parent)
        self._plots: list[RatePlot] = []
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.redraw)

    def add(self, plot: RatePlot) -> None:
        self._plots.append(plot)
        if not self.timer.isActive():
            self.timer.start()

    def remove(self, plot: RatePlot) -> None:
        self._forget(plot)

    def _forget(self, plot: RatePlot) -> None:
        if plot in self._plots:
            self._plots.remove(plot)
        if not self._plots:
            self.timer.stop()

    def stop(self) -> None:
        self.timer.stop()
        self._plots.clear()

    BUDGET_S = 0.012

    def redraw(self) -> None:
        """Refresh the visible plots whose data changed, within a time budget: the rest
        wait for the next tick (round robin), so one tick never stalls the event loop for
        the sum of every plot's cost."""
        started = time.perf_counter()
        plots = [p for p in self._plots if p.isVisible() and p.stale]
        for plot in plots:
            plot.refresh()
            self._plots.remove(plot)
            self._plots.append(plot)  # refreshed ones go to the back of the queue
            if time.perf_counter() - started > self.BUDGET_S:
                break
        self.redrawn.emit()


class RatePlot(QWidget):
    """One graph of one or many objects, fed from a StatsHistory."""

    MERGE_FROM = 2  # objects from which series merge into one curve per metric
    POINT_BUDGET = 12_000  # points per merged curve

    def __init__(self, spec: GraphSpec, history: StatsHistory, names: Iterable[str],
                 window_s: float = 600.0, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.history = history
        self.names = list(names)
        self.window_s = window_s
        self._generation = -1
        self._ymax = 1.0
        self._live = True
        self._relative = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        header.addWidget(self.title, 1)
        for text, tip, slot in (("PNG", "Save this graph as a PNG image", self.ask_png),
                                ("CSV", "Save this graph's data as CSV", self.ask_csv)):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(slot)
            header.addWidget(button)
        layout.addLayout(header)

        self.widget = pg.PlotWidget(self)
        self.widget.setMinimumHeight(120)
        self.widget.setMenuEnabled(False)
        self.plot_item = self.widget.getPlotItem()
        # No grid: pyqtgraph draws it with a translucent pen, the slow path (#533, #2040).
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.layout.setContentsMargins(0, 8, 6, 0)  # room for the top tick label
        self.plot_item.disableAutoRange()
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.hideButtons()
        self.plot_item.setLabel("bottom", "time", units="s")
        self.plot_item.getAxis("bottom").enableAutoSIPrefix(False)
        left = self.plot_item.getAxis("left")
        left.setWidth(60)
        if spec.unit:
            left.setLabel(units=spec.unit)  # SI prefixes (k, M, G) instead of 1e+07
        layout.addWidget(self.widget, 1)

        self.stale_text = pg.TextItem("not live", color="#a00000", anchor=(1, 0))
        self.stale_text.setZValue(10)
        self.stale_text.hide()
        self.plot_item.addItem(self.stale_text, ignoreBounds=True)
        self._curves: dict[str, pg.GraphicsObject] = {}
        self._build_curves()
        self._set_title()

    # ------------------------------------------------------------------ set-up
    @property
    def merged(self) -> bool:
        return len(self.names) >= self.MERGE_FROM

    def _build_curves(self) -> None:
        for curve in self._curves.values():
            self.plot_item.removeItem(curve)
        self._curves.clear()
        for metric in self.spec.metrics:
            pen = pg.mkPen(COLORS.get(metric, "#333"), width=1)
            if self.merged:
                curve = pg.PlotCurveItem(pen=pen, name=LABELS[metric], skipFiniteCheck=True)
            else:
                curve = pg.PlotDataItem(pen=pen, name=LABELS[metric], skipFiniteCheck=True)
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
            self.plot_item.addItem(curve)
            self._curves[metric] = curve

    def set_names(self, names: Iterable[str]) -> None:
        names = list(names)
        if names == self.names:
            return
        was_merged = self.merged
        self.names = names
        if was_merged != self.merged:
            self._build_curves()
        self._generation = -1
        self._ymax = 1.0
        self._set_title()
        self.refresh()

    def _set_title(self) -> None:
        who = self.names[0] if len(self.names) == 1 else f"{len(self.names)} objects"
        stale = "" if self._live else " <span style='color:#a00000'>(not live)</span>"
        # The legend lives in the title: inside the plot it would cover the newest data.
        keys = "".join(
            f"&nbsp;&nbsp;<span style='color:{COLORS.get(m, '#333') if self._live else STALE}'>"
            f"&#9644;</span>&nbsp;{LABELS[m]}" for m in self.spec.metrics)
        self.title.setText(f"<b>{self.spec.title}</b> <span style='color:#666'>{who}</span>"
                           f"{stale}{keys}")

    # ----------------------------------------------------------------- drawing
    def point_count(self) -> int:
        """Points the curves hold now (tests wait on this)."""
        total = 0
        for curve in self._curves.values():
            data = curve.getData() if hasattr(curve, "getData") else (None, None)
            if data[0] is not None:
                total += len(data[0])
        return total

    @property
    def stale(self) -> bool:
        """Has the history moved on since the last refresh?"""
        return self.history.generation != self._generation

    def refresh(self) -> None:
        hist = self.history
        if hist.generation == self._generation:
            return
        self._generation = hist.generation
        if hist.live != self._live:
            self._live = hist.live
            self._restyle()
        t = hist.timeline()
        if len(t) == 0:
            return
        if t[-1] > WALL_CLOCK:  # a real host's epoch seconds: plot seconds before now
            t = t - t[-1]
            if not self._relative:
                self._relative = True
                self.plot_item.setLabel("bottom", "seconds before the last sample")
        present = [n for n in self.names if hist.has(self.spec.kind, n)]
        ymax = 0.0
        for metric, curve in self._curves.items():
            block = hist.block(self.spec.kind, present, metric)
            if block.size == 0:
                curve.setData([], [])
                continue
            ymax = max(ymax, float(block.max()))
            if self.merged:
                x, y, connect = self._merge(t, block)
                curve.setData(x, y, connect=connect, skipFiniteCheck=True)
            else:
                curve.setData(t, block[0], skipFiniteCheck=True)
        self._place(t, ymax)

    def _merge(self, t: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, ...]:
        """Every row of `block` as one path: rows side by side, not joined to each other.
        Rows longer than the plot is wide are peak-decimated first."""
        # A point budget per curve: 1,000 VIFs x 600 samples would be 600,000 points per
        # redraw; peak decimation keeps every spike at a fraction of the cost.
        width = max(100, self.widget.width())
        per_row = max(8, min(width, self.POINT_BUDGET // max(1, block.shape[0])))
        n = block.shape[1]
        step = max(1, -(-n // per_row))
        if step > 1:
            cut = n - n % step
            t = t[n - cut:].reshape(-1, step)[:, -1]
            block = block[:, n - cut:].reshape(block.shape[0], -1, step).max(axis=2)
        rows, cols = block.shape
        x = np.tile(t, rows)
        y = block.reshape(-1)
        connect = np.ones(rows * cols, dtype=np.int32)
        connect[cols - 1::cols] = 0  # no segment from one row's end to the next row
        return x, y, connect

    def _place(self, t: np.ndarray, ymax: float) -> None:
        right = float(t[-1])
        left = max(float(t[0]), right - self.window_s)
        if right <= left:
            left = right - 1.0
        # The y range grows at once and shrinks only when the data falls well below it,
        # so a steady flow does not make the axis twitch.
        wanted = max(1.0, ymax * 1.15)
        if wanted > self._ymax or wanted < self._ymax * 0.5:
            self._ymax = wanted
        # One range change, not two: each one repaints the axes.
        self.plot_item.getViewBox().setRange(xRange=(left, right), yRange=(0, self._ymax),
                                             padding=0, update=True)
        if not self._live:
            self.stale_text.setPos(right, self._ymax)

    def _restyle(self) -> None:
        for metric, curve in self._curves.items():
            color = COLORS.get(metric, "#333") if self._live else STALE
            curve.setPen(pg.mkPen(color, width=1))
        self.stale_text.setVisible(not self._live)
        self._set_title()

    @property
    def live(self) -> bool:
        return self._live

    # ------------------------------------------------------------------ export
    def export_png(self, path: str | os.PathLike[str]) -> None:
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.plot_item)
        exporter.parameters()["width"] = max(640, self.widget.width())
        exporter.export(os.fspath(path))

    def export_csv(self, path: str | os.PathLike[str]) -> None:
        """time, then one column per (object, metric), oldest row first."""
        hist = self.history
        t = hist.timeline()
        columns: list[tuple[str, np.ndarray]] = []
        for name in self.names:
            for metric in self.spec.metrics:
                columns.append((f"{name} {LABELS[metric]}",
                                hist.series(self.spec.kind, name, metric)))
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["time_s", *(c for c, _ in columns)])
            for i, when in enumerate(t):
                writer.writerow([f"{when:.3f}", *(f"{s[i]:.3f}" if i < len(s) else ""
                                                  for _, s in columns)])
        os.replace(tmp, path)  # no half-written file if the disk fills

    def _suggest(self, ext: str) -> str:
        who = self.names[0].replace("/", "-") if len(self.names) == 1 else "selection"
        return f"{self.spec.key}-{who}.{ext}"

    def ask_png(self) -> None:
        self._ask("Save graph as PNG", "PNG images (*.png)", "png", self.export_png)

    def ask_csv(self) -> None:
        self._ask("Save graph data as CSV", "CSV files (*.csv)", "csv", self.export_csv)

    def _ask(self, caption: str, filt: str, ext: str, write) -> None:
        dialog = QFileDialog(self, caption, self._suggest(ext), filt)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(ext)

        def done(result: int) -> None:
            if result and dialog.selectedFiles():
                try:
                    write(dialog.selectedFiles()[0])
                except OSError as exc:
                    from PySide6.QtWidgets import QMessageBox

                    QMessageBox.warning(self, caption, f"Could not save: {exc}")
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()  # never exec(): the asyncio loop keeps running (PATTERNS.md)


class PlotPanel(QWidget):
    """The graphs of a selection: per-VIF, per-bridge-domain or per-VEM, stacked."""

    def __init__(self, refresher: PlotRefresher, parent: QWidget | None = None):
        super().__init__(parent)
        self.refresher = refresher
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.plots: list[RatePlot] = []
        self.placeholder = QLabel("Select a VIF, VM, host, bridge domain or VEM to see its "
                                  "live graphs.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #777; padding: 12px")
        self.layout_.addWidget(self.placeholder)

    def show_objects(self, history: StatsHistory | None, kind: str, names: list[str],
                     graphs: Iterable[str], window_s: float) -> None:
        specs = [GRAPH_BY_KEY[k] for k in graphs if k in GRAPH_BY_KEY
                 and GRAPH_BY_KEY[k].kind == kind]
        current = [(p.spec.key, p.history) for p in self.plots]
        if history is not None and names and current == [(s.key, history) for s in specs]:
            for plot in self.plots:
                plot.window_s = window_s
                plot.set_names(names)
            return
        self.clear()
        if history is None or not names or not specs:
            self.placeholder.show()
            return
        self.placeholder.hide()
        for spec in specs:
            plot = RatePlot(spec, history, names, window_s, self)
            self.layout_.addWidget(plot, 1)
            self.plots.append(plot)
            self.refresher.add(plot)
            plot.refresh()

    def clear(self) -> None:
        for plot in self.plots:
            self.refresher.remove(plot)
            self.layout_.removeWidget(plot)
            plot.setParent(None)
            plot.deleteLater()
        self.plots = []
