"""The fabric working on the canvas: CanvasWidget.set_live(source) with a connection's rate
history (a source with `.history` and a `.sampled` signal, as views.connection.Connection
has) draws links by packets/s, drop, MTU-drop and flood badges, and each sample redraws only
what changed; the designated VTEPs come from the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from console.models import topofile as tf
from console.models.changes import VtepEdit
from console.models.stats import CounterSample, FloodCounters, VemCounters, VifCounters
from console.views.canvas import CanvasWidget
from console.views.editors.commands import ChangeCommand
from console.views.editors.document import Document
from console.views.history import StatsHistory
from console.views.undo import ReplaceObject

DEMO = Path(__file__).parents[2] / "resources" / "topologies" / "demo.yaml"

# packets/s the demo's traffic makes, per VIF: (rx, tx, drops)
RATES = {"web1/eth0": (0, 2500, 0), "web2/eth0": (2000, 0, 0), "db1/eth0": (500, 0, 0),
         "backup1/eth0": (0, 900, 4100), "app1/eth0": (0, 1050, 0),
         "app3/eth0": (1000, 300, 0), "app2/eth0": (300, 0, 0), "os1/eth0": (0, 50, 0),
         "legacy1/eth0": (0, 0, 0)}


class Source(QObject):
    """What the window's Connection offers the canvas."""

    sampled = Signal()

    def __init__(self):
        super().__init__()
        self.history = StatsHistory(60)
        self.t = 0

    def sample(self, rates=RATES, mtu_drops: int = 12) -> None:
        """Counters that grew by `rates` over one second since the previous sample."""
        self.t += 1
        t = self.t
        s = CounterSample(timestamp=float(t))
        for key, (rx, tx, drops) in rates.items():
            s.vifs[key] = VifCounters(rx_packets=rx * t, tx_packets=tx * t, tx_drops=drops * t)
        s.bridge_domains["tenant-a"] = FloodCounters(flood_frames=50 * t, flood_copies=50 * t)
        s.bridge_domains["tenant-b"] = FloodCounters(flood_frames=50 * t, flood_copies=100 * t)
        for host in ("vem1", "vem2", "vem3"):
            s.vems[host] = VemCounters(encap_packets=1000 * t,
                                       mtu_drops=mtu_drops * t if host == "vem2" else 0)
        self.history.add(s)
        self.sampled.emit()


@pytest.fixture
def canvas(qtbot, settings):
    widget = CanvasWidget(Document(tf.load(DEMO), DEMO, settings=settings))
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settle(qtbot, canvas: CanvasWidget) -> None:
    """The debounced refresh inside the test (pytest-qt closes widgets before fixtures)."""
    if canvas.settling:
        with qtbot.waitSignal(canvas.settled, timeout=10000):
            pass


def link(canvas: CanvasWidget, text: str):
    return next(x for x in canvas.scene.links() if x.describe() == text)


def badges(canvas: CanvasWidget, nid: str) -> list[str]:
    live = canvas.scene.nodes[nid].live
    return [text for text, _ in live.badges] if live is not None else []


def test_links_and_badges_follow_the_rates_and_offline_clears_them(qtbot, canvas):
    scene, layer = canvas.scene, canvas.scene.link_layer
    source = Source()
    canvas.set_live(source)
    assert canvas.live_source is source
    source.sample()  # the first sample gives no rate yet
    assert badges(canvas, "vm:backup1") == []
    source.sample()
    # vNIC -> profile by that VIF's packets/s, VM -> host by the VM's, host -> FI by its VMs'
    assert layer.style_of(link(canvas, "web1/eth0 → web (profile)")) == "live3"
    assert layer.style_of(link(canvas, "db1/eth0 → web (profile)")) == "live2"
    assert layer.style_of(link(canvas, "os1/eth0 → tenant-b (network)")) == "live1"
    assert layer.style_of(link(canvas, "legacy1/eth0 → db (profile)")) == "profile"  # idle
    assert layer.style_of(link(canvas, "web2 → kvm2 (placement)")) == "live3"
    assert layer.style_of(link(canvas, "kvm1 → fi-a (uplink)")) == "live3"
    assert layer.style_of(link(canvas, "tenant-a → tenant-a (segment)")) == "segment"
    assert badges(canvas, "vm:backup1") == ["drops 4.1k/s"]
    assert badges(canvas, "host:vem2") == ["MTU drops 12/s"]
    assert badges(canvas, "bd:tenant-b") == ["flood 50/s → 100 copies"]
    assert badges(canvas, "vm:web1") == [] and badges(canvas, "host:vem1") == []
    assert scene.nodes["vm:web1"].live.rows == ("2.5k pkt/s",)

    # Drawn: the badge in red above backup1, a busy link in green.
    canvas.view.fit()
    image = _drawn(canvas)
    backup1 = scene.nodes["vm:backup1"]
    above = canvas.view.mapFromScene(QRectF(backup1.pos() + QPointF(4, -18),
                                            backup1.pos() + QPointF(60, -6))).boundingRect()
    assert any(_near(QColor(image.pixel(x, y)), QColor("#c0392b"))
               for x in range(above.left(), above.right()) for y in range(above.top(),
                                                                          above.bottom()))

    # A stale sample (the connection dropped) shows nothing as live.
    source.history.add(CounterSample(timestamp=99.0, live=False))
    source.sampled.emit()
    assert all(n.live is None for n in scene.nodes.values())
    assert layer.style_of(link(canvas, "web1/eth0 → web (profile)")) == "profile"
    source.sample()
    source.sample()
    assert badges(canvas, "vm:backup1") == ["drops 4.1k/s"]

    canvas.set_live(None)
    assert canvas.live_source is None
    assert all(n.live is None for n in scene.nodes.values())
    assert layer.style_of(link(canvas, "web1/eth0 → web (profile)")) == "profile"
    source.sample()  # no longer heard
    assert all(n.live is None for n in scene.nodes.values())
    settle(qtbot, canvas)


def test_a_sample_redraws_only_what_changed(qtbot, canvas):
    scene = canvas.scene
    source = Source()
    canvas.set_live(source)
    source.sample()
    source.sample()
    versions = {nid: n.version for nid, n in scene.nodes.items()}
    styles = {x.describe(): scene.link_layer.style_of(x) for x in scene.links()}
    source.sample()  # the same rates again: nothing to redraw
    assert {nid: n.version for nid, n in scene.nodes.items()} == versions
    # One VIF's rate changes: that VM (and its host's uplink class, unchanged here) only.
    rates = dict(RATES, **{"db1/eth0": (50, 0, 0)})
    source.sample(rates)
    changed = {nid for nid, n in scene.nodes.items() if n.version != versions[nid]}
    assert changed == {"vm:db1"}
    now = {x.describe(): scene.link_layer.style_of(x) for x in scene.links()}
    assert {k for k in now if now[k] != styles[k]} == {"db1/eth0 → web (profile)",
                                                       "db1 → kvm1 (placement)"}
    settle(qtbot, canvas)


def test_new_links_and_a_new_topology_get_the_live_state(qtbot, canvas):
    source = Source()
    canvas.set_live(source)
    source.sample()
    source.sample()
    doc = canvas.doc
    # a profile edit replaces the VMs that use it: their links are new, still live
    web1 = next(vm for vm in doc.topology.vms if vm.name == "web1")
    doc.push(ReplaceObject(doc.topology, "vms", "web1",
                           web1.model_copy(update={"description": "front end"})))
    assert canvas.scene.link_layer.style_of(link(canvas, "web1/eth0 → web (profile)")) == "live3"
    doc.open(DEMO)  # a new scene: drawn live from the history at once
    qtbot.waitUntil(lambda: "vm:backup1" in canvas.scene.nodes
                    and canvas.scene.nodes["vm:backup1"].live is not None)
    assert badges(canvas, "vm:backup1") == ["drops 4.1k/s"]
    settle(qtbot, canvas)


def test_each_vem_marks_the_vteps_designated_for_its_segments(qtbot, canvas):
    settle(qtbot, canvas)
    vem1 = canvas.scene.nodes["host:vem1"]
    # the file designates vtep1 for tenant-b; the segment id picks vtep0 for tenant-a
    assert vem1.vtep_notes == {"vtep0": ("tenant-a",), "vtep1": ("tenant-b",)}
    assert canvas.scene.nodes["host:vem2"].vtep_notes == {"vtep0": ("tenant-a", "tenant-b")}
    assert canvas.scene.nodes["host:kvm1"].vtep_notes == {}
    assert "vtep1 10.0.1.21  ★ tenant-b" in vem1.toolTip()  # zoomed out, rows are not drawn
    doc = canvas.doc
    host = next(h for h in doc.topology.hosts if h.name == "vem1")
    with qtbot.waitSignal(canvas.settled, timeout=10000):
        doc.push(ChangeCommand(doc.topology, VtepEdit("vem1", tuple(host.vteps),
                                                      {"tenant-b": "vtep0"})))
    vem1 = canvas.scene.nodes["host:vem1"]
    assert vem1.vtep_notes == {"vtep0": ("tenant-a", "tenant-b")}
    with qtbot.waitSignal(canvas.settled, timeout=10000):
        doc.stack.undo()
    assert canvas.scene.nodes["host:vem1"].vtep_notes == {"vtep0": ("tenant-a",),
                                                          "vtep1": ("tenant-b",)}


def _drawn(canvas: CanvasWidget):
    QApplication.processEvents()
    viewport, scene = canvas.view.viewport(), canvas.scene
    for _ in range(200):
        viewport.repaint()
        if not (scene.node_layer.pending or scene.overview.pending):
            break
    return viewport.grab().toImage()


def _near(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 40
