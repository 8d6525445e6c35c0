"""The zoomed-in canvas's nodes, drawn by one item from a pixmap per node.

Nodes are ItemHasNoContents: they take clicks, drags, hover and the rubber band, and this
layer draws them. Each node keeps a pixmap of NodeItem.draw() at the scale it was rendered
at; a frame blits the sharp ones and renders the others, nearest the centre of the view
first, for at most BUDGET_S; what is left is drawn from the pixmap it has (scaled) or as a
block, and the next frames render it. So no frame renders every node a view shows:

- crossing the text scale from the overview only shows this layer (no flag on each node),
  and fills names in over a few frames as a tiled map fills its tiles;
- during a zoom gesture pixmaps are drawn scaled, and only nodes with none are rendered;
- once the gesture settles, the nodes are rendered sharp at the new scale, a budget a frame.

Pixmaps are kept for the nodes drawn most recently, MEMORY bytes in all.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from .items import LIVE_TOP, NodeItem
from .links import draw_blocks
from .table import NodeTable

BUDGET_S = 0.004  # rendering per frame: with links and blits, a frame stays under 16 ms
MEMORY = 96 * 1024 * 1024  # bytes of node pixmaps kept
# A node's bounding rectangle is its block grown by these (left, top, right, bottom): the
# vNIC ports stick out on the right, the findings badge above the top right corner and live
# badges above the top left one.
GROW = (7.0, LIVE_TOP, 12.0, 2.0)
_RENDER_HINTS = QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing


def _grown(rect: QRectF) -> QRectF:
    left, top, right, bottom = GROW
    return rect.adjusted(-left, -top, right, bottom)


class NodeLayer(QGraphicsItem):
    """Draws every node of the scene zoomed in (see the module doc)."""

    def __init__(self, table: NodeTable):
        super().__init__()
        self._table = table
        table.listeners.append(self)
        self._bounds = QRectF()
        self.zooming = False  # a zoom gesture: draw pixmaps scaled rather than render them
        self._kept: OrderedDict[NodeItem, int] = OrderedDict()  # pixmap bytes, oldest first
        self._bytes = 0
        self._left = QRectF()  # where nodes were drawn from scaled pixmaps or as blocks
        self._awaiting = False  # a repaint of what was left is asked for
        self._more = QTimer()
        self._more.setSingleShot(True)
        self._more.timeout.connect(self._draw_more)
        self.rendered = 0  # pixmaps rendered so far (the benchmark and tests read it)
        self.setZValue(1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    @property
    def pending(self) -> bool:
        """Some node the view showed is not drawn sharp yet: more frames will follow."""
        return self.isVisible() and (self._awaiting or not self._left.isEmpty())

    def clear(self) -> None:
        """Drop every node's pixmap: the next frames render them again."""
        for node in list(self._kept):
            self._forget(node)
        self.update()

    # ------------------------------------------------------------ table events
    def placed(self, node: NodeItem, old: QRectF, new: QRectF) -> None:
        grown = _grown(new)
        if not self._bounds.contains(grown):
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(grown)
        if self.isVisible():
            self.update(_grown(old).united(grown) if old.isValid() else grown)

    def restyled(self, node: NodeItem, colour_changed: bool) -> None:
        node.version += 1
        if self.isVisible():
            self.update(_grown(node.block_rect()))

    def removed(self, node: NodeItem, rect: QRectF) -> None:
        self._forget(node)
        self.update(_grown(rect))

    def _forget(self, node: NodeItem) -> None:
        self._bytes -= self._kept.pop(node, 0)
        node.pix = None

    # ------------------------------------------------------------------ paint
    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self._awaiting = False
        table = self._table
        exposed = option.exposedRect
        world = painter.worldTransform()
        if widget is not None:  # what is left out of view is not waiting to be drawn
            self._left &= world.inverted()[0].mapRect(QRectF(widget.rect()))
        if exposed.contains(self._left):
            self._left = QRectF()  # this frame draws all of it again
        slots = table.meeting(exposed, GROW)
        if not len(slots):
            return
        nodes = [table.nodes[slot] for slot in slots.tolist()]
        if widget is None or world.isRotating() or world.m11() != world.m22():
            # A one-off render (printing, scene.render): draw each node directly.
            lod = option.levelOfDetailFromTransform(world)
            for node in nodes:
                painter.save()
                painter.translate(node.pos())
                node.draw(painter, lod)
                painter.restore()
            return
        dpr = widget.devicePixelRatioF()
        self._render_some(nodes, world, dpr, widget)
        painter.save()
        painter.resetTransform()
        self._draw_blocks(painter, world, [n.slot for n in nodes if n.pix is None])
        left = self._draw_pixmaps(painter, world, dpr, nodes, table.rects[slots, :2].tolist())
        painter.restore()
        self._trim()
        if left:
            rects = table.rects[left]
            x, y = rects[:, 0].min(), rects[:, 1].min()
            self._left = self._left.united(_grown(QRectF(
                x, y, (rects[:, 0] + rects[:, 2]).max() - x,
                (rects[:, 1] + rects[:, 3]).max() - y)) & exposed)
        if self._left.isEmpty():
            self._more.stop()
        else:
            self._more.start(0)

    def _draw_pixmaps(self, painter: QPainter, world: QTransform, dpr: float,
                      nodes: list[NodeItem], positions: list[list[float]]) -> list[int]:
        """Blit each node's pixmap (the painter in device pixels); the slots of the nodes
        not drawn sharp. Plain float arithmetic: a few Qt calls a node cost ~10 us each,
        5 ms a frame for the 400 nodes of a view at the small-print scale."""
        kept, left, zooming = self._kept, [], self.zooming
        key, m11, dx, dy = world.m11() * dpr, world.m11(), world.dx(), world.dy()
        for node, (x, y) in zip(nodes, positions):
            pix = node.pix
            if pix is None:
                left.append(node.slot)
                continue
            kept.move_to_end(node)
            if node.pix_scale == key:  # one to one, on whole device pixels
                px, py = node.pix_at
                if dpr == 1.0:
                    painter.drawPixmap(round((x + px) * m11 + dx), round((y + py) * m11 + dy),
                                       pix)
                else:
                    painter.drawPixmap(QPointF(round(((x + px) * m11 + dx) * dpr) / dpr,
                                               round(((y + py) * m11 + dy) * dpr) / dpr), pix)
                if node.pix_version != node.version:
                    left.append(node.slot)
            else:
                painter.drawPixmap(world.mapRect(node.pix_rect.translated(x, y)), pix,
                                   QRectF(pix.rect()))
                if not zooming or node.pix_version != node.version:
                    left.append(node.slot)
        return left

    def _render_some(self, nodes: list[NodeItem], world: QTransform, dpr: float,
                     widget: QWidget) -> None:
        """Render the nodes that need it, nearest the centre of the view first, until the
        frame's budget is spent. During a zoom gesture a node's pixmap at another scale
        will do."""
        key = world.m11() * dpr
        need = [n for n in nodes if n.pix is None or n.pix_version != n.version
                or (n.pix_scale != key and not self.zooming)]
        if not need:
            return
        if len(need) > 1:
            inverse, _ = world.inverted()
            centre = inverse.map(QPointF(widget.rect().center()))
            xy = np.array([(n.x(), n.y()) for n in need])
            far = np.hypot(xy[:, 0] - centre.x(), xy[:, 1] - centre.y())
            need = [need[i] for i in np.argsort(far, kind="stable").tolist()]
        deadline = time.perf_counter() + BUDGET_S
        for node in need:
            self._render(node, world, dpr)
            if time.perf_counter() > deadline:
                break

    def _render(self, node: NodeItem, world: QTransform, dpr: float) -> None:
        """A pixmap of the node as the view's transform shows it, its corner on a whole
        device pixel."""
        device = world.mapRect(node.sceneBoundingRect())
        x, y = math.floor(device.left()), math.floor(device.top())
        w, h = math.ceil(device.right()) - x, math.ceil(device.bottom()) - y
        pix = QPixmap(max(1, math.ceil(w * dpr)), max(1, math.ceil(h * dpr)))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        to_pix = world * QTransform.fromTranslate(-x, -y)
        painter = QPainter(pix)
        painter.setRenderHints(_RENDER_HINTS)
        painter.setTransform(QTransform.fromTranslate(node.x(), node.y()) * to_pix)
        node.draw(painter, world.m11())
        painter.end()
        inverse, _ = to_pix.inverted()
        self._forget(node)
        node.pix, node.pix_scale, node.pix_version = pix, world.m11() * dpr, node.version
        node.pix_rect = inverse.mapRect(QRectF(0, 0, w, h)).translated(-node.x(), -node.y())
        node.pix_at = (node.pix_rect.x(), node.pix_rect.y())
        size = pix.width() * pix.height() * 4
        self._kept[node] = size
        self._bytes += size
        self.rendered += 1

    def _draw_blocks(self, painter: QPainter, world: QTransform, slots: list[int]) -> None:
        """Nodes with no pixmap yet: their blocks, as the overview draws them."""
        if not slots:
            return
        painter.setWorldTransform(world)
        draw_blocks(painter, self._table.by_colour(np.array(slots)), self._table.palette)
        painter.resetTransform()

    def _trim(self) -> None:
        while self._bytes > MEMORY and len(self._kept) > 1:
            node, size = self._kept.popitem(last=False)
            self._bytes -= size
            node.pix = None

    def _draw_more(self) -> None:
        if shiboken6.isValid(self) and not self._left.isEmpty():
            left, self._left = self._left, QRectF()
            self._awaiting = True
            self.update(left)
