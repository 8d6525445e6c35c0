"""The canvas view: wheel zoom around the cursor, middle-button (or space) pan, fit,
rubber-band selection; and the drawing quality per scale: nodes in detail above the scene's
text scale (items.text_scale: lower for a small fabric), the scene's Overview below it, and
during a zoom gesture what the layers have drawn, scaled, rendered sharp once it settles
(SETTLE_MS after its last step)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView

from .scene import TopologyScene

MIN_SCALE, MAX_SCALE = 0.01, 4.0
SETTLE_MS = 200  # a zoom gesture is over when no zoom step came for this long


class TopologyView(QGraphicsView):
    def __init__(self, scene: TopologyScene, parent=None):
        super().__init__(scene, parent)
        self.topology_scene = scene  # scene() is typed as any QGraphicsScene
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        scene.text_scale_changed.connect(self._update_quality)
        self._pan_from: QPoint | None = None
        self._detailed = True
        self._fit_pending = True  # a new topology is shown whole, once the view has a size
        self._auto_fit = True  # keep refitting on resize until the user zooms or pans
        self.zooming = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.settle)

    def request_fit(self) -> None:
        """Fit the whole topology now if the view is on screen, else when it is shown (a
        view in a hidden tab has no real size to fit into)."""
        self._fit_pending = True
        self._auto_fit = True
        if self.isVisible() and self.viewport().width() > 50:
            self.fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._fit_pending:
            self.fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if (self._fit_pending or self._auto_fit) and self.isVisible():
            self.fit()

    # ------------------------------------------------------------------ zoom
    def zoom(self, factor: float) -> None:
        self._auto_fit = False
        current = self.transform().m11()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        # A zoom gesture (wheel, keys) draws what the layers have, scaled, and renders sharp
        # once it settles: re-rendering every node at every step cost more than a frame.
        self.zooming = True
        self._settle.start()
        self.scale(factor, factor)
        self._update_quality()

    def settle(self) -> None:
        """The zoom gesture is over: render sharp at the scale it ended on."""
        self._settle.stop()
        self.zooming = False
        self._update_quality()
        self.viewport().update()

    def reset_zoom(self) -> None:
        """Actual size (1:1), with the drawing quality that scale gets."""
        self._auto_fit = False
        self.resetTransform()
        self.settle()

    def _update_quality(self) -> None:
        # Zoomed in, the NodeLayer draws nodes from pixmaps and the LinkLayer draws links,
        # antialiased; zoomed out (no readable text), the scene's Overview draws it all.
        scene = self.topology_scene
        detailed = self.transform().m11() >= scene.text_scale
        if detailed != self._detailed:
            self._detailed = detailed
            self.setRenderHint(QPainter.RenderHint.Antialiasing, detailed)
        scene.set_zooming(self.zooming)
        scene.set_quality(detailed)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom(1.15 ** steps)
        event.accept()

    def fit(self) -> None:
        self._fit_pending = False
        rect = self.scene().itemsBoundingRect()
        if rect.isNull():
            rect = QRectF(-200, -100, 400, 200)
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.5:
            self.resetTransform()
            self.centerOn(rect.center())
        self.settle()

    def reveal(self, rect: QRectF) -> None:
        """Centre on a scene rectangle unless it is on screen already; the view then stays
        where it was put (no refit on resize, as after a pan)."""
        shown = self.mapToScene(self.viewport().rect()).boundingRect()
        if not shown.contains(rect):
            self._auto_fit = False
            self.centerOn(rect.center())

    # ------------------------------------------------------------------- pan
    def pan(self, dx: int, dy: int) -> None:
        self._auto_fit = False
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.pan(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.topology_scene.delete_selected()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom(0.8)
        else:
            super().keyPressEvent(event)
