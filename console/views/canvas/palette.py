"""The palette: new objects to drag onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt
from PySide6.QtGui import QColor, QDrag, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from .factory import MIME_KIND, PALETTE
from .items import COLOURS


def _swatch(kind: str) -> QIcon:
    pix = QPixmap(18, 18)
    pix.fill(COLOURS.get(kind, QColor("#eeeeee")))
    return QIcon(pix)


class Palette(QListWidget):
    """Drag an entry onto the canvas to add that object."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setIconSize(QSize(18, 18))
        self.setToolTip("Drag onto the canvas to add")
        for kind, label in PALETTE:
            item = QListWidgetItem(_swatch(kind), label)
            item.setData(Qt.ItemDataRole.UserRole, kind)
            self.addItem(item)
        self.setFixedWidth(170)

    def mime_for(self, kind: str) -> QMimeData:
        mime = QMimeData()
        mime.setData(MIME_KIND, kind.encode())
        return mime

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        if item is None:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mime_for(item.data(Qt.ItemDataRole.UserRole)))
        drag.setPixmap(item.icon().pixmap(18, 18))
        drag.exec(Qt.DropAction.CopyAction)
