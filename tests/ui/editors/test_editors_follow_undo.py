"""Editors show the model's value after an undo or redo: no stale field that a later
Apply would silently send again."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.views.editors.bridge_domain import BridgeDomainEditor
from console.views.editors.port_profile import PortProfileEditor


def retype(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def settled(qtbot, editor, doc):
    qtbot.waitUntil(lambda: not doc.pending, timeout=3000)
    qtbot.waitUntil(lambda: not editor.checking, timeout=3000)


def test_undo_of_a_qos_edit_shows_the_old_rate_and_apply_has_nothing_to_send(qtbot, doc):
    editor = PortProfileEditor(doc)
    qtbot.addWidget(editor)
    editor.open("web")
    retype(qtbot, editor.qos, "5")
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    assert doc.topology.port_profiles[0].qos.rate_mbps == 5
    settled(qtbot, editor, doc)

    doc.stack.undo()
    qtbot.waitUntil(lambda: editor.qos.text() == "1000", timeout=3000)
    assert not editor.is_modified()
    doc.stack.redo()
    qtbot.waitUntil(lambda: editor.qos.text() == "5", timeout=3000)
    settled(qtbot, editor, doc)


def test_undo_of_a_flood_mode_edit_shows_multicast_again(qtbot, doc):
    editor = BridgeDomainEditor(doc)
    qtbot.addWidget(editor)
    editor.open("tenant-a")
    assert editor.mode.currentData() == "multicast"
    editor.mode.setCurrentIndex(editor.mode.findData("unicast-only"))
    editor.apply()
    assert doc.topology.bridge_domains[0].mode.value == "unicast-only"
    settled(qtbot, editor, doc)

    doc.stack.undo()
    qtbot.waitUntil(lambda: editor.mode.currentData() == "multicast", timeout=3000)
    settled(qtbot, editor, doc)


def test_an_edit_being_typed_survives_a_change_elsewhere(qtbot, doc):
    """What the user is typing is theirs: a change of another object keeps it."""
    editor = PortProfileEditor(doc)
    qtbot.addWidget(editor)
    editor.open("web")
    retype(qtbot, editor.qos, "250")
    vms = list(doc.topology.vms)
    doc.topology.vms = vms[:-1]  # an edit elsewhere (another view, the fabric)
    settled(qtbot, editor, doc)
    assert editor.qos.text() == "250"
