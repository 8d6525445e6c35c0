"""The findings panel: every finding of every connection (severity, rule, path, message).
Choosing one selects its object in the connection tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from console.models.findings import Finding

from .icons import severity_icon

if TYPE_CHECKING:
    from .connection import Connection

HEADERS = ("Severity", "Rule", "Path", "Message", "Connection")


class FindingsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[Connection, Finding]] = []
        self._conns: list[Connection] = []

    def add_connection(self, conn: Connection) -> None:
        self._conns.append(conn)
        conn.findingsChanged.connect(self.refresh)
        self.refresh()

    def remove_connection(self, conn: Connection) -> None:
        if conn in self._conns:
            self._conns.remove(conn)
            conn.findingsChanged.disconnect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = [(c, f) for c in self._conns for f in c.findings]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        conn, f = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f.severity.value, f.rule, f.path, f.message, conn.uri)[col]
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return severity_icon(f.severity.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(f)
        return None


class FindingsPanel(QWidget):
    """A sortable table of findings; activating (or clicking) one emits findingChosen."""

    findingChosen = Signal(object, object)  # Connection, Finding

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = FindingsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.view.activated.connect(self._chosen)
        self.view.clicked.connect(self._chosen)

    def choose_row(self, row: int) -> None:
        """Select a row (as a click would) and emit findingChosen."""
        index = self.proxy.index(row, 0)
        self.view.setCurrentIndex(index)
        self._chosen(index)

    def _chosen(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        conn, finding = self.model.rows[self.proxy.mapToSource(index).row()]
        self.findingChosen.emit(conn, finding)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, 110)  # a few rows; the graphs above need the height more

    def count(self) -> int:
        return self.model.rowCount()
