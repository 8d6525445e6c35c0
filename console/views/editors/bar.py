"""The bar above the Topology canvas: which fabric the canvas and editors show, and
whether an edit there goes live."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from .document import Document

OFFLINE = "Offline drawing"


class ModelBar(QWidget):
    """A choice of document (each connection's fabric, or the offline drawing) and a
    line saying what Apply and Undo do on it."""

    chosen = Signal(object)  # a connection, or None for the offline drawing

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setToolTip("The fabric shown on the canvas and in the editors")
        self.combo.addItem(OFFLINE, None)
        self.hint = QLabel(self)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        # The hint may be cut rather than widen the tab (the window must fit 1280 px
        # with the Editor dock open); its full text is its tooltip.
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(QLabel("Showing", self))
        layout.addWidget(self.combo)
        layout.addWidget(self.hint, 1)
        # Item data holds plain keys: a QObject (the connection) stored in a QVariant
        # was freed twice by the garbage collector after the window went.
        self._conns: dict[int, Any] = {}
        self.combo.activated.connect(self._activated)

    def connection_at(self, index: int) -> Any:
        """The connection of an entry (None: the offline drawing)."""
        return self._conns.get(self.combo.itemData(index))

    def _activated(self, index: int) -> None:
        self.chosen.emit(self.connection_at(index))

    def add(self, conn: Any) -> None:
        if self._index(conn) < 0:
            self._conns[id(conn)] = conn
            self.combo.insertItem(self.combo.count() - 1, conn.uri, id(conn))

    def remove(self, conn: Any) -> None:
        i = self._index(conn)
        if i >= 0:
            self.combo.removeItem(i)
            self._conns.pop(id(conn), None)

    def _index(self, conn: Any) -> int:
        return self.combo.findData(id(conn)) if id(conn) in self._conns else -1

    def show_document(self, doc: Document) -> None:
        """Point the combo at `doc` and say what editing it means."""
        for i in range(self.combo.count()):
            conn = self.connection_at(i)
            if (conn is None and doc.origin is None) or \
                    (conn is not None and getattr(conn, "document", None) is doc):
                self.combo.setCurrentIndex(i)
                break
        if doc.origin is None:
            self._say("Offline: edits change this drawing only (File > Run on emulated "
                      "fabric runs it)")
        else:
            self._say("Live: Apply, Undo and Redo change the running fabric")

    def _say(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setToolTip(text)

    def live_result(self, result: Any) -> None:
        from . import live_text  # the one wording, shared with the status bar

        self._say(live_text(result))
