"""The traffic a VM sends: the topology file's flows from its vNICs, edited as a table.

Flows are part of the design a planner runs (`simulate`, the emulated fabric), so they are
edited like any other object: validated as typed, one undo step per Apply.
"""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.models import BROADCAST, Topology, TrafficFlow
from console.models.types import error_text

from .document import DocumentApi

COLUMNS = ("from", "to", "pps", "count", "size", "ip", "df")


class TrafficCommand(QUndoCommand):
    """Replace the flows of one VM (others keep their place in the list)."""

    def __init__(self, topo: Topology, vm: str, flows: list[TrafficFlow]):
        super().__init__(f"Edit traffic of {vm}")
        self.topo = topo
        self.before = list(topo.traffic)
        mine = [f for f in self.before if f.source.split("/", 1)[0] == vm]
        others = [f for f in self.before if f not in mine]
        self.after = others + flows

    def redo(self) -> None:
        self.topo.traffic = list(self.after)

    def undo(self) -> None:
        self.topo.traffic = list(self.before)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class TrafficEditor(QWidget):
    """The flows a VM sends, one row each: from (vm/nic), to (vm/nic, MAC or broadcast),
    pps or count, size (L3 bytes), ip, df."""

    def __init__(self, document: DocumentApi, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = document
        self.vm: str | None = None
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):  # the vNIC names get the room; numbers fit
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col < 2
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(120)
        self.add_button = QPushButton("Add flow", self)
        self.remove_button = QPushButton("Remove flow", self)
        self.apply_button = QPushButton("Apply", self)
        self.messages = QLabel(self)
        self.messages.setWordWrap(True)
        self.messages.setStyleSheet("color: #b3261e")
        self.add_button.clicked.connect(self.add_flow)
        self.remove_button.clicked.connect(self.remove_flow)
        self.apply_button.clicked.connect(self.apply)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        title = QLabel("<b>Traffic this VM sends</b> (pps: side by side for the whole run; "
                       "count: one after another)", self)
        title.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.messages)
        self._shown: list[TrafficFlow] = []
        # Undo/redo (or an edit elsewhere) that changes this VM's flows shows at once.
        document.changed.connect(self._follow)

    def _mine(self) -> list[TrafficFlow]:
        return [f for f in self.doc.topology.traffic
                if self.vm is not None and f.source.split("/", 1)[0] == self.vm]

    def _follow(self) -> None:
        if self.vm is not None and self._mine() != self._shown:
            self.open(self.vm)

    def open(self, vm: str | None) -> None:
        self.vm = vm
        self.messages.setText("")
        flows = self._shown = self._mine()
        self.table.setRowCount(0)
        for flow in flows:
            self._add_row([flow.source, flow.to, flow.pps, flow.count, flow.size, flow.ip,
                           flow.df])

    def _add_row(self, values: list[object]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, value in enumerate(values):
            self.table.setItem(row, col, QTableWidgetItem(_text(value)))

    def add_flow(self) -> None:
        """A new row: from the VM's first vNIC, broadcast, 100 frames/s of 64 bytes."""
        vm = self.doc.derived().index.vms.get(self.vm or "")
        source = f"{vm.name}/{vm.nics[0].name}" if vm is not None and vm.nics else ""
        self._add_row([source, BROADCAST, 100, None, 64, False, False])

    def remove_flow(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows or [self.table.rowCount() - 1]:
            if row >= 0:
                self.table.removeRow(row)

    def flows(self) -> list[TrafficFlow]:
        """The rows as flows; ValueError names the row and the rule of the first bad one."""
        out = []
        for row in range(self.table.rowCount()):
            cell = {c: _cell(self.table.item(row, i)) for i, c in enumerate(COLUMNS)}
            data: dict[str, object] = {"from": cell["from"], "to": cell["to"],
                                       "ip": cell["ip"].lower() in ("yes", "true", "1", "y"),
                                       "df": cell["df"].lower() in ("yes", "true", "1", "y")}
            for key in ("pps", "count", "size"):
                if cell[key]:
                    data[key] = cell[key]
            try:
                flow = TrafficFlow.model_validate(data)
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in err["loc"]) or "flow"
                raise ValueError(f"row {row + 1}, {where}: {error_text(err)}") from None
            if self.vm is not None and flow.source.split("/", 1)[0] != self.vm:
                raise ValueError(f"row {row + 1}: 'from' must be a vNIC of {self.vm}")
            out.append(flow)
        return out

    def apply(self) -> bool:
        if self.vm is None:
            return False
        try:
            flows = self.flows()
        except ValueError as exc:
            self.messages.setText(str(exc))
            return False
        self.messages.setText("")
        self.doc.push(TrafficCommand(self.doc.topology, self.vm, flows))
        self.open(self.vm)  # the table now shows what the model holds
        return True


def _cell(item: QTableWidgetItem | None) -> str:
    """A cell's text; a cell never typed in has no item."""
    return item.text().strip() if item is not None else ""
