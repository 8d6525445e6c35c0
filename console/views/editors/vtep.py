"""VTEP editor: a VEM's VTEPs (up to four), the designated VTEP per segment, and whether
every other VEM is reachable with these settings, shown before Apply."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
)

from console.models import MAX_VTEPS_PER_VEM, Host, Switching, Vtep
from console.models.changes import VtepEdit
from console.models.derived import vtep_reachable

from . import fields as F
from .base import EditorBase


class VtepRow:
    def __init__(self, editor: VtepEditor, vtep: Vtep | None):
        self.name = QLineEdit(vtep.name if vtep else "", editor)
        self.ip = QLineEdit(str(vtep.ip) if vtep else "", editor)
        self.ip.setPlaceholderText("10.0.1.12/24")
        self.gateway = QLineEdit(str(vtep.gateway) if vtep and vtep.gateway else "", editor)
        self.gateway.setPlaceholderText("none (same subnet only)")
        self.remove = QPushButton("Remove", editor)
        for edit in (self.name, self.ip, self.gateway):
            edit.textEdited.connect(editor.edited)
        self.remove.clicked.connect(lambda: editor.remove_row(self))

    def widgets(self):
        return (self.name, self.ip, self.gateway, self.remove)

    def vtep(self, i: int) -> Vtep:
        return Vtep.model_validate({"name": F.text(self.name), "ip": F.text(self.ip),
                                    "gateway": F.text(self.gateway) or None})


class VtepEditor(EditorBase):
    title_text = "VTEPs of VEM"

    def __init__(self, document, parent=None):
        super().__init__(document, parent, preview_format="nxos")
        self.rows: list[VtepRow] = []
        self.grid = QGridLayout()
        for col, text in enumerate(("VTEP", "IP address/prefix", "Gateway (external)")):
            self.grid.addWidget(QLabel(f"<b>{text}</b>", self), 0, col)
        self.add_button = QPushButton("Add VTEP", self)
        self.add_button.clicked.connect(lambda: self.add_row(None))
        self.designated_grid = QGridLayout()
        self.designated: dict[str, QComboBox] = {}
        self.reach = QTreeWidget(self)
        self.reach.setHeaderLabels(["Other VEM", "Reachable", "How"])
        self.reach.setRootIsDecorated(False)
        self.reach.setMaximumHeight(120)
        self.body.addLayout(self.grid)
        self.body.addWidget(self.add_button)
        self.body.addWidget(QLabel("<b>Designated VTEP per segment</b> (receives its floods)",
                                   self))
        self.body.addLayout(self.designated_grid)
        self.body.addWidget(QLabel("<b>Reachability</b> with these VTEPs", self))
        self.body.addWidget(self.reach)
        self.open(None)

    def lookup(self, name: str) -> Host | None:
        host = self.doc.derived().index.hosts.get(name)
        return host if host is not None and host.switching is Switching.VEM else None

    # ------------------------------------------------------------------- rows
    def add_row(self, vtep: Vtep | None) -> None:
        if vtep is None:
            taken = {F.text(r.name) for r in self.rows}
            name = next(f"vtep{i}" for i in range(MAX_VTEPS_PER_VEM + 1)
                        if f"vtep{i}" not in taken)
            vtep_row = VtepRow(self, None)
            vtep_row.name.setText(name)
        else:
            vtep_row = VtepRow(self, vtep)
        self.rows.append(vtep_row)
        for col, w in enumerate(vtep_row.widgets()):
            self.grid.addWidget(w, len(self.rows), col)
        self._rows_changed()

    def remove_row(self, row: VtepRow) -> None:
        self.rows.remove(row)
        for w in row.widgets():
            self.grid.removeWidget(w)
            w.deleteLater()
        for i, r in enumerate(self.rows, start=1):
            for col, w in enumerate(r.widgets()):
                self.grid.addWidget(w, i, col)
        self._rows_changed()

    def _rows_changed(self) -> None:
        self.add_button.setEnabled(len(self.rows) < MAX_VTEPS_PER_VEM)
        self.add_button.setToolTip("" if len(self.rows) < MAX_VTEPS_PER_VEM else
                                   f"a VEM has at most {MAX_VTEPS_PER_VEM} VTEPs")
        self.edited()

    # ------------------------------------------------------------------- load
    def load(self, host: Host) -> None:
        self._host = host
        while self.rows:
            row = self.rows.pop()
            for w in row.widgets():
                self.grid.removeWidget(w)
                w.deleteLater()
        for vtep in host.vteps:
            self.add_row(vtep)
        for combo in self.designated.values():
            combo.deleteLater()
        while self.designated_grid.count():
            item = self.designated_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.designated = {}
        for r, bd in enumerate(self.doc.topology.bridge_domains):
            combo = QComboBox(self)
            combo.currentIndexChanged.connect(self.edited)
            self.designated[bd.name] = combo
            self.designated_grid.addWidget(QLabel(f"{bd.name} (segment {bd.segment_id})", self),
                                           r, 0)
            self.designated_grid.addWidget(combo, r, 1)
        self._fill_designated(host.designated_vteps)

    def _fill_designated(self, chosen: dict[str, str]) -> None:
        names = [F.text(r.name) for r in self.rows]
        for bd in self.doc.topology.bridge_domains:
            combo = self.designated[bd.name]
            auto = names[bd.segment_id % len(names)] if names else "none"
            F.fill_combo(combo, [(f"automatic ({auto})", None)] + [(n, n) for n in names if n])
            if bd.name in chosen:
                F.set_combo(combo, chosen[bd.name])

    def set_fields_enabled(self, on: bool) -> None:
        super().set_fields_enabled(on)
        self.add_button.setEnabled(on and len(self.rows) < MAX_VTEPS_PER_VEM)

    # ----------------------------------------------------------------- change
    def change(self) -> VtepEdit:
        vteps = [row.vtep(i) for i, row in enumerate(self.rows)]
        designated = {bd: combo.currentData() for bd, combo in self.designated.items()
                      if combo.currentData() is not None}
        return VtepEdit(self.name, tuple(vteps), designated)

    def edited(self, *args) -> None:
        super().edited(*args)
        if self._loading or self.name is None:
            return
        try:
            vteps = [row.vtep(i) for i, row in enumerate(self.rows)]
        except ValueError:
            vteps = None
        self._show_reachability(vteps)

    def _show_reachability(self, vteps: list[Vtep] | None) -> None:
        self.reach.clear()
        if vteps is None:
            self.reach.addTopLevelItem(QTreeWidgetItem(["", "", "fix the VTEP fields first"]))
            return
        proxy = self.doc.topology.underlay.proxy_arp
        for other in self.doc.topology.hosts:
            if other.switching is not Switching.VEM or other.name == self.name:
                continue
            out = [vtep_reachable(v, other.vteps, proxy) for v in vteps]
            back = [vtep_reachable(v, vteps, proxy) for v in other.vteps]
            fwd = next((r for r in out if r.ok), out[0] if out else None)
            rev = next((r for r in back if r.ok), back[0] if back else None)
            ok = bool(fwd and fwd.ok and rev and rev.ok)
            how = []
            if fwd is None:
                how.append("this VEM has no VTEP")
            else:
                how.append(f"to it: {fwd.how}")
            if rev is None:
                how.append("it has no VTEP")
            else:
                how.append(f"back: {rev.how}")
            item = QTreeWidgetItem([other.name, "yes" if ok else "NO", "; ".join(how)])
            item.setToolTip(2, "; ".join(how))
            self.reach.addTopLevelItem(item)
        if self.reach.topLevelItemCount() == 0:
            self.reach.addTopLevelItem(QTreeWidgetItem(["", "", "no other VEM to reach"]))
        self.reach.resizeColumnToContents(0)

    def reachability(self) -> dict[str, bool]:
        """Other VEM -> reachable, as shown (for tests and the window's status)."""
        out = {}
        for i in range(self.reach.topLevelItemCount()):
            item = self.reach.topLevelItem(i)
            if item.text(0):
                out[item.text(0)] = item.text(1) == "yes"
        return out

    def preview_path(self, topology) -> str:
        for i, h in enumerate(topology.hosts):
            if h.name == self.name:
                return f"hosts[{i}]"
        return ""
