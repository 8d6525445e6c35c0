"""The issue's "done when": build a topology from an empty canvas with the mouse, save it,
run it on the emulated fabric, then change a port profile live from its editor."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from console.models import topofile as tf
from console.views.editors import install
from console.views.editors.document import Document


def draw_two_vms_on_a_profile(scene):
    """With the palette: an FI, a VM-FEX host, two VMs on it, both on one port profile."""
    scene.drop_kind("fi", QPointF(0, 0))
    scene.drop_kind("host", QPointF(0, 200))
    scene.drop_kind("vm", scene.nodes["host:kvm1"].center())
    scene.drop_kind("vm", scene.nodes["host:kvm1"].center())
    scene.drop_kind("pp", QPointF(0, 600))
    for vm in ("vm1", "vm2"):
        assert scene.connect_items(scene.nodes[f"vm:{vm}"], scene.nodes["pp:profile1"])
    return scene


def test_build_save_run_and_apply_live(qtbot, window, settings, settle, run, tmp_path, wait,
                                      close_connections):
    doc = Document(settings=settings)
    inst = install(window, doc)
    scene = draw_two_vms_on_a_profile(inst.canvas.scene)
    topo = doc.topology
    assert topo.hosts[0].fabric_interconnect == "fi-1"
    assert [n.port_profile for vm in topo.vms for n in vm.nics] == ["profile1", "profile1"]
    assert doc.stack.count() == 7

    path = tmp_path / "built.yaml"
    assert wait(inst._save_to(path))
    assert tf.load(path) == topo and not doc.dirty

    inst.run(window)
    # The running fabric is a connection with its own document, the file it runs,
    # shown on the canvas as soon as its inventory is in.
    conn = window.connections[-1]
    qtbot.waitUntil(lambda: conn.connected and inst.connection is conn, timeout=15000)
    offline, doc = doc, conn.document
    assert inst.document.document is doc and doc.path == path
    assert doc.backend is conn.backend and offline.backend is None

    inst.canvas.scene.find("profile1")
    editor = inst.panel.port_profile
    assert editor.name == "profile1"
    editor.qos.selectAll()
    qtbot.keyClicks(editor.qos, "100")
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.last_result is not None, timeout=15000)
    assert editor.last_result.applied, editor.last_result.message
    assert doc.topology.port_profiles[0].qos.rate_mbps == 100
    live = run(conn.backend.inventory())
    assert live.port_profiles[0].qos.rate_mbps == 100
    assert wait(inst._save_to(path))  # leave nothing unsaved for the window's teardown
    settle(scene, editor, doc=doc)
    close_connections(window)


def test_drawn_topology_with_typed_traffic_runs_and_carries_it(qtbot, window, settings,
                                                               settle, tmp_path, wait,
                                                               close_connections):
    """From an empty canvas to frames on the emulated fabric, with mouse and keyboard."""
    doc = Document(settings=settings)
    inst = install(window, doc)
    scene = draw_two_vms_on_a_profile(inst.canvas.scene)

    inst.panel.show_object("vm", "vm1")
    traffic = inst.panel.vm.traffic
    qtbot.mouseClick(traffic.add_button, Qt.MouseButton.LeftButton)
    dest = f"vm2/{doc.topology.vms[1].nics[0].name}"
    item = traffic.table.item(0, 1)
    item.setText(dest)  # what typing into the cell does
    qtbot.mouseClick(traffic.apply_button, Qt.MouseButton.LeftButton)
    assert [(f.to, f.pps) for f in doc.topology.traffic] == [(dest, 100)]

    assert wait(inst._save_to(tmp_path / "drawn.yaml"))
    inst.run(window)
    conn = window.connections[-1]
    qtbot.waitUntil(lambda: conn.connected and inst.connection is conn, timeout=15000)
    qtbot.waitUntil(lambda: conn.history.latest("vif", dest, "rx_pps") > 0, timeout=20000)
    settle(scene, inst.panel.vm.editor, doc=doc)
    close_connections(window)
