"""The canvas's links: LinkItems (relations between two nodes, not graphics items) and the one
LinkLayer that draws them all from a numpy array, with the drawing helpers the layers share
(pens, lines and blocks drawn in batches from arrays)."""

from __future__ import annotations

from typing import cast

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from .items import LOD_SMALL_TEXT, NodeItem


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
    # A link carrying traffic (live.LiveState), by rate class: green, wider with the rate.
    "live1": cosmetic_pen("#5cb85c", 1.5),
    "live2": cosmetic_pen("#2e9d4a", 2.5),
    "live3": cosmetic_pen("#17803a", 4),
}


FAST_LINK_PENS = [cosmetic_pen(p.color().name(), p.widthF(), fast=True)
                  for p in LINK_PENS.values()]
MAX_PASSING_LINKS = 200
# Above this many links a zoomed-out drawing is dense enough for the fast pens: their doubled
# pixels bead a line drawn on its own (a small fabric), they vanish in a mesh of lines.
DENSE_LINKS = 1000
KIND_IDS = {kind: i for i, kind in enumerate(LINK_PENS)}
_STYLE_NAMES = list(LINK_PENS)


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

    def set_style(self, link: LinkItem, style: int) -> None:
        """Draw the link with another pen (a KIND_IDS value): a live rate class."""
        if link.layer is not self or self._kinds[link.slot] == style:
            return
        self._kinds[link.slot] = style
        self._changed(link, link_rect(link._line))

    def style_of(self, link: LinkItem) -> str:
        """The name of the pen the link is drawn with (its kind, or a live rate class)."""
        return _STYLE_NAMES[self._kinds[link.slot]] if link.layer is self else ""

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
    # wrapInstance is typed as any Shiboken object: it is the `kind` asked for.
    first = shiboken6.wrapInstance(rows.ctypes.data, kind)
    if kind is QLineF:
        painter.drawLines(cast(QLineF, first), len(rows))
    else:
        painter.drawRects(cast(QRectF, first), len(rows))

