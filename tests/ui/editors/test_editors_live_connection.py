"""Editing a connected fabric (a libvirt node) from the editors: its topology opens on the
canvas, and Apply changes the host through the libvirt backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.views.editors import install

DATA = Path(__file__).resolve().parents[2] / "data"


def test_a_libvirt_hosts_vnic_is_edited_and_applied_live(qtbot, window, settings, run,
                                                         close_connections):
    """A libvirt connection's document is its host's inventory: selecting the connection
    shows it on the canvas, and Apply in the editors changes the host."""
    pytest.importorskip("libvirt")
    inst = install(window)
    conn = window.add_connection(f"test://{DATA / 'kvm1.xml'}")
    qtbot.waitUntil(lambda: conn.connected and conn.document is not None, timeout=20000)
    window.select_node(window.model.connection_node(conn))
    inst.edit_connection(window)
    doc = inst.document
    assert inst.connection is conn and doc.backend is conn.backend
    assert doc.topology is conn.topology  # the one model, not a copy
    assert doc.path is None and [h.name for h in doc.topology.hosts] == ["kvm1"]
    assert window.workspace.currentWidget() is inst.tab

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
    vm = next(v for v in conn.topology.vms if v.name == "web1")
    assert vm.nics[0].port_profile == "db"  # the tree and details read this
    qtbot.waitUntil(lambda: not editor.checking, timeout=3000)
    close_connections(window)
