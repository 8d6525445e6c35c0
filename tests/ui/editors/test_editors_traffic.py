"""The traffic table of the VM page: flows typed as a user would, validated, one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.models import topofile as tf
from console.views.editors.panel import VmPage


@pytest.fixture
def page(qtbot, doc):
    p = VmPage(doc)
    qtbot.addWidget(p)
    p.resize(480, 800)
    p.show()
    return p


def type_cell(qtbot, table, row, col, text):
    table.setCurrentCell(row, col)
    table.editItem(table.item(row, col))
    editor = table.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def test_add_a_flow_apply_undo_and_redo(qtbot, page, settle, doc):
    page.open("web1")
    traffic = page.traffic
    shown = traffic.table.rowCount()
    assert shown == sum(1 for f in doc.topology.traffic if f.source.startswith("web1/"))
    before = tf.dumps(doc.topology)
    qtbot.mouseClick(traffic.add_button, Qt.MouseButton.LeftButton)
    row = traffic.table.rowCount() - 1
    assert traffic.table.item(row, 0).text() == "web1/eth0"
    type_cell(qtbot, traffic.table, row, 1, "app1/eth0")
    type_cell(qtbot, traffic.table, row, 2, "500")
    qtbot.mouseClick(traffic.apply_button, Qt.MouseButton.LeftButton)
    new = [f for f in doc.topology.traffic if f.to == "app1/eth0" and f.source == "web1/eth0"]
    assert len(new) == 1 and new[0].pps == 500 and new[0].size == 64
    doc.stack.undo()
    assert tf.dumps(doc.topology) == before
    qtbot.waitUntil(lambda: traffic.table.rowCount() == shown)  # the table follows undo
    doc.stack.redo()
    assert any(f.to == "app1/eth0" for f in doc.topology.traffic)
    settle(page.editor, doc=doc)


def test_a_bad_row_is_named_and_nothing_changes(qtbot, page, settle, doc):
    page.open("web1")
    traffic = page.traffic
    before = tf.dumps(doc.topology)
    qtbot.mouseClick(traffic.add_button, Qt.MouseButton.LeftButton)
    row = traffic.table.rowCount() - 1
    type_cell(qtbot, traffic.table, row, 4, "5")  # an L3 packet is at least 28 bytes
    qtbot.mouseClick(traffic.apply_button, Qt.MouseButton.LeftButton)
    assert traffic.messages.text().startswith(f"row {row + 1}, size:")
    assert tf.dumps(doc.topology) == before
    settle(page.editor, doc=doc)
