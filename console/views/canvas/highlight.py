"""A traced frame drawn on the canvas: a transient overlay, not part of the model.

The trace's steps name where each decision was taken (a vNIC `vm/nic`, a host or VEM, a
fabric interconnect); each becomes the canvas node that draws it (`vm:NAME`, `host:NAME`,
`fi:NAME`) and the bridge domain of a VXLAN frame is added where it floods or encapsulates
(`bd:NAME`). The hops are outlined in blue and joined in the order the frame took them,
the vNICs it was delivered to in green, and each drop gets a red marker with its reason
on the node where it happened. The overlay is cleared by the next trace, by Esc on the
canvas, or when the scene is rebuilt (another document).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
)

if TYPE_CHECKING:
    from .scene import TopologyScene

HOP = QColor("#1f6fd1")
DELIVERED = QColor("#2e9e44")
DROP = QColor("#c0392b")
Z = 20  # above nodes (1) and links (0)
BD_KINDS = {"flood", "encap", "decap"}  # steps where a VXLAN frame is in its segment


class TraceHighlight(QObject):
    """The overlay of one trace on a scene; `show` replaces the previous one."""

    def __init__(self, scene: TopologyScene):
        super().__init__(scene)
        self.scene = scene
        self.items: list[QGraphicsItem] = []
        self.hops: list[str] = []  # node ids, in the order the frame reached them
        self.delivered: list[str] = []  # node ids of the VMs it was delivered to
        self.drops: list[str] = []  # node ids where a copy was dropped
        self._watched: list[Any] = []

    # ---------------------------------------------------------------- ids
    def node_id(self, where: str) -> str | None:
        nodes = self.scene.nodes
        if "/" in where:
            where = where.split("/", 1)[0]
            return f"vm:{where}" if f"vm:{where}" in nodes else None
        for kind in ("host", "fi", "vm", "bd"):
            if f"{kind}:{where}" in nodes:
                return f"{kind}:{where}"
        return None

    def _bridge_domain(self, trace: Any) -> str | None:
        """The bridge domain node of the frame's segment, when its steps name one."""
        for s in trace.steps:
            if s.kind in BD_KINDS and "bridge domain " in s.text:
                name = s.text.split("bridge domain ", 1)[1].split(" ", 1)[0]
                if f"bd:{name}" in self.scene.nodes:
                    return f"bd:{name}"
        return None

    # ---------------------------------------------------------------- drawing
    def show(self, trace: Any) -> None:
        """Draw a trace (console.engine.trace.Trace as the backend hands it)."""
        self.clear()
        self._watch_views()
        bd = self._bridge_domain(trace)
        hops: list[str] = []

        def reach(nid: str | None) -> None:
            if nid is None or (hops and hops[-1] == nid):
                return
            if len(hops) >= 2 and hops[-2] == nid and hops[-1] == bd:
                return  # back from the segment to the VEM it came from: no new hop
            hops.append(nid)

        for s in trace.steps:
            nid = self.node_id(s.where)
            if s.kind == "ingress" and s.text.startswith("on "):
                # the sending VM, then the host its vNIC is on
                reach(nid)
                reach(self.node_id(s.text[3:].split(":", 1)[0]))
            elif bd is not None and s.kind in ("flood", "encap"):
                reach(nid)
                reach(bd)
            elif bd is not None and s.kind == "decap":
                reach(bd)
                reach(nid)
            elif s.kind == "hairpin":
                continue  # said after the delivery it explains: the path already has it
            elif s.kind == "deliver":
                reach(nid)
                reach(self.node_id(s.text.rsplit(" ", 1)[-1]))
            else:
                reach(nid)
        self.hops = hops
        self.delivered = list(dict.fromkeys(
            n for v in trace.delivered if (n := self.node_id(v)) is not None))
        self.drops = [n for d in trace.drops if (n := self.node_id(d.where)) is not None]
        nodes = self.scene.nodes
        path = QPainterPath()
        for i, nid in enumerate(hops):
            c = nodes[nid].sceneBoundingRect().center()
            path.moveTo(c) if i == 0 else path.lineTo(c)
        line = QGraphicsPathItem(path)
        pen = QPen(HOP, 3, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        line.setPen(pen)
        self._add(line)
        for i, nid in enumerate(dict.fromkeys(hops), 1):
            colour = DELIVERED if nid in self.delivered else HOP
            self._outline(nid, colour, str(i))
        for nid in self.delivered:
            if nid not in hops:
                self._outline(nid, DELIVERED, "")
        # one marker per node and reason: the copies of a flood dropped at one VEM for one
        # reason are one place on the canvas
        marks: dict[tuple[str, str], int] = {}
        for d in trace.drops:
            nid = self.node_id(d.where)
            if nid is not None:
                marks[(nid, d.reason)] = marks.get((nid, d.reason), 0) + 1
        for (nid, reason), copies in marks.items():
            self._drop_marker(nid, reason, copies)

    def _outline(self, nid: str, colour: QColor, label: str) -> None:
        rect = self.scene.nodes[nid].sceneBoundingRect().adjusted(-4, -4, 4, 4)
        box = QGraphicsRectItem(rect)
        pen = QPen(colour, 3)
        pen.setCosmetic(True)
        box.setPen(pen)
        box.setData(0, nid)
        self._add(box)
        if label:
            tag = QGraphicsSimpleTextItem(label)
            font = QFont()
            font.setBold(True)
            tag.setFont(font)
            tag.setBrush(QBrush(colour))
            self._pinned(tag, rect.topLeft(), -tag.boundingRect().width() - 3, -4)
            self._add(tag)

    def _drop_marker(self, nid: str, reason: str, copies: int = 1) -> None:
        rect = self.scene.nodes[nid].sceneBoundingRect()
        r = 11.0
        centre = rect.topRight()
        mark = QGraphicsEllipseItem(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))
        mark.setBrush(QBrush(DROP))
        mark.setPen(QPen(Qt.GlobalColor.white, 2))
        mark.setData(0, nid)
        many = f", {copies} copies" if copies > 1 else ""
        mark.setToolTip(f"dropped here [{reason}]{many}")
        self._add(mark)
        cross = QGraphicsSimpleTextItem("✕")
        cross.setBrush(QBrush(Qt.GlobalColor.white))
        b = cross.boundingRect()
        cross.setPos(centre.x() - b.width() / 2, centre.y() - b.height() / 2)
        self._add(cross)
        text = QGraphicsSimpleTextItem(f"{reason} ×{copies}" if copies > 1 else reason)
        text.setBrush(QBrush(DROP))
        font = QFont()
        font.setBold(True)
        text.setFont(font)
        self._pinned(text, QPointF(centre.x() + r + 2, centre.y() - r), 0, 0)
        self._add(text)
        box = QGraphicsRectItem(rect.adjusted(-4, -4, 4, 4))
        pen = QPen(DROP, 3)
        pen.setCosmetic(True)
        box.setPen(pen)
        box.setData(0, nid)
        self._add(box)

    @staticmethod
    def _pinned(item: QGraphicsItem, at: QPointF, dx: float, dy: float) -> None:
        """A label drawn at screen size wherever the view is zoomed (the canvas fits a
        fabric by scaling it down: scene-sized text would be unreadable), offset by
        (dx, dy) pixels from its anchor."""
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        item.setPos(at)
        item.setTransform(QTransform.fromTranslate(dx, dy))

    def _add(self, item: QGraphicsItem) -> None:
        item.setZValue(Z)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.scene.addItem(item)
        self.items.append(item)

    def clear(self) -> None:
        for item in self.items:
            # a rebuilt scene (another document) already deleted its items
            if shiboken6.isValid(item) and item.scene() is self.scene:
                self.scene.removeItem(item)
        self.items = []
        self.hops, self.delivered, self.drops = [], [], []

    @property
    def shown(self) -> bool:
        return bool(self.items)

    # ---------------------------------------------------------------- Esc
    def _watch_views(self) -> None:
        for view in self.scene.views():
            if view not in self._watched:
                view.installEventFilter(self)
                self._watched.append(view)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress \
                and self.shown and event.key() == Qt.Key.Key_Escape:
            self.clear()
            return True
        return False


def highlight_of(scene: TopologyScene) -> TraceHighlight:
    """The scene's one trace overlay (made on first use)."""
    found = scene.findChild(TraceHighlight)
    return found if found is not None else TraceHighlight(scene)
