"""install(): the canvas tab, the editor dock, Edit > Undo/Redo, the topology file actions
and the unsaved-changes prompt, in the real main window."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication, QMessageBox

from console.models import topofile as tf
from console.views.editors import install


def undo_action(window):
    return next(a for a in window.edit_menu.actions() if a.text().startswith("&Undo")
                or a.text().startswith("Undo"))


def test_install_adds_tab_dock_undo_and_file_actions(qtbot, window, doc, settle):
    inst = install(window, doc)
    titles = [window.workspace.tabText(i) for i in range(window.workspace.count())]
    assert "Topology" in titles
    assert inst.dock.widget() is inst.panel
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Save topology" in texts and "&Edit topology file…" in texts
    # An edit on the canvas: title star, Edit > Undo names it and undoes it.
    inst.canvas.scene.drop_kind("bd", QPointF(0, 900))
    assert window.windowTitle() == "demo.yaml* — Fabric Console"
    undo = undo_action(window)
    assert undo.isEnabled() and "bd1" in undo.text()
    undo.trigger()
    assert [bd.name for bd in doc.topology.bridge_domains] == ["tenant-a", "tenant-b"]
    assert window.windowTitle() == "demo.yaml — Fabric Console"
    settle(inst.canvas.scene, doc=doc)


def test_selecting_on_the_canvas_opens_the_editor_in_the_dock(qtbot, window, doc, settle):
    inst = install(window, doc)
    inst.canvas.scene.find("kvm2")
    assert inst.panel.currentWidget().widget() is inst.panel.vtep
    assert inst.panel.vtep.name == "kvm2"
    inst.canvas.scene.find("web1")
    assert inst.panel.vm.editor.name == "web1/eth0"
    dialog = inst.panel.vm.ask_migration()
    assert dialog.isVisible()
    dialog.reject()
    inst.canvas.scene.find("web")
    assert inst.panel.port_profile.name == "web"
    settle(inst.canvas.scene, inst.panel.port_profile,
           inst.panel.vtep, inst.panel.vm.editor, doc=doc)


def test_save_and_recent_files_and_reload_identical(qtbot, window, doc, settle, tmp_path,
                                                    wait):
    inst = install(window, doc)
    inst.canvas.auto_layout()
    inst.actions["save"].trigger()
    qtbot.waitUntil(lambda: not doc.dirty, timeout=10000)
    text = doc.path.read_text()
    assert text == tf.dumps(tf.load(doc.path))
    assert str(doc.path.resolve()) in doc.recent_files()
    inst.fill_recent()
    assert [a.text() for a in inst.recent_menu.actions()] == ["demo.yaml"]
    other = tmp_path / "other.yaml"
    assert wait(inst._save_to(other))
    assert doc.path == other and doc.recent_files()[0] == str(other.resolve())
    assert wait(inst.open(tmp_path / "demo.yaml"))
    assert doc.topology == tf.load(tmp_path / "demo.yaml")
    settle(inst.canvas.scene, doc=doc)


def test_a_bad_file_is_refused_with_its_problems_and_the_topology_kept(
        qtbot, window, doc, settle, tmp_path, wait):
    inst = install(window, doc)
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: fabric-console/1\nhosts: [{name: kvm1, colour: red}]\n")
    assert not wait(inst.open(bad))
    box = inst.dialogs[-1]
    assert box.isVisible() and "unknown key 'colour'" in box.text()
    assert doc.topology.name == "demo"
    box.accept()
    settle(inst.canvas.scene, doc=doc)


def test_closing_with_unsaved_changes_asks_without_blocking(qtbot, window, doc, settle):
    inst = install(window, doc)
    inst.canvas.scene.drop_kind("fi", QPointF(0, -300))
    window.close()
    assert window.isVisible()  # the prompt, not a close
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    assert "Save the changes to demo.yaml?" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not box.isVisible())
    assert window.isVisible()
    window.close()
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    settle(inst.canvas.scene, doc=doc)


def test_save_in_the_close_prompt_writes_then_closes(qtbot, window, doc, settle):
    inst = install(window, doc)
    inst.canvas.scene.drop_kind("fi", QPointF(0, -300))
    names = [fi.name for fi in doc.topology.fabric_interconnects]
    window.close()
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)  # written, then closed
    assert not doc.dirty
    assert [fi.name for fi in tf.load(doc.path).fabric_interconnects] == names
    settle(inst.canvas.scene, doc=doc)


def test_an_edit_made_while_saving_stays_unsaved(qtbot, window, doc, settle, wait):
    inst = install(window, doc)
    saving = inst._save_to(doc.path)  # the YAML is written in a worker thread...
    inst.canvas.scene.drop_kind("bd", QPointF(0, 900))  # ...while the user goes on
    assert wait(saving)
    assert doc.dirty and window.windowTitle().startswith("demo.yaml*")
    assert "bd1" not in {bd.name for bd in tf.load(doc.path).bridge_domains}
    assert wait(inst.save())
    assert not doc.dirty
    settle(inst.canvas.scene, doc=doc)


def test_render_window_with_editors_png(qtbot, window, doc, settle, tmp_path):
    inst = install(window, doc)
    window.workspace.setCurrentWidget(inst.canvas)
    inst.canvas.scene.find("web")
    settle(inst.canvas.scene, inst.panel.port_profile, doc=doc)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path))


def test_canvas_context_menu_edits_and_migrates(qtbot, window, doc, settle):
    inst = install(window, doc)
    scene = inst.canvas.scene
    menu = scene.context_menu(scene.nodes["vm:web1"])
    texts = [a.text() for a in menu.actions()]
    assert texts[:2] == ["Edit web1", "Migrate…"] and "Delete" in texts
    menu.actions()[1].trigger()
    dialog = inst.panel.vm.dialog
    assert dialog is not None and dialog.isVisible() and dialog.vm == "web1"
    dialog.reject()
    settle(scene, inst.panel.vm.editor, doc=doc)
