"""Tables as the VSM shows them: the L2 table of a bridge domain, the VTEPs of a bridge
domain with the designated one marked, and the VIFs that use a port profile."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFont

if TYPE_CHECKING:
    from console.models.derived import Derived
    from console.models.payloads import L2Entry
    from console.models.topology import Topology


class RowsModel(QAbstractTableModel):
    """A read-only table of rows of strings; rows whose `bold` flag is set are bold."""

    def __init__(self, headers: Sequence[str], parent=None):
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[tuple[str, ...]] = []
        self.bold: set[int] = set()

    def set_headers(self, headers: Sequence[str]) -> None:
        if list(headers) != self.headers:
            self.beginResetModel()
            self.headers = list(headers)
            self.rows = []
            self.endResetModel()

    def set_rows(self, rows: list[tuple[str, ...]], bold: set[int] | None = None) -> None:
        if len(rows) == len(self.rows):
            self.rows, self.bold = rows, bold or set()
            if rows:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(rows) - 1, len(self.headers) - 1))
            return
        self.beginResetModel()
        self.rows, self.bold = rows, bold or set()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.FontRole and index.row() in self.bold:
            font = QFont()
            font.setBold(True)
            return font
        return None


L2_HEADERS = ("MAC", "VEM", "VTEP IP", "Age (s)")
VTEP_HEADERS = ("VEM", "VTEP", "IP address", "Gateway", "Designated")
PROFILE_VIF_HEADERS = ("VIF", "VM", "Host", "Attach", "Segment")


def l2_rows(entries: Sequence[L2Entry]) -> list[tuple[str, ...]]:
    """A bridge domain's L2 entries (Backend.l2_table) as table rows, sorted by MAC."""
    return sorted((e.mac, e.vem, "local" if e.local or e.vtep_ip is None else e.vtep_ip,
                   f"{e.age_s:.0f}") for e in entries)


def vtep_rows(topo: Topology, derived: Derived,
              bd_name: str) -> tuple[list[tuple[str, ...]], set[int]]:
    """Every VTEP of every VEM in the bridge domain's segment; the designated VTEP of each
    VEM (the one that receives the segment's floods) in bold and marked."""
    from console.models.payloads import vtep_roles  # with a topology, not with the window

    rows: list[tuple[str, ...]] = []
    bold: set[int] = set()
    for v in vtep_roles(topo, bd_name, derived):
        if not v.member:
            continue
        if v.designated:
            bold.add(len(rows))
        rows.append((v.vem, v.vtep, v.cidr, v.gateway, "✔ designated" if v.designated else ""))
    return rows, bold


def profile_vif_rows(topo: Topology, derived: Derived, profile: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for vif in derived.vifs_using(profile):
        seg = derived.segment_of(vif.nic)
        rows.append((vif.id, vif.vm.name, vif.vm.host, vif.nic.attach.value,
                     str(seg) if seg else "?"))
    return rows
