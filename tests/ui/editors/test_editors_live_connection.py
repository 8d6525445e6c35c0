"""Editing a connected fabric (a libvirt node) from the editors: its topology opens on the
canvas, and Apply changes the host through the libvirt backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.views.editors import install
from console.views.editors.document import Document

DATA = Path(__file__).resolve().parents[2] / "data"


def test_a_libvirt_hosts_vnic_is_edited_and_applied_live(qtbot, window, settings, settle, run):
    pytest.importorskip("libvirt")
    doc = Document(settings=settings)
    inst = install(window, doc)
    conn = window.add_connection(f"test://{DATA / 'kvm1.xml'}")
    qtbot.waitUntil(lambda: conn.connected, timeout=20000)
    window.select_node(window.model.connection_node(conn))

    inst.edit_connection(window)
    assert inst.connection is conn and doc.backend is conn.backend
    assert doc.path is None and [h.name for h in doc.topology.hosts] == ["kvm1"]
    assert window.workspace.currentWidget() is inst.canvas

    editor = inst.panel.vm.editor  # the vNIC editor of the VM page
    editor.open("web1/eth0")
    editor.profile.setCurrentIndex(editor.profile.findData("db"))
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.last_result is not None, timeout=15000)
    assert editor.last_result.applied, editor.last_result.message
    # libvirt's test driver has no live device update, so the backend redefines the
    # domain: the persistent definition carries the new profile id
    xml = run(conn.backend.xml_of("web1", "eth0", inactive=True)).replace('"', "'")
    assert "profileid='db'" in xml or "portgroup='db'" in xml, xml
    doc.stack.clear()  # nothing unsaved for the window's teardown
    settle(editor._timer, inst.canvas.scene._badge_timer, doc=doc)
