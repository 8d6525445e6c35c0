"""Trace a frame… (#13): the dialog lists the steps and the verdict of `fabric-console
trace`, and the canvas draws the path: the hops, the copies of a flood, the place of a
drop. Real widgets, offscreen; the trace runs off the GUI thread on the qasync loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from console.models import topofile as tf
from console.views.canvas import CanvasWidget
from console.views.editors.document import Document

DEMO = Path(__file__).parents[2] / "resources" / "topologies" / "demo.yaml"
MTU_LAB = Path(__file__).parents[2] / "resources" / "topologies" / "mtu-lab.yaml"


@pytest.fixture
def canvas(qtbot, settings, qloop):
    widget = CanvasWidget(Document(tf.load(DEMO), DEMO, settings=settings))
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitUntil(lambda: not widget.scene.settling, timeout=5000)
    return widget


def trace(qtbot, canvas, vm: str, to: str, size: int = 64, df: bool = False,
          at: float = 0.0):
    dialog = canvas.scene.trace_frame(vm)
    qtbot.addWidget(dialog)
    dialog.to.setCurrentText(to)
    dialog.frame_size.setValue(size)
    dialog.df.setChecked(df)
    dialog.at.setValue(at)
    with qtbot.waitSignal(dialog.traced, timeout=20000):
        dialog.trace_button.click()
    return dialog


def test_hairpin_on_the_demo(qtbot, canvas):
    # web2 and backup1 are both on kvm2 (VM-FEX, VLAN 100). After 1 s of the demo's
    # traffic fi-a has learned backup1 (it sends to web1): known unicast, switched by the
    # FI and sent back down the adapter it came from
    dialog = trace(qtbot, canvas, "web2", "backup1/eth0", at=1.0)
    rows = [dialog.steps.topLevelItem(i) for i in range(dialog.steps.topLevelItemCount())]
    assert [r.text(1) for r in rows] == ["web2/eth0", "fi-a", "fi-a", "fi-a", "kvm2", "fi-a"]
    texts = [r.text(2) for r in rows]
    assert texts[3].startswith("L2 lookup 52:54:00:00:02:03 in VLAN 100: hit, VIF backup1")
    assert texts[4] == "delivered to backup1/eth0"
    assert texts[5].startswith("hairpin: backup1/eth0 is on kvm2")
    assert dialog.verdict.text() == "<b>reached</b>: delivered to backup1/eth0"
    hl = canvas.scene.findChild(type(dialog.highlight))
    assert hl is dialog.highlight
    # up from web2 through its host to the FI, and back down the same host to backup1
    assert hl.hops == ["vm:web2", "host:kvm2", "fi:fi-a", "host:kvm2", "vm:backup1"]
    assert hl.delivered == ["vm:backup1"]
    assert hl.drops == []
    boxes = {i.data(0) for i in hl.items if i.data(0)}
    assert boxes == {"vm:web2", "host:kvm2", "fi:fi-a", "vm:backup1"}
    canvas.grab().save("/tmp/trace-hairpin.png")
    # Esc on the canvas clears it
    QApplication.sendEvent(canvas.view, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape,
                                                  Qt.KeyboardModifier.NoModifier))
    assert hl.items == [] and hl.hops == []
    dialog.close()


def test_flood_copies_drawn_through_the_bridge_domain(qtbot, canvas):
    # app1 broadcasts in tenant-a (multicast): one copy to the group, decapsulated by
    # vem2 and vem3, delivered to app2 and app3
    dialog = trace(qtbot, canvas, "app1", "broadcast")
    hl = dialog.highlight
    assert hl.hops[:3] == ["vm:app1", "host:vem1", "bd:tenant-a"]
    assert {"host:vem2", "host:vem3"} <= set(hl.hops)
    assert hl.delivered == ["vm:app2", "vm:app3"]
    dialog.close()


def test_a_drop_marks_the_node_where_it_happens(qtbot, canvas):
    # os2 -> os3 with 1551 bytes and DF: 1551 + 50 = 1601 > the 1600 path. os3 never
    # sends, so vem3 has not learned it: unknown unicast in tenant-b (unicast-only), one
    # copy per other member VEM (vem1, vem2), both dropped at vem3, the sending VEM
    dialog = trace(qtbot, canvas, "os2", "os3/eth0", size=1551, df=True)
    hl = dialog.highlight
    assert [d.reason for d in dialog.last_trace.drops] == ["mtu-df", "mtu-df"]
    assert hl.drops == ["host:vem3", "host:vem3"]
    assert hl.delivered == []
    assert "NOT reached" in dialog.verdict.text()
    marks = [i for i in hl.items if i.toolTip() == "dropped here [mtu-df], 2 copies"]
    assert [m.data(0) for m in marks] == ["host:vem3"]
    node = canvas.scene.nodes["host:vem3"].sceneBoundingRect()
    assert marks[0].sceneBoundingRect().contains(node.topRight())
    red = [r for r in range(dialog.steps.topLevelItemCount())
           if dialog.steps.topLevelItem(r).text(2).startswith("DROP [mtu-df]")]
    assert len(red) == 2
    canvas.grab().save("/tmp/trace-drop.png")
    # the next trace replaces the overlay: a 1550-byte frame fits exactly, and the
    # unknown unicast reaches both other members' VMs in tenant-b
    dialog.frame_size.setValue(1550)
    with qtbot.waitSignal(dialog.traced, timeout=20000):
        dialog.trace_button.click()
    assert hl.drops == [] and hl.delivered == ["vm:os1", "vm:os3"]
    assert not [i for i in hl.items if i.toolTip().startswith("dropped here")]
    dialog.close()


def test_trace_follows_the_current_document(qtbot, canvas):
    # an edit made after the dialog opened is what gets traced
    dialog = canvas.scene.trace_frame("os2")
    qtbot.addWidget(dialog)
    dialog.to.setCurrentText("nobody/eth0")
    with qtbot.waitSignal(dialog.failed, timeout=20000) as blocker:
        dialog.trace_button.click()
    assert "nobody/eth0: no such vNIC" in blocker.args[0]
    dialog.close()


def test_opened_on_one_vnic_without_a_canvas(qtbot, qloop):
    # the tree's entry: a VIF row, no canvas to draw on; the dialog still traces
    from console.views.tracedialog import open_trace_dialog

    topo = tf.load(MTU_LAB)
    dialog = open_trace_dialog(lambda: topo, "nas1", None, None, nic="nas1/eth0")
    qtbot.addWidget(dialog)
    assert dialog.source.currentText() == "nas1/eth0"
    assert dialog.highlight is None
    # mtu-lab at 0 s: 1550 + 50 = 1600 fits the path exactly; nas2 is not learned yet,
    # so the unicast-only flood's one copy goes to vem2 and is delivered to nas2
    dialog.to.setCurrentText("nas2/eth0")
    dialog.frame_size.setValue(1550)
    dialog.df.setChecked(True)
    assert dialog.ip.isChecked()  # DF implies IP
    with qtbot.waitSignal(dialog.traced, timeout=20000):
        dialog.trace_button.click()
    assert dialog.last_trace.delivered == ["nas2/eth0"]
    texts = [dialog.steps.topLevelItem(i).text(2)
             for i in range(dialog.steps.topLevelItemCount())]
    assert any(t.startswith("MTU: 1550 + 50 = 1600 = path MTU 1600") for t in texts)
    # one byte over: DF drop at vem1
    dialog.frame_size.setValue(1551)
    with qtbot.waitSignal(dialog.traced, timeout=20000):
        dialog.trace_button.click()
    assert [(d.where, d.reason) for d in dialog.last_trace.drops] == [("vem1", "mtu-df")]
    dialog.close()


def test_canvas_context_menu_opens_the_dialog(qtbot, canvas):
    from console.views.tracedialog import TraceDialog

    menu = canvas.scene.context_menu(canvas.scene.nodes["vm:app1"])
    entry = next(a for a in menu.actions() if a.text() == "Trace a frame…")
    before = {id(w) for w in QApplication.topLevelWidgets() if isinstance(w, TraceDialog)}
    entry.trigger()
    opened = [w for w in QApplication.topLevelWidgets()
              if isinstance(w, TraceDialog) and id(w) not in before]
    assert len(opened) == 1 and opened[0].source.currentText() == "app1/eth0"
    assert opened[0].isVisible()
    # no VM, no entry: a host's menu has none
    host_menu = canvas.scene.context_menu(canvas.scene.nodes["host:vem1"])
    assert "Trace a frame…" not in [a.text() for a in host_menu.actions()]
    opened[0].close()
