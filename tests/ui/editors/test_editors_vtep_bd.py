"""VTEP editor (up to four VTEPs, designated VTEP, reachability before Apply) and
bridge-domain editor (fields, segmentation switch and its guard)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.models import Host, Switching, Vm, Vnic, Vtep
from console.models import topofile as tf
from console.views.editors.bridge_domain import BridgeDomainEditor
from console.views.editors.vtep import VtepEditor


def retype(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


@pytest.fixture
def vtep_editor(qtbot, doc):
    doc.topology.add("hosts", Host(name="kvm3", switching=Switching.VEM,
                                   vteps=[Vtep(name="vtep0", ip="10.0.2.13/24")]))
    # A VM in tenant-a on kvm3: reachability is judged for the bridge domains a VEM
    # carries, so an empty VEM has nothing at stake.
    doc.topology.add("vms", Vm(name="app3", host="kvm3", nics=[Vnic(
        name="eth0", mac="52:54:00:00:03:01", port_profile="tenant-a", attach="veth")]))
    e = VtepEditor(doc)
    qtbot.addWidget(e)
    e.resize(540, 720)
    e.show()
    return e


def test_reachability_is_shown_before_apply_and_follows_the_fields(
        qtbot, vtep_editor, settle, doc):
    e = vtep_editor
    e.open("kvm3")
    assert e.reachability() == {"kvm2": False}  # 10.0.2.0/24 without a gateway
    qtbot.keyClicks(e.rows[0].gateway, "10.0.2.1")
    assert e.reachability() == {"kvm2": True}
    retype(qtbot, e.rows[0].gateway, "")
    retype(qtbot, e.rows[0].ip, "10.0.1.13/24")  # same subnet as kvm2's VTEP
    assert e.reachability() == {"kvm2": True}
    assert doc.stack.count() == 0  # nothing applied yet
    settle(e, doc=doc)


def test_up_to_four_vteps_then_apply_and_undo(qtbot, vtep_editor, settle, doc):
    e = vtep_editor
    e.open("kvm2")
    before = tf.dumps(doc.topology)
    for i in range(3):
        qtbot.mouseClick(e.add_button, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(e.rows[-1].ip, f"10.0.1.{30 + i}/24")
    assert len(e.rows) == 4 and not e.add_button.isEnabled()
    # Designated VTEP of tenant-a: the third one.
    e.load_designated = None
    combo = e.designated["tenant-a"]
    e._fill_designated({})
    combo.setCurrentIndex(combo.findData("vtep2"))
    qtbot.mouseClick(e.apply_button, Qt.MouseButton.LeftButton)
    host = doc.topology.hosts[1]
    assert [str(v.ip) for v in host.vteps] == ["10.0.1.12/24", "10.0.1.30/24",
                                               "10.0.1.31/24", "10.0.1.32/24"]
    assert host.designated_vteps == {"tenant-a": "vtep2"}
    assert doc.stack.undoText() == "Edit VTEPs of kvm2"
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(e, doc=doc)


def test_a_bad_vtep_address_is_named(qtbot, vtep_editor, settle, doc):
    e = vtep_editor
    e.open("kvm2")
    retype(qtbot, e.rows[0].ip, "10.0.1.300/24")
    assert "ip" in e.messages.text() and not e.apply_button.isEnabled()
    assert "fix the VTEP fields" in e.reach.topLevelItem(0).text(2)
    settle(e, doc=doc)


@pytest.fixture
def bd_editor(qtbot, doc):
    e = BridgeDomainEditor(doc)
    qtbot.addWidget(e)
    e.resize(480, 600)
    e.show()
    return e


def test_bridge_domain_fields_apply_and_rename_follows_references(
        qtbot, bd_editor, settle, doc):
    e = bd_editor
    e.open("tenant-a")
    before = tf.dumps(doc.topology)
    retype(qtbot, e.segment_id, "12")
    qtbot.waitUntil(lambda: "vxlan.segment-id-range" in e.messages.text(), timeout=3000)
    retype(qtbot, e.segment_id, "6000")
    retype(qtbot, e.name_edit, "tenant-x")
    e.mode.setCurrentIndex(e.mode.findData("unicast-only"))
    assert not e.group.isEnabled()
    assert "segment id 6000" in e.preview.text.toPlainText()
    qtbot.mouseClick(e.apply_button, Qt.MouseButton.LeftButton)
    bd = doc.topology.bridge_domains[0]
    assert (bd.name, bd.segment_id, bd.mode.value, bd.group) == \
        ("tenant-x", 6000, "unicast-only", None)
    assert doc.topology.port_profiles[1].bridge_domain == "tenant-x"
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(e, doc=doc)


def test_segmentation_switch_is_refused_while_vxlan_ports_are_in_use(
        qtbot, bd_editor, settle, doc):
    e = bd_editor
    assert e.segmentation.isChecked()
    qtbot.mouseClick(e.segmentation, Qt.MouseButton.LeftButton)
    assert e.segmentation.isChecked()  # switched back: refused
    text = e.segmentation_result.text()
    assert "Refused" in text and "app1/eth0" in text and "app2/eth0" in text
    assert doc.topology.vsm.segmentation and doc.stack.count() == 0
    settle(e, doc=doc)


def test_segmentation_off_removes_every_bridge_domain_when_no_port_uses_one(
        qtbot, bd_editor, settle, doc):
    doc.topology.vms = [doc.topology.vms[0]]  # only web1, a VLAN profile user
    e = bd_editor
    before = tf.dumps(doc.topology)
    qtbot.mouseClick(e.segmentation, Qt.MouseButton.LeftButton)
    assert not doc.topology.vsm.segmentation
    assert doc.topology.bridge_domains == []
    assert "removed" in e.segmentation_result.text()
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(e, doc=doc)
    assert e.segmentation.isChecked()
