"""The editor dock: shows the editor of the object selected on the canvas."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.models import Switching

from .bridge_domain import BridgeDomainEditor
from .document import DocumentApi
from .migration import MigrationDialog
from .port_profile import PortProfileEditor
from .traffic import TrafficEditor
from .vnic import VnicEditor
from .vtep import VtepEditor


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


class VmPage(QWidget):
    """A VM: pick one of its vNICs to edit, or migrate it."""

    def __init__(self, document: DocumentApi, parent=None):
        super().__init__(parent)
        self.doc = document
        self.vm: str | None = None
        self.nics = QComboBox(self)
        self.migrate_button = QPushButton("Migrate VM…", self)
        self.migrate_button.clicked.connect(self.ask_migration)
        self.editor = VnicEditor(document, self)
        self.traffic = TrafficEditor(document, self)
        top = QHBoxLayout()
        top.addWidget(QLabel("vNIC", self))
        top.addWidget(self.nics, 1)
        top.addWidget(self.migrate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.traffic)
        self.nics.currentIndexChanged.connect(self._nic_chosen)
        self.dialog: MigrationDialog | None = None
        # The vNIC list follows the model: an undo of an attach removes the vNIC here.
        document.changed.connect(self._follow)
        document.topologyReplaced.connect(lambda _t: self._forget())

    def _nic_names(self) -> list[str]:
        obj = self.doc.derived().index.vms.get(self.vm) if self.vm else None
        return [nic.name for nic in obj.nics] if obj else []

    def _follow(self) -> None:
        if self.vm is None:
            return
        shown = [self.nics.itemText(i) for i in range(self.nics.count())]
        if shown != self._nic_names():
            self.open(self.vm, self.nics.currentText() or None)

    def _forget(self) -> None:
        self.vm = None
        self.nics.clear()

    def open(self, vm: str, nic: str | None = None) -> None:
        """Show a VM's page, with the vNIC `nic` (or its first) in the editor."""
        self.vm = vm
        self.nics.blockSignals(True)
        self.nics.clear()
        for name in self._nic_names():
            self.nics.addItem(name, f"{vm}/{name}")
        if nic is not None and self.nics.findText(nic) >= 0:
            self.nics.setCurrentIndex(self.nics.findText(nic))
        self.nics.blockSignals(False)
        self._nic_chosen()
        self.traffic.open(vm)

    def _nic_chosen(self, *_args) -> None:
        vif = self.nics.currentData()
        self.editor.open(vif)
        if vif is None:
            self.editor.header.setText(f"VM {self.vm}: no vNIC yet (connect it to a port "
                                       "profile on the canvas)")

    def ask_migration(self) -> MigrationDialog | None:
        if self.vm is None:
            return None
        self.dialog = MigrationDialog(self.doc, self.vm, self)
        self.dialog.finished.connect(self.dialog.deleteLater)
        self.dialog.open()  # not exec(): the asyncio loop keeps running
        return self.dialog


class EditorPanel(QStackedWidget):
    """One page per kind of object; `show_object(kind, name)` switches to it."""

    def __init__(self, document: DocumentApi, parent=None):
        super().__init__(parent)
        self.doc = document
        self.placeholder = QLabel("Select an object on the Topology canvas to edit it.\n"
                                  "Double-click opens its editor.")
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(12)
        self.port_profile = PortProfileEditor(document)
        self.bridge_domain = BridgeDomainEditor(document)
        self.vtep = VtepEditor(document)
        self.vm = VmPage(document)
        self.pages = {}
        for key, widget in (("none", self.placeholder), ("pp", self.port_profile),
                            ("bd", self.bridge_domain), ("vem", self.vtep), ("vm", self.vm)):
            self.pages[key] = widget
            self.addWidget(_scrolled(widget) if key != "none" else widget)
        # Narrow enough that tree, canvas and editor fit a 1280-pixel screen side by
        # side (420 pushed the window past the screen's edge); the pages scroll.
        self.setMinimumWidth(320)

    def show_object(self, kind: str, name: str) -> QWidget:
        """Edit an object; kinds without an editor (FIs, VM-FEX hosts) say what they are.
        A vNIC is `vm/nic` of kind "vif": its VM's page with that vNIC."""
        page = "none"
        if kind == "pp":
            self.port_profile.open(name)
            page = "pp"
        elif kind == "bd":
            self.bridge_domain.open(name)
            page = "bd"
        elif kind == "vm":
            self.vm.open(name)
            page = "vm"
        elif kind == "vif" and "/" in name:
            vm, nic = name.split("/", 1)
            self.vm.open(vm, nic)
            page = "vm"
        elif kind == "host":
            host = self.doc.derived().index.hosts.get(name)
            if host is not None and host.switching is Switching.VEM:
                self.vtep.open(name)
                page = "vem"
            elif host is not None and host.switching is Switching.PLAIN:
                self.placeholder.setText(f"Host {name} is a plain host: its VMs are on its "
                                         "own bridge or libvirt networks, off the fabric. "
                                         "Edit its VMs' vNICs.")
            elif host is not None:
                self.placeholder.setText(f"Host {name} is a VM-FEX host: its VIFs are "
                                         "switched by the fabric interconnect. Edit its VMs "
                                         "and port profiles.")
        elif kind:
            self.placeholder.setText(f"{name}: nothing to edit here.")
        widget = self.pages[page]
        self.setCurrentIndex(list(self.pages).index(page))
        return widget
