"""VTEP editor: a VEM's VTEPs (up to four), the designated VTEP per segment, and whether
its designated VTEPs reach those of every VEM it shares a bridge domain with, shown before
Apply and judged as Apply judges it (Derived.vtep_paths)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from console.models import MAX_VTEPS_PER_VEM, Host, Switching, Vtep
from console.models.changes import VtepEdit
from console.models.derived import Derived, VtepPath, automatic_vtep_index
from console.models.findings import Finding

from . import fields as F
from .base import EditorBase
from .commands import applied_copy
from .document import DocumentApi

# Shown in the reachability table, not among the messages (see show_messages).
REACHABILITY_RULE = "vxlan.vtep-reachability"


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

    def __init__(self, document: DocumentApi, parent: QWidget | None = None):
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
        self.reach.setHeaderLabels(["Other VEM / bridge domain", "Reachable", "How"])
        self.reach.setMinimumHeight(110)
        self.reach.setMaximumHeight(220)
        self.body.addLayout(self.grid)
        self.body.addWidget(self.add_button)
        self.body.addWidget(QLabel("<b>Designated VTEP per segment</b> (receives its floods)",
                                   self))
        self.body.addLayout(self.designated_grid)
        self.body.addWidget(QLabel("<b>Reachability</b> between designated VTEPs, as Apply "
                                   "judges it", self))
        self.body.addWidget(self.reach)
        document.changed.connect(self._model_changed)
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
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
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
            auto = names[automatic_vtep_index(bd, len(names))] if names else "none"
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
        return VtepEdit(self.editing(), tuple(vteps), designated)

    def edited(self, *args) -> None:
        if not self._loading and self.name is not None:
            # "automatic (vtepN)" follows the VTEPs as typed, as the table does
            self._fill_designated({})
        super().edited(*args)
        if self._loading or self.name is None:
            return
        self._show_reachability()

    def _model_changed(self) -> None:
        # Another VEM's VTEPs, a VM joining a bridge domain, undo: the verdict follows the
        # model even while the fields here hold an unapplied edit.
        if self.name is not None and not self._loading:
            self._show_reachability()

    def show_messages(self, errors: list[str], findings: list[Finding]) -> None:
        # The reachability table above is where vxlan.vtep-reachability is shown; repeating
        # it here printed the same sentence twice (and a third time in Apply's result).
        super().show_messages(errors, [f for f in findings if f.rule != REACHABILITY_RULE])

    def _show_reachability(self) -> None:
        """Fill the table from the document's topology with these fields applied, judged by
        Derived.vtep_paths: the verdict the rule vxlan.vtep-reachability (and so Apply's
        guard) gives, per other VEM and per bridge domain they share, with the designated
        VTEPs at both ends."""
        self.reach.clear()
        name = self.name
        if name is None:
            return
        try:
            scratch = applied_copy(self.doc.topology, self.change())
        except ValueError:  # pydantic's ValidationError is one too
            self._note("fix the VTEP fields first")
            return
        derived = Derived(scratch)
        paths = derived.vtep_paths(name)
        if not derived.segments_on(name):
            self._note("no running VM of this VEM is in a bridge domain: its VTEPs carry "
                       "no VXLAN traffic yet")
            return
        # other VEM -> bridge domain -> [to it, back]
        by_peer: dict[str, dict[str, list[VtepPath]]] = {}
        for path in paths:
            outward = path.src_host == name
            peer = path.dst_host if outward else path.src_host
            ways = by_peer.setdefault(peer, {}).setdefault(path.bridge_domain, [path, path])
            ways[0 if outward else 1] = path
        for other in scratch.hosts:
            if other.switching is not Switching.VEM or other.name == name:
                continue
            shared = by_peer.get(other.name)
            if shared is None:
                item = QTreeWidgetItem([other.name, "\u2014",
                                        "no bridge domain in common: no VXLAN traffic"])
                item.setForeground(2, QBrush(QColor(MUTED)))
            else:
                item = self._peer_item(other.name, [(o, b) for o, b in shared.values()])
            self.reach.addTopLevelItem(item)
            item.setExpanded(item.text(1) == "NO")
        if self.reach.topLevelItemCount() == 0:
            self._note("no other VEM to reach")
        self.reach.resizeColumnToContents(0)
        self.reach.resizeColumnToContents(1)

    def _peer_item(self, peer: str, pairs: list[tuple[VtepPath, VtepPath]]) -> QTreeWidgetItem:
        """One other VEM: reachable only if every path both ways is. A child per bridge
        domain and direction names the two designated VTEPs (this VEM's on the left) and
        how the traffic gets across, or why it does not."""
        ok = all(out.reach.ok and back.reach.ok for out, back in pairs)
        if ok:
            how = "both ways, in " + ", ".join(out.bridge_domain for out, _ in pairs)
        else:
            to_it = [out.bridge_domain for out, _ in pairs if not out.reach.ok]
            to_us = [back.bridge_domain for _, back in pairs if not back.reach.ok]
            how = "; ".join(text for text in (
                f"no path to it in {', '.join(to_it)}" if to_it else "",
                f"no path back in {', '.join(to_us)}" if to_us else "") if text)
        item = QTreeWidgetItem([peer, "yes" if ok else "NO", how])
        _verdict_style(item, ok)
        item.setToolTip(2, how)
        for out, back in pairs:
            for path, arrow in ((out, "\u2192"), (back, "\u2190")):
                mine, theirs = (path.src, path.dst) if path is out else (path.dst, path.src)
                child = QTreeWidgetItem([
                    f"{path.bridge_domain}: {_vtep_name(mine)} {arrow} {_vtep_name(theirs)}",
                    "yes" if path.reach.ok else "NO", path.reach.how])
                child.setData(0, Qt.ItemDataRole.UserRole, path.bridge_domain)
                _verdict_style(child, path.reach.ok)
                child.setToolTip(0, f"designated VTEPs of bridge domain {path.bridge_domain}: "
                                    f"{_ends(path)}")
                child.setToolTip(2, f"{_ends(path)}: {path.reach.how}")
                item.addChild(child)
        return item

    def _note(self, text: str) -> None:
        item = QTreeWidgetItem(["", "", text])
        item.setForeground(2, QBrush(QColor(MUTED)))
        self.reach.addTopLevelItem(item)

    def reachability(self) -> dict[str, bool | None]:
        """Other VEM -> reachable, as shown (None: no bridge domain in common), for tests
        and the window's status."""
        out: dict[str, bool | None] = {}
        for item in self._top_items():
            if item.text(0):
                out[item.text(0)] = {"yes": True, "NO": False}.get(item.text(1))
        return out

    def verdicts(self) -> dict[tuple[str, str], bool]:
        """(other VEM, bridge domain) -> reachable both ways, as shown."""
        out: dict[tuple[str, str], bool] = {}
        for item in self._top_items():
            for j in range(item.childCount()):
                child = item.child(j)
                if child is None:
                    continue
                key = (item.text(0), child.data(0, Qt.ItemDataRole.UserRole))
                out[key] = out.get(key, True) and child.text(1) == "yes"
        return out

    def _top_items(self) -> list[QTreeWidgetItem]:
        items = (self.reach.topLevelItem(i) for i in range(self.reach.topLevelItemCount()))
        return [item for item in items if item is not None]

    def preview_path(self, topology) -> str:
        for i, h in enumerate(topology.hosts):
            if h.name == self.name:
                return f"hosts[{i}]"
        return ""


MUTED = "#6b6b6b"


def _vtep_name(vtep: Vtep | None) -> str:
    return vtep.name if vtep is not None else "none"


def _ends(path: VtepPath) -> str:
    """'vem1 vtep1 (10.0.3.21) -> vem2 vtep0 (10.0.1.12)'."""

    def end(host: str, vtep: Vtep | None) -> str:
        return f"{host} {vtep.name} ({vtep.ip.ip})" if vtep is not None else f"{host} (no VTEP)"

    return f"{end(path.src_host, path.src)} \u2192 {end(path.dst_host, path.dst)}"


def _verdict_style(item: QTreeWidgetItem, ok: bool) -> None:
    if not ok:
        font = item.font(1)
        font.setBold(True)
        item.setFont(1, font)
        item.setForeground(1, QBrush(QColor("#b3261e")))
