"""Graphics items of the topology canvas: one NodeItem per object, LinkItems between them.

As in GNS3's node_item.py, a node's itemChange() calls adjust() on its links, so links
follow their nodes without any scene-wide scan. Nodes paint nothing themselves (they take
clicks, drags, hover and the rubber band): zoomed in, nodelayer.NodeLayer draws them from
pixmaps of NodeItem.draw() (no child text items; names only between LOD_TEXT and
LOD_SMALL_TEXT) and the one LinkLayer (links.py) draws every link; zoomed out, below LOD_TEXT,
overview.Overview draws nodes and links in batches. So crossing a scale changes which
layer is visible, not a flag on every node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from console.models.findings import Finding, Severity
from console.models.inventory import Host, Switching, Vm
from console.models.overlay import BridgeDomain
from console.models.vmfex import PortProfile

if TYPE_CHECKING:
    from .links import LinkItem

NODE_W = 168.0
LOD_TEXT = 0.4  # below this scale, nodes are drawn as plain blocks
LOD_SMALL_TEXT = 0.6  # below this scale, nodes show their name but not the small print
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

_GREY = QColor("#eeeeee")
# Paint's pens, brushes and rectangles, made once (paint runs for every visible node).
_PEN_SELECTED = QPen(QColor("#2a6edb"), 2.5)
_PEN_FRAME = QPen(QColor("#7a7f88"), 1.0)
_BRUSHES = {kind: QBrush(colour) for kind, colour in COLOURS.items()}
_GREY_BRUSH = QBrush(_GREY)
_INK, _INK_SOFT, _ROW_LINE = QColor("#1d2330"), QColor("#4a5160"), QColor("#c9c3ad")
_PORT_FILL, _PORT_PEN = QColor("#5b8def"), QPen(QColor("#2c4f9e"), 1)
_KIND_RECT = QRectF(8, 3, NODE_W - 16, 14)
_NAME_RECT = QRectF(8, 12, NODE_W - 16, 16)
_SUB_RECT = QRectF(8, 26, NODE_W - 16, 13)
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
    if kind == "fi":
        return "switches all VM-FEX traffic"
    return LABELS.get(kind, kind)


_MOVED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_SELECTED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged
SELECTED = QColor("#2a6edb")
ERROR = QColor("#d64541")
WARNING = QColor("#e6a23c")


def block_colour(node: NodeItem) -> QColor:
    """The colour of a node drawn as a plain block: selection, then its worst finding,
    then its kind."""
    if node.isSelected():
        return SELECTED
    if node.findings:
        return ERROR if any(f.severity is Severity.ERROR for f in node.findings) else WARNING
    return COLOURS.get(node.style, _GREY)


class NodeItem(QGraphicsRectItem):
    """A topology object on the canvas: FI, host (VIC or VEM), VM (with vNIC ports),
    bridge domain or port profile. A rectangle item with no pen and no contents: Qt asks
    for bounding rectangles and shapes thousands of times a frame and a rubber band, and
    the C++ ones answer without a call into Python."""

    def __init__(self, kind: str, obj):
        super().__init__()
        self.setPen(Qt.PenStyle.NoPen)
        self.kind = kind
        self.links: set[LinkItem] = set()
        self.findings: list[Finding] = []
        self.obj = obj
        self._syncing = False
        self.table = None  # the scene's NodeTable, which the drawing layers read
        self.slot = -1
        # The NodeLayer's pixmap of this node: drawn at `pix_scale`, for drawing `pix_version`
        # (`version` moves on any change to how the node looks), covering `pix_rect` (local).
        self.version = 0
        self.pix = None
        self.pix_scale = 0.0
        self.pix_version = -1
        self.pix_rect = QRectF()
        self.pix_at = (0.0, 0.0)  # pix_rect's corner, for the layer's float arithmetic
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
                      | QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
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
        self.obj = obj
        self._sub = subtitle(self.kind, obj)
        self._nics = []
        if self.kind == "vm":
            self._nics = [f"{n.name}  {n.attach.value}" for n in obj.nics]
        self._rect = QRectF(0, 0, NODE_W, HEAD_H + NIC_H * len(self._nics))
        self._bounds = self._rect.adjusted(-PORT_R - 2, -10, 12, 2)  # port and badge
        self.setRect(self._bounds)
        self.setToolTip(f"{LABELS.get(self.style, self.kind)} {obj.name}\n{self._sub}")
        if self.table is not None:
            self.table.place(self)
            self.table.restyle(self)

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
        if self.table is not None:
            self.table.restyle(self)

    # ---------------------------------------------------------------- geometry
    def block_rect(self) -> QRectF:
        """The node's body in scene coordinates (what the zoomed-out drawing fills)."""
        return self._rect.translated(self.pos())

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
        # Called for every change of every node (ten per node while a scene is built):
        # enum constants from module globals, not looked up on the class each time.
        if change == _MOVED:
            for link in self.links:
                link.adjust()
            if self.table is not None:
                self.table.place(self)
        elif change == _SELECTED and self.table is not None:
            self.table.restyle(self)
        return super().itemChange(change, value)

    # ------------------------------------------------------------------ paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        pass  # ItemHasNoContents: the scene's NodeLayer draws the node (see draw)

    def draw(self, painter: QPainter, lod: float) -> None:
        """The node in its own coordinates at scale `lod` (the painter's scale)."""
        r = self._rect
        selected = self.isSelected()
        if lod < LOD_TEXT:
            # Too small to read: a plain block (and the badge colour) is all that shows.
            # Views draw zoomed-out scenes through the Overview; this is for scene.render().
            painter.fillRect(r, block_colour(self))
            return
        painter.setPen(_PEN_SELECTED if selected else _PEN_FRAME)
        painter.setBrush(_BRUSHES.get(self.style, _GREY_BRUSH))
        painter.drawRoundedRect(r, 6, 6)
        # Small text (kind, subtitle, vNIC labels) is a grey smudge below LOD_SMALL_TEXT:
        # left out there, it also halves the cost of rendering a zoomed-out view's nodes.
        small = lod * painter.device().devicePixelRatioF() >= LOD_SMALL_TEXT  # HiDPI: sharp
        left = Qt.AlignmentFlag.AlignLeft
        if small:
            painter.setPen(_INK)
            painter.setFont(_SMALL_FONT)
            painter.drawText(_KIND_RECT, left, LABELS.get(self.style, self.kind))
        painter.setPen(_INK)
        painter.setFont(_TITLE_FONT)
        painter.drawText(_NAME_RECT, left, self.obj.name)
        if small:
            painter.setFont(_SMALL_FONT)
            painter.setPen(_INK_SOFT)
            painter.drawText(_SUB_RECT, left, self._sub)
        for i, text in enumerate(self._nics):
            y = HEAD_H + NIC_H * i
            painter.setPen(_ROW_LINE)
            painter.drawLine(QPointF(4, y), QPointF(NODE_W - 4, y))
            if small:
                painter.setPen(_INK)
                painter.drawText(QRectF(10, y + 1, NODE_W - 20, NIC_H - 2),
                                 Qt.AlignmentFlag.AlignVCenter, text)
            painter.setBrush(_PORT_FILL)
            painter.setPen(_PORT_PEN)
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
