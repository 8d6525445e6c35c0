"""The topology scene: items indexed by id, kept in step with the model by its events.

Each collection event updates only the objects whose state changed (identity check per
object of that collection, then dict lookups by id), never a scan of the scene's items.
Drags become one MovePositions command when the mouse is released.

Positions change only through the model: an object with a saved `position` is drawn there;
one without is placed once (layout.place_unpositioned) and the scene remembers that place by
id, so an edit, undo or redo of anything else, or a delete and its undo, never moves it, and
undoing its first move brings it back to that place.
"""

from __future__ import annotations

import weakref
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen, QUndoCommand
from PySide6.QtWidgets import (
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
    QMenu,
)

from console.views.editors.document import DocumentApi
from console.views.undo import (
    COLLECTIONS,
    KIND_OF,
    Macro,
    MovePositions,
    Position,
    RemoveObject,
)

from . import factory
from .findings import FindingsIndex, designated_vteps
from .items import NodeItem, item_id, text_scale
from .layout import place_unpositioned
from .links import LinkItem, LinkLayer
from .nodelayer import NodeLayer
from .overview import Overview
from .table import NodeTable

if TYPE_CHECKING:
    from .live import LiveState


class TopologyScene(QGraphicsScene):
    """Draws the document's topology and turns gestures into undo commands."""

    refused = Signal(str)  # a gesture that means nothing, with the reason
    activated = Signal(str, str)  # double-click: kind, name
    current = Signal(str, str)  # the single selected object: kind, name ("" when none)
    migrate_requested = Signal(str)  # a VM's name
    refreshed = Signal()  # the debounced refresh (findings, VTEP notes) after edits ran
    text_scale_changed = Signal()  # edits took the fabric across FEW_OBJECTS

    def __init__(self, document: DocumentApi, parent=None):
        super().__init__(parent)
        self.doc = document
        self.nodes: dict[str, NodeItem] = {}
        self._out: dict[str, list[LinkItem]] = {}  # links an object's references make
        self._dangling: dict[str, set[str]] = {}  # missing target id -> source ids
        self._press: dict[str, QPointF] = {}
        self._dragging = False
        self._connect_from: tuple[NodeItem, int | None] | None = None
        self._rubber_line: QGraphicsLineItem | None = None
        self.connect_mode = False
        self._badge_timer = QTimer(self)
        self._badge_timer.setSingleShot(True)
        self._badge_timer.setInterval(250)
        self._badge_timer.timeout.connect(self.refresh_badges)
        self.findings = FindingsIndex()
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.selectionChanged.connect(self._selection_changed)
        document.topologyReplaced.connect(self._rebuild)
        document.changed.connect(self._badge_timer.start)
        self._topo = None
        self._slots: dict = {}
        self._by_kind: dict[str, set[str]] = {}
        self._unplaced: list[NodeItem] = []
        # Where objects without a saved position were placed, by id: kept for the life of
        # the topology, so a replaced or re-added object goes back to its place; and per
        # topology shown (the workspace switches between connections' models), so coming
        # back to one finds everything where it was.
        self._placed: dict[str, QPointF] = {}
        self._places: dict[int, tuple[weakref.ref, dict[str, QPointF]]] = {}
        self._quiet = False  # a programmatic selection: no `current` (see select_only)
        self._text_scale = 0.0  # what text_scale was when the view last heard of it
        self.live: LiveState | None = None  # while a connection's counters are shown
        self._building = False
        # How nodes are drawn, set by the view for its scale (see set_quality).
        self.detailed = True
        self._rebuild(document.topology)

    # ------------------------------------------------------------- model -> view
    def _rebuild(self, topo) -> None:
        if self._topo is not None:
            for collection, slot in self._slots.items():
                getattr(self._topo.events, collection).disconnect(slot)
        self.clear()
        self.table = NodeTable()
        self.link_layer = LinkLayer()
        self.addItem(self.link_layer)
        self.node_layer = NodeLayer(self.table)
        self.addItem(self.node_layer)
        self.overview = Overview(self.link_layer, self.table)
        self.addItem(self.overview)
        self._apply_quality_to_layers()
        self._by_kind.clear()
        self.nodes.clear()
        self._out.clear()
        self._dangling.clear()
        self._places = {k: v for k, v in self._places.items() if v[0]() is not None}
        kept = self._places.get(id(topo))
        if kept is None or kept[0]() is not topo:
            kept = self._places[id(topo)] = (weakref.ref(topo), {})
        self._placed = kept[1]
        self._topo = topo
        self._slots = {c: partial(self._sync, c) for c in COLLECTIONS.values()}
        for collection, slot in self._slots.items():
            getattr(topo.events, collection).connect(slot)
        # Build unindexed, place, then link: adding thousands of items to a BSP index one
        # by one, and moving linked items, cost seconds on a large fabric.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self._building = True
        try:
            for collection in COLLECTIONS.values():
                self._sync(collection, getattr(topo, collection))
            self._place_pending()
            for node in list(self.nodes.values()):
                self._relink(node)
        finally:
            self._building = False
            self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self._text_scale = self.text_scale
        if self.live is not None:
            self.live.apply()
        self._badge_timer.start()

    def ids_of(self, kind: str) -> set[str]:
        """The ids of the scene's objects of one canvas kind."""
        return self._by_kind.get(kind, set())

    @property
    def text_scale(self) -> float:
        """The scale below which nodes are drawn as blocks, for this fabric's size."""
        return text_scale(len(self.nodes))

    def _place_pending(self) -> None:
        if self._unplaced:
            pending, self._unplaced = self._unplaced, []
            pending = [n for n in pending if n.scene() is self and n.obj.position is None]
            place_unpositioned(self, pending)
            for node in pending:
                self._placed[node.id] = node.pos()
                for link in node.links:
                    link.adjust()

    def _sync(self, collection: str, items: list) -> None:
        kind = KIND_OF[collection]
        seen: set[str] = set()
        changed: list[NodeItem] = []
        new: list[NodeItem] = []
        for obj in items:
            nid = item_id(kind, obj.name)
            seen.add(nid)
            node = self.nodes.get(nid)
            if node is None:
                node = NodeItem(kind, obj)
                self.nodes[nid] = node
                self.addItem(node)
                self.table.add(node)
                changed.append(node)
                new.append(node)
            elif node.obj is not obj:
                if node.obj != obj:
                    changed.append(node)
                node.set_object(obj)
            # Saved position, else the place the scene gave it; else (new) it waits for one.
            pos = QPointF(*obj.position) if obj.position is not None else self._placed.get(nid)
            if pos is not None and node.pos() != pos:
                node.set_pos_silently(pos)
        ids = self._by_kind.setdefault(kind, set())
        gone = ids - seen
        if len(gone) == 1 and len(new) == 1 and new[0].obj.position is None \
                and new[0].id not in self._placed:
            # A rename (one object out, one in, in one event): the same place.
            old = self.nodes[next(iter(gone))]
            new[0].set_pos_silently(self._placed.get(old.id, old.pos()))
            self._placed[new[0].id] = new[0].pos()
        for nid in gone:
            self._remove_node(nid)
        self._by_kind[kind] = seen
        if not self._building:
            # The debounced refresh starts with the model's event, not at the document's
            # coalesced `changed`: `settling` is true from the edit on.
            self._badge_timer.start()
        if not self._building and text_scale(len(self.nodes)) != self._text_scale:
            self._text_scale = text_scale(len(self.nodes))
            self.text_scale_changed.emit()
        self._unplaced.extend(n for n in new if n.obj.position is None
                              and n.id not in self._placed)
        if self._building:
            return
        self._place_pending()
        for node in changed:
            self._relink(node)
            for src in self._dangling.pop(node.id, set()):
                if src in self.nodes:
                    self._relink(self.nodes[src])

    def _remove_node(self, nid: str) -> None:
        node = self.nodes.pop(nid)
        for link in list(node.links):
            link.detach()
            self.link_layer.discard(link)
            if link.src is not node:
                self._out.get(link.src.id, []).remove(link)
                self._dangling.setdefault(nid, set()).add(link.src.id)
        self._out.pop(nid, None)
        self.table.discard(node)
        self.removeItem(node)

    def _targets(self, node: NodeItem) -> list[tuple[str, str, int | None]]:
        """(link kind, target id, nic index) of the references an object makes."""
        obj, kind = node.obj, node.kind
        out: list[tuple[str, str, int | None]] = []
        if kind == "vm":
            out.append(("placement", item_id("host", obj.host), None))
            for i, nic in enumerate(obj.nics):
                if nic.port_profile is not None:
                    out.append(("profile", item_id("pp", nic.port_profile), i))
                elif nic.network is not None:
                    net = next((n for n in self.doc.topology.networks
                                if n.name == nic.network), None)
                    if net is not None and net.bridge_domain:
                        out.append(("network", item_id("bd", net.bridge_domain), i))
        elif kind == "pp" and obj.bridge_domain:
            out.append(("segment", item_id("bd", obj.bridge_domain), None))
        elif kind == "host" and obj.fabric_interconnect:
            out.append(("uplink", item_id("fi", obj.fabric_interconnect), None))
        return out

    def _relink(self, node: NodeItem) -> None:
        for link in self._out.pop(node.id, []):
            link.detach()
            self.link_layer.discard(link)
        links = []
        for kind, target, nic in self._targets(node):
            dst = self.nodes.get(target)
            if dst is None:
                self._dangling.setdefault(target, set()).add(node.id)
                continue
            link = LinkItem(kind, node, dst, nic)
            self.link_layer.add(link)
            links.append(link)
        self._out[node.id] = links
        if self.live is not None:
            self.live.linked(links)

    # ------------------------------------------------------------------ quality
    def set_quality(self, detailed: bool) -> bool:
        """Detailed: the NodeLayer draws nodes (text, ports, badge) and the LinkLayer links.
        Not detailed (zoomed out): the Overview draws links and node blocks in batches. The
        nodes themselves paint nothing either way, so this switches three layers, not a
        flag on each node. True if the quality changed."""
        if detailed == self.detailed:
            return False
        self.detailed = detailed
        self._apply_quality_to_layers()
        return True

    def set_zooming(self, zooming: bool) -> None:
        """A zoom gesture is under way: the layers draw what they have, scaled."""
        self.node_layer.zooming = self.overview.zooming = zooming

    def _apply_quality_to_layers(self) -> None:
        self.link_layer.setVisible(self.detailed)
        self.node_layer.setVisible(self.detailed)
        self.overview.set_active(not self.detailed)

    def links(self) -> list[LinkItem]:
        return [link for links in self._out.values() for link in links]

    # -------------------------------------------------------------------- badges
    @property
    def settling(self) -> bool:
        """A debounced refresh (findings, VTEP notes) is due: `refreshed` will follow."""
        return self._badge_timer.isActive()

    def refresh_badges(self) -> None:
        """Findings per object and each VEM's designated VTEPs, off the per-event path
        (debounced after edits); then `refreshed`."""
        self.findings.update(self.doc.topology)
        for nid, node in self.nodes.items():
            node.set_findings(self.findings.for_item(nid))
        self._refresh_vtep_notes()
        if self.live is not None:
            self.live.relinked()
        self.refreshed.emit()

    def _refresh_vtep_notes(self) -> None:
        """Mark on each VEM's VTEP rows the bridge domains it is the designated VTEP of
        (for the segments the VEM has running VMs in: where floods reach it)."""
        derived = self.doc.derived()
        bds = {bd.name: bd for bd in self.doc.topology.bridge_domains}
        for nid in self._by_kind.get("host", ()):
            node = self.nodes[nid]
            if node.style == "vem":
                node.set_vtep_notes(designated_vteps(derived, bds, node.obj))

    # ----------------------------------------------------------------- gestures
    def _push(self, command: QUndoCommand) -> None:
        self.doc.push(command)

    def drop_kind(self, kind: str, pos: QPointF) -> None:
        """What a palette drop does (also the path tests drive)."""
        host = None
        if kind == "vm":
            under = self.node_at(pos)
            if under is not None and under.kind == "host":
                host = under.name
        try:
            self._push(factory.add_command(self.doc.topology, kind,
                                           (round(pos.x(), 1), round(pos.y(), 1)), host))
        except (factory.GestureRefused, ValueError) as exc:
            self.refused.emit(str(exc))

    def connect_items(self, src: NodeItem, dst: NodeItem, nic: int | None = None) -> bool:
        if src is dst:
            return False
        try:
            cmd = factory.connect_command(self.doc.topology, (src.kind, src.name, nic),
                                          (dst.kind, dst.name, None))
        except (factory.GestureRefused, ValueError) as exc:
            self.refused.emit(str(exc))
            return False
        self._push(cmd)
        return True

    def delete_selected(self) -> None:
        nodes = [n for n in self.selectedItems() if isinstance(n, NodeItem)]
        if not nodes:
            return
        # Highest index first: undo then re-inserts lowest first, restoring the order.
        topo = self.doc.topology
        position = {id(x): i for kind in {n.kind for n in nodes}
                    for i, x in enumerate(getattr(topo, COLLECTIONS[kind]))}
        nodes.sort(key=lambda n: position.get(id(n.obj), 0), reverse=True)
        macro = Macro(f"Delete {len(nodes)} item{'s' if len(nodes) > 1 else ''}")
        macro.adopt([RemoveObject(topo, COLLECTIONS[n.kind], n.name)
                     for n in nodes])
        self._push(macro)

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def find(self, text: str) -> NodeItem | None:
        """The first object whose name contains `text` (case-insensitive), selected."""
        text = text.strip().lower()
        if not text:
            return None
        exact = [n for n in self.nodes.values() if n.name.lower() == text]
        match = exact[0] if exact else next(
            (n for n in self.nodes.values() if text in n.name.lower()), None)
        if match is not None:
            self.clearSelection()
            match.setSelected(True)
        return match

    def select_only(self, node: NodeItem) -> None:
        """Select this node alone without emitting `current` (the caller asked for it)."""
        self._quiet = True
        try:
            for other in self.selectedItems():
                if other is not node:
                    other.setSelected(False)
            node.setSelected(True)
        finally:
            self._quiet = False

    def _selection_changed(self) -> None:
        if self._quiet:
            return
        sel = [n for n in self.selectedItems() if isinstance(n, NodeItem)]
        if len(sel) == 1:
            self.current.emit(sel[0].kind, sel[0].name)
        else:
            self.current.emit("", "")

    # -------------------------------------------------------------- mouse / drop
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        node = self.node_at(event.scenePos())
        wants_connect = self.connect_mode or bool(
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if node is not None and event.button() == Qt.MouseButton.LeftButton and wants_connect:
            self._connect_from = (node, node.nic_at(event.scenePos()))
            start = event.scenePos()
            self._rubber_line = self.addLine(QLineF(start, start),
                                             QPen(QColor("#2a6edb"), 2, Qt.PenStyle.DashLine))
            event.accept()
            return
        super().mousePressEvent(event)
        self._press = {n.id: n.pos() for n in self.selectedItems() if isinstance(n, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._rubber_line is not None:
            line = self._rubber_line.line()
            line.setP2(event.scenePos())
            self._rubber_line.setLine(line)
            return
        if self._press and event.buttons() & Qt.MouseButton.LeftButton \
                and not self._dragging:
            # A drag of the selection starts: zoomed out, the moving nodes and their links
            # are drawn over the overview's snapshot until the drop.
            self._dragging = True
            self.overview.lift([self.nodes[nid] for nid in self._press if nid in self.nodes])
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._rubber_line is not None:
            self.removeItem(self._rubber_line)
            self._rubber_line = None
            src, nic = self._connect_from or (None, None)
            self._connect_from = None
            dst = self.node_at(event.scenePos())
            if src is not None and dst is not None:
                self.connect_items(src, dst, nic)
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()
        if self._dragging:
            self._dragging = False
            self.overview.land()

    def commit_moves(self) -> None:
        """One undo command for everything the last drag moved."""
        moves: dict[tuple[str, str], tuple[Position, Position]] = {}
        for nid, before in self._press.items():
            node = self.nodes.get(nid)
            if node is None or node.pos() == before:
                continue
            old = node.obj.position
            new = (round(node.pos().x(), 1), round(node.pos().y(), 1))
            moves[(COLLECTIONS[node.kind], node.name)] = (old, new)
        self._press = {}
        if moves:
            self._push(MovePositions(self.doc.topology, moves))

    def begin_move(self) -> None:
        """Remember where the selected items are (a drag, or a programmatic move)."""
        self._press = {n.id: n.pos() for n in self.selectedItems() if isinstance(n, NodeItem)}

    def context_menu(self, node: NodeItem) -> QMenu:
        """Edit, migrate (VMs) and delete, for the item under the mouse."""
        if not node.isSelected():
            self.clearSelection()
            node.setSelected(True)
        menu = QMenu()
        menu.addAction(f"Edit {node.name}", lambda: self.activated.emit(node.kind, node.name))
        if node.kind == "vm":
            menu.addAction("Migrate…", lambda: self.migrate_requested.emit(node.name))
            menu.addAction("Trace a frame…", lambda: self.trace_frame(node.name))
        menu.addSeparator()
        menu.addAction("Delete", self.delete_selected)
        return menu

    def trace_frame(self, vm: str):
        """Trace a frame… from one of a VM's vNICs on the document shown now, with the
        path drawn on this scene (views/tracedialog.py, canvas/highlight.py)."""
        from console.views.tracedialog import open_trace_dialog

        views = self.views()
        return open_trace_dialog(lambda: self.doc.topology, vm, self,
                                 views[0].window() if views else None)

    def contextMenuEvent(self, event) -> None:
        node = self.node_at(event.scenePos())
        if node is None:
            super().contextMenuEvent(event)
            return
        self._menu = self.context_menu(node)
        self._menu.popup(event.screenPos())  # popup, not exec: no nested event loop
        event.accept()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        node = self.node_at(event.scenePos())
        if node is not None:
            self.activated.emit(node.kind, node.name)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if event.mimeData().hasFormat(factory.MIME_KIND):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if not event.mimeData().hasFormat(factory.MIME_KIND):
            super().dropEvent(event)
            return
        kind = bytes(event.mimeData().data(factory.MIME_KIND).data()).decode()
        event.acceptProposedAction()
        self.drop_kind(kind, event.scenePos())
