"""VM NIC editor (limits as you type, read-only OpenStack ports) and the live-migration
dialog (same-cluster targets, hostdev refusal, progress)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.backends.registry import open_backend
from console.models import AttachMode, Host, Pf, Vic
from console.models import topofile as tf
from console.views.editors.migration import MigrationDialog
from console.views.editors.vnic import VnicEditor


@pytest.fixture
def editor(qtbot, doc):
    e = VnicEditor(doc)
    qtbot.addWidget(e)
    e.resize(480, 720)
    e.show()
    return e


def choose(combo, value):
    combo.setCurrentIndex(combo.findData(value))


def test_limits_follow_the_attach_mode_and_pf(qtbot, editor, settle, doc):
    editor.open("web1/eth0")
    assert editor.attach.currentData() == "macvtap-passthrough"
    assert "PF eth2: 22 of 22 usable VFs free (32 VFs, netlink limit 22" in editor.limit_text()
    choose(editor.attach, AttachMode.MACVTAP_PRIVATE)
    assert "refused by UCS Manager 2.2" in editor.limit_text()
    choose(editor.attach, AttachMode.VETH)
    assert "veth needs a VEM" in editor.limit_text()
    assert "pf is for macvtap" not in editor.messages.text()  # pf dropped for veth
    choose(editor.attach, AttachMode.HOSTDEV)
    assert "cannot live-migrate" in editor.limit_text()
    settle(editor, doc=doc)


def test_an_exhausted_vf_pool_shows_as_you_choose_the_pf(qtbot, editor, settle, doc):
    doc.topology.ucs = doc.topology.ucs.model_copy(update={"netlink_vf_limit": 1})
    editor.open("web1/eth0")
    assert "PF eth2: 1 of 1 usable VFs free" in editor.limit_text()
    doc.topology.hosts = [doc.topology.hosts[0].model_copy(update={"vic": Vic(
        model="VIC-1280", pfs=[Pf(name="eth2", vfs=32), Pf(name="eth3", vfs=0)])}),
        doc.topology.hosts[1]]
    editor.open("web1/eth0")
    choose(editor.pf, "eth3")
    assert "✖ PF eth3: 0 of 0 usable VFs free" in editor.limit_text()
    settle(editor, doc=doc)


def test_typed_mac_and_mtu_apply_and_undo_exactly(qtbot, editor, settle, doc):
    editor.open("web1/eth0")
    before = tf.dumps(doc.topology)
    editor.mtu.selectAll()
    qtbot.keyClicks(editor.mtu, "9000")
    editor.mac.selectAll()
    qtbot.keyClicks(editor.mac, "52:54:00:ZZ")
    assert "six hex pairs" in editor.messages.text()
    editor.mac.selectAll()
    qtbot.keyClicks(editor.mac, "52-54-00-00-01-99")
    assert editor.messages.text() == ""
    choose(editor.attach, AttachMode.HOSTDEV)
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    nic = doc.topology.vms[0].nics[0]
    assert (nic.mtu, nic.mac, nic.attach) == (9000, "52:54:00:00:01:99", AttachMode.HOSTDEV)
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    doc.stack.redo()
    assert doc.topology.vms[0].nics[0].mtu == 9000
    settle(editor, doc=doc)


def test_openstack_ports_are_read_only(editor, settle, doc):
    editor.open("app2/eth0")
    assert "OpenStack port on network web-net" in editor.banner.text()
    assert not editor.apply_button.isEnabled() and not editor.mtu.isEnabled()
    settle(editor, doc=doc)


def test_detach_is_one_undo_step(editor, settle, doc):
    editor.open("app1/eth0")
    before = tf.dumps(doc.topology)
    editor.detach()
    assert doc.topology.vms[1].nics == []
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    settle(editor, doc=doc)


def test_detach_is_offered_only_while_a_vnic_is_open(qtbot, editor, settle, doc):
    """A VM page without a vNIC (none yet, or the one just detached) kept Detach enabled,
    and clicking it raised on the missing name."""
    assert not editor.detach_button.isEnabled()  # nothing open yet
    editor.open("app1/eth0")
    assert editor.detach_button.isEnabled()
    qtbot.mouseClick(editor.detach_button, Qt.MouseButton.LeftButton)
    assert doc.topology.vms[1].nics == []
    settle(editor, doc=doc)  # the change reaches the editor: its vNIC is gone
    assert editor.name is None
    assert not editor.detach_button.isEnabled()
    editor.detach()  # a stray call: nothing to detach, nothing changes
    assert doc.stack.count() == 1


def add_second_vmfex_host(doc):
    doc.topology.add("hosts", Host(name="kvm9", os="rhel-6.4", vic=Vic(
        model="VIC-1280", pfs=[Pf(name="eth2", vfs=32)])))
    doc.topology.add("hosts", Host(name="kvm8", cluster="other", os="rhel-6.4", vic=Vic(
        model="VIC-1280", pfs=[Pf(name="eth2", vfs=32)])))
    doc.topology.add("clusters", doc.topology.clusters[0].model_copy(update={"name": "other"}))


def test_migration_dialog_offers_same_cluster_hosts_and_moves_the_vm(qtbot, doc):
    add_second_vmfex_host(doc)
    dialog = MigrationDialog(doc, "web1")
    qtbot.addWidget(dialog)
    dialog.open()
    hosts = [dialog.dest.itemText(i) for i in range(dialog.dest.count())]
    assert hosts == ["kvm9"]  # kvm8 is in another cluster, kvm2 has no VIC
    qtbot.mouseClick(dialog.migrate_button, Qt.MouseButton.LeftButton)
    assert doc.topology.vms[0].host == "kvm9"
    assert dialog.progress.value() == 100
    doc.stack.undo()
    assert doc.topology.vms[0].host == "kvm1"


def test_migration_is_refused_for_hostdev_with_the_reason(qtbot, doc):
    add_second_vmfex_host(doc)
    vm = doc.topology.vms[0]
    nic = vm.nics[0].model_copy(update={"attach": AttachMode.HOSTDEV})
    doc.topology.vms = [vm.model_copy(update={"nics": [nic]}), *doc.topology.vms[1:]]
    dialog = MigrationDialog(doc, "web1")
    qtbot.addWidget(dialog)
    dialog.open()
    assert "hostdev" in dialog.reason.text() and "not supported" in dialog.reason.text()
    assert not dialog.migrate_button.isEnabled()


def test_migration_through_the_emulated_backend_reports_progress(
        qtbot, doc, run, tmp_path):
    add_second_vmfex_host(doc)
    path = tmp_path / "two-hosts.yaml"
    tf.save(doc.topology, path)
    backend = open_backend(f"emulated://{path}")
    run(backend.connect())
    try:
        doc.backend = backend
        dialog = MigrationDialog(doc, "web1")
        qtbot.addWidget(dialog)
        dialog.open()
        dialog.migrate()
        qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=15000)
        assert dialog.result_.applied, dialog.result_.message
        assert doc.topology.vms[0].host == "kvm9"
        assert dialog.progress.value() == 100
        assert run(backend.inventory()).vms[0].host == "kvm9"
    finally:
        run(backend.close())
