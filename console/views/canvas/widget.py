"""The topology canvas tab: palette, toolbar (fit, zoom, auto-layout, connect, find) and
the graphics view; set_live() shows a connection's rates on it, select_object() lets other
views (the tree, findings) select on it.

The document it is given is a DocumentApi: a Document, or the window's Workspace, which
relays the current connection's document."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from console.views.editors.document import DocumentApi
from console.views.undo import COLLECTIONS, MovePositions, Position

from .clipboard import copy_mime, paste_command, put_on_clipboard
from .items import NodeItem, item_id
from .layout import layered_positions
from .live import LiveState
from .palette import Palette
from .scene import TopologyScene
from .view import TopologyView


class CanvasWidget(QWidget):
    """Draw and edit the topology with the mouse."""

    activated = Signal(str, str)  # double-click: open the object's editor
    current = Signal(str, str)  # the selected object ("" when none or several)
    # The debounced work after an edit or a new topology (findings badges, each VEM's
    # designated VTEPs) is done: what the canvas shows follows the model again.
    settled = Signal()

    def __init__(self, document: DocumentApi, parent=None):
        super().__init__(parent)
        self.doc = document
        self.scene = TopologyScene(document, self)
        self.view = TopologyView(self.scene, self)
        document.topologyReplaced.connect(lambda _topo: self.view.request_fit())
        # Not `palette`: that would hide QWidget.palette().
        self.palette_panel = Palette(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #a33;")
        self.find_edit = QLineEdit(self)
        self.find_edit.setPlaceholderText("Find by name…")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(220)
        self.find_edit.returnPressed.connect(self.find_node)

        self.toolbar = QToolBar(self)
        self.actions_: dict[str, QAction] = {}
        self._action("fit", "Fit", self.view.fit, "Ctrl+0")
        key = QKeySequence.StandardKey
        self._action("zoom_in", "Zoom in", lambda: self.view.zoom(1.25), key.ZoomIn)
        self._action("zoom_out", "Zoom out", lambda: self.view.zoom(0.8), key.ZoomOut)
        self._action("layout", "Auto-layout", self.auto_layout, "Ctrl+L")
        connect = self._action("connect", "Connect", None, "C")
        connect.setCheckable(True)
        connect.setToolTip("Drag from one item to another to connect them "
                           "(or hold Shift while dragging)")
        connect.toggled.connect(self._set_connect_mode)
        self.toolbar.addSeparator()
        self._action("copy", "Copy", self.copy, key.Copy)
        self._action("paste", "Paste", self.paste, key.Paste)
        self._action("delete", "Delete", self.scene.delete_selected, key.Delete)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(self.find_edit)
        for action in self.actions_.values():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Palette</b>", self))
        side.addWidget(self.palette_panel)
        body = QHBoxLayout()
        body.addLayout(side)
        body.addWidget(self.view, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(self.toolbar)
        outer.addLayout(body, 1)
        outer.addWidget(self.status)

        self.scene.refused.connect(self.status.setText)
        self.scene.activated.connect(self.activated)
        self.scene.current.connect(self.current)
        self.scene.refreshed.connect(self.settled)
        document.changed.connect(lambda: self.status.clear())

    def _action(self, key, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if slot is not None:
            action.triggered.connect(slot)
        self.toolbar.addAction(action)
        self.addAction(action)
        self.actions_[key] = action
        return action

    def _set_connect_mode(self, on: bool) -> None:
        self.scene.connect_mode = on
        self.view.setDragMode(self.view.DragMode.NoDrag if on
                              else self.view.DragMode.RubberBandDrag)

    # --------------------------------------------------------------- actions
    def find_node(self, text: str | None = None) -> NodeItem | None:
        """Centre the node named like `text` (by default the Find box's text)."""
        wanted = self.find_edit.text() if text is None else text
        node = self.scene.find(wanted)
        if node is None:
            self.status.setText(f"Nothing named like '{wanted}'")
        else:
            self.view.centerOn(node)
        return node

    def set_live(self, source: Any | None) -> None:
        """Show a connection's rates (see live.py): `source` has `.history` (a
        views.history.StatsHistory) and a `.sampled` signal emitted after each sample, which
        redraws what changed; None goes offline (the model alone is drawn)."""
        live = self.scene.live
        if live is not None:
            if live.source is source:
                return
            live.detach()
            self.scene.live = None
        if source is not None:
            self.scene.live = LiveState(self.scene, source)
            self.scene.live.apply()

    @property
    def settling(self) -> bool:
        """The canvas has debounced work to do after an edit: `settled` will follow."""
        return self.scene.settling

    @property
    def live_source(self) -> Any | None:
        """The source given to set_live (None when offline)."""
        return self.scene.live.source if self.scene.live is not None else None

    def select_object(self, kind: str, name: str) -> bool:
        """Select that object alone and make it visible (centred when it was off-screen);
        False, changing nothing, when the canvas has no such object. Kinds: "fi", "host"
        ("vem" too), "vm", "bd", "pp". It does not emit `current` (nor `activated`): the
        caller already knows what it selected, and echoing it back would loop."""
        node = self.scene.nodes.get(item_id("host" if kind == "vem" else kind, name))
        if node is None:
            return False
        self.scene.select_only(node)
        self.view.reveal(node.block_rect())
        return True

    def auto_layout(self) -> None:
        """Lay every object out in layers, as one undo step (positions are saved)."""
        positions = layered_positions(self.doc.topology)
        moves: dict[tuple[str, str], tuple[Position, Position]] = {}
        for (collection, name), pos in positions.items():
            node = self.scene.nodes.get(f"{_kind(collection)}:{name}")
            old = node.obj.position if node is not None else None
            if old != pos:
                moves[(collection, name)] = (old, pos)
        if moves:
            self.doc.push(MovePositions(self.doc.topology, moves, "Auto-layout"))
            for (collection, name), (_, new) in moves.items():
                node = self.scene.nodes.get(f"{_kind(collection)}:{name}")
                if node is not None and new is not None:
                    node.set_pos_silently(QPointF(*new))
        self.view.fit()

    def selected_nodes(self) -> list[NodeItem]:
        return [n for n in self.scene.selectedItems() if isinstance(n, NodeItem)]

    def copy(self) -> None:
        nodes = self.selected_nodes()
        if nodes:
            put_on_clipboard(copy_mime(nodes))

    def paste(self) -> None:
        cmd = paste_command(self.doc.topology, QGuiApplication.clipboard().mimeData())
        if cmd is None:
            self.status.setText("Nothing to paste: copy canvas items first")
        else:
            self.doc.push(cmd)


def _kind(collection: str) -> str:
    return {v: k for k, v in COLLECTIONS.items()}[collection]
