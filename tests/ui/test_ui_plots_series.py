"""Per-VIF series in many-VIF graphs (issue #12): a colour and a name per VIF, the busiest
VIFs named and the rest summed at 2,000 VIFs, a hover naming the line under the cursor,
and rx/tx said as the VM sees them. Real widgets on synthetic counter samples."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtTest import QTest

from console.models.stats import CounterSample, VifCounters
from console.views.graphs import GRAPH_BY_KEY
from console.views.history import StatsHistory
from console.views.plots import RatePlot

TOP = 8  # named lines at most when there are many VIFs; one more for "others"


def vif_history(rates: dict[str, tuple[float, float]], samples: int = 5,
                history: StatsHistory | None = None, start: float = 0.0) -> StatsHistory:
    """Counters growing at constant (rx, tx) packets per second, one sample a second."""
    history = history or StatsHistory(60)
    for i in range(samples):
        t = start + i
        history.add(CounterSample(t, vifs={
            name: VifCounters(rx_packets=int(rx * t), tx_packets=int(tx * t),
                              rx_bytes=int(rx * t) * 100, tx_bytes=int(tx * t) * 100)
            for name, (rx, tx) in rates.items()}))
    return history


def drawn_curves(plot: RatePlot) -> list[pg.PlotCurveItem]:
    """Every line on screen, wherever it lives in the plot (any view box)."""
    return [item for item in plot.widget.scene().items()
            if isinstance(item, pg.PlotCurveItem) and item.isVisible()
            and item.getData()[0] is not None and len(item.getData()[0]) > 0]


def colour(curve: pg.PlotCurveItem) -> str:
    return pg.mkPen(curve.opts["pen"]).color().name()


@pytest.fixture
def make_plot(qtbot):
    def make(history: StatsHistory, names: list[str], graph: str = "vif_packets") -> RatePlot:
        plot = RatePlot(GRAPH_BY_KEY[graph], history, names)
        qtbot.addWidget(plot)
        plot.resize(800, 300)
        plot.show()
        qtbot.waitExposed(plot)
        plot.refresh()
        return plot

    return make


def test_three_vifs_draw_three_named_lines_in_three_colours(make_plot):
    rates = {"web1/eth0": (100.0, 50.0), "web2/eth0": (1000.0, 500.0),
             "db1/eth1": (3000.0, 1500.0)}
    plot = make_plot(vif_history(rates), list(rates))
    curves = drawn_curves(plot)
    assert len(curves) == 3
    assert sorted(c.name() for c in curves) == sorted(rates)
    assert len({colour(c) for c in curves}) == 3
    # the legend names them in their colours (word joiners keep a name on one line)
    legend = plot.legend.text().replace("\u2060", "")
    assert all(name in legend for name in rates)
    assert all(colour(c) in legend for c in curves)


def test_rx_and_tx_are_said_as_the_vm_sees_them(make_plot):
    rates = {"web1/eth0": (100.0, 50.0), "web2/eth0": (1000.0, 500.0)}
    for names in (list(rates), ["web1/eth0"]):  # many VIFs and one
        plot = make_plot(vif_history(rates), names)
        title = plot.title.text()
        assert "received by the VM" in title and "sent by the VM" in title
        assert "rx packets" not in title and "tx packets" not in title


def test_2000_vifs_draw_the_busiest_named_and_the_rest_summed(make_plot):
    # VIF k receives k + 1 and sends 2 (k + 1) packets/s: the last ones are the busiest
    names = [f"vm{k:04d}/eth0" for k in range(2000)]
    rates = {name: (k + 1.0, 2.0 * (k + 1)) for k, name in enumerate(names)}
    plot = make_plot(vif_history(rates), names)
    curves = drawn_curves(plot)
    assert len(curves) <= TOP + 1
    others = [c for c in curves if c.name().startswith("others")]
    named = [c for c in curves if c not in others]
    assert {c.name() for c in named} == set(names[-TOP:])
    assert len({colour(c) for c in curves}) == len(curves)
    assert len(others) == 1 and others[0].name() == f"others ({2000 - TOP:,} VIFs)"
    # the others line sums the rest: received above zero, then sent mirrored below
    x, y = others[0].getData()
    rest = [rates[n] for n in names[:-TOP]]
    half = len(y) // 2
    assert y[half - 1] == pytest.approx(sum(rx for rx, _ in rest))
    assert -y[-1] == pytest.approx(sum(tx for _, tx in rest))


def test_busiest_vifs_follow_the_rates_and_keep_their_colours(make_plot):
    names = [f"vm{k:04d}/eth0" for k in range(200)]
    rates = {name: (k + 1.0, 0.0) for k, name in enumerate(names)}
    history = vif_history(rates)
    plot = make_plot(history, names)

    def colours() -> dict[str, str]:
        return {c.name(): colour(c) for c in drawn_curves(plot)
                if not c.name().startswith("others")}

    before = colours()
    assert set(before) == set(names[-TOP:])
    # a quiet VIF bursts: it takes the place of the least busy named one; the others
    # keep their colours. One just above the least busy does not (no flicker).
    burst, nudged, dropped = names[0], names[1], names[-TOP]
    rates[burst] = (10_000.0, 0.0)
    rates[nudged] = (rates[dropped][0] + 1.0, 0.0)
    vif_history(rates, samples=3, history=history, start=10.0)
    plot.refresh()
    after = colours()
    assert set(after) == (set(before) - {dropped}) | {burst}
    assert all(after[n] == before[n] for n in after if n in before)
    assert after[burst] == before[dropped]  # the freed colour, not a new one


def test_hover_names_the_vif_whose_line_is_under_the_cursor(make_plot, qtbot):
    rates = {"web1/eth0": (100.0, 50.0), "web2/eth0": (1200.0, 500.0),
             "db1/eth1": (3000.0, 1500.0)}
    plot = make_plot(vif_history(rates, samples=8), list(rates))
    vb = plot.plot_item.getViewBox()
    (left, right), _ = vb.viewRange()
    middle = (left + right) / 2

    def move(value: float, off_px: int = 0) -> None:
        pos = plot.widget.mapFromScene(vb.mapViewToScene(QPointF(middle, value)))
        pos.setY(pos.y() + off_px)
        QTest.mouseMove(plot.widget.viewport(), pos)

    def hover(value: float, off_px: int = 0) -> str:
        move(2100.0)  # first where no line passes: the label goes
        qtbot.waitUntil(lambda: plot.hover_text() == "")
        move(value, off_px)
        qtbot.waitUntil(lambda: plot.hover_text() != "")
        return plot.hover_text()

    # near web2's received line (3 px off it), then on db1's sent line (below zero)
    assert hover(1200.0, 3) == "web2/eth0: 1.2 k packets/s received by the VM"
    assert hover(-1500.0) == "db1/eth1: 1.5 k packets/s sent by the VM"
    # the text follows the data under a still cursor
    assert plot.hover_at(middle, 100.0) == "web1/eth0: 100 packets/s received by the VM"
    assert plot.hover_at(middle, 2100.0) == ""  # between lines: nothing named


def test_hover_names_the_others_line_at_2000_vifs(make_plot):
    names = [f"vm{k:04d}/eth0" for k in range(2000)]
    rest = 2000 - TOP
    # eight busy VIFs, 10 packets/s each way; the rest 1 in, 3 out each
    rates = {name: (10.0, 10.0) if k >= rest else (1.0, 3.0) for k, name in enumerate(names)}
    plot = make_plot(vif_history(rates), names)
    vb = plot.plot_item.getViewBox()
    (left, right), _ = vb.viewRange()
    # the sum is drawn on its own scale (right axis): find where it shows on the left one
    middle = (left + right) / 2
    scene = plot.others_view.mapViewToScene(QPointF(middle, rest))
    text = plot.hover_at(middle, vb.mapSceneToView(scene).y())
    assert text == f"others ({rest:,} VIFs): 2.0 k packets/s received by the VM"
    assert plot.hover_at(middle, 10.0).startswith("vm")


def test_from_many_vifs_to_one_the_legend_and_others_axis_go(make_plot):
    names = [f"vm{k:04d}/eth0" for k in range(20)]
    plot = make_plot(vif_history({n: (k + 1.0, 1.0) for k, n in enumerate(names)}), names)
    assert plot.legend.isVisible() and plot.plot_item.getAxis("right").isVisible()
    plot.set_names(names[:1])  # the panel reuses its graphs for the next selection
    assert not plot.legend.isVisible()
    assert not plot.plot_item.getAxis("right").isVisible()
    assert len(drawn_curves(plot)) == 2  # one VIF: received and sent, in metric colours
    assert [c.name() for c in plot.curves()] == [
        "packets/s received by the VM", "packets/s sent by the VM"]
    plot.set_names(names)  # and back
    assert plot.legend.isVisible() and len(drawn_curves(plot)) == TOP + 1
