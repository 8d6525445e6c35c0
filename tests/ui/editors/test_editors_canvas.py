"""The topology canvas driven as a user would: palette drops, connections, drags, delete,
copy/paste, find, auto-layout, badges; undo and redo restore the model exactly."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from console.models import Vtep
from console.models import topofile as tf
from console.models.changes import VtepEdit
from console.views.canvas import CanvasWidget
from console.views.editors.commands import ChangeCommand


def make_canvas(qtbot, doc) -> CanvasWidget:
    canvas = CanvasWidget(doc)
    qtbot.addWidget(canvas)
    canvas.resize(1200, 800)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def view_point(canvas: CanvasWidget, scene_pos: QPointF) -> QPoint:
    return canvas.view.mapFromScene(scene_pos)


def drop(canvas: CanvasWidget, kind: str, scene_pos: QPointF) -> None:
    """A real drag-and-drop event sequence on the view's viewport, as from the palette."""
    mime = canvas.palette_panel.mime_for(kind)
    at = QPointF(view_point(canvas, scene_pos))
    vp = canvas.view.viewport()
    actions = Qt.DropAction.CopyAction
    for event in (QDragEnterEvent(at.toPoint(), actions, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(at.toPoint(), actions, mime, Qt.MouseButton.LeftButton,
                                 Qt.KeyboardModifier.NoModifier),
                  QDropEvent(at, actions, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(vp, event)


def drag(canvas, src: QPointF, dst: QPointF, modifier=Qt.KeyboardModifier.NoModifier):
    vp = canvas.view.viewport()
    a, b = view_point(canvas, src), view_point(canvas, dst)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, modifier, a)
    for i in range(1, 6):
        QTest.mouseMove(vp, a + (b - a) * i / 5)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, b)


def test_scene_indexes_every_object_and_link_of_the_example(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    assert set(canvas.scene.nodes) == {
        "fi:fi-a", "host:kvm1", "host:kvm2", "vm:web1", "vm:app1", "vm:app2",
        "pp:web", "pp:tenant-a", "bd:tenant-a", "bd:tenant-b"}
    links = {link.describe() for link in canvas.scene.links()}
    assert "web1/eth0 → web (profile)" in links
    assert "app2/eth0 → tenant-b (network)" in links  # OpenStack port via its network
    assert "tenant-a → tenant-a (segment)" in links
    assert not doc.dirty  # laying out a file without positions does not dirty it
    settle(canvas.scene, doc=doc)


def test_palette_drop_adds_a_vm_on_the_host_it_lands_on_and_undo_removes_it(
        qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    before = tf.dumps(doc.topology)
    kvm2 = canvas.scene.nodes["host:kvm2"]
    drop(canvas, "vm", kvm2.center())
    assert doc.topology.vms[-1].name == "vm1"
    assert doc.topology.vms[-1].host == "kvm2"
    assert "vm:vm1" in canvas.scene.nodes
    assert doc.dirty and doc.title.startswith("demo.yaml*")
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before and "vm:vm1" not in canvas.scene.nodes
    doc.stack.redo()
    assert canvas.scene.nodes["vm:vm1"].obj.host == "kvm2"
    settle(canvas.scene, doc=doc)


def test_every_palette_kind_drops(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    for i, kind in enumerate(("fi", "host", "vem", "pp", "bd")):
        drop(canvas, kind, QPointF(900 + 200 * i, -300))
    names = {n.name for n in canvas.scene.nodes.values()}
    assert {"fi-1", "kvm3", "kvm4", "profile1", "bd1"} <= names
    assert len(canvas.scene.nodes) == 15
    assert doc.topology.bridge_domains[-1].segment_id == 5002
    assert doc.stack.count() == 5
    settle(canvas.scene, doc=doc)


def test_a_vm_dropped_with_no_host_is_refused_with_a_reason(qtbot, doc, settle):
    doc.new()
    canvas = make_canvas(qtbot, doc)
    drop(canvas, "vm", QPointF(0, 0))
    assert doc.topology.vms == []
    assert "add a host first" in canvas.status.text()
    settle(canvas.scene, doc=doc)


def test_shift_drag_from_a_vm_to_a_port_profile_attaches_a_new_vnic(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    web1, tenant_a = canvas.scene.nodes["vm:web1"], canvas.scene.nodes["pp:tenant-a"]
    before = tf.dumps(doc.topology)
    # From the VM's title (not a vNIC row): a new vNIC.
    drag(canvas, web1.pos() + QPointF(40, 15), tenant_a.center(),
         Qt.KeyboardModifier.ShiftModifier)
    nics = doc.topology.vms[0].nics
    assert [n.name for n in nics] == ["eth0", "eth1"]
    assert nics[1].port_profile == "tenant-a" and nics[1].attach.value == "macvtap-passthrough"
    assert "web1/eth1 → tenant-a (profile)" in {x.describe() for x in canvas.scene.links()}
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(canvas.scene, doc=doc)


def test_connect_mode_drag_from_a_vnic_row_moves_that_vnic_to_another_profile(
        qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    canvas.actions_["connect"].setChecked(True)
    app1, web = canvas.scene.nodes["vm:app1"], canvas.scene.nodes["pp:web"]
    drag(canvas, app1.port_pos(0) - QPointF(30, 0), web.center())
    assert doc.topology.vms[1].nics[0].port_profile == "web"
    assert len(doc.topology.vms[1].nics) == 1
    settle(canvas.scene, doc=doc)


def test_connect_vm_to_host_and_profile_to_bridge_domain(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    s = canvas.scene
    assert s.connect_items(s.nodes["vm:app1"], s.nodes["host:kvm1"])
    assert doc.topology.vms[1].host == "kvm1"
    assert s.connect_items(s.nodes["bd:tenant-b"], s.nodes["pp:web"])  # either direction
    assert doc.topology.port_profiles[0].bridge_domain == "tenant-b"
    assert doc.topology.port_profiles[0].vlans == []
    assert not s.connect_items(s.nodes["bd:tenant-b"], s.nodes["fi:fi-a"])
    assert "means nothing" in canvas.status.text()
    settle(s, doc=doc)


def test_links_follow_a_dragged_node_and_the_drag_is_one_undo_command(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    web1 = canvas.scene.nodes["vm:web1"]
    link = next(x for x in canvas.scene.links() if x.describe() == "web1 → kvm1 (placement)")
    start = web1.pos()
    drag(canvas, start + QPointF(40, 15), start + QPointF(140, 75))
    moved = web1.pos()
    assert moved != start
    assert link.line().p1() == web1.center()
    assert doc.stack.count() == 1
    assert doc.topology.vms[0].position == (round(moved.x(), 1), round(moved.y(), 1))
    doc.stack.undo()
    assert doc.topology.vms[0].position is None
    doc.stack.redo()
    assert canvas.scene.nodes["vm:web1"].pos() == moved
    settle(canvas.scene, doc=doc)


def test_rubber_band_selects_several_and_delete_is_one_undo_step(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    before = tf.dumps(doc.topology)
    s = canvas.scene
    vms = [s.nodes[f"vm:{n}"] for n in ("web1", "app1", "app2")]
    top_left = vms[0].pos() - QPointF(20, 20)
    bottom_right = vms[-1].pos() + QPointF(200, 80)
    drag(canvas, top_left, bottom_right)
    assert {n.name for n in canvas.selected_nodes()} == {"web1", "app1", "app2"}
    canvas.view.setFocus()
    QTest.keyClick(canvas.view.viewport(), Qt.Key.Key_Delete)
    assert doc.topology.vms == []
    assert not any(k.startswith("vm:") for k in s.nodes)
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    assert {"vm:web1", "vm:app1", "vm:app2"} <= set(s.nodes)
    settle(s, doc=doc)


def test_copy_paste_gives_fresh_names_and_macs(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    canvas.scene.nodes["vm:web1"].setSelected(True)
    canvas.copy()
    canvas.paste()
    copy = doc.topology.vms[-1]
    assert copy.name == "web1-1"
    assert copy.nics[0].mac != doc.topology.vms[0].nics[0].mac
    assert copy.nics[0].port_profile == "web"
    settle(canvas.scene, doc=doc)


def test_find_selects_and_double_click_asks_for_the_editor(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    node = canvas.find_node("APP2")
    assert node is canvas.scene.nodes["vm:app2"] and node.isSelected()
    with qtbot.waitSignal(canvas.activated) as signal:
        QTest.mouseDClick(canvas.view.viewport(), Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier,
                          view_point(canvas, node.center()))
    assert signal.args == ["vm", "app2"]
    assert canvas.find_node("no-such-thing") is None
    settle(canvas.scene, doc=doc)


def test_auto_layout_saves_positions_in_one_undo_step_and_the_file_round_trips(
        qtbot, doc, settle, tmp_path):
    canvas = make_canvas(qtbot, doc)
    canvas.auto_layout()
    assert doc.stack.count() == 1
    assert all(vm.position is not None for vm in doc.topology.vms)
    assert all(h.position is not None for h in doc.topology.hosts)
    out = tmp_path / "laid-out.yaml"
    doc.save_as(out)
    assert not doc.dirty
    again = tf.load(out)
    assert again == doc.topology
    assert tf.dumps(again) == out.read_text()
    doc.stack.undo()
    assert all(vm.position is None for vm in doc.topology.vms)
    settle(canvas.scene, doc=doc)


def test_badges_show_findings_after_an_edit(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    settle(canvas.scene, doc=doc)
    kvm2 = canvas.scene.nodes["host:kvm2"]
    assert not any(f.rule == "vxlan.vtep-count" for f in kvm2.findings)
    vteps = tuple(Vtep(name=f"vtep{i}", ip=f"10.0.1.{20 + i}/24") for i in range(5))
    doc.push(ChangeCommand(doc.topology, VtepEdit("kvm2", vteps)))
    settle(canvas.scene, doc=doc)
    kvm2 = canvas.scene.nodes["host:kvm2"]
    assert any(f.rule == "vxlan.vtep-count" for f in kvm2.findings), kvm2.findings
    assert "fifth" in kvm2.toolTip() or "4" in kvm2.toolTip()
    doc.stack.undo()
    settle(canvas.scene, doc=doc)
    assert not any(f.rule == "vxlan.vtep-count"
                   for f in canvas.scene.nodes["host:kvm2"].findings)


def test_zoom_pan_and_fit(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    view = canvas.view
    view.fit()
    scale = view.transform().m11()
    view.zoom(2.0)
    assert abs(view.transform().m11() - 2 * scale) < 1e-6
    view.zoom(1e6)
    assert view.transform().m11() <= 4.0 + 1e-9
    h = view.horizontalScrollBar().value()
    view.pan(50, 0)
    assert view.horizontalScrollBar().value() in (h + 50, view.horizontalScrollBar().maximum())
    settle(canvas.scene, doc=doc)


def test_render_canvas_png(qtbot, doc, settle, tmp_path):
    canvas = make_canvas(qtbot, doc)
    settle(canvas.scene, doc=doc)
    canvas.view.fit()
    path = tmp_path / "canvas.png"
    assert canvas.grab().save(str(path)) and path.stat().st_size > 5000


def test_vm_to_bridge_domain_makes_a_profile_for_it_in_one_undo_step(qtbot, doc, settle):
    canvas = make_canvas(qtbot, doc)
    s = canvas.scene
    before = tf.dumps(doc.topology)
    assert s.connect_items(s.nodes["vm:app1"], s.nodes["bd:tenant-b"])
    assert doc.topology.port_profiles[-1].name == "tenant-b"
    assert doc.topology.port_profiles[-1].bridge_domain == "tenant-b"
    assert doc.topology.vms[1].nics[-1].port_profile == "tenant-b"
    assert doc.stack.count() == 1
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(s, doc=doc)
