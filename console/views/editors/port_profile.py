"""Port-profile editor: every field, validation as you type, the VIFs that use it."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QWidget

from console.models import HostIo, MacForging, Owner, PortProfile
from console.models.changes import Change, PortProfileEdit
from console.models.rules.openstack import READ_ONLY_MESSAGE

from . import fields as F
from .base import EditorBase
from .document import DocumentApi


class PortProfileEditor(EditorBase):
    title_text = "Port profile"

    def __init__(self, document: DocumentApi, parent: QWidget | None = None):
        super().__init__(document, parent, preview_format="ucsm")
        self.name_edit = QLineEdit(self)
        self.clients = QLineEdit(self)
        self.clients.setPlaceholderText("clusters, e.g. default")
        self.vlans = QLineEdit(self)
        self.vlans.setPlaceholderText("e.g. 100, 200-210")
        self.native_vlan = QLineEdit(self)
        self.native_vlan.setPlaceholderText("none")
        self.qos = QLineEdit(self)
        self.qos.setPlaceholderText("no rate limit")
        self.max_ports = QLineEdit(self)
        self.max_ports.setPlaceholderText("no limit")
        self.host_io = QComboBox(self)
        for io in HostIo:
            self.host_io.addItem(io.value, io)
        self.mac_forging = QComboBox(self)
        for forging in MacForging:
            self.mac_forging.addItem(forging.value, forging)
        self.bridge_domain = QComboBox(self)
        self.description = QLineEdit(self)
        self.vifs = QListWidget(self)
        self.vifs.setMaximumHeight(90)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Clients (clusters)", self.clients)
        self.form.addRow("VLANs", self.vlans)
        self.form.addRow("Native VLAN", self.native_vlan)
        self.form.addRow("QoS rate (Mbit/s)", self.qos)
        self.form.addRow("Max ports", self.max_ports)
        self.form.addRow("Host network IO", self.host_io)
        self.form.addRow("MAC forging", self.mac_forging)
        self.form.addRow("Bridge domain (VXLAN)", self.bridge_domain)
        self.form.addRow("Description", self.description)
        self.vifs_label = QLabel("VIFs using this profile", self)
        self.vifs_label.setWordWrap(True)
        self.body.addWidget(self.vifs_label)
        self.body.addWidget(self.vifs)
        for edit in (self.name_edit, self.clients, self.vlans, self.native_vlan, self.qos,
                     self.max_ports, self.description):
            edit.textEdited.connect(self.edited)
        for combo in (self.host_io, self.mac_forging, self.bridge_domain):
            combo.currentIndexChanged.connect(self.edited)
        self.open(None)

    def lookup(self, name: str):
        return self.doc.derived().all_profiles.get(name)

    def read_only_reason(self, obj: PortProfile) -> str | None:
        dynamic = obj.name not in self.doc.derived().index.port_profiles
        if dynamic:
            what = obj.description or "a policy profile on a network"
            return f"{obj.name} is a dynamic port profile ({what}); it is " + READ_ONLY_MESSAGE
        if obj.owner is Owner.OPENSTACK:
            return f"port profile {obj.name} is " + READ_ONLY_MESSAGE
        return None

    def load(self, p: PortProfile) -> None:
        self._original = p
        F.fill_combo(self.bridge_domain, [("(none: VLAN profile)", None)]
                     + [(bd.name, bd.name) for bd in self.doc.topology.bridge_domains])
        self.name_edit.setText(p.name)
        self.clients.setText(", ".join(p.clients))
        self.vlans.setText(F.show_int_list(p.vlans))
        self.native_vlan.setText("" if p.native_vlan is None else str(p.native_vlan))
        self.qos.setText("" if p.qos is None else f"{p.qos.rate_mbps:g}")
        self.max_ports.setText("" if p.max_ports is None else str(p.max_ports))
        F.set_combo(self.host_io, p.host_io)
        F.set_combo(self.mac_forging, p.mac_forging)
        F.set_combo(self.bridge_domain, p.bridge_domain)
        self.description.setText(p.description)
        vifs = [v.id for v in self.doc.derived().vifs_using(p.name)]
        self.vifs.clear()
        self.vifs.addItems(vifs or ["(none)"])
        self.vifs_label.setText(f"VIFs using this profile ({len(vifs)}); an applied change "
                                "reaches all of them at once")

    def change(self) -> PortProfileEdit:
        old = self._original
        rate = F.opt_float(self.qos, "qos.rate_mbps")
        qos = None
        if rate is not None:
            qos = {"rate_mbps": rate, "burst_kb": old.qos.burst_kb if old.qos else 64}
        data = {
            **old.model_dump(),
            "name": F.text(self.name_edit),
            "clients": F.names(self.clients),
            "vlans": F.int_list(self.vlans, "vlans"),
            "native_vlan": F.opt_int(self.native_vlan, "native_vlan"),
            "qos": qos,
            "max_ports": F.opt_int(self.max_ports, "max_ports"),
            "host_io": F.combo_value(self.host_io),
            "mac_forging": F.combo_value(self.mac_forging),
            "bridge_domain": F.combo_value(self.bridge_domain),
            "description": self.description.text(),
        }
        profile = PortProfile.model_validate(data)
        renamed = profile.name != old.name
        return PortProfileEdit(profile, old_name=old.name if renamed else None)

    def new_name(self, change: Change) -> str | None:
        return change.profile.name if isinstance(change, PortProfileEdit) else self.name

    def preview_path(self, topology) -> str:
        name = F.text(self.name_edit)
        for i, p in enumerate(topology.port_profiles):
            if p.name == name:
                return f"port_profiles[{i}]"
        return ""
