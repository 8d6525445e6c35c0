"""The zoomed-out canvas, drawn by one item from arrays instead of one paint() per node.

Below the scale where labels can be read (items.LOD_TEXT) the view stops painting nodes one
by one (they keep ItemHasNoContents, so they still take clicks, drags and the rubber band) and
this layer draws every link and node block in batches: links with one drawLines() per kind,
blocks with one drawRects() per colour. The result is kept in a snapshot image of the visible
area at the view's scale:

- a pan blits the snapshot, rendering only the strip that comes into view;
- a new snapshot (a new scale, once a zoom gesture settles) is rendered in bands, nearest the
  centre of the view first, BUDGET_S of them a frame; until a band is rendered, an image of
  everything at a small scale (the coarse image, made in bands by the frames after the
  snapshot is whole) shows there, scaled;
- during a zoom gesture the snapshot is drawn scaled over the coarse image;
- an edit (a node moved, selected, badged, a link added or removed) re-renders only the scene
  rectangles it touched, found through the node's slot, never by a scan of the scene.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from .items import NodeItem
from .links import (
    LINK_PENS,
    LinkItem,
    LinkLayer,
    cosmetic_pen,
    draw_blocks,
    draw_links,
    link_rect,
)
from .table import NodeTable

# Zoomed out, thousands of links overlap into a solid mat of colour that hides the nodes:
# lighter shades of the link colours keep the kinds apart and let the blocks stand out.
OVERVIEW_PENS = {
    "placement": cosmetic_pen("#c8ccd3", 1, fast=True),
    "uplink": cosmetic_pen("#3c4a66", 2),
    "profile": cosmetic_pen("#a8c3ec", 1, fast=True),
    "segment": cosmetic_pen("#e2a95e", 2),
    "network": cosmetic_pen("#f0d6a8", 1, fast=True),
    "live1": cosmetic_pen("#5cb85c", 1.5),
    "live2": cosmetic_pen("#2e9d4a", 2.5),
    "live3": cosmetic_pen("#17803a", 4),
}
assert list(OVERVIEW_PENS) == list(LINK_PENS)  # the link layer's kind ids index both
# A small fabric's few links, each drawn on its own: one-pixel pens (see LinkLayer.dense).
EXACT_OVERVIEW_PENS = [cosmetic_pen(p.color().name(), round(p.widthF()))
                       for p in OVERVIEW_PENS.values()]

MAX_DIRTY = 16  # more dirty rectangles than this are merged into their bounding rectangle
COARSE = 2048  # pixels across the image of everything that zoom gestures fall back on
MARGIN = 160  # device pixels rendered beyond the view when a pan extends the snapshot
BUDGET_S = 0.006  # rendering of new bands per frame (a band started is finished)
BAND_PX = 200  # device pixels down a band: a sixth of a large full-view render each


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
        self.bands: list[QRectF] = []  # scene rectangles not rendered yet
        self.total_bands = 0
        self.dirty: list[QRectF] = []  # scene rectangles to render again

    def split(self) -> None:
        """Everything still to render, in bands of BAND_PX device pixels."""
        n = max(1, math.ceil(self.image.height() / self.image.devicePixelRatio() / BAND_PX))
        r, h = self.rect, self.rect.height() / n
        self.bands = [QRectF(r.left(), r.top() + i * h, r.width(), h) for i in range(n)]
        self.total_bands = n


def _merged(rects: list[QRectF]) -> list[QRectF]:
    """The rectangles, or their bounding rectangle when there are more than MAX_DIRTY."""
    if len(rects) <= MAX_DIRTY:
        return rects
    whole = QRectF(rects[0])
    for rect in rects[1:]:
        whole = whole.united(rect)
    return [whole]


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

    def __init__(self, links: LinkLayer, table: NodeTable):
        super().__init__()
        self._links = links
        self._table = table
        table.listeners.append(self)
        links.on_change = self.link_changed
        self._bounds = QRectF()
        self._snap: _Snapshot | None = None
        self._coarse: _Snapshot | None = None  # everything at a small scale (see paint)
        self._repaint_pending = False
        self._dpr = 1.0  # of the view last painted
        self._more = QTimer()  # asks for the next frame while bands are left
        self._more.setSingleShot(True)
        self._more.timeout.connect(self._next_frame)
        # Nodes being dragged and their links: drawn over the snapshot, not in it (see lift).
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
        self._snap = None  # inactive, only the coarse image follows edits
        self._floating.clear()
        self._floating_links.clear()
        if active:
            self.prepareGeometryChange()
            self._bounds = self._live_bounds()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not active)
        self.update()

    def _live_bounds(self) -> QRectF:
        live = self._table.live()
        if not len(live):
            return QRectF()
        left, top = live[:, 0].min(), live[:, 1].min()
        right, bottom = (live[:, 0] + live[:, 2]).max(), (live[:, 1] + live[:, 3]).max()
        return QRectF(left, top, right - left, bottom - top).adjusted(-4, -4, 4, 4)

    def placed(self, node: NodeItem, old: QRectF, new: QRectF) -> None:
        if self._coarse is not None and not self._coarse.rect.contains(new):
            self._coarse = None  # made again, larger
        if self.active:
            if not self._bounds.contains(new):
                self.prepareGeometryChange()
                self._bounds = self._bounds.united(new.adjusted(-4, -4, 4, 4))
            if node.slot in self._floating:
                self.update(old.united(new).adjusted(-2, -2, 2, 2) if old.isValid() else new)
                return
        if old.isValid():
            self.mark_dirty(old)
        self.mark_dirty(new)

    def restyled(self, node: NodeItem, colour_changed: bool) -> None:
        if not colour_changed:
            return
        rect = self._table.rect(node.slot)
        if self.active and node.slot in self._floating:
            self.update(rect.adjusted(-2, -2, 2, 2))
        else:
            self.mark_dirty(rect)

    def removed(self, node: NodeItem, rect: QRectF) -> None:
        self._floating.pop(node.slot, None)
        self.mark_dirty(rect)

    def lift(self, nodes: list[NodeItem]) -> None:
        """A drag starts: the nodes and their links leave the snapshot (one re-render) and
        are drawn over it at each frame until land(). A move then costs a blit and a few
        lines, where re-rendering the rectangles long links sweep would cost a full frame."""
        if not self.active:
            return
        self.land()
        self._floating = {n.slot: n for n in nodes if n.table is self._table}
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
            self.mark_dirty(self._table.rect(slot))
        for link in self._floating_links:
            self.mark_dirty(link_rect(link.line()))

    def link_changed(self, link: LinkItem, rect: QRectF) -> None:
        """A link in `rect` (scene coordinates) moved, appeared or went."""
        if self.active and link in self._floating_links:
            self.update(rect)
        else:
            self.mark_dirty(rect)

    def mark_dirty(self, rect: QRectF) -> None:
        """Something in `rect` (scene coordinates) changed: re-render it at the next paint."""
        if self._coarse is not None:
            self._coarse.dirty.append(rect)
        if not self.active:
            return
        if self._snap is not None:
            self._snap.dirty.append(rect)
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
        table = self._table
        colour = table.colour[:table.n]
        if self._floating or floating:
            mask = np.zeros(table.n, dtype=bool)
            mask[list(self._floating)] = True
            colour = np.where(mask if not floating else ~mask, -1, colour)
        return table.by_colour(table.meeting(area, colour=colour), colour)

    # ----------------------------------------------------------------- paint
    def draw(self, painter: QPainter, area: QRectF, floating: bool = False) -> None:
        """Links, then node blocks, in `area` (scene coordinates) through the painter's
        transform: the floating ones (being dragged) or the others. No antialiasing: at
        this scale it only blurs and costs."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pens = list(OVERVIEW_PENS.values()) if self._links.dense else EXACT_OVERVIEW_PENS
        if floating:
            lines = self._links.visible_lines(area, False, only=list(self._floating_links))
        elif self._floating_links:
            skip = np.zeros(len(self._links._kinds), dtype=bool)
            skip[[link.slot for link in self._floating_links if link.slot >= 0]] = True
            lines = self._links.visible_lines(area, False, skip=skip)
        else:
            lines = self._links.visible_lines(area, False)
        draw_links(painter, lines, pens)
        draw_blocks(painter, self.blocks_in(area, floating), self._table.palette)

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
        snap.bands = [band & snap.rect for band in old.bands if band.intersects(snap.rect)]
        snap.dirty = old.dirty
        self._render(snap, _minus(snap.rect, old.rect))
        return snap

    def _coarse_image(self) -> _Snapshot | None:
        """Everything, at most COARSE pixels across, its edits rendered; None while none of
        its bands is rendered."""
        coarse = self._coarse
        if coarse is None or len(coarse.bands) == coarse.total_bands:
            return None
        self._render_dirty(coarse)
        return coarse

    def _render_dirty(self, snap: _Snapshot) -> None:
        """Render again what edits changed in the snapshot."""
        if snap.dirty:
            dirty, snap.dirty = _merged(snap.dirty), []
            self._render(snap, [r.adjusted(-2, -2, 2, 2) & snap.rect for r in dirty
                                if r.intersects(snap.rect)])

    def _progress(self, snap: _Snapshot, centre: QPointF, deadline: float) -> None:
        """Render bands of `snap`, nearest `centre` first, until the deadline."""
        if not snap.bands:
            return
        snap.bands.sort(key=lambda band: -abs(band.center().y() - centre.y())
                        - abs(band.center().x() - centre.x()))
        self._render(snap, [snap.bands.pop()])  # at least one: each frame gets on
        while snap.bands and time.perf_counter() < deadline:
            self._render(snap, [snap.bands.pop()])

    def _progress_coarse(self, deadline: float) -> None:
        """What is left of a frame's budget goes to the coarse image."""
        if self._coarse is None:
            bounds = self._bounds
            if bounds.isEmpty():
                return
            scale = COARSE / max(bounds.width(), bounds.height(), 1.0)
            self._coarse = self._snapshot(QTransform.fromScale(scale, scale), bounds, self._dpr)
            self._coarse.split()
        self._progress(self._coarse, self._coarse.rect.center(), deadline)

    def _next_frame(self) -> None:
        if shiboken6.isValid(self) and self.active:
            self.update()

    @property
    def pending(self) -> bool:
        """Parts of the view are not rendered yet: more frames will follow."""
        return self.active and (self._snap is None or bool(self._snap.bands)
                                or self._coarse is None or bool(self._coarse.bands))

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
        dpr = self._dpr = widget.devicePixelRatioF()
        snap = self._snap
        same_scale = snap is not None and abs(snap.scale - world.m11()) < 1e-9
        if snap is None or (not same_scale and not self.zooming):
            snap = self._snap = self._snapshot(world, view, dpr)
            snap.split()
            same_scale = True
        elif same_scale and not snap.rect.contains(view):
            snap = self._snap = self._extend(snap, world, view, dpr)
        self._render_dirty(snap)
        deadline = time.perf_counter() + BUDGET_S
        if same_scale and snap.bands:
            self._progress(snap, view.center(), deadline)
        coarse = None
        if snap.bands or not (same_scale or snap.rect.contains(exposed)):
            # What the snapshot does not have yet: everything at a small scale, scaled.
            # Drawing those parts directly cost 30-40 ms a zoom step on the large fabric.
            coarse = self._coarse_image()
            if coarse is not None:
                painter.drawImage(coarse.rect, coarse.image)
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
            painter.drawImage(snap.rect, snap.image)  # a zoom gesture: scaled
        if self._floating:
            self.draw(painter, exposed, floating=True)
        if same_scale and not snap.bands:
            self._progress_coarse(deadline)
        if same_scale and (snap.bands or self._coarse is None or self._coarse.bands):
            self._more.start(0)
        else:
            self._more.stop()
