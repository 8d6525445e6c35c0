"""Graphics items of the topology canvas: one NodeItem per object, LinkItems between them.

As in GNS3's node_item.py, a node's itemChange() calls adjust() on its links, so links
follow their nodes without any scene-wide scan. Nodes paint nothing themselves (they take
clicks, drags, hover and the rubber band): zoomed in, nodelayer.NodeLayer draws them from
pixmaps of NodeItem.draw() (no child text items; names only between LOD_TEXT and
LOD_SMALL_TEXT) and the one LinkLayer draws every link; zoomed out, below LOD_TEXT,
overview.Overview draws nodes and links in batches. So crossing a scale changes which
layer is visible, not a flag on every node.
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QTransform
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


def cosmetic_pen(colour: str, width: float, fast: bool = False) -> QPen:
    """A pen in device pixels: scaled wide pens are stroked into polygons as long as the
    scene lines, which made long links cost most of a frame. `fast`: a hair over one
    pixel, as the raster engine's one-pixel line path plots pixel by pixel, ~40% slower on
    long lines than stroking a 1.01-pixel pen into spans; but such a line doubles a pixel
    at some steps, which shows on a sparse drawing (used for the dense zoomed-out one)."""
    pen = QPen(QColor(colour), max(width, 1.01) if fast else width)
    pen.setCosmetic(True)
    return pen


LINK_PENS = {
    "placement": cosmetic_pen("#8a8f99", 1),
    "uplink": cosmetic_pen("#3c4a66", 2),
    "profile": cosmetic_pen("#2f6fd0", 1),
    "segment": cosmetic_pen("#d08a2f", 2),  # solid: dashes cost thousands of segments
    "network": cosmetic_pen("#e0b060", 1),
}


FAST_LINK_PENS = [cosmetic_pen(p.color().name(), p.widthF(), fast=True)
                  for p in LINK_PENS.values()]
MAX_PASSING_LINKS = 200
# Above this many links a zoomed-out drawing is dense enough for the fast pens: their doubled
# pixels bead a line drawn on its own (a small fabric), they vanish in a mesh of lines.
DENSE_LINKS = 1000
KIND_IDS = {kind: i for i, kind in enumerate(LINK_PENS)}


class LinkItem:
    """A relation between two objects; `nic` is the vNIC index on the source VM when the
    link starts at a vNIC port. Links are not graphics items of their own: the scene's one
    LinkLayer draws them all (thousands of separate line items cost a frame each)."""

    __slots__ = ("kind", "src", "dst", "nic", "layer", "slot", "_line")

    def __init__(self, kind: str, src: NodeItem, dst: NodeItem, nic: int | None = None):
        self.kind, self.src, self.dst, self.nic = kind, src, dst, nic
        self.layer: LinkLayer | None = None
        self.slot = -1
        self._line = QLineF()
        src.links.add(self)
        dst.links.add(self)

    def describe(self) -> str:
        nic = f"/{self.src.nic_names()[self.nic]}" if self.nic is not None else ""
        return f"{self.src.name}{nic} → {self.dst.name} ({self.kind})"

    def line(self) -> QLineF:
        return QLineF(self._line)

    def adjust(self) -> None:
        """Follow the nodes (called from NodeItem.itemChange)."""
        a = self.src.port_pos(self.nic) if self.nic is not None else self.src.center()
        old = self._line
        self._line = QLineF(a, self.dst.center())
        if self.layer is not None:
            self.layer.moved(self, old)

    def detach(self) -> None:
        self.src.links.discard(self)
        self.dst.links.discard(self)


def link_rect(line: QLineF) -> QRectF:
    return QRectF(line.p1(), line.p2()).normalized().adjusted(-3, -3, 3, 3)


class LinkLayer(QGraphicsItem):
    """Draws every link of the scene under the nodes: link coordinates live in one numpy
    array; each frame keeps the links that cross the exposed area, clips them to it
    (Liang-Barsky, vectorised) and draws them with one drawLines() per link kind. Long
    lines clipped by the raster engine itself cost tens of milliseconds a frame."""

    def __init__(self):
        super().__init__()
        self._coords = np.zeros((256, 4))
        self._kinds = np.full(256, -1, dtype=np.int16)
        self._free: list[int] = []
        self._n = 0
        self.live = 0  # links drawn
        self._bounds = QRectF()
        self.on_change = None  # called with (link, scene rectangle) for each change
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def add(self, link: LinkItem) -> None:
        if self._free:
            slot = self._free.pop()
        else:
            if self._n == len(self._kinds):
                self._coords = np.concatenate([self._coords, np.zeros_like(self._coords)])
                self._kinds = np.concatenate([self._kinds, np.full_like(self._kinds, -1)])
            slot = self._n
            self._n += 1
        link.slot, link.layer = slot, self
        self.live += 1
        self._kinds[slot] = KIND_IDS.get(link.kind, 0)
        link.adjust()

    def discard(self, link: LinkItem) -> None:
        if link.layer is not self:
            return
        self._kinds[link.slot] = -1
        self._free.append(link.slot)
        self.live -= 1
        link.layer, link.slot = None, -1
        self._changed(link, link_rect(link._line))

    def moved(self, link: LinkItem, old: QLineF) -> None:
        line = link._line
        self._coords[link.slot] = (line.x1(), line.y1(), line.x2(), line.y2())
        rect = link_rect(line)
        if not self._bounds.contains(rect):
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(rect)
        if not old.isNull():
            rect = link_rect(old).united(rect)
        self._changed(link, rect)

    def _changed(self, link: LinkItem, rect: QRectF) -> None:
        if self.isVisible():
            self.update(rect)
        if self.on_change is not None:  # the overview, which draws links zoomed out
            self.on_change(link, rect)

    @property
    def dense(self) -> bool:
        """So many links that a zoomed-out drawing may use the fast pens (DENSE_LINKS); a
        property of the scene, not of the piece drawn, so pieces drawn apart match."""
        return self.live > DENSE_LINKS

    def boundingRect(self) -> QRectF:
        return self._bounds

    def visible_lines(self, area: QRectF, declutter: bool = True,
                      only: list[LinkItem] | None = None,
                      skip: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """Kind id -> (n, 4) array of the link segments inside `area`; with `declutter`,
        links that only pass through are left out when there are many. `only` limits it to
        those links, `skip` (a mask over slots) leaves some out."""
        n = self._n
        kinds = self._kinds[:n]
        if only is not None or skip is not None:
            kinds = kinds.copy()
            if only is not None:
                mask = np.zeros(n, dtype=bool)
                mask[[link.slot for link in only if link.layer is self]] = True
                kinds[~mask] = -1
            if skip is not None:
                kinds[skip[:n]] = -1
        x1, y1, x2, y2 = self._coords[:n].T
        left, top, right, bottom = area.left(), area.top(), area.right(), area.bottom()
        keep = ((kinds >= 0) & (np.maximum(x1, x2) >= left) & (np.minimum(x1, x2) <= right)
                & (np.maximum(y1, y2) >= top) & (np.minimum(y1, y2) <= bottom))
        # Declutter: when many links only pass through the area (both ends outside), they
        # say little and cost most of the frame, so they are left out.
        ends_in = ((x1 >= left) & (x1 <= right) & (y1 >= top) & (y1 <= bottom)) | \
            ((x2 >= left) & (x2 <= right) & (y2 >= top) & (y2 <= bottom))
        passing = keep & ~ends_in
        if declutter and np.count_nonzero(passing) > MAX_PASSING_LINKS:
            keep &= ends_in
        idx = np.nonzero(keep)[0]
        x1, y1, x2, y2, kinds = x1[idx], y1[idx], x2[idx], y2[idx], kinds[idx]
        dx, dy = x2 - x1, y2 - y1
        t0, t1 = np.zeros(len(idx)), np.ones(len(idx))
        ok = np.ones(len(idx), dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            for p, q in ((-dx, x1 - left), (dx, right - x1), (-dy, y1 - top),
                         (dy, bottom - y1)):
                r = q / p
                ok &= ~((p == 0) & (q < 0))
                t0 = np.where(p < 0, np.maximum(t0, r), t0)
                t1 = np.where(p > 0, np.minimum(t1, r), t1)
        ok &= t0 <= t1
        segs = np.stack([x1 + t0 * dx, y1 + t0 * dy, x1 + t1 * dx, y1 + t1 * dy], axis=1)[ok]
        kinds = kinds[ok]
        return {int(k): segs[kinds == k] for k in np.unique(kinds)}

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        # Below the small-print scale a large fabric's drawing is dense enough for them.
        fast = painter.worldTransform().m11() < LOD_SMALL_TEXT and self.dense
        draw_links(painter, self.visible_lines(option.exposedRect),
                   FAST_LINK_PENS if fast else list(LINK_PENS.values()))


def draw_links(painter: QPainter, lines: dict[int, np.ndarray], pens: list[QPen]) -> None:
    """Link segments by kind id, one drawLines() per kind, without antialiasing. Half a
    device pixel across: a fast pen (see cosmetic_pen) on a line at a whole pixel would
    fill the two pixel columns either side of it."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    world = painter.worldTransform()
    painter.setWorldTransform(world * QTransform.fromTranslate(0.5, 0.5))
    for kind, segs in lines.items():
        painter.setPen(pens[kind])
        draw_array(painter, segs, QLineF)
    painter.setWorldTransform(world)


def draw_blocks(painter: QPainter, blocks: dict[int, np.ndarray], palette: list[QColor]) -> None:
    """Node blocks by palette index, one drawRects() per colour, each with a darker frame."""
    for colour, rects in blocks.items():
        fill = palette[colour]
        painter.setBrush(fill)
        painter.setPen(QPen(fill.darker(170), 0))
        draw_array(painter, rects, QRectF)


def draw_array(painter: QPainter, rows: np.ndarray, kind: type[QLineF] | type[QRectF]) -> None:
    """drawLines or drawRects of an (n, 4) array of QLineF or QRectF fields, from the array's
    own memory (both are four doubles): building a Python object per row cost ~1 us each,
    a third of drawing thousands of long lines (the trick pyqtgraph's PrimitiveArray uses)."""
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    if not len(rows):
        return
    first = shiboken6.wrapInstance(rows.ctypes.data, kind)
    if kind is QLineF:
        painter.drawLines(first, len(rows))
    else:
        painter.drawRects(first, len(rows))


_LINK_DEFAULT = cosmetic_pen("#888888", 1)
