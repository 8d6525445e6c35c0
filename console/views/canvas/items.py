"""Graphics items of the topology canvas: one NodeItem per object, LinkItems between them.

As in GNS3's node_item.py, a node's itemChange() calls adjust() on its links, so links
follow their nodes without any scene-wide scan. Nodes paint nothing themselves (they take
clicks, drags, hover and the rubber band): zoomed in, nodelayer.NodeLayer draws them from
pixmaps of NodeItem.draw() (no child text items; below LOD_SMALL_TEXT only the name, at
least MIN_NAME_PX high, and live badges) and the one LinkLayer (links.py) draws every link;
zoomed out, below the scene's text scale (text_scale(): LOD_TEXT, or LOD_TEXT_FEW for a
small fabric), overview.Overview draws nodes and links in batches. So crossing a scale
changes which layer is visible, not a flag on every node. What nodes read is in text.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from console.models.findings import Finding, Severity
from console.models.inventory import Switching

from .text import (
    LABELS,
    LIVE_INK,
    NAME_PX,
    SMALL_FONT,
    TITLE_FONT,
    NodeLive,
    name_font,
    paint_live_badges,
    small_metrics,
    subtitle,
    vtep_row,
)

if TYPE_CHECKING:
    from .links import LinkItem
    from .table import NodeTable

NODE_W = 168.0
LOD_TEXT = 0.4  # below this scale, nodes are drawn as plain blocks (a large fabric)...
# ...but a fabric of up to FEW_OBJECTS keeps its names down to LOD_TEXT_FEW: rendering a few
# hundred node pixmaps is cheap, and at Fit a 40-object fabric lands near 0.3-0.5, where
# boxes without names say nothing (text_scale() picks the threshold).
LOD_TEXT_FEW = 0.28
FEW_OBJECTS = 250
# Below this scale nodes show their name (at least MIN_NAME_PX) but not the small print,
# which is under 8 pixels high there: a grey smudge that costs half a node's rendering.
LOD_SMALL_TEXT = 0.8
MIN_NAME_PX = 10.0  # zoomed out, a name is drawn at least this many pixels high
LIVE_TOP = 24.0  # room above a node for its live badges (drops, floods)
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
_BIG_NAME_RECT = QRectF(6, 1, NODE_W - 12, HEAD_H - 2)  # the name alone, zoomed out


def item_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def text_scale(objects: int) -> float:
    """The scale below which a fabric of `objects` is drawn as blocks (see LOD_TEXT)."""
    return LOD_TEXT_FEW if objects <= FEW_OBJECTS else LOD_TEXT


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
        self.table: NodeTable | None = None  # the scene's, which the drawing layers read
        self.slot = -1
        # The NodeLayer's pixmap of this node: drawn at `pix_scale`, for drawing `pix_version`
        # (`version` moves on any change to how the node looks), covering `pix_rect` (local).
        self.version = 0
        self.pix: QPixmap | None = None
        self.pix_scale = 0.0
        self.pix_version = -1
        self.pix_rect = QRectF()
        self.pix_at = (0.0, 0.0)  # pix_rect's corner, for the layer's float arithmetic
        # What a live connection says (live.LiveState sets it): text after each row, and
        # badges above the node. A VEM's VTEP notes: the bridge domains each VTEP is the
        # designated VTEP of (from the model, set with the findings).
        self.live: NodeLive | None = None
        self.vtep_notes: dict[str, tuple[str, ...]] = {}
        self._name_cache: tuple[int, str] = (-1, "")  # (font size, elided name)
        # (rows, live) it was made for, and the rows as drawn
        self._rows_cache: tuple[list | None, NodeLive | None, list] = (None, None, [])
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
        self._name_cache = (-1, "")
        self._sub = subtitle(self.kind, obj)
        self._nics = []
        if self.kind == "vm":
            self._nics = [f"{n.name}  {n.attach.value}" for n in obj.nics]
        self._set_rows()
        if self.table is not None:
            self.table.place(self)
            self.table.restyle(self)

    def _set_rows(self) -> None:
        """The rows under the head: a VM's vNICs (with ports), a VEM's VTEPs."""
        self._rows = list(self._nics)
        if self.style == "vem":
            self._rows = [vtep_row(v.name, str(v.ip.ip), self.vtep_notes.get(v.name, ()))
                          for v in self.obj.vteps]
        self._rect = QRectF(0, 0, NODE_W, HEAD_H + NIC_H * len(self._rows))
        self._set_bounds()
        self._set_tooltip()

    def _set_bounds(self) -> None:
        # Ports on the right, the findings badge above the top right corner, live badges
        # above the top left one (only while there are some: a node's pixmap covers this).
        top = LIVE_TOP if self.live is not None and self.live.badges else 10
        bounds = self._rect.adjusted(-PORT_R - 2, -top, 12, 2)
        if bounds != self.rect():
            self.setRect(bounds)

    def _set_tooltip(self) -> None:
        """What the node is, its VTEPs (a VEM: the designated ones marked) and findings:
        zoomed out, the rows' small print is not drawn."""
        tip = f"{LABELS.get(self.style, self.kind)} {self.obj.name}\n{self._sub}"
        if self.style == "vem" and self._rows:
            tip += "\n" + "\n".join(self._rows) + "\n(★: the designated VTEP, which " \
                "receives the bridge domain's floods)"
        if self.findings:
            tip += "\n\n" + "\n".join(f"• {f.message} [{f.rule}]" for f in self.findings)
        self.setToolTip(tip)

    def set_vtep_notes(self, notes: dict[str, tuple[str, ...]]) -> None:
        """VTEP name -> the bridge domains it is the designated VTEP of (a VEM host)."""
        if notes == self.vtep_notes:
            return
        self.vtep_notes = notes
        self._set_rows()
        if self.table is not None:
            self.table.restyle(self)

    def set_live(self, live: NodeLive | None) -> bool:
        """What a live connection shows on the node; True if the drawing changed."""
        if live == self.live:
            return False
        self.live = live
        self._set_bounds()
        if self.table is not None:
            self.table.restyle(self)
        return True

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
        self._set_tooltip()
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
        if lod < LOD_TEXT_FEW:
            # Too small to read: a plain block (and the badge colour) is all that shows.
            # Views draw zoomed-out scenes through the Overview; this is for scene.render().
            painter.fillRect(r, block_colour(self))
            return
        painter.setPen(_PEN_SELECTED if selected else _PEN_FRAME)
        painter.setBrush(_BRUSHES.get(self.style, _GREY_BRUSH))
        painter.drawRoundedRect(r, 6, 6)
        # Small text (kind, subtitle, row labels) is a grey smudge below LOD_SMALL_TEXT:
        # left out there, it also halves the cost of rendering a zoomed-out view's nodes.
        small = lod * painter.device().devicePixelRatioF() >= LOD_SMALL_TEXT  # HiDPI: sharp
        left = Qt.AlignmentFlag.AlignLeft
        if small:
            painter.setPen(_INK)
            painter.setFont(SMALL_FONT)
            painter.drawText(_KIND_RECT, left, LABELS.get(self.style, self.kind))
            painter.setFont(TITLE_FONT)
            painter.drawText(_NAME_RECT, left, self.obj.name)
            painter.setFont(SMALL_FONT)
            painter.setPen(_INK_SOFT)
            painter.drawText(_SUB_RECT, left, self._sub)
        else:
            # Zoomed out the name is all the head says: at least MIN_NAME_PX high on
            # screen, at the top of the head (elided if it does not fit).
            px = round(min(HEAD_H - 8, max(NAME_PX, MIN_NAME_PX / lod)))
            if self._name_cache[0] != px:  # eliding costs as much as drawing: kept
                font, metrics = name_font(px)
                self._name_cache = (px, metrics.elidedText(
                    self.obj.name, Qt.TextElideMode.ElideRight, _BIG_NAME_RECT.width()))
            painter.setPen(_INK)
            painter.setFont(name_font(px)[0])
            painter.drawText(_BIG_NAME_RECT, left | Qt.AlignmentFlag.AlignTop,
                             self._name_cache[1])
        ports = self.kind == "vm"
        rows = self._row_texts() if small else ()
        for i in range(len(self._rows)):
            y = HEAD_H + NIC_H * i
            painter.setPen(_ROW_LINE)
            painter.drawLine(QPointF(4, y), QPointF(NODE_W - 4, y))
            if small:
                text, live = rows[i]
                row = QRectF(10, y + 1, NODE_W - 20, NIC_H - 2)
                painter.setFont(SMALL_FONT)
                if live:
                    painter.setPen(LIVE_INK)
                    painter.drawText(row, Qt.AlignmentFlag.AlignVCenter
                                     | Qt.AlignmentFlag.AlignRight, live)
                painter.setPen(_INK)
                painter.drawText(row, Qt.AlignmentFlag.AlignVCenter, text)
            if ports:
                painter.setBrush(_PORT_FILL)
                painter.setPen(_PORT_PEN)
                painter.drawEllipse(QPointF(NODE_W, y + NIC_H / 2), PORT_R, PORT_R)
        if self.findings:
            self._paint_badge(painter)
        if self.live is not None and self.live.badges:
            paint_live_badges(painter, self.live.badges, lod, NODE_W, LIVE_TOP)

    def _row_texts(self) -> list[tuple[str, str]]:
        """Each row's label (elided to leave room for its live text) and live text, kept
        until the drawing changes (eliding a row costs as much as drawing it)."""
        rows_of, live_of, out = self._rows_cache
        if rows_of is not self._rows or live_of is not self.live:
            live = self.live.rows if self.live is not None else ()
            metrics = small_metrics()
            out = []
            for i, text in enumerate(self._rows):
                extra = live[i] if i < len(live) else ""
                room = NODE_W - 20 - (metrics.horizontalAdvance(extra) + 8 if extra else 0)
                if metrics.horizontalAdvance(text) > room:
                    text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
                out.append((text, extra))
            self._rows_cache = (self._rows, self.live, out)
        return out

    def _paint_badge(self, painter: QPainter) -> None:
        error = any(f.severity is Severity.ERROR for f in self.findings)
        painter.setBrush(QColor("#d64541") if error else QColor("#e6a23c"))
        painter.setPen(QPen(QColor("white"), 1.5))
        rect = QRectF(NODE_W - 12, -8, 20, 20)
        painter.drawEllipse(rect)
        painter.setFont(TITLE_FONT)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(len(self.findings)))

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().hoverEnterEvent(event)
