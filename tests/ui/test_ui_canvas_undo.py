"""Undo changes exactly what the command changed: a node's place on the canvas moves only
through a move, never because another property of it, or of anything else, was edited,
undone or redone (the demo has no saved positions: every place is one the canvas chose)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF

from console.models import topofile as tf
from console.models.changes import BridgeDomainEdit, PortProfileEdit
from console.views.canvas import CanvasWidget
from console.views.canvas.layout import layered_positions
from console.views.editors.commands import ChangeCommand
from console.views.editors.document import Document
from console.views.undo import AddObject, MovePositions, RemoveObject, ReplaceObject

DEMO = Path(__file__).parents[2] / "resources" / "topologies" / "demo.yaml"


@pytest.fixture
def canvas(qtbot, settings):
    doc = Document(tf.load(DEMO), DEMO, settings=settings)
    widget = CanvasWidget(doc)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settle(qtbot, canvas: CanvasWidget) -> None:
    """Let the debounced refresh the edits started finish inside the test (pytest-qt
    closes the widgets before fixtures are torn down)."""
    if canvas.settling:
        with qtbot.waitSignal(canvas.settled, timeout=10000):
            pass


def places(canvas: CanvasWidget) -> dict[str, tuple[float, float]]:
    return {nid: (n.pos().x(), n.pos().y()) for nid, n in canvas.scene.nodes.items()}


def test_undo_of_profile_bridge_domain_and_move_edits_puts_every_node_back(qtbot, canvas):
    doc = canvas.doc
    assert all(vm.position is None for vm in doc.topology.vms)  # placed by the canvas
    before = places(canvas)
    assert len(set(before.values())) == len(before)  # no two nodes on one place

    web = next(p for p in doc.topology.port_profiles if p.name == "web")
    doc.push(ChangeCommand(doc.topology, PortProfileEdit(
        web.model_copy(update={"vlans": [100, 101], "description": "web tier, v2"}))))
    assert places(canvas) == before  # an edit of properties moves nothing
    bd = next(b for b in doc.topology.bridge_domains if b.name == "tenant-a")
    doc.push(ChangeCommand(doc.topology, BridgeDomainEdit(
        bd.model_copy(update={"group": "239.1.1.9"}))))
    assert places(canvas) == before
    vem2 = canvas.scene.nodes["host:vem2"]
    moved = (vem2.pos().x() + 300.0, vem2.pos().y() + 40.0)
    doc.push(MovePositions(doc.topology, {("hosts", "vem2"): (None, moved)}))
    assert places(canvas) == {**before, "host:vem2": moved}  # the move moves one node

    for _ in range(3):
        doc.stack.undo()
    assert places(canvas) == before
    settle(qtbot, canvas)
    for _ in range(3):
        doc.stack.redo()
    assert places(canvas) == {**before, "host:vem2": moved}
    for _ in range(3):
        doc.stack.undo()
    assert places(canvas) == before
    settle(qtbot, canvas)
    assert doc.topology == tf.load(DEMO)
    settle(qtbot, canvas)


def test_a_deleted_node_comes_back_to_its_place_and_a_rename_keeps_it(qtbot, canvas):
    doc = canvas.doc
    before = places(canvas)
    doc.push(RemoveObject(doc.topology, "vms", "web2"))
    doc.push(RemoveObject(doc.topology, "bridge_domains", "tenant-a"))
    assert "vm:web2" not in canvas.scene.nodes
    doc.stack.undo()
    doc.stack.undo()
    assert places(canvas) == before
    settle(qtbot, canvas)
    # A rename is a new id: the object stays where it was.
    db = next(p for p in doc.topology.port_profiles if p.name == "db")
    doc.push(ReplaceObject(doc.topology, "port_profiles", "db",
                           db.model_copy(update={"name": "database"})))
    assert canvas.scene.nodes["pp:database"].pos() == QPointF(*before["pp:db"])
    doc.stack.undo()
    assert places(canvas) == before
    settle(qtbot, canvas)


def test_switching_topologies_and_back_keeps_every_place(qtbot, canvas, settings):
    """The workspace shows one connection's model, then another's, then the first again."""
    doc = canvas.doc
    first = doc.topology
    web = next(p for p in first.port_profiles if p.name == "web")
    doc.push(AddObject(first, "port_profiles", web.model_copy(update={"name": "web9"})))
    before = places(canvas)
    # placed at the end of its band: not where a layout of the whole would put it
    pp = before["pp:web9"]
    assert layered_positions(first)[("port_profiles", "web9")] != pp
    other = tf.load(DEMO)
    other.vms = other.vms[:3]
    doc.topology = other
    doc.topologyReplaced.emit(other)
    assert len(canvas.scene.nodes) < len(before)
    doc.topology = first
    doc.topologyReplaced.emit(first)
    assert places(canvas) == before
    settle(qtbot, canvas)
