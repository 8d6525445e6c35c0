"""One workspace: the canvas, editors, tree and details follow one live model per
connection, so an edit, an undo or a live event shows everywhere at once."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from console.views.editors import install


def open_demo(window, qtbot):
    inst = install(window)
    conn = window.add_connection("emulated:///demo")
    qtbot.waitUntil(lambda: conn.connected and conn.document is not None, timeout=20000)
    qtbot.waitUntil(lambda: inst.document.document is conn.document, timeout=5000)
    return inst, conn


def quiet(qtbot, window, *docs):
    """Let the debounced work (coalesced change signals, rule checks, badges) finish:
    the window's single-shot timers are all idle."""
    for doc in docs:
        qtbot.waitUntil(lambda d=doc: not d.pending, timeout=5000)
    timers = [t for t in window.findChildren(QTimer) if t.isSingleShot()]
    qtbot.waitUntil(lambda: not any(t.isActive() for t in timers), timeout=5000)



def details_qos(window) -> str:
    """The QoS row the details pane shows for the selected object."""
    props = window.details.properties
    rows = {props.topLevelItem(i).text(0): props.topLevelItem(i).text(1)
            for i in range(props.topLevelItemCount())}
    return rows.get("qos", "")


def test_the_demo_opens_drawn_on_the_canvas(window, qtbot, run, close_connections):
    """Before: the Topology tab was empty for the demo `make run` opens."""
    inst, conn = open_demo(window, qtbot)
    scene = inst.canvas.scene
    qtbot.waitUntil(lambda: "host:kvm1" in scene.nodes, timeout=5000)
    assert inst.document.topology is conn.topology  # one model, not a copy
    assert {f"vm:{vm.name}" for vm in conn.topology.vms} <= set(scene.nodes)
    assert inst.connection is conn and inst.document.backend is conn.backend
    assert inst.bar.combo.currentText() == "emulated:///demo"
    assert "Live" in inst.bar.hint.text()
    close_connections(window)


def test_an_undo_shows_the_old_value_in_the_editor_tree_and_fabric(
        window, qtbot, run, close_connections):
    """Before: after Undo the editor kept showing the undone QoS, and Apply re-applied
    it (to the live fabric)."""
    inst, conn = open_demo(window, qtbot)
    doc = conn.document
    editor = inst.panel.port_profile
    window.select_node(window.model.find(conn, "profile", "backup"))  # opens the editor
    assert editor.name == "backup" and editor.qos.text() == "10"
    qtbot.waitUntil(lambda: "10" in details_qos(window), timeout=5000)
    editor.qos.setText("5")
    editor.apply()
    qtbot.waitUntil(lambda: editor.last_result is not None, timeout=15000)
    assert editor.last_result.applied, editor.last_result.message
    # what was applied, not the backend's bare "applied"
    assert "Applied: Edit port profile backup" in editor.result.text()
    backup = next(p for p in conn.topology.port_profiles if p.name == "backup")
    assert backup.qos.rate_mbps == 5  # the tree and details read this object
    live = run(conn.backend.inventory())
    assert next(p for p in live.port_profiles if p.name == "backup").qos.rate_mbps == 5
    qtbot.waitUntil(lambda: "5" in details_qos(window), timeout=5000)  # details follow
    quiet(qtbot, window, doc)

    doc.stack.undo()
    qtbot.waitUntil(lambda: editor.qos.text() == "10", timeout=5000)
    assert editor.result.text() == ""  # the result of the undone apply is gone
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Applied live: Edit port profile backup", timeout=15000)
    backup = next(p for p in conn.topology.port_profiles if p.name == "backup")
    assert backup.qos.rate_mbps == 10
    qtbot.waitUntil(lambda: next(p for p in run(conn.backend.inventory()).port_profiles
                                 if p.name == "backup").qos.rate_mbps == 10, timeout=15000)
    assert not editor.is_modified()  # Apply now has nothing to send
    qtbot.waitUntil(lambda: "10" in details_qos(window), timeout=5000)
    close_connections(window)


def test_the_vifs_rate_follows_the_qos_edit_and_its_undo(window, qtbot, run, close_connections):
    """The done-when: edit a profile's QoS, see the VIF's rate change, undo, see it back."""
    inst, conn = open_demo(window, qtbot)
    conn.set_speed(10.0)
    rate = lambda: conn.history.latest("vif", "backup1/eth0", "tx_bps")  # noqa: E731
    qtbot.waitUntil(lambda: 8e6 < rate() < 12e6, timeout=30000)  # policed to 10 Mbit/s
    editor = inst.panel.port_profile
    inst.panel.show_object("pp", "backup")
    editor.qos.setText("5")
    editor.apply()
    qtbot.waitUntil(lambda: editor.last_result is not None, timeout=15000)
    qtbot.waitUntil(lambda: 3e6 < rate() < 7e6, timeout=30000)
    conn.document.stack.undo()
    qtbot.waitUntil(lambda: editor.qos.text() == "10", timeout=5000)
    qtbot.waitUntil(lambda: 8e6 < rate() < 12e6, timeout=30000)
    close_connections(window)


def test_selection_follows_between_tree_canvas_and_editor(window, qtbot, run, close_connections):
    inst, conn = open_demo(window, qtbot)
    scene = inst.canvas.scene
    qtbot.waitUntil(lambda: "vm:web1" in scene.nodes, timeout=5000)
    # tree -> canvas and editor
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    assert [n.name for n in inst.canvas.selected_nodes()] == ["web1"]
    assert inst.panel.vm.editor.name == "web1/eth0"
    # canvas -> tree
    scene.clearSelection()
    scene.nodes["bd:tenant-a"].setSelected(True)
    nodes = window.selected_nodes()
    assert [(n.kind, n.key) for n in nodes] == [("bd", "tenant-a")]
    assert inst.panel.bridge_domain.name == "tenant-a"
    close_connections(window)


def test_a_drawing_offline_and_a_connection_keep_their_own_documents(
        window, qtbot, run, close_connections):
    inst, conn = open_demo(window, qtbot)
    inst.new()
    assert inst.document.document is inst.document.offline
    assert inst.document.topology.vms == [] and inst.connection is None
    assert "Offline" in inst.bar.hint.text()
    # back to the demo by choosing it in the bar
    inst.bar.combo.setCurrentIndex(inst.bar.combo.findText("emulated:///demo"))
    inst.bar.combo.activated.emit(inst.bar.combo.currentIndex())
    assert inst.document.topology is conn.topology
    # closing the connection shows the offline drawing again
    run(window.close_connection(conn))
    assert inst.document.document is inst.document.offline
    assert inst.bar.combo.findText("emulated:///demo") < 0
    quiet(qtbot, window)


def test_run_on_an_unsaved_drawing_asks_where_to_save_then_runs_it(
        window, qtbot, tmp_path, close_connections):
    """Before: Run on an unsaved drawing only said "Save first"."""
    from PySide6.QtCore import QPointF

    inst = install(window)
    scene = inst.canvas.scene
    scene.drop_kind("host", QPointF(0, 0))
    scene.drop_kind("vm", scene.nodes["host:kvm1"].center())
    inst.run(window)
    dialog = inst.dialogs[-1]
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    path = tmp_path / "drawn.yaml"
    dialog.fileSelected.emit(str(path))
    qtbot.waitUntil(lambda: inst.connection is not None, timeout=15000)
    conn = inst.connection
    assert path.exists() and conn.uri == f"emulated://{path.resolve()}"
    assert inst.document.document is conn.document and conn.document.path == path
    assert [vm.name for vm in conn.topology.vms] == ["vm1"]
    dialog.close()
    close_connections(window)


def test_trace_a_frame_from_the_trees_context_menu(window, qtbot, close_connections):
    inst, conn = open_demo(window, qtbot)
    index = window.model.index_of(window.model.find(conn, "vif", "web2/eth0"))
    window.tree.scrollTo(index)
    from PySide6.QtWidgets import QMenu

    # A right click asks once: one menu (the signal was connected twice, two menus)
    before = set(window.tree.findChildren(QMenu))
    window.tree.customContextMenuRequested.emit(window.tree.visualRect(index).center())
    popped = [m for m in window.tree.findChildren(QMenu) if m not in before]
    assert len(popped) == 1
    popped[0].close()
    menu = inst.tree_menu(window.tree.visualRect(index).center())
    assert menu is not None
    (action,) = menu.actions()
    assert action.text() == "Trace a frame…"
    action.trigger()
    dialog = inst.dialogs[-1]
    assert dialog.source.currentText() == "web2/eth0"
    assert dialog.highlight is not None  # the connection shown: the path is drawn
    dialog.to.setCurrentText("backup1/eth0")
    with qtbot.waitSignal(dialog.traced, timeout=20000):
        dialog.trace_button.click()
    verdict = dialog.verdict.text()  # at 0 s the FI has learned nothing: a flood
    assert verdict.startswith("<b>reached</b>: delivered to") and "backup1/eth0" in verdict
    dialog.close()
    close_connections(window)
