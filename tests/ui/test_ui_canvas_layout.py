"""What a person sees first: the automatic layout of a fabric without positions, names
readable at Fit, and select_object() showing what another view picked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from console.models import topofile as tf
from console.views.canvas import CanvasWidget
from console.views.canvas.items import LOD_TEXT, NODE_W, text_scale
from console.views.editors.document import Document
from console.views.undo import AddObject

DEMO = Path(__file__).parents[2] / "resources" / "topologies" / "demo.yaml"
VIEW = (900, 600)  # the view's viewport (the canvas adds its palette and toolbar)


def show(qtbot, settings, topo) -> CanvasWidget:
    canvas = CanvasWidget(Document(topo, settings=settings))
    qtbot.addWidget(canvas)
    canvas.resize(VIEW[0] + 200, VIEW[1] + 60)
    canvas.show()
    qtbot.waitExposed(canvas)
    vp = canvas.view.viewport()
    canvas.resize(canvas.width() + VIEW[0] - vp.width(), canvas.height() + VIEW[1] - vp.height())
    # about that size (scroll bars come and go with the scale)
    qtbot.waitUntil(lambda: abs(vp.width() - VIEW[0]) <= 20 and abs(vp.height() - VIEW[1]) <= 20)
    canvas.view.fit()
    return canvas


def settle(qtbot, canvas: CanvasWidget) -> None:
    """Let the debounced refresh (findings, VTEP notes) finish inside the test: pytest-qt
    closes the widgets before fixtures are torn down."""
    if canvas.settling:
        with qtbot.waitSignal(canvas.settled, timeout=10000):
            pass


def fabric_yaml(positions: bool) -> str:
    """A 40-object fabric: 2 FIs, 4 VM-FEX hosts and 4 VEMs, 3 VMs each, 4 profiles, 2
    bridge domains; with `positions`, spread as a wide drawing would be (two rows of 12
    VMs), so Fit lands between the large-fabric text scale and the small one."""
    def at(x: float, y: float) -> str:
        return f", position: [{x}, {y}]" if positions else ""

    lines = ["format: fabric-console/1", "name: forty", "clusters: [{name: default}]",
             "fabric_interconnects:"]
    lines += [f"  - {{name: fi-{c}{at(900 + 800 * i, 0)}}}" for i, c in enumerate("ab")]
    lines += ["bridge_domains:"]
    lines += [f"  - {{name: bd{i}, segment_id: {5000 + i}, mode: unicast-only"
              f"{at(900 + 800 * i, 860)}}}" for i in range(2)]
    lines += ["port_profiles:"]
    lines += [f"  - {{name: pp{i}, clients: [default], vlans: [{100 + i}]{at(600 * i, 680)}}}"
              for i in range(2)]
    lines += [f"  - {{name: pp{i}, clients: [default], bridge_domain: bd{i - 2}"
              f"{at(600 * i, 680)}}}" for i in range(2, 4)]
    lines += ["hosts:"]
    for i in range(8):
        vem = i >= 4
        kind = ("switching: vem, uplink_mtu: 1600, vteps: [{name: vtep0, ip: "
                f"10.0.1.{10 + i}/24}}]" if vem else
                f"switching: vmfex, fabric_interconnect: fi-{'ab'[i % 2]}, vic: "
                "{model: VIC-1280, pfs: [{name: eth2, vfs: 32}]}")
        lines.append(f"  - {{name: host{i}, cluster: default, {kind}{at(300 * i, 190)}}}")
    lines += ["vms:"]
    for i in range(24):
        host = i // 3
        attach = "veth" if host >= 4 else "macvtap-passthrough, pf: eth2"
        where = at(200 * (i % 12), 380 + 120 * (i // 12))
        lines.append(f"  - {{name: vm{i:02d}, host: host{host}{where}, "
                     f"nics: [{{name: eth0, mac: '52:54:00:00:00:{i:02x}', "
                     f"port_profile: pp{(i % 2) + 2 * (host >= 4)}, attach: {attach}}}]}}")
    return "\n".join(lines) + "\n"


def drawn(canvas: CanvasWidget) -> QImage:
    """The view once the layers have rendered what they spread over frames."""
    QApplication.processEvents()  # the scene's index, built after the items, first
    viewport, scene = canvas.view.viewport(), canvas.scene
    for _ in range(200):
        viewport.repaint()
        if not (scene.node_layer.pending or scene.overview.pending):
            break
    return viewport.grab().toImage()


def ink_rows(image: QImage, box: QRectF) -> int:
    """Pixel rows of `box` (device pixels) holding dark text ink."""
    rows = 0
    for y in range(int(box.top()) + 1, int(box.bottom())):
        if any(QColor(image.pixel(x, y)).lightness() < 90
               for x in range(int(box.left()) + 2, int(box.right()) - 2)):
            rows += 1
    return rows


def test_names_are_readable_at_fit_on_a_forty_object_fabric(qtbot, settings):
    canvas = show(qtbot, settings, tf.loads(fabric_yaml(positions=True)))
    view, scene = canvas.view, canvas.scene
    assert len(scene.nodes) == 40
    scale = view.transform().m11()
    assert scale < LOD_TEXT  # zoomed out past where a large fabric turns to blocks...
    assert scene.detailed and not scene.overview.active  # ...but this one keeps names
    image = drawn(canvas)
    for name in ("host:host0", "vm:vm05", "pp:pp2", "bd:bd1", "fi:fi-b"):
        node = scene.nodes[name]
        head = view.mapFromScene(QRectF(node.pos(), node.pos() + QPointF(NODE_W, 40)))
        # a name about 10 pixels high: 7 rows of ink for "host0" (plain blocks before)
        assert ink_rows(image, QRectF(head.boundingRect())) >= 6, name
    # A large fabric keeps its fast overview at the same scale.
    assert text_scale(2452) == LOD_TEXT and text_scale(40) < scale
    settle(qtbot, canvas)


def test_the_demo_without_positions_is_laid_out_in_bands(qtbot, settings):
    topo = tf.load(DEMO)
    assert all(x.position is None for c in ("hosts", "vms", "port_profiles")
               for x in getattr(topo, c))
    canvas = show(qtbot, settings, topo)
    nodes = canvas.scene.nodes

    def top(nid: str) -> float:
        return nodes[nid].pos().y()

    def bottom(nid: str) -> float:
        return nodes[nid].block_rect().bottom()

    hosts = [f"host:{h.name}" for h in topo.hosts]
    vms = [f"vm:{vm.name}" for vm in topo.vms]
    pps = [f"pp:{p.name}" for p in topo.port_profiles]
    bds = [f"bd:{b.name}" for b in topo.bridge_domains]
    # FIs on top, the hosts in one row, each host's VMs under it, then profiles, then
    # bridge domains, each band below the one before.
    assert bottom("fi:fi-a") < min(top(h) for h in hosts)
    assert len({top(h) for h in hosts}) == 1
    assert max(bottom(h) for h in hosts) < min(top(v) for v in vms)
    for vm in topo.vms:
        host = nodes[f"host:{vm.host}"]
        assert nodes[f"vm:{vm.name}"].pos().x() == host.pos().x(), vm.name
    assert max(bottom(v) for v in vms) < min(top(p) for p in pps)
    assert max(bottom(p) for p in pps) < min(top(b) for b in bds)
    # The FI sits over the hosts it serves; no two objects overlap.
    served = [nodes[f"host:{h.name}"].center().x() for h in topo.hosts
              if h.fabric_interconnect == "fi-a"]
    assert min(served) <= nodes["fi:fi-a"].center().x() <= max(served)
    rects = [n.block_rect().adjusted(-8, -8, 8, 8) for n in nodes.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    # Tidy on screen: at Fit in 900x600 the drawing is about as wide as the view.
    whole = canvas.scene.itemsBoundingRect()
    assert 0.8 < whole.width() / whole.height() < 2.5
    assert canvas.view.transform().m11() > 0.5
    settle(qtbot, canvas)


def test_saved_positions_are_kept_and_the_rest_laid_out_around_them(qtbot, settings):
    topo = tf.load(DEMO)
    topo.hosts = [h.model_copy(update={"position": (3000.0, 3000.0)})
                  if h.name == "vem3" else h for h in topo.hosts]
    canvas = show(qtbot, settings, topo)
    nodes = canvas.scene.nodes
    assert nodes["host:vem3"].pos() == QPointF(3000, 3000)
    # the others still in their bands, VMs still under their hosts
    assert nodes["vm:web1"].pos().x() == nodes["host:kvm1"].pos().x()
    assert nodes["vm:app1"].pos().y() > nodes["host:vem1"].pos().y()
    assert len({nodes[f"host:{h}"].pos().y() for h in ("kvm1", "kvm2", "vem1", "vem2")}) == 1
    assert nodes["fi:fi-a"].pos().y() < nodes["host:kvm1"].pos().y()
    assert nodes["vm:app3"].pos().x() < 3000  # its host moved, not the plan of the rest
    # An object added later without a position goes next to its relatives: a VM under
    # its host, below the VMs already there.
    doc = canvas.doc
    web1 = next(vm for vm in doc.topology.vms if vm.name == "web1")
    doc.push(AddObject(doc.topology, "vms", web1.model_copy(update={"name": "web9"})))
    web9, db1 = nodes["vm:web9"], nodes["vm:db1"]
    assert web9.pos().x() == nodes["host:kvm1"].pos().x()
    assert web9.pos().y() > db1.block_rect().bottom()
    settle(qtbot, canvas)


def test_select_object_selects_only_it_and_scrolls_it_into_view(qtbot, settings):
    canvas = show(qtbot, settings, tf.load(DEMO))
    view, scene = canvas.view, canvas.scene
    view.reset_zoom()
    view.centerOn(scene.nodes["fi:fi-a"])
    scene.nodes["vm:web1"].setSelected(True)
    target = scene.nodes["bd:tenant-b"]
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert not shown.contains(target.block_rect())
    heard: list = []
    canvas.current.connect(lambda *args: heard.append(args))
    canvas.activated.connect(lambda *args: heard.append(args))
    assert canvas.select_object("bd", "tenant-b")
    assert canvas.selected_nodes() == [target]
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(target.block_rect())
    assert heard == []  # no echo back to the view that asked
    # Already visible: selected where it is, the view does not move.
    before = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    assert canvas.select_object("pp", "tenant-a") or True
    if shown.contains(scene.nodes["pp:tenant-a"].block_rect()):
        assert (view.horizontalScrollBar().value(),
                view.verticalScrollBar().value()) == before
    assert canvas.selected_nodes() == [scene.nodes["pp:tenant-a"]]
    assert not canvas.select_object("vm", "no-such-vm")
    assert canvas.selected_nodes() == [scene.nodes["pp:tenant-a"]]
    # The user's own clicks still report the selection.
    scene.clearSelection()
    assert heard[-1] == ("", "")
    settle(qtbot, canvas)
