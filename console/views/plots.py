"""Live rate plots (pyqtgraph), following PATTERNS.md "Live plots". Imported with the first
graph shown (console.views.graphs.PlotPanel), not with the window.

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
- Many VIFs: one coloured, named line per VIF for a handful; beyond that the busiest
  VIFs get their own lines and every other VIF is summed into one grey "others" line, so
  a host of 2,000 VMs draws at most 9 curves and stays readable. A VIF keeps its colour
  while it stays among the busiest (BusiestSeries). Hovering names the line under the
  cursor.
- rx/tx are the VM's view (rx: delivered to the VM, tx: sent by it): "received by the
  VM" is drawn above the zero line, "sent by the VM" mirrored below it, so a VIF's two
  directions share its one colour without crossing each other.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from .graphs import GraphSpec
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

# One colour per VIF line: Tableau 10 (matplotlib's default cycle), a categorical palette
# made to be told apart, without its grey, which is kept for the "others" line.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22")
OTHERS_COLOR = "#7f7f7f"
OTHERS_FILL = "#ececec"  # opaque: a translucent fill is pyqtgraph's slow path
ZERO_LINE = "#c8c8c8"

# rx and tx as the VM sees them (history's counters: rx delivered to the VM, tx sent by
# it). history.LABELS stays as it is: CSV headers and other views use its short texts.
DIRECTION = {"rx_pps": "received by the VM", "tx_pps": "sent by the VM",
             "rx_bps": "received by the VM", "tx_bps": "sent by the VM"}
TEXT = {**LABELS, "rx_pps": "packets/s received by the VM", "tx_pps": "packets/s sent by the VM",
        "rx_bps": "bits/s received by the VM", "tx_bps": "bits/s sent by the VM"}


def si_text(value: float) -> str:
    """1234.5 -> "1.2 k": hover texts, short enough to read at a glance."""
    magnitude = abs(value)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= factor:
            scaled = value / factor
            return f"{scaled:.1f} {prefix}" if abs(scaled) < 10 else f"{scaled:.0f} {prefix}"
    return f"{value:.1f}" if 0 < magnitude < 10 else f"{value:.0f}"


def _unbroken(name: str) -> str:
    """A VIF name the legend will not split across lines: Qt breaks after "/" and "-" and
    ignores CSS white-space; a word joiner (U+2060) after each forbids the break."""
    return name.replace("/", "/\u2060").replace("-", "-\u2060")


# Kinds whose many-object graphs draw one coloured line per object (busiest first). Bridge
# domains and VEMs keep one merged curve per metric: their graphs mix metrics (multicast
# against unicast copies) that do not mirror as received/sent.
PER_OBJECT_KINDS = {"vif": ("rx_pps", "tx_pps", "drops_ps")}  # kind -> what "busy" sums


class BusiestSeries:
    """Which objects of a many-object graph get a line (and colour) of their own.

    Up to len(PALETTE) objects: every one, coloured in order. More: the TOP busiest by
    their newest rate, the rest summed as "others". An object keeps its colour slot while
    it stays among the busiest, and one already shown is only displaced by an object
    STICKY times busier, so two VIFs trading places at the boundary do not make the
    colours flicker from sample to sample. Shared by a panel's graphs, so a VIF has the
    same colour in each of them. Holds names and slots only: rates are read from the
    history whenever it has a new sample."""

    TOP = len(PALETTE) - 1
    STICKY = 1.25

    def __init__(self, history: StatsHistory, kind: str):
        self.history = history
        self.kind = kind
        self.metrics = PER_OBJECT_KINDS.get(kind, ())
        self.names: list[str] = []
        self.slots: list[str | None] = [None] * len(PALETTE)
        self.others: list[str] = []
        self.others_rows = np.zeros(0, np.intp)  # ring rows of `others` (for sums)
        self.version = 0  # bumps when the slots change: legends redo their text then
        self._generation = -1
        # names -> ring rows, cached while the history has the same objects (rows only
        # grow; the names change only with set_names)
        self._rows_key = -1
        self._present: list[str] = []
        self._rows = np.zeros(0, np.intp)
        self._position: dict[str, int] = {}

    def set_names(self, names: list[str]) -> None:
        if names == self.names:
            return
        self.names = list(names)
        kept = set(self.names)
        self.slots = [n if n in kept else None for n in self.slots]
        self.version += 1  # a VIF left with the old selection: no legend may keep it
        self._generation = -1
        self._rows_key = -1

    def _present_rows(self) -> tuple[list[str], np.ndarray]:
        """The names with samples, in tree order, and their ring rows."""
        key = self.history.row_count(self.kind)
        if key != self._rows_key:
            rows = self.history.row_numbers(self.kind, self.names)
            keep = rows >= 0
            self._present = [n for n, k in zip(self.names, keep.tolist(), strict=True) if k]
            self._rows = rows[keep]
            self._position = {n: i for i, n in enumerate(self._present)}
            self._rows_key = key
        return self._present, self._rows

    def update(self) -> None:
        hist = self.history
        if hist.generation == self._generation:
            return
        self._generation = hist.generation
        present, rows = self._present_rows()
        if len(present) <= len(self.slots):
            chosen = present  # few enough: every object its own line, in tree order
            others: list[str] = []
            others_rows = np.zeros(0, np.intp)
        else:
            # One numpy step for every object's newest rate (2,000 VIFs: 6,000 latest()
            # calls a sample before), the shown ones weighted STICKY.
            scores = hist.latest_rows(self.kind, rows, self.metrics)
            shown = [self._position[n] for n in self.slots if n in self._position]
            scores[shown] *= self.STICKY
            # stable sort: equal rates keep tree order, so ties do not reshuffle colours
            order = np.argsort(-scores, kind="stable")
            chosen = [present[i] for i in order[:self.TOP].tolist()]
            rest = np.ones(len(present), bool)
            rest[order[:self.TOP]] = False
            others_rows = rows[rest]
            if len(others_rows) != len(self.others_rows) or \
                    not np.array_equal(others_rows, self.others_rows):
                others = [n for n, k in zip(present, rest.tolist(), strict=True) if k]
            else:
                others = self.others  # the same objects: no new list of names
        wanted = set(chosen)
        slots = [n if n in wanted else None for n in self.slots]
        placed = set(slots)
        free = iter(i for i, n in enumerate(slots) if n is None)
        for name in chosen:
            if name not in placed:
                slots[next(free)] = name
        if slots != self.slots or len(others) != len(self.others):
            self.version += 1
        self.slots, self.others, self.others_rows = slots, others, others_rows


@dataclass
class _Drawn:
    """What one line shows, for the hover: its data as drawn (decimated), not a copy kept
    between redraws: it is replaced on every redraw."""

    name: str
    color: str
    t: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> drawn y


class MagnitudeAxis(pg.AxisItem):
    """Tick labels without sign: below the zero line is "sent", not a negative rate."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return super().tickStrings([abs(v) for v in values], scale, spacing)


class RatePlot(QWidget):
    """One graph of one or many objects, fed from a StatsHistory."""

    MERGE_FROM = 2  # objects from which series merge into one curve per metric
    POINT_BUDGET = 12_000  # points per merged curve
    HOVER_PX = 10  # how near the cursor a line must pass to be named

    def __init__(self, spec: GraphSpec, history: StatsHistory, names: Iterable[str],
                 window_s: float = 600.0, parent: QWidget | None = None,
                 busiest: BusiestSeries | None = None):
        super().__init__(parent)
        self.spec = spec
        self.history = history
        self.names = list(names)
        self.window_s = window_s
        # A panel passes one BusiestSeries to all its graphs (same VIF, same colour);
        # alone, a graph ranks for itself.
        self.busiest = busiest or BusiestSeries(history, spec.kind)
        self.busiest.set_names(self.names)
        self.legend_shown = True
        self._legend_version = -1
        self._generation = -1
        self._ytop = 1.0
        self._ybottom = 1.0 if spec.below else 0.0
        self._live = True
        self._relative = False
        self._drawn: list[_Drawn] = []
        self._hover_scene: QPointF | None = None

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
        # Which colour is which VIF: outside the plot, where it covers no data.
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setContentsMargins(4, 0, 4, 2)
        self.legend.hide()
        layout.addWidget(self.legend)

        self.widget = pg.PlotWidget(self, axisItems={"left": MagnitudeAxis("left"),
                                                     "right": MagnitudeAxis("right")})
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

        # The "others" sum of 2,000 VIFs dwarfs any one VIF: on the left scale it would
        # press every named line flat onto zero. It gets its own view and right axis
        # (pyqtgraph's MultiplePlotAxes example), x-linked and with zero at the same
        # height, so the named lines fill the left scale and the sum keeps its shape.
        self.others_view = pg.ViewBox(enableMouse=False)
        self.others_view.setZValue(self.plot_item.vb.zValue() - 1)  # under named lines
        self.plot_item.scene().addItem(self.others_view)
        self.others_view.setXLink(self.plot_item.vb)
        self.plot_item.vb.sigResized.connect(self._fit_others_view)
        right = self.plot_item.getAxis("right")
        right.linkToView(self.others_view)
        right.setWidth(60)
        right.setPen(OTHERS_COLOR)
        right.setTextPen(OTHERS_COLOR)
        right.setLabel("others", units=spec.unit or None, color=OTHERS_COLOR)
        self._others_scale = 1.0  # others' range over the left range (>= 1)
        self._otop = 1.0
        self._obottom = 1.0 if spec.below else 0.0

        self.stale_text = pg.TextItem("not live", color="#a00000", anchor=(1, 0))
        self.stale_text.setZValue(10)
        self.stale_text.hide()
        self.plot_item.addItem(self.stale_text, ignoreBounds=True)
        # Mirrored graphs: a zero line and, in the left corners (the oldest data, the
        # least looked at), which side is which, on white so lines do not run through it.
        self._sides: list[pg.TextItem] = []
        if spec.below:
            zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(ZERO_LINE, width=1))
            self.plot_item.addItem(zero, ignoreBounds=True)
            small = self.font()
            small.setPointSizeF(small.pointSizeF() * 0.8)
            for text, anchor in (("▲ received by the VM", (0, 0)),
                                 ("▼ sent by the VM", (0, 1))):
                side = pg.TextItem(text, color="#666", anchor=anchor, fill=pg.mkBrush("w"))
                side.setFont(small)
                side.setZValue(5)
                self.plot_item.addItem(side, ignoreBounds=True)
                self._sides.append(side)
        self.hover = pg.TextItem("", color="#222", fill=pg.mkBrush("w"),
                                 border=pg.mkPen("#888", width=1))
        self.hover.setZValue(20)
        self.hover.hide()
        self.plot_item.addItem(self.hover, ignoreBounds=True)
        # Moves straight from the viewport: the scene's sigMouseMoved is rate-limited and
        # drops the last move of a quick gesture, leaving the label on an older line.
        self.widget.viewport().installEventFilter(self)

        self._curves: dict[str, pg.GraphicsObject] = {}
        self._lines: list[pg.PlotCurveItem] = []  # per-object mode: one per colour slot
        self._others: pg.PlotCurveItem | None = None
        self._build_curves()
        self._set_title()

    # ------------------------------------------------------------------ set-up
    @property
    def merged(self) -> bool:
        return len(self.names) >= self.MERGE_FROM

    @property
    def per_object(self) -> bool:
        """A line per object (its own colour and name) instead of one per metric."""
        return self.merged and self.spec.kind in PER_OBJECT_KINDS

    def _build_curves(self) -> None:
        for curve in [*self._curves.values(), *self._lines]:
            self.plot_item.removeItem(curve)
        if self._others is not None:
            self.others_view.removeItem(self._others)
        self._curves.clear()
        self._lines = []
        self._others = None
        self._drawn = []
        if self.per_object:
            # Built once, reused: a slot's curve keeps its colour, only its data and name
            # change when another VIF takes the slot.
            # The sum as a filled area behind the lines: on its own scale its peak lands
            # where the busiest line's does, and as one more line it would be taken for
            # a VIF; an area reads as the backdrop the named VIFs stand out from.
            self._others = pg.PlotCurveItem(pen=pg.mkPen(OTHERS_COLOR, width=1),
                                            brush=pg.mkBrush(OTHERS_FILL), fillLevel=0.0)
            self.others_view.addItem(self._others)
            for color in PALETTE:
                curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=1), skipFiniteCheck=True)
                self.plot_item.addItem(curve)
                self._lines.append(curve)
            return
        for metric in self.spec.metrics:
            pen = pg.mkPen(COLORS.get(metric, "#333"), width=1)
            if self.merged:
                curve = pg.PlotCurveItem(pen=pen, name=TEXT[metric], skipFiniteCheck=True)
            else:
                curve = pg.PlotDataItem(pen=pen, name=TEXT[metric], skipFiniteCheck=True)
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
            self.plot_item.addItem(curve)
            self._curves[metric] = curve

    def set_names(self, names: Iterable[str]) -> None:
        names = list(names)
        if names == self.names:
            return
        was = (self.merged, self.per_object)
        self.names = names
        self.busiest.set_names(names)
        if was != (self.merged, self.per_object):
            self._build_curves()
        self._generation = -1
        self._legend_version = -1
        self._ytop = 1.0
        self._ybottom = 1.0 if self.spec.below else 0.0
        self._set_title()
        self._set_legend()  # hides it when the new selection is one VIF
        self.refresh()

    def _set_title(self) -> None:
        if len(self.names) == 1:
            who = self.names[0]
        elif self.spec.kind == "vif":
            who = f"{len(self.names):,} VIFs"
        else:
            who = f"{len(self.names)} objects"
        stale = "" if self._live else " <span style='color:#a00000'>(not live)</span>"
        # The legend lives in the title: inside the plot it would cover the newest data.
        if self.per_object:
            # colours are VIFs here (legend below); the title says which side is which
            keys = "".join(f"&nbsp;&nbsp;{'▼' if m in self.spec.below else '▲'}&nbsp;"
                           f"{DIRECTION[m]}" for m in self.spec.metrics if m in DIRECTION)
        else:
            arrows = {m: ("▼&nbsp;" if m in self.spec.below else "▲&nbsp;")
                      if self.spec.below else "" for m in self.spec.metrics}
            keys = "".join(
                f"&nbsp;&nbsp;<span style='color:"
                f"{COLORS.get(m, '#333') if self._live else STALE}'>&#9644;</span>&nbsp;"
                f"{arrows[m]}{DIRECTION.get(m, LABELS[m])}" for m in self.spec.metrics)
        self.title.setText(f"<b>{self.spec.title}</b> <span style='color:#666'>{who}</span>"
                           f"{stale}{keys}")

    def _set_legend(self) -> None:
        show = self.per_object and self.legend_shown
        self.legend.setVisible(show)
        if not show or self._legend_version == self.busiest.version:
            return
        self._legend_version = self.busiest.version
        entries = []
        for slot, name in enumerate(self.busiest.slots):
            if name is not None:
                color = PALETTE[slot] if self._live else STALE
                entries.append(f"<span style='color:{color}'>&#9644;</span>&nbsp;"
                               f"{_unbroken(name)}")
        others = self.busiest.others
        if others:
            color = OTHERS_COLOR if self._live else STALE
            entries.append(f"<span style='color:{color}'>&#9632;</span>&nbsp;"
                           f"<i>{self._others_name()}, summed (right axis)</i>")
        lead = (f"<span style='color:#666'>busiest {sum(n is not None for n in self.busiest.slots)}"
                f" by packets/s:</span>&nbsp;&nbsp;") if others else ""
        self.legend.setText(lead + "&nbsp;&nbsp; ".join(entries))

    def _others_name(self) -> str:
        n = len(self.busiest.others)
        return f"others ({n:,} VIF{'s' if n != 1 else ''})"

    # ----------------------------------------------------------------- drawing
    def point_count(self) -> int:
        """Points the curves hold now (tests wait on this)."""
        total = 0
        for curve in self.curves():
            data = curve.getData() if hasattr(curve, "getData") else (None, None)
            if data[0] is not None:
                total += len(data[0])
        return total

    def curves(self) -> list[pg.GraphicsObject]:
        """The curves drawn now, named (curve.name()) and coloured (curve.opts["pen"])."""
        if self.per_object:
            lines = [*self._lines, self._others]
            return [c for c in lines if c is not None and c.isVisible()]
        return list(self._curves.values())

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
        if self.per_object:
            top, bottom, otop, obottom = self._refresh_per_object(t)
            self._place(t, top, bottom)
            self._place_others(otop, obottom)
            self._set_legend()
            self._rehover()
            return
        present = [n for n in self.names if hist.has(self.spec.kind, n)]
        top = bottom = 0.0
        drawn = _Drawn(self.names[0] if len(self.names) == 1 else "", "", t)
        for metric, curve in self._curves.items():
            block = hist.block(self.spec.kind, present, metric)
            if block.size == 0:
                curve.setData([], [])
                continue
            sign = -1.0 if metric in self.spec.below else 1.0
            peak = float(block.max())
            if sign < 0:
                bottom = max(bottom, peak)
            else:
                top = max(top, peak)
            if self.merged:
                x, y, connect = self._merge(t, block)
                curve.setData(x, sign * y, connect=connect, skipFiniteCheck=True)
            else:
                curve.setData(t, sign * block[0], skipFiniteCheck=True)
                drawn.values[metric] = sign * block[0]
        self._drawn = [drawn] if not self.merged else []
        self._place(t, top, bottom)
        self._place_others(0.0, 0.0)
        self._rehover()

    def _refresh_per_object(self, t: np.ndarray) -> tuple[float, float, float, float]:
        """The busiest objects a coloured line each (rx above zero, tx below, joined in
        one curve), the rest one grey sum. Returns the (top, bottom) peaks of the named
        lines, then of the sum."""
        hist, kind = self.history, self.spec.kind
        self.busiest.update()
        slots, others = self.busiest.slots, self.busiest.others
        named = [n for n in slots if n is not None]
        per_row = max(8, min(max(100, self.widget.width()),
                             self.POINT_BUDGET // max(1, 2 * (len(named) + 1))))
        top = bottom = otop = obottom = 0.0
        drawn: list[_Drawn] = []
        series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for metric in self.spec.metrics:
            rows = hist.block(kind, named, metric)
            # the sum of the others in one pass over the ring, not a copy of each row
            rest = hist.sum_rows(kind, self.busiest.others_rows, metric) if others else None
            if rest is not None:
                rows = np.vstack([rows, rest])
            td, rows = self._decimate(t, rows, per_row)
            series[metric] = (td, rows)
            peak = float(rows[:len(named)].max()) if named and rows.size else 0.0
            opeak = float(rows[-1].max()) if rest is not None and rows.size else 0.0
            if metric in self.spec.below:
                bottom, obottom = max(bottom, peak), max(obottom, opeak)
            else:
                top, otop = max(top, peak), max(otop, opeak)
        td = next(iter(series.values()))[0]
        for i, name in enumerate([*named, *(["others"] if others else [])]):
            values = {m: (-1.0 if m in self.spec.below else 1.0) * series[m][1][i]
                      for m in self.spec.metrics}
            is_rest = i == len(named)
            color = OTHERS_COLOR if is_rest else PALETTE[slots.index(name)]
            drawn.append(_Drawn(self._others_name() if is_rest else name, color, td, values))
        for slot, curve in enumerate(self._lines):
            slot_name = slots[slot]
            line = (next((d for d in drawn if d.name == slot_name), None) if slot_name
                    else None)
            self._draw_line(curve, line)
        self._draw_line(self._others, drawn[-1] if others else None, area=True)
        self._drawn = drawn
        return top, bottom, otop, obottom

    def _draw_line(self, curve: pg.PlotCurveItem, line: _Drawn | None,
                   area: bool = False) -> None:
        if line is None or len(line.t) == 0:
            curve.setData([], [])
            curve.hide()
            return
        parts = list(line.values.values())
        curve.opts["name"] = line.name
        if area:
            # runs split by a NaN: pyqtgraph fills each finite run down to zero (its
            # chunked fast fill), where a connect array would fill one odd polygon
            gap = np.array([np.nan])
            x = np.concatenate([v for _ in parts for v in (line.t, gap)][:-1])
            y = np.concatenate([v for part in parts for v in (part, gap)][:-1])
            curve.setData(x, y, connect="finite")
        else:
            cols = len(line.t)
            x = np.tile(line.t, len(parts))
            y = np.concatenate(parts)
            connect = np.ones(len(x), dtype=np.int32)
            connect[cols - 1::cols] = 0  # received and sent are two runs, not joined
            curve.setData(x, y, connect=connect, skipFiniteCheck=True)
        curve.show()

    @staticmethod
    def _decimate(t: np.ndarray, block: np.ndarray, per_row: int
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Rows no longer than `per_row` points: each kept point is the peak of its bucket,
        so a spike survives. Rates are non-negative: peaks are taken before mirroring."""
        n = block.shape[1]
        step = max(1, -(-n // per_row))
        if step == 1:
            return t, block
        cut = n - n % step
        return (t[n - cut:].reshape(-1, step)[:, -1],
                block[:, n - cut:].reshape(block.shape[0], -1, step).max(axis=2))

    def _merge(self, t: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, ...]:
        """Every row of `block` as one path: rows side by side, not joined to each other.
        Rows longer than the plot is wide are peak-decimated first."""
        # A point budget per curve: 1,000 VIFs x 600 samples would be 600,000 points per
        # redraw; peak decimation keeps every spike at a fraction of the cost.
        width = max(100, self.widget.width())
        per_row = max(8, min(width, self.POINT_BUDGET // max(1, block.shape[0])))
        t, block = self._decimate(t, block, per_row)
        rows, cols = block.shape
        x = np.tile(t, rows)
        y = block.reshape(-1)
        connect = np.ones(rows * cols, dtype=np.int32)
        connect[cols - 1::cols] = 0  # no segment from one row's end to the next row
        return x, y, connect

    def _place(self, t: np.ndarray, top: float, bottom: float) -> None:
        right = float(t[-1])
        left = max(float(t[0]), right - self.window_s)
        if right <= left:
            left = right - 1.0
        # The y range grows at once and shrinks only when the data falls well below it,
        # so a steady flow does not make the axis twitch.
        wanted = max(1.0, top * 1.15)
        if wanted > self._ytop or wanted < self._ytop * 0.5:
            self._ytop = wanted
        if self.spec.below:
            wanted = max(1.0, bottom * 1.15)
            if wanted > self._ybottom or wanted < self._ybottom * 0.5:
                self._ybottom = wanted
        # One range change, not two: each one repaints the axes.
        self.plot_item.getViewBox().setRange(xRange=(left, right),
                                             yRange=(-self._ybottom, self._ytop),
                                             padding=0, update=True)
        if self._sides:
            self._sides[0].setPos(left, self._ytop)
            self._sides[1].setPos(left, -self._ybottom)
        if not self._live:
            self.stale_text.setPos(right, self._ytop)

    def _fit_others_view(self) -> None:
        self.others_view.setGeometry(self.plot_item.vb.sceneBoundingRect())
        self.others_view.linkedViewChanged(self.plot_item.vb, self.others_view.XAxis)

    def _place_others(self, top: float, bottom: float) -> None:
        """The right scale: the left one times a factor (>= 1) that fits the sum, so
        zero is at the same height on both; same grow-fast, shrink-slow rule as _place."""
        right = self.plot_item.getAxis("right")
        if not self.busiest.others or not self.per_object:
            if right.isVisible():
                self.plot_item.hideAxis("right")
            return
        wanted = max(1.0, top * 1.15)
        if wanted > self._otop or wanted < self._otop * 0.5:
            self._otop = wanted
        if self.spec.below:
            wanted = max(1.0, bottom * 1.15)
            if wanted > self._obottom or wanted < self._obottom * 0.5:
                self._obottom = wanted
        scale = max(1.0, self._otop / self._ytop,
                    self._obottom / self._ybottom if self.spec.below else 0.0)
        self._others_scale = scale
        self.others_view.setYRange(-self._ybottom * scale, self._ytop * scale, padding=0)
        if not right.isVisible():
            self.plot_item.showAxis("right")
            self._fit_others_view()

    def _restyle(self) -> None:
        for metric, curve in self._curves.items():
            color = COLORS.get(metric, "#333") if self._live else STALE
            curve.setPen(pg.mkPen(color, width=1))
        for color, curve in zip(PALETTE, self._lines):
            curve.setPen(pg.mkPen(color if self._live else STALE, width=1))
        if self._others is not None:
            self._others.setPen(pg.mkPen(OTHERS_COLOR if self._live else STALE, width=1))
        self.stale_text.setVisible(not self._live)
        self._legend_version = -1
        self._set_title()
        self._set_legend()

    @property
    def live(self) -> bool:
        return self._live

    # ------------------------------------------------------------------- hover
    def hover_at(self, x: float, y: float) -> str:
        """What the line nearest (x, y) (plot coordinates) shows there, as "vm/nic: 1.2 k
        packets/s received by the VM"; "" when no line passes within HOVER_PX pixels."""
        py = self.plot_item.getViewBox().viewPixelSize()[1]  # plot units per pixel
        best: tuple[float, str] | None = None
        for line in self._drawn:
            if len(line.t) == 0:
                continue
            i = int(np.clip(np.searchsorted(line.t, x), 1, len(line.t) - 1)) \
                if len(line.t) > 1 else 0
            j = i - 1 if len(line.t) > 1 else 0
            near = i if abs(line.t[i] - x) < abs(line.t[j] - x) else j
            # the others line is drawn on the right scale: compare in left units
            scale = self._others_scale if line.color == OTHERS_COLOR else 1.0
            for metric, values in line.values.items():
                # distance to the segment around x: a steep line passes near the cursor
                # even where its points do not
                lo, hi = sorted((float(values[j]) / scale, float(values[i]) / scale))
                dist = 0.0 if lo <= y <= hi else min(abs(y - lo), abs(y - hi))
                dist /= py or 1.0
                if dist <= self.HOVER_PX and (best is None or dist < best[0]):
                    value = abs(float(values[near]))
                    who = f"{line.name}: " if line.name else ""
                    best = (dist, f"{who}{si_text(value)} {TEXT[metric]}")
        return best[1] if best else ""

    def hover_text(self) -> str:
        """The hover label shown now ("" when hidden)."""
        return self.hover.textItem.toPlainText() if self.hover.isVisible() else ""

    def _rehover(self) -> None:
        """(Re)name the line under the cursor: also after a redraw moved the data under a
        cursor that stayed still."""
        if self._hover_scene is None:
            return
        vb = self.plot_item.getViewBox()
        if not vb.sceneBoundingRect().contains(self._hover_scene):
            self.hover.hide()
            return
        point = vb.mapSceneToView(self._hover_scene)
        text = self.hover_at(point.x(), point.y())
        if not text:
            self.hover.hide()
            return
        self.hover.setText(text)
        (left, right), (bottom, top) = vb.viewRange()
        # keep the label inside the plot: left of the cursor on the right half, below it
        # on the upper half
        self.hover.setAnchor((1.0 if point.x() > (left + right) / 2 else 0.0,
                              0.0 if point.y() > (bottom + top) / 2 else 1.0))
        self.hover.setPos(point)
        self.hover.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget.viewport():
            if event.type() == QEvent.Type.MouseMove:
                position = cast(QMouseEvent, event).position()
                self._hover_scene = self.widget.mapToScene(position.toPoint())
                self._rehover()
            elif event.type() == QEvent.Type.Leave:
                self._hover_scene = None
                self.hover.hide()
        return super().eventFilter(watched, event)

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
