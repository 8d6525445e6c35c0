"""Graphics items of the topology canvas: one NodeItem per object, LinkItems between them.

As in GNS3's node_item.py, a node's itemChange() calls adjust() on its links, so links
follow their nodes without any scene-wide scan. Nodes paint themselves (no child text
items) and cache to a pixmap, which keeps pan and zoom cheap with thousands of items.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from console.models.findings import Finding, Severity
from console.models.inventory import Host, Switching, Vm
from console.models.overlay import BridgeDomain
from console.models.vmfex import PortProfile

NODE_W = 168.0
HEAD_H = 40.0
NIC_H = 16.0
PORT_R = 5.0

# Fill colours per kind (muted, readable with dark text).
COLOURS = {
    "fi": QColor("#cfd8e8"),
    "host": QColor("#d5ebe3"),
    "vem": QColor("#e3dcf0"),
    "vm": QColor("#f4f1e6"),
    "bd": QColor("#f8e1c4"),
    "pp": QColor("#d9e8f7"),
}
LABELS = {"fi": "FI", "host": "VM-FEX host", "vem": "VEM host", "vm": "VM",
          "bd": "Bridge domain", "pp": "Port profile"}

_TITLE_FONT = QFont()
_TITLE_FONT.setBold(True)
_SMALL_FONT = QFont()
_SMALL_FONT.setPointSizeF(max(6.0, _SMALL_FONT.pointSizeF() * 0.85))


def item_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def subtitle(kind: str, obj) -> str:
    """One line saying what the object is, in the domain's words."""
    if kind == "host":
        assert isinstance(obj, Host)
        if obj.switching is Switching.VEM:
            return f"VEM · {len(obj.vteps)} VTEP{'s' if len(obj.vteps) != 1 else ''}"
        if obj.vic is not None:
            pfs = ", ".join(f"{pf.name}({pf.vfs})" for pf in obj.vic.pfs)
            return f"{obj.vic.model} {pfs}".strip()
        return "VM-FEX · no VIC"
    if kind == "vm":
        assert isinstance(obj, Vm)
        return f"on {obj.host} · {obj.state.value}"
    if kind == "bd":
        assert isinstance(obj, BridgeDomain)
        return f"segment {obj.segment_id} · {obj.mode.value}"
    if kind == "pp":
        assert isinstance(obj, PortProfile)
        if obj.bridge_domain:
            return f"VXLAN → {obj.bridge_domain}"
        return "VLAN " + (",".join(map(str, obj.vlans[:4])) if obj.vlans else "1")
    return LABELS.get(kind, kind)


class NodeItem(QGraphicsItem):
    """A topology object on the canvas: FI, host (VIC or VEM), VM (with vNIC ports),
    bridge domain or port profile."""

    def __init__(self, kind: str, obj):
        super().__init__()
        self.kind = kind
        self.links: set[LinkItem] = set()
        self.findings: list[Finding] = []
        self.obj = obj
        self._syncing = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.set_object(obj)

    # ------------------------------------------------------------------ model
    @property
    def name(self) -> str:
        return self.obj.name

    @property
    def id(self) -> str:
        return item_id(self.kind, self.obj.name)

    @property
    def style(self) -> str:
        if self.kind == "host" and self.obj.switching is Switching.VEM:
            return "vem"
        return self.kind

    def nic_names(self) -> list[str]:
        return [n.name for n in self.obj.nics] if self.kind == "vm" else []

    def set_object(self, obj) -> None:
        """Follow a new state of the object (after an edit, undo or redo)."""
        self.prepareGeometryChange()
        self.obj = obj
        self._sub = subtitle(self.kind, obj)
        self._nics = []
        if self.kind == "vm":
            self._nics = [f"{n.name}  {n.attach.value}" for n in obj.nics]
        self._rect = QRectF(0, 0, NODE_W, HEAD_H + NIC_H * len(self._nics))
        self.setToolTip(f"{LABELS.get(self.style, self.kind)} {obj.name}\n{self._sub}")
        self.update()

    def set_pos_silently(self, pos: QPointF) -> None:
        """Move without it counting as a user drag (model -> view)."""
        self._syncing = True
        try:
            self.setPos(pos)
        finally:
            self._syncing = False

    def set_findings(self, findings: list[Finding]) -> None:
        if findings == self.findings:
            return
        self.findings = findings
        tip = f"{LABELS.get(self.style, self.kind)} {self.obj.name}\n{self._sub}"
        if findings:
            tip += "\n\n" + "\n".join(f"• {f.message} [{f.rule}]" for f in findings)
        self.setToolTip(tip)
        self.update()

    # ---------------------------------------------------------------- geometry
    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-PORT_R - 2, -10, 12, 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self._rect, 6, 6)
        return path

    def center(self) -> QPointF:
        return self.pos() + QPointF(NODE_W / 2, HEAD_H / 2)

    def port_pos(self, nic_index: int) -> QPointF:
        """Scene position of a vNIC's port (the right edge of its row)."""
        y = HEAD_H + NIC_H * nic_index + NIC_H / 2
        return self.pos() + QPointF(NODE_W, y)

    def nic_at(self, scene_pos: QPointF) -> int | None:
        """The vNIC whose row is under a scene position, if any."""
        if self.kind != "vm":
            return None
        local = self.mapFromScene(scene_pos)
        i = int((local.y() - HEAD_H) // NIC_H)
        return i if local.y() >= HEAD_H and 0 <= i < len(self._nics) else None

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for link in self.links:
                link.adjust()
        return super().itemChange(change, value)

    # ------------------------------------------------------------------ paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        r = self._rect
        selected = self.isSelected()
        painter.setPen(QPen(QColor("#2a6edb") if selected else QColor("#7a7f88"),
                            2.5 if selected else 1.0))
        painter.setBrush(QBrush(COLOURS.get(self.style, QColor("#eeeeee"))))
        painter.drawRoundedRect(r, 6, 6)
        painter.setPen(QColor("#1d2330"))
        painter.setFont(_SMALL_FONT)
        painter.drawText(QRectF(8, 3, NODE_W - 16, 14), Qt.AlignmentFlag.AlignLeft,
                         LABELS.get(self.style, self.kind))
        painter.setFont(_TITLE_FONT)
        painter.drawText(QRectF(8, 12, NODE_W - 16, 16), Qt.AlignmentFlag.AlignLeft,
                         self.obj.name)
        painter.setFont(_SMALL_FONT)
        painter.setPen(QColor("#4a5160"))
        painter.drawText(QRectF(8, 26, NODE_W - 16, 13), Qt.AlignmentFlag.AlignLeft,
                         self._sub)
        for i, text in enumerate(self._nics):
            y = HEAD_H + NIC_H * i
            painter.setPen(QColor("#c9c3ad"))
            painter.drawLine(QPointF(4, y), QPointF(NODE_W - 4, y))
            painter.setPen(QColor("#1d2330"))
            painter.drawText(QRectF(10, y + 1, NODE_W - 20, NIC_H - 2),
                             Qt.AlignmentFlag.AlignVCenter, text)
            painter.setBrush(QColor("#5b8def"))
            painter.setPen(QPen(QColor("#2c4f9e"), 1))
            painter.drawEllipse(QPointF(NODE_W, y + NIC_H / 2), PORT_R, PORT_R)
        if self.findings:
            self._paint_badge(painter)

    def _paint_badge(self, painter: QPainter) -> None:
        error = any(f.severity is Severity.ERROR for f in self.findings)
        painter.setBrush(QColor("#d64541") if error else QColor("#e6a23c"))
        painter.setPen(QPen(QColor("white"), 1.5))
        rect = QRectF(NODE_W - 12, -8, 20, 20)
        painter.drawEllipse(rect)
        painter.setFont(_TITLE_FONT)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(len(self.findings)))

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().hoverEnterEvent(event)


LINK_PENS = {
    "placement": QPen(QColor("#8a8f99"), 1.5),
    "uplink": QPen(QColor("#3c4a66"), 2.5),
    "profile": QPen(QColor("#2f6fd0"), 1.5),
    "segment": QPen(QColor("#d08a2f"), 2, Qt.PenStyle.DashLine),
    "network": QPen(QColor("#d08a2f"), 1.5, Qt.PenStyle.DotLine),
}


class LinkItem(QGraphicsLineItem):
    """A relation between two objects, drawn under the nodes; `nic` is the vNIC index on
    the source VM when the link starts at a vNIC port."""

    def __init__(self, kind: str, src: NodeItem, dst: NodeItem, nic: int | None = None):
        super().__init__()
        self.kind, self.src, self.dst, self.nic = kind, src, dst, nic
        self.setPen(LINK_PENS.get(kind, QPen(QColor("#888888"), 1)))
        self.setZValue(0)
        self.setToolTip(self.describe())
        src.links.add(self)
        dst.links.add(self)
        self.adjust()

    def describe(self) -> str:
        nic = f"/{self.src.nic_names()[self.nic]}" if self.nic is not None else ""
        return f"{self.src.name}{nic} → {self.dst.name} ({self.kind})"

    def adjust(self) -> None:
        a = self.src.port_pos(self.nic) if self.nic is not None else self.src.center()
        self.setLine(a.x(), a.y(), self.dst.center().x(), self.dst.center().y())

    def detach(self) -> None:
        self.src.links.discard(self)
        self.dst.links.discard(self)
