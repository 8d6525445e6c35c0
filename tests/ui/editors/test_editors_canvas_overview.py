"""The layers that draw the canvas (the NodeLayer zoomed in, the Overview zoomed out) and the
zoom gesture's drawing quality: the batched drawing must still follow every edit, select,
drag, take the rubber band and open editors, and once its frames have caught up (rendering
is spread over frames) match what a fresh render would show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGraphicsItem

from console.models import Vtep
from console.models import topofile as tf
from console.models.changes import VtepEdit
from console.views.canvas import CanvasWidget, nodelayer, overview
from console.views.canvas.items import (
    COLOURS,
    LOD_TEXT_FEW,
    SELECTED,
    block_colour,
)
from console.views.editors.commands import ChangeCommand

DEMO = Path(__file__).parents[3] / "resources" / "topologies" / "demo.yaml"
NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents


def zoomed_out(qtbot, doc, scale: float = 0.25, size=(1200, 800)) -> CanvasWidget:
    canvas = CanvasWidget(doc)
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.auto_layout()  # saved positions: undoing an edit puts nodes back where they were
    # A fixed scene rectangle: one that grows with an edit scrolls the view, and the frames
    # compared here would differ by that scroll.
    canvas.scene.setSceneRect(canvas.scene.itemsBoundingRect().adjusted(-3000, -3000, 3000, 3000))
    view = canvas.view
    view.reset_zoom()
    view.zoom(scale)
    view.settle()
    view.centerOn(canvas.scene.itemsBoundingRect().center())
    return canvas


def frame(canvas: CanvasWidget, catch_up: bool = True) -> QImage:
    """The view once its layers have rendered all they put off (`catch_up`), or one frame."""
    QApplication.processEvents()  # a grown scene rectangle may scroll the view first
    viewport, s = canvas.view.viewport(), canvas.scene
    for _ in range(200):
        viewport.repaint()
        if not catch_up or not (s.overview.pending or s.node_layer.pending):
            break
    assert not catch_up or not (s.overview.pending or s.node_layer.pending)
    return viewport.grab().toImage()


def pixel(canvas: CanvasWidget, image: QImage, scene_pos: QPointF) -> QColor:
    p = canvas.view.mapFromScene(scene_pos)
    return QColor(image.pixel(p.x(), p.y()))


def fresh(canvas: CanvasWidget) -> QImage:
    """What the view shows when the layers render from nothing."""
    canvas.scene.overview._snap = None
    canvas.scene.node_layer.clear()
    return frame(canvas)


def same(a: QImage, b: QImage) -> bool:
    """Equal but for a few pixels (0.02%, 16 at least): a line clipped to a different
    rendered piece (a pan's strip, a band of a new snapshot) may step one pixel differently
    here and there. A missing or stale link or block differs by tens of pixels or more."""
    assert a.size() == b.size() and a.format() == b.format()
    pa = np.frombuffer(a.constBits(), dtype=np.uint32, count=a.sizeInBytes() // 4)
    pb = np.frombuffer(b.constBits(), dtype=np.uint32, count=b.sizeInBytes() // 4)
    return np.count_nonzero(pa != pb) <= max(16, pa.size // 5000)


def drag(canvas, src: QPointF, dst: QPointF) -> None:
    vp = canvas.view.viewport()
    a, b = canvas.view.mapFromScene(src), canvas.view.mapFromScene(dst)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, 6):
        QTest.mouseMove(vp, a + (b - a) * i / 5)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def test_below_the_text_scale_nodes_paint_nothing_and_the_overview_draws(qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc)
    s = canvas.scene
    assert canvas.view.transform().m11() < canvas.scene.text_scale
    assert s.overview.active and not s.link_layer.isVisible()
    assert all(n.flags() & NO_CONTENTS for n in s.nodes.values())
    image = frame(canvas)
    kvm1 = s.nodes["host:kvm1"]
    assert pixel(canvas, image, kvm1.block_rect().center()) == block_colour(kvm1)
    # Back above the text scale: the node and link layers draw, the overview stops; the
    # nodes themselves still paint nothing (crossing the scale changed no node).
    canvas.view.reset_zoom()
    canvas.view.centerOn(kvm1)
    assert not s.overview.active and s.link_layer.isVisible() and s.node_layer.isVisible()
    assert all(n.flags() & NO_CONTENTS for n in s.nodes.values())
    image = frame(canvas)
    assert pixel(canvas, image, kvm1.pos() + QPointF(4, 20)) == COLOURS[kvm1.style]
    assert kvm1.pix is not None and kvm1.pix_scale == 1.0
    settle(s, doc=doc)


def test_zoomed_out_a_drag_moves_the_block_and_its_links_in_one_undo_step(
        qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc)
    s = canvas.scene
    web1 = s.nodes["vm:web1"]
    link = next(x for x in s.links() if x.describe() == "web1 → kvm1 (placement)")
    start, centre = web1.pos(), web1.block_rect().center()
    frame(canvas)  # the snapshot exists: the move must update it, not make a new one
    snap = s.overview._snap
    # Mid-drag, the node and its links are drawn over the snapshot where they are now.
    vp, a = canvas.view.viewport(), canvas.view.mapFromScene(centre)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for step in range(1, 4):
        QTest.mouseMove(vp, a + QPoint(0, 25 * step))
        image = frame(canvas)
        assert pixel(canvas, image, web1.block_rect().center()) == SELECTED
        assert same(image, fresh(canvas)), step
        snap = s.overview._snap
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       a + QPoint(0, 75))
    assert web1.pos() == start + QPointF(0, 300)
    doc.stack.undo()
    assert web1.pos() == start
    drag(canvas, centre, centre + QPointF(0, 400))
    link = next(x for x in s.links() if x.describe() == "web1 → kvm1 (placement)")
    assert web1.pos() == start + QPointF(0, 400)
    assert link.line().p1() == web1.center()
    assert doc.stack.count() == 2  # the auto-layout, then this drag
    image = frame(canvas)
    assert s.overview._snap is snap
    assert pixel(canvas, image, web1.block_rect().center()) == SELECTED  # dragged = selected
    assert pixel(canvas, image, centre) != SELECTED
    assert same(image, fresh(canvas))
    doc.stack.undo()
    link = next(x for x in s.links() if x.describe() == "web1 → kvm1 (placement)")
    assert web1.pos() == start and link.line().p1() == web1.center()
    image = frame(canvas)
    assert pixel(canvas, image, centre) == SELECTED
    assert same(image, fresh(canvas))
    settle(s, doc=doc)


def test_zoomed_out_a_link_added_removed_and_undone_is_drawn_as_it_is(qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc)
    s = canvas.scene
    before = frame(canvas)
    n_before = sum(len(v) for v in s.link_layer.visible_lines(s.sceneRect(), False).values())
    assert s.connect_items(s.nodes["vm:app1"], s.nodes["pp:web"])  # a new vNIC on `web`
    after = frame(canvas)
    n_after = sum(len(v) for v in s.link_layer.visible_lines(s.sceneRect(), False).values())
    assert n_after == n_before + 1
    assert not same(after, before) and same(after, fresh(canvas))
    doc.stack.undo()
    assert same(frame(canvas), before)
    doc.stack.redo()
    assert same(frame(canvas), after)
    s.clearSelection()
    s.nodes["vm:app1"].setSelected(True)
    s.delete_selected()  # the VM and all its links
    assert same(frame(canvas), fresh(canvas))
    doc.stack.undo()
    settle(s, doc=doc)
    assert same(frame(canvas), fresh(canvas))


def test_zoomed_out_click_rubber_band_find_and_double_click(qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc)
    s = canvas.scene
    vms = [s.nodes[f"vm:{n}"] for n in ("web1", "app1", "app2")]
    box = vms[0].block_rect().united(vms[-1].block_rect()).adjusted(-30, -30, 30, 30)
    drag(canvas, box.topLeft(), box.bottomRight())
    assert {n.name for n in canvas.selected_nodes()} == {"web1", "app1", "app2"}
    image = frame(canvas)
    assert all(pixel(canvas, image, n.block_rect().center()) == SELECTED for n in vms)
    node = canvas.find_node("kvm2")
    assert node is s.nodes["host:kvm2"] and canvas.selected_nodes() == [node]
    image = frame(canvas)
    assert pixel(canvas, image, node.block_rect().center()) == SELECTED
    assert pixel(canvas, image, vms[0].block_rect().center()) == block_colour(vms[0])
    with qtbot.waitSignal(canvas.activated) as signal:
        QTest.mouseDClick(canvas.view.viewport(), Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier,
                          canvas.view.mapFromScene(vms[1].block_rect().center()))
    assert signal.args == ["vm", "app1"]
    settle(s, doc=doc)


def test_zoomed_out_badges_colour_the_block(qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc)
    s = canvas.scene
    settle(s, doc=doc)
    kvm2 = s.nodes["host:kvm2"]
    before = pixel(canvas, frame(canvas), kvm2.block_rect().center())
    assert before == block_colour(kvm2) and not kvm2.findings
    vteps = tuple(Vtep(name=f"vtep{i}", ip=f"10.0.1.{20 + i}/24") for i in range(5))
    doc.push(ChangeCommand(doc.topology, VtepEdit("kvm2", vteps)))  # a fifth VTEP
    settle(s, doc=doc)
    assert kvm2.findings
    badged = pixel(canvas, frame(canvas), kvm2.block_rect().center())
    assert badged == block_colour(kvm2) != before
    doc.stack.undo()
    settle(s, doc=doc)
    assert pixel(canvas, frame(canvas), kvm2.block_rect().center()) == before


def test_panning_zoomed_out_matches_a_fresh_render(qtbot, settings, settle):
    from console.views.editors.document import Document

    doc = Document(tf.load(DEMO), DEMO, settings=settings)
    canvas = zoomed_out(qtbot, doc, scale=0.3, size=(500, 400))
    view = canvas.view
    view.centerOn(canvas.scene.itemsBoundingRect().topLeft() + QPointF(400, 400))
    frame(canvas)
    for dx, dy in ((37, 0), (37, 0), (0, 53), (200, 120), (-90, -40)):
        view.pan(dx, dy)
        image = frame(canvas)  # from the snapshot, extended by strips
        assert same(image, fresh(canvas)), (dx, dy)
    settle(canvas.scene, doc=doc)


def test_a_zoom_gesture_draws_from_caches_and_renders_sharp_once_it_settles(
        qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc, scale=0.8, size=(1600, 1000))
    view, s = canvas.view, canvas.scene
    frame(canvas)
    assert all(n.pix_scale == 0.8 for n in s.nodes.values())  # all of the example in view
    rendered = s.node_layer.rendered
    view.zoom(1.2)
    assert view.zooming
    frame(canvas, catch_up=False)
    assert s.node_layer.rendered == rendered  # the gesture scales the pixmaps it has
    qtbot.waitUntil(lambda: not view.zooming, timeout=3000)
    frame(canvas)
    assert all(n.pix_scale == view.transform().m11() for n in s.nodes.values())
    # Zoomed out: the gesture scales the snapshot, the settled view is a fresh render.
    view.zoom(0.2)
    frame(canvas)
    view.zoom(0.8)
    assert s.overview.zooming
    gesture = frame(canvas)
    view.settle()
    assert not s.overview.zooming
    sharp = frame(canvas)
    assert same(sharp, fresh(canvas)) and not same(sharp, gesture)
    settle(s, doc=doc)


def test_zoomed_out_a_dropped_item_and_an_opened_file_are_drawn_in_blocks(
        qtbot, doc, settle):
    canvas = zoomed_out(qtbot, doc)
    s = canvas.scene
    frame(canvas)
    kvm2 = s.nodes["host:kvm2"]
    s.drop_kind("vm", kvm2.block_rect().center() + QPointF(0, 600))
    new = s.nodes["vm:vm1"]
    image = frame(canvas)
    assert pixel(canvas, image, new.block_rect().center()) == block_colour(new)
    assert same(image, fresh(canvas))
    doc.open(DEMO)  # a new topology, a new scene: the view fits it and keeps its quality
    settle(s, doc=doc)
    s = canvas.scene
    assert s.overview.active == (canvas.view.transform().m11() < s.text_scale)
    assert s.node_layer.isVisible() != s.overview.active
    assert same(frame(canvas), fresh(canvas))
    canvas.view.reset_zoom()
    canvas.view.zoom(0.25)
    canvas.view.settle()
    assert s.overview.active and not s.node_layer.isVisible()
    assert same(frame(canvas), fresh(canvas))


def test_between_the_text_scales_nodes_show_their_name_without_the_small_print(
        qtbot, doc, settle):
    from console.views.canvas.items import _NAME_RECT, _SUB_RECT, LOD_SMALL_TEXT

    canvas = zoomed_out(qtbot, doc, scale=1.0)
    kvm1 = canvas.scene.nodes["host:kvm1"]

    def colours(scale: float, local) -> int:
        canvas.view.reset_zoom()
        canvas.view.zoom(scale)
        canvas.view.settle()
        canvas.view.centerOn(kvm1)
        image = frame(canvas)
        box = canvas.view.mapFromScene(local.translated(kvm1.pos())).boundingRect()
        return len({image.pixel(x, y) for x in range(box.left() + 1, box.right())
                    for y in range(box.top() + 1, box.bottom())})

    between = (LOD_TEXT_FEW + LOD_SMALL_TEXT) / 2
    assert colours(1.0, _SUB_RECT) > 2  # the subtitle's text
    # just the fill (the rectangle less the node's frame, half a pixel below it here)
    assert colours(between, _SUB_RECT.adjusted(0, 0, 0, -3)) == 1
    assert colours(between, _NAME_RECT) > 2  # the name stays
    settle(canvas.scene, doc=doc)


def test_a_frame_renders_nodes_for_its_budget_and_the_next_frames_the_rest(
        qtbot, doc, settle, monkeypatch):
    canvas = zoomed_out(qtbot, doc, scale=1.0, size=(1600, 1000))
    view, s = canvas.view, canvas.scene
    layer = s.node_layer
    whole = frame(canvas)  # every node rendered, the budget allowing
    monkeypatch.setattr(nodelayer, "BUDGET_S", 0.0)  # one node a frame
    layer.clear()
    first = view.viewport().grab().toImage()  # one frame
    drawn = [n for n in s.nodes.values() if n.pix is not None]
    assert len(drawn) == 1 and layer.pending
    centre = view.mapToScene(view.viewport().rect().center())
    nearest = min(s.nodes.values(), key=lambda n: (n.pos() - centre).manhattanLength())
    assert drawn == [nearest]  # the centre of the view first
    waiting = next(n for n in s.nodes.values() if n.pix is None)
    assert pixel(canvas, first, waiting.block_rect().center()) == block_colour(waiting)
    # The frames that follow, asked for by the layer itself, render the rest.
    qtbot.waitUntil(lambda: not layer.pending, timeout=5000)
    assert all(n.pix is not None for n in s.nodes.values())
    assert same(frame(canvas), whole)
    settle(s, doc=doc)


def test_crossing_the_text_scale_switches_layers_and_changes_no_node(qtbot, doc, settle):
    above = LOD_TEXT_FEW * 1.12  # a small fabric keeps its names down to LOD_TEXT_FEW
    below = LOD_TEXT_FEW * 0.88
    canvas = zoomed_out(qtbot, doc, scale=above)
    view, s = canvas.view, canvas.scene
    frame(canvas)
    flags = {n.id: n.flags() for n in s.nodes.values()}
    changes = []
    for node in s.nodes.values():  # what used to cost ~25 us a node at each crossing
        node.itemChange = lambda change, value, n=node: changes.append(n) or value
    view.zoom(below / above)
    assert s.overview.active and not s.node_layer.isVisible()
    frame(canvas)
    view.zoom(above / below)
    assert not s.overview.active and s.node_layer.isVisible()
    frame(canvas)
    assert {n.id: n.flags() for n in s.nodes.values()} == flags and not changes
    view.settle()
    settle(s, doc=doc)


def test_a_new_zoomed_out_snapshot_renders_in_bands_over_the_coarse_image(
        qtbot, doc, settle, monkeypatch):
    canvas = zoomed_out(qtbot, doc, scale=0.2, size=(1600, 1000))
    view, s = canvas.view, canvas.scene
    whole = frame(canvas)  # the view's snapshot and the coarse image, complete
    monkeypatch.setattr(overview, "BUDGET_S", 0.0)  # one band a frame
    monkeypatch.setattr(overview, "BAND_PX", 100)
    s.overview._snap = None
    first = view.viewport().grab().toImage()  # one frame
    snap = s.overview._snap
    assert snap.total_bands == 10 and len(snap.bands) == 9 and s.overview.pending
    # Where no band is rendered yet, the coarse image shows each block.
    for node in s.nodes.values():
        assert pixel(canvas, first, node.block_rect().center()) != QColor("white"), node.id
    qtbot.waitUntil(lambda: not s.overview.pending, timeout=5000)
    assert same(frame(canvas), whole)
    settle(s, doc=doc)


def test_zooming_out_past_the_snapshot_shows_everything_during_the_gesture(
        qtbot, settings, settle):
    from console.views.editors.document import Document

    doc = Document(tf.load(DEMO), DEMO, settings=settings)
    canvas = zoomed_out(qtbot, doc, scale=0.3, size=(500, 400))
    view, s = canvas.view, canvas.scene
    view.centerOn(min(s.nodes.values(), key=lambda n: n.pos().x()))
    frame(canvas)  # a snapshot of the left end only
    view.zoom(0.4)
    view.zoom(0.5)
    assert s.overview.zooming
    image = frame(canvas)
    white = QColor("white")
    blocks = [n for n in s.nodes.values()
              if canvas.view.viewport().rect().contains(
                  canvas.view.mapFromScene(n.block_rect().center()))]
    assert len(blocks) == len(s.nodes)  # all in view now
    assert all(pixel(canvas, image, n.block_rect().center()) != white for n in blocks)
    view.settle()
    settle(s, doc=doc)
