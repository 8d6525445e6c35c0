"""The bridge-domain editor's group placeholder shows what an empty field gives (issue #12):
the group the model and the NX-OS export then assign (derived.flood_group), or no example
address when none is assigned. It used to show 239.1.1.1, tenant-a's own group, on every
bridge domain, which read as a default that nobody assigns."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from console.export import nxos
from console.models.derived import flood_group
from console.models.rules import applied_copy, check
from console.views.editors.bridge_domain import BridgeDomainEditor

# an address such as 239.1.1.1, not the range 224.0.0.0/4
ADDRESS = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b(?!/)")


def retype(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


@pytest.fixture
def bd_editor(qtbot, doc):
    e = BridgeDomainEditor(doc)
    qtbot.addWidget(e)
    e.resize(480, 600)
    e.show()
    return e


def test_an_empty_group_shows_the_group_the_bridge_domain_gets(qtbot, bd_editor, settle,
                                                               doc):
    e = bd_editor
    e.open("tenant-a")  # multicast, group 239.1.1.1
    retype(qtbot, e.group, "")
    after = applied_copy(doc.topology, e.change())
    bd = after.bridge_domains[0]
    assert bd.group is None and flood_group(bd) is None  # nothing assigns one
    exported = nxos.render_object(after, "bridge_domains[0]")
    assert not re.search(r"^\s*group ", exported, re.MULTILINE), exported
    assert any(f.rule == "vxlan.multicast-group" for f in check(after))

    placeholder = e.group.placeholderText()
    assert not ADDRESS.search(placeholder), placeholder
    assert "none assigned" in placeholder and "224.0.0.0/4" in placeholder
    settle(e, doc=doc)


def test_unicast_only_says_there_is_no_group(qtbot, bd_editor, settle, doc):
    e = bd_editor
    e.open("tenant-b")  # unicast-only
    assert not e.group.isEnabled()
    assert e.group.text() == "" and not ADDRESS.search(e.group.placeholderText())
    assert "head-end" in e.group.placeholderText()
    e.mode.setCurrentIndex(e.mode.findData("multicast"))
    assert e.group.isEnabled() and "none assigned" in e.group.placeholderText()
    settle(e, doc=doc)


def test_apply_keeps_what_the_model_holds_beyond_the_fields(qtbot, bd_editor, settle, doc):
    # Not the placeholder, but the same rule for this editor: no copy of the model kept
    # from load. A canvas drag while an edit is pending must survive Apply.
    from console.models.changes import BridgeDomainEdit
    from console.views.editors.commands import ChangeCommand

    e = bd_editor
    e.open("tenant-a")
    retype(qtbot, e.segment_id, "6000")  # an edit in progress
    moved = doc.topology.bridge_domains[0].model_copy(update={"position": (40.0, 80.0)})
    with qtbot.waitSignal(doc.changed, timeout=3000):
        doc.push(ChangeCommand(doc.topology, BridgeDomainEdit(moved)))
    assert e.segment_id.text() == "6000"
    qtbot.mouseClick(e.apply_button, Qt.MouseButton.LeftButton)
    bd = doc.topology.bridge_domains[0]
    assert (bd.segment_id, bd.position) == (6000, (40.0, 80.0))
    settle(e, doc=doc)
