"""Every node's block and colour in numpy arrays, by slot: the layers that draw nodes in batches
(nodelayer.NodeLayer zoomed in, overview.Overview zoomed out) find what meets an area with one
vectorised test instead of asking the scene, and hear of each change through one call."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from .items import NodeItem, block_colour


class TableListener(Protocol):
    def placed(self, node: NodeItem, old: QRectF, new: QRectF) -> None:
        """The node's block moved from `old` (invalid for a new node) to `new`."""

    def restyled(self, node: NodeItem, colour_changed: bool) -> None:
        """The node's drawing changed (selection, findings, object)."""

    def removed(self, node: NodeItem, rect: QRectF) -> None:
        """The node leaves the scene (its slot is still set); its block was `rect`."""


class NodeTable:
    """Slots of node blocks (x, y, w, h), their palette colours (-1: a free slot) and nodes."""

    def __init__(self):
        self.rects = np.zeros((256, 4))
        self.colour = np.full(256, -1, dtype=np.int16)
        self.nodes: list[NodeItem | None] = []
        self._blocks: list[QRectF] = []  # the rows of `rects` as rectangles (no numpy reads)
        self._free: list[int] = []
        self.palette: list[QColor] = []
        self._palette_ids: dict[int, int] = {}
        self.listeners: list[TableListener] = []

    @property
    def n(self) -> int:
        return len(self.nodes)

    def add(self, node: NodeItem) -> None:
        if self._free:
            slot = self._free.pop()
            self.nodes[slot] = node
            self._blocks[slot] = QRectF()  # no block yet: place() reports an invalid `old`
        else:
            slot = len(self.nodes)
            if slot == len(self.colour):
                self.rects = np.concatenate([self.rects, np.zeros_like(self.rects)])
                self.colour = np.concatenate([self.colour, np.full_like(self.colour, -1)])
            self.nodes.append(node)
            self._blocks.append(QRectF())
        node.table, node.slot = self, slot
        self.colour[slot] = self.colour_id(block_colour(node))
        self.place(node)

    def discard(self, node: NodeItem) -> None:
        if node.table is not self:
            return
        slot = node.slot
        rect = self.rect(slot)
        self.colour[slot] = -1
        for listener in self.listeners:
            listener.removed(node, rect)
        self.nodes[slot] = None
        self._free.append(slot)
        node.table, node.slot = None, -1

    def rect(self, slot: int) -> QRectF:
        return QRectF(self._blocks[slot])

    def place(self, node: NodeItem) -> None:
        """The node moved or changed size."""
        slot = node.slot
        old = self._blocks[slot]
        new = self._blocks[slot] = node.block_rect()
        self.rects[slot] = (new.x(), new.y(), new.width(), new.height())
        for listener in self.listeners:
            listener.placed(node, old, new)

    def restyle(self, node: NodeItem) -> None:
        """The node's drawing may have changed: selection, findings, its object."""
        colour = self.colour_id(block_colour(node))
        changed = self.colour[node.slot] != colour
        self.colour[node.slot] = colour
        for listener in self.listeners:
            listener.restyled(node, changed)

    def colour_id(self, colour: QColor) -> int:
        key = colour.rgba()
        if key not in self._palette_ids:
            self._palette_ids[key] = len(self.palette)
            self.palette.append(QColor(colour))
        return self._palette_ids[key]

    def live(self) -> np.ndarray:
        """The rectangles of the nodes in the scene."""
        n = self.n
        return self.rects[:n][self.colour[:n] >= 0]

    def meeting(self, area: QRectF, grow: tuple[float, float, float, float] = (0, 0, 0, 0),
                colour: np.ndarray | None = None) -> np.ndarray:
        """Slots, in stacking order, whose block grown by (left, top, right, bottom) meets
        `area`; `colour` replaces the table's colours (-1 leaves a slot out)."""
        n = self.n
        x, y, w, h = self.rects[:n].T
        colour = self.colour[:n] if colour is None else colour
        left, top, right, bottom = grow
        keep = ((colour >= 0) & (x + w + right >= area.left()) & (x - left <= area.right())
                & (y + h + bottom >= area.top()) & (y - top <= area.bottom()))
        return np.nonzero(keep)[0]

    def by_colour(self, slots: np.ndarray, colour: np.ndarray | None = None
                  ) -> dict[int, np.ndarray]:
        """Palette index -> (n, 4) array of the blocks of those slots (what draw_blocks
        takes); `colour` as in meeting()."""
        colour = (self.colour if colour is None else colour)[slots]
        rects = self.rects[slots]
        return {int(c): rects[colour == c] for c in np.unique(colour)}
