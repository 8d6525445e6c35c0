"""Port-profile editor: typed edits, validation as you type, read-only OpenStack profiles,
the VIFs that use a profile, undo/redo, and Apply to the emulated backend."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.backends.registry import open_backend
from console.models import Owner
from console.models import topofile as tf
from console.views.editors.port_profile import PortProfileEditor


@pytest.fixture
def editor(qtbot, doc):
    e = PortProfileEditor(doc)
    qtbot.addWidget(e)
    e.resize(480, 760)
    e.show()
    return e


def retype(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_every_field_is_shown_with_the_vifs_that_use_it(editor, settle, doc):
    editor.open("web")
    assert editor.vlans.text() == "100" and editor.native_vlan.text() == "100"
    assert editor.qos.text() == "1000" and editor.max_ports.text() == "64"
    assert editor.host_io.currentText() == "high-performance"
    assert editor.mac_forging.currentText() == "deny"
    assert editor.clients.text() == "default"
    assert [editor.vifs.item(i).text() for i in range(editor.vifs.count())] == ["web1/eth0"]
    assert "UCS" in editor.preview.combo.currentText()
    assert "create port-profile web" in editor.preview.text.toPlainText()
    settle(editor, doc=doc)


def test_typed_rate_limit_applies_as_one_undo_step_and_undo_restores_exactly(
        qtbot, editor, settle, doc):
    editor.open("web")
    before = tf.dumps(doc.topology)
    retype(qtbot, editor.qos, "250")
    assert "qos-policy" in editor.preview.text.toPlainText()
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    assert doc.topology.port_profiles[0].qos.rate_mbps == 250
    assert doc.stack.count() == 1 and doc.stack.undoText() == "Edit port profile web"
    assert "Applied" in editor.result.text()
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    doc.stack.redo()
    assert doc.topology.port_profiles[0].qos.rate_mbps == 250
    settle(editor, doc=doc)
    assert editor.qos.text() == "250"  # the editor follows undo/redo


def test_invalid_input_is_named_as_you_type_and_blocks_apply(qtbot, editor, settle, doc):
    editor.open("web")
    retype(qtbot, editor.native_vlan, "300")
    assert "native_vlan 300 is not one of vlans [100]" in editor.messages.text()
    assert not editor.apply_button.isEnabled()
    retype(qtbot, editor.vlans, "100, 300-302")
    assert editor.messages.text() == ""
    assert editor.apply_button.isEnabled()
    retype(qtbot, editor.qos, "fast")
    assert "qos.rate_mbps: 'fast' is not a number" in editor.messages.text()
    retype(qtbot, editor.qos, "0")
    assert "greater than 0" in editor.messages.text()
    retype(qtbot, editor.qos, "")
    retype(qtbot, editor.max_ports, "0")
    assert "max_ports" in editor.messages.text()
    settle(editor, doc=doc)


def test_rule_findings_for_the_draft_appear_after_typing(qtbot, editor, settle, doc):
    editor.open("web")
    retype(qtbot, editor.clients, "nowhere")
    qtbot.waitUntil(lambda: "[" in editor.messages.text(), timeout=3000)
    assert "nowhere" in editor.messages.text()
    settle(editor, doc=doc)


def test_rename_carries_the_vifs_along_and_undoes(qtbot, editor, settle, doc):
    editor.open("web")
    before = tf.dumps(doc.topology)
    retype(qtbot, editor.name_edit, "web-fast")
    editor.apply()
    assert doc.topology.port_profiles[0].name == "web-fast"
    assert doc.topology.vms[0].nics[0].port_profile == "web-fast"
    assert editor.name == "web-fast"
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(editor, doc=doc)


def test_openstack_owned_and_dynamic_profiles_are_read_only_with_the_reason(
        qtbot, editor, settle, doc):
    doc.topology.port_profiles = [doc.topology.port_profiles[0].model_copy(
        update={"owner": Owner.OPENSTACK}), doc.topology.port_profiles[1]]
    editor.open("web")
    assert editor.banner.isVisible()
    assert "owned by OpenStack" in editor.banner.text()
    assert not editor.qos.isEnabled() and not editor.apply_button.isEnabled()
    editor.open("secure_web-net")  # the dynamic profile of app2's OpenStack port
    assert "dynamic port profile" in editor.banner.text()
    assert editor.vifs.item(0).text() == "app2/eth0"
    editor.open("tenant-a")
    assert not editor.banner.isVisible() and editor.qos.isEnabled()
    settle(editor, doc=doc)


def test_apply_goes_live_to_the_emulated_backend(qtbot, editor, settle, doc, run,
                                                 example_file):
    backend = open_backend(f"emulated://{example_file}")
    run(backend.connect())
    try:
        doc.backend = backend
        editor.open("web")
        retype(qtbot, editor.qos, "125")
        editor.apply()
        qtbot.waitUntil(lambda: editor.last_result is not None, timeout=10000)
        assert editor.last_result.applied, editor.last_result.message
        assert doc.topology.port_profiles[0].qos.rate_mbps == 125
        live = run(backend.inventory())
        assert live.port_profiles[0].qos.rate_mbps == 125
    finally:
        run(backend.close())
    settle(editor, doc=doc)


def test_render_port_profile_editor_png(editor, settle, doc, tmp_path):
    editor.open("web")
    path = tmp_path / "pp.png"
    assert editor.grab().save(str(path))
    settle(editor, doc=doc)


def test_undo_and_redo_of_a_live_change_reach_the_fabric(qtbot, editor, settle, doc, run,
                                                         example_file):
    backend = open_backend(f"emulated://{example_file}")
    run(backend.connect())
    results = []
    doc.liveResult.connect(results.append)

    def live_rate():
        live = run(backend.inventory())
        return next(p for p in live.port_profiles if p.name == "web").qos.rate_mbps

    try:
        doc.backend = backend
        editor.open("web")
        before = live_rate()
        retype(qtbot, editor.qos, "125")
        editor.apply()
        qtbot.waitUntil(lambda: editor.last_result is not None, timeout=10000)
        assert live_rate() == 125
        doc.stack.undo()  # the model and the fabric go back together
        qtbot.waitUntil(lambda: len(results) == 1, timeout=10000)
        assert results[0].applied, results[0].message
        assert live_rate() == before
        assert doc.topology.port_profiles[0].qos.rate_mbps == before
        doc.stack.redo()
        qtbot.waitUntil(lambda: len(results) == 2, timeout=10000)
        assert live_rate() == 125
    finally:
        run(backend.close())
    settle(editor, doc=doc)
