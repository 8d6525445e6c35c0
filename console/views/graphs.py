"""The graphs a selection can show (GraphSpec, GRAPHS), the panel that stacks them and
the one redraw timer they share: what the window builds before it first shows.

The graphs themselves (console.views.plots: pyqtgraph, numpy) are imported with the first
graph a selection shows, after the window is on screen: pyqtgraph alone takes about
0.2 s to import, more than the rest of the window takes to appear.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from .history import StatsHistory
    from .plots import RatePlot


@dataclass(frozen=True)
class GraphSpec:
    """One graph: a title, the object kind, the metrics drawn and the unit on the axis.
    `below`: metrics mirrored under the zero line (what a VM sends, against what it
    receives above)."""

    key: str
    title: str
    kind: str
    metrics: tuple[str, ...]
    unit: str = ""
    below: tuple[str, ...] = ()


GRAPHS: tuple[GraphSpec, ...] = (
    GraphSpec("vif_packets", "Packets/s", "vif", ("rx_pps", "tx_pps"), "pps", ("tx_pps",)),
    GraphSpec("vif_bits", "Bits/s", "vif", ("rx_bps", "tx_bps"), "bit/s", ("tx_bps",)),
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

    BUDGET_S = 0.004

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
        # pyqtgraph (~0.2 s to import) comes with the first graph, not with the window.
        from .plots import BusiestSeries, RatePlot

        # One ranking for the panel: a VIF has the same colour in every graph, and one
        # legend (on the first graph) names them all.
        busiest = BusiestSeries(history, kind)
        for i, spec in enumerate(specs):
            plot = RatePlot(spec, history, names, window_s, self, busiest=busiest)
            plot.legend_shown = i == 0
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
