"""A plain host (its own bridge or libvirt networks, off the fabric) is called what it
is by the editors and on the canvas, not 'a VM-FEX host' or 'a VEM host'."""

from __future__ import annotations

from console.models import topofile as tf
from console.views.canvas.text import subtitle
from console.views.editors.document import Document
from console.views.editors.panel import EditorPanel

PLAIN = """
format: fabric-console/1
name: plain
clusters: [{name: default}]
hosts: [{name: h1, cluster: default, switching: plain}]
vms:
  - {name: vm1, host: h1, nics: [{name: eth0, mac: "52:54:00:00:09:01",
     port_profile: lv-default, attach: macvtap-passthrough}]}
"""


def test_a_plain_host_is_named_as_such(qtbot, settings):
    doc = Document(tf.loads(PLAIN), settings=settings)
    panel = EditorPanel(doc)
    qtbot.addWidget(panel)
    panel.show_object("host", "h1")
    assert "plain host" in panel.placeholder.text()
    assert "VM-FEX" not in panel.placeholder.text()
    assert subtitle("host", doc.topology.hosts[0]) == "plain · own bridge"
    panel.show_object("vm", "vm1")
    editor = panel.vm.editor
    assert "VEM host" not in editor.limits.text()
    qtbot.waitUntil(lambda: not editor.checking, timeout=3000)
