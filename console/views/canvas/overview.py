"""The zoomed-out canvas, drawn by one item from arrays instead of one paint() per node.

Below the scale where labels can be read (items.LOD_TEXT) the view stops painting nodes one
by one (they keep ItemHasNoContents, so they still take clicks, drags and the rubber band) and
this layer draws every link and node block in batches: links with one drawLines() per kind,
blocks with one drawRects() per colour. The result is kept in a snapshot image of the visible
area at the view's scale:

- a pan blits the snapshot, rendering only the strip that comes into view;
- during a zoom gesture the snapshot is drawn scaled (and what it does not cover is drawn
  directly), and it is rendered sharp again once the gesture settles (`zooming` goes false);
- an edit (a node moved, selected, badged, a link added or removed) re-renders only the scene
  rectangles it touched, found through the node's slot, never by a scan of the scene.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from .items import (
    LINK_PENS,
    LinkItem,
    LinkLayer,
    NodeItem,
    block_colour,
    cosmetic_pen,
    draw_links,
    link_rect,
)

# Zoomed out, thousands of links overlap into a solid mat of colour that hides the nodes:
# lighter shades of the link colours keep the kinds apart and let the blocks stand out.
OVERVIEW_PENS = {
    "placement": cosmetic_pen("#c8ccd3", 1, fast=True),
    "uplink": cosmetic_pen("#3c4a66", 2),
    "profile": cosmetic_pen("#a8c3ec", 1, fast=True),
    "segment": cosmetic_pen("#e2a95e", 2),
    "network": cosmetic_pen("#f0d6a8", 1, fast=True),
}
assert list(OVERVIEW_PENS) == list(LINK_PENS)  # the link layer's kind ids index both

MAX_DIRTY = 16  # more dirty rectangles than this are merged into their bounding rectangle
COARSE = 2048  # pixels across the image of everything that zoom gestures fall back on
MARGIN = 160  # device pixels rendered beyond the view when a pan extends the snapshot


class _Snapshot:
    """An image of the scene rectangle `rect`, rendered through `transform` (scene -> image
    pixels, a scale and a translation)."""

    def __init__(self, rect: QRectF, transform: QTransform, size: tuple[int, int], dpr: float):
        self.rect = rect
        self.transform = transform
        self.scale = transform.m11()
        self.image = QImage(max(1, round(size[0] * dpr)), max(1, round(size[1] * dpr)),
                            QImage.Format.Format_ARGB32_Premultiplied)
        self.image.setDevicePixelRatio(dpr)
        self.image.fill(Qt.GlobalColor.transparent)


def _minus(a: QRectF, b: QRectF) -> list[QRectF]:
    """`a` less `b`, as at most four rectangles."""
    if not a.intersects(b):
        return [a] if not a.isEmpty() else []
    out = []
    if a.top() < b.top():
        out.append(QRectF(a.left(), a.top(), a.width(), b.top() - a.top()))
    if a.bottom() > b.bottom():
        out.append(QRectF(a.left(), b.bottom(), a.width(), a.bottom() - b.bottom()))
    top, bottom = max(a.top(), b.top()), min(a.bottom(), b.bottom())
    if a.left() < b.left():
        out.append(QRectF(a.left(), top, b.left() - a.left(), bottom - top))
    if a.right() > b.right():
        out.append(QRectF(b.right(), top, a.right() - b.right(), bottom - top))
    return [r for r in out if r.width() > 0 and r.height() > 0]


class Overview(QGraphicsItem):
    """Every node block and link of the scene, for zoomed-out views (see the module doc)."""

    def __init__(self, links: LinkLayer):
        super().__init__()
        self._links = links
        self._rects = np.zeros((256, 4))  # x, y, w, h per slot
        self._colour = np.full(256, -1, dtype=np.int16)  # palette index, -1 for a free slot
        self._free: list[int] = []
        self._n = 0
        self._palette: list[QColor] = []
        self._palette_ids: dict[int, int] = {}
        self._bounds = QRectF()
        self._snap: _Snapshot | None = None
        self._coarse: _Snapshot | None = None  # everything at a small scale (see paint)
        self._dirty: list[QRectF] = []
        self._repaint_pending = False
        # Nodes being dragged and their links: drawn over the snapshot, not in it (see float).
        self._floating: dict[int, NodeItem] = {}
        self._floating_links: set[LinkItem] = set()
        self.active = False
        self.zooming = False  # a zoom gesture is under way: draw the snapshot scaled
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)

    # ----------------------------------------------------------------- state
    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        self._snap = self._coarse = None  # edits made while inactive were not tracked
        self._dirty.clear()
        self._floating.clear()
        self._floating_links.clear()
        # Inactive, moves only store the node's rectangle and links report nothing: a
        # scene build or an edit zoomed in pays next to nothing for the overview.
        self._links.on_change = self._link_changed if active else None
        if active:
            live = self._rects[:self._n][self._colour[:self._n] >= 0]
            self.prepareGeometryChange()
            if len(live):
                left, top = live[:, 0].min(), live[:, 1].min()
                right, bottom = (live[:, 0] + live[:, 2]).max(), (live[:, 1] + live[:, 3]).max()
                self._bounds = QRectF(left, top, right - left, bottom - top).adjusted(
                    -4, -4, 4, 4)
            else:
                self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not active)
        self.update()

    def add(self, node: NodeItem) -> None:
        if self._free:
            slot = self._free.pop()
        else:
            if self._n == len(self._colour):
                self._rects = np.concatenate([self._rects, np.zeros_like(self._rects)])
                self._colour = np.concatenate([self._colour, np.full_like(self._colour, -1)])
            slot = self._n
            self._n += 1
        node.overview, node.overview_slot = self, slot
        self._colour[slot] = self._colour_id(block_colour(node))
        self.place(node)

    def discard(self, node: NodeItem) -> None:
        if node.overview is not self:
            return
        slot = node.overview_slot
        x, y, w, h = self._rects[slot]
        self._colour[slot] = -1
        self._free.append(slot)
        node.overview, node.overview_slot = None, -1
        self._floating.pop(slot, None)
        self.mark_dirty(QRectF(x, y, w, h))

    def place(self, node: NodeItem) -> None:
        """The node moved or changed size."""
        slot = node.overview_slot
        rect = node.block_rect()
        if not self.active:
            self._rects[slot] = (rect.x(), rect.y(), rect.width(), rect.height())
            return
        x, y, w, h = self._rects[slot]
        old = QRectF(x, y, w, h)
        self._rects[slot] = (rect.x(), rect.y(), rect.width(), rect.height())
        if not self._bounds.contains(rect):
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(rect.adjusted(-4, -4, 4, 4))
        if slot in self._floating:
            self.update(old.united(rect).adjusted(-2, -2, 2, 2))
            return
        if old.isValid():
            self.mark_dirty(old)
        self.mark_dirty(rect)

    def restyle(self, node: NodeItem) -> None:
        """The node's block colour may have changed (selection, findings, kind)."""
        colour = self._colour_id(block_colour(node))
        if self._colour[node.overview_slot] != colour:
            self._colour[node.overview_slot] = colour
            x, y, w, h = self._rects[node.overview_slot]
            if node.overview_slot in self._floating:
                self.update(QRectF(x, y, w, h).adjusted(-2, -2, 2, 2))
            else:
                self.mark_dirty(QRectF(x, y, w, h))

    def float(self, nodes: list[NodeItem]) -> None:
        """A drag starts: the nodes and their links leave the snapshot (one re-render) and
        are drawn over it at each frame until land(). A move then costs a blit and a few
        lines, where re-rendering the rectangles long links sweep would cost a full frame."""
        if not self.active:
            return
        self.land()
        self._floating = {n.overview_slot: n for n in nodes if n.overview is self}
        self._floating_links = {link for n in self._floating.values() for link in n.links}
        self._mark_floating()

    def land(self) -> None:
        """The drag is over: the dragged nodes and links go back into the snapshot."""
        if not self._floating:
            return
        self._mark_floating()
        self._floating.clear()
        self._floating_links.clear()

    def _mark_floating(self) -> None:
        for slot in self._floating:
            x, y, w, h = self._rects[slot]
            self.mark_dirty(QRectF(x, y, w, h))
        for link in self._floating_links:
            self.mark_dirty(link_rect(link.line()))

    def _link_changed(self, link: LinkItem, rect: QRectF) -> None:
        if link in self._floating_links:
            if self.active:
                self.update(rect)
        else:
            self.mark_dirty(rect)

    def _colour_id(self, colour: QColor) -> int:
        key = colour.rgba()
        if key not in self._palette_ids:
            self._palette_ids[key] = len(self._palette)
            self._palette.append(QColor(colour))
        return self._palette_ids[key]

    def mark_dirty(self, rect: QRectF) -> None:
        """Something in `rect` (scene coordinates) changed: re-render it at the next paint."""
        if not self.active:
            return
        if self._snap is not None:
            self._dirty.append(rect)
        self._coarse = None
        # One repaint request per frame, of the whole item: it only blits the snapshot
        # outside the dirty rectangles, and an edit moving a hub's links marks thousands.
        if not self._repaint_pending:
            self._repaint_pending = True
            self.update()

    # -------------------------------------------------------------- geometry
    def boundingRect(self) -> QRectF:
        return self._bounds

    def blocks_in(self, area: QRectF, floating: bool = False) -> dict[int, np.ndarray]:
        """Palette index -> (n, 4) array of the node blocks that meet `area`: the floating
        ones (being dragged) or the others."""
        n = self._n
        x, y, w, h = self._rects[:n].T
        colour = self._colour[:n]
        if self._floating or floating:
            mask = np.zeros(n, dtype=bool)
            mask[list(self._floating)] = True
            colour = np.where(mask if not floating else ~mask, -1, colour)
        keep = ((colour >= 0) & (x + w >= area.left()) & (x <= area.right())
                & (y + h >= area.top()) & (y <= area.bottom()))
        rects, colour = self._rects[:n][keep], colour[keep]
        return {int(c): rects[colour == c] for c in np.unique(colour)}

    # ----------------------------------------------------------------- paint
    def draw(self, painter: QPainter, area: QRectF, floating: bool = False) -> None:
        """Links, then node blocks, in `area` (scene coordinates) through the painter's
        transform: the floating ones (being dragged) or the others. No antialiasing: at
        this scale it only blurs and costs."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pens = list(OVERVIEW_PENS.values())
        if floating:
            lines = self._links.visible_lines(area, False, only=list(self._floating_links))
        elif self._floating_links:
            skip = np.zeros(len(self._links._kinds), dtype=bool)
            skip[[link.slot for link in self._floating_links if link.slot >= 0]] = True
            lines = self._links.visible_lines(area, False, skip=skip)
        else:
            lines = self._links.visible_lines(area, False)
        draw_links(painter, lines, pens)
        for colour, rects in self.blocks_in(area, floating).items():
            fill = self._palette[colour]
            painter.setBrush(fill)
            painter.setPen(QPen(fill.darker(170), 0))
            painter.drawRects([QRectF(*row) for row in rects.tolist()])

    def _render(self, snap: _Snapshot, areas: Iterable[QRectF]) -> None:
        """Re-render scene rectangles of the snapshot, each aligned to whole pixels."""
        painter = QPainter(snap.image)
        inverse, _ = snap.transform.inverted()
        margin = 2 / snap.scale
        for area in areas:
            pixels = snap.transform.mapRect(area).toAlignedRect()
            if pixels.isEmpty():
                continue
            painter.resetTransform()
            painter.setClipRect(pixels)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
            painter.fillRect(pixels, Qt.GlobalColor.transparent)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setTransform(snap.transform)
            self.draw(painter, inverse.mapRect(QRectF(pixels)).adjusted(
                -margin, -margin, margin, margin))
        painter.end()

    def _snapshot(self, world: QTransform, view: QRectF, dpr: float) -> _Snapshot:
        """A new snapshot of `view` (scene coordinates) at the view's transform, with its
        top-left corner on a whole device pixel."""
        device = world.mapRect(view).toAlignedRect()
        transform = world * QTransform.fromTranslate(-device.x(), -device.y())
        inverse, _ = transform.inverted()
        rect = inverse.mapRect(QRectF(0, 0, device.width(), device.height()))
        return _Snapshot(rect, transform, (device.width(), device.height()), dpr)

    def _extend(self, old: _Snapshot, world: QTransform, view: QRectF,
                dpr: float) -> _Snapshot:
        """Pan: a snapshot around the new view keeping what the old one has."""
        margin = MARGIN / old.scale
        snap = self._snapshot(world, view.adjusted(-margin, -margin, margin, margin), dpr)
        painter = QPainter(snap.image)
        offset = snap.transform.map(old.rect.topLeft())
        painter.drawImage(QPointF(round(offset.x()), round(offset.y())), old.image)
        painter.end()
        self._render(snap, _minus(snap.rect, old.rect))
        return snap

    def _coarse_image(self, dpr: float) -> _Snapshot:
        """Everything, at most COARSE pixels across: made once, until the next edit."""
        if self._coarse is None:
            bounds = self._bounds
            scale = COARSE / max(bounds.width(), bounds.height(), 1.0)
            self._coarse = self._snapshot(QTransform.fromScale(scale, scale), bounds, dpr)
            self._render(self._coarse, [self._coarse.rect])
        return self._coarse

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self._repaint_pending = False
        if not self.active:
            return
        world = painter.worldTransform()
        exposed = option.exposedRect
        if widget is None or world.isRotating():
            self.draw(painter, exposed)  # a one-off render (printing, scene.render)
            self.draw(painter, exposed, floating=True)
            return
        inverse, _ = world.inverted()
        view = inverse.mapRect(QRectF(widget.rect()))
        if not view.intersects(self._bounds):
            return
        dpr = widget.devicePixelRatioF()
        snap = self._snap
        same_scale = snap is not None and abs(snap.scale - world.m11()) < 1e-9
        if snap is None or (not same_scale and not self.zooming):
            snap = self._snap = self._snapshot(world, view, dpr)
            self._dirty.clear()
            self._render(snap, [snap.rect])
            same_scale = True
        elif same_scale and not snap.rect.contains(view):
            snap = self._snap = self._extend(snap, world, view, dpr)
        if self._dirty:
            dirty, self._dirty = self._dirty, []
            if len(dirty) > MAX_DIRTY:
                whole = QRectF(dirty[0])
                for rect in dirty[1:]:
                    whole = whole.united(rect)
                dirty = [whole]
            self._render(snap, [r.adjusted(-2, -2, 2, 2) & snap.rect for r in dirty
                                if r.intersects(snap.rect)])
        if same_scale:
            # Blit the exposed part one to one, in device pixels.
            origin = world.map(snap.rect.topLeft())
            ox, oy = round(origin.x()), round(origin.y())
            target = world.mapRect(exposed).toAlignedRect()
            source = target.translated(-ox, -oy) & QRect(0, 0, round(snap.image.width() / dpr),
                                                        round(snap.image.height() / dpr))
            painter.save()
            painter.resetTransform()
            painter.drawImage(QPointF(source.x() + ox, source.y() + oy), snap.image,
                              QRectF(source.x() * dpr, source.y() * dpr,
                                     source.width() * dpr, source.height() * dpr))
            painter.restore()
        else:
            # Zoom gesture: the old snapshot scaled; where zooming out shows more than it
            # has, an image of everything at a small scale, scaled too. Drawing those parts
            # directly cost 30-40 ms a step on the large fabric.
            if _minus(exposed, snap.rect):
                coarse = self._coarse_image(dpr)
                painter.drawImage(coarse.rect, coarse.image)
            painter.drawImage(snap.rect, snap.image)
        if self._floating:
            self.draw(painter, exposed, floating=True)
