"""VM NIC editor: attach mode, PF, MAC, MTU and the port profile (or network and policy
profile), with the domain's limits shown as you type: free VFs on the PF, the netlink
limit, MacVTap private against the UCS Manager release."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

from console.models import AttachMode, Switching, Vnic
from console.models.changes import NicDetach, NicUpdate
from console.models.rules.openstack import READ_ONLY_MESSAGE

from . import fields as F
from .base import EditorBase, WrapLabel
from .commands import ChangeCommand, refusals
from .document import DocumentApi

ATTACH_HELP = {
    AttachMode.MACVTAP_PRIVATE: "MacVTap direct (private): one VIC port per VM; live "
                                "migration; refused from UCS Manager 2.1",
    AttachMode.MACVTAP_PASSTHROUGH: "SR-IOV with MacVTap (emulation): one VF per vNIC; live "
                                    "migration",
    AttachMode.HOSTDEV: "SR-IOV passthrough: enic in the guest on a VF; no live migration",
    AttachMode.VETH: "Nexus 1000V VEM vEthernet port",
}


class VnicEditor(EditorBase):
    """Edits one vNIC, named 'vm/nic'."""

    title_text = "vNIC"

    def __init__(self, document: DocumentApi, parent: QWidget | None = None):
        super().__init__(document, parent, preview_format="libvirt")
        self.attach = QComboBox(self)
        for mode in AttachMode:
            self.attach.addItem(mode.value, mode)
            self.attach.setItemData(self.attach.count() - 1, ATTACH_HELP[mode],
                                    Qt.ItemDataRole.ToolTipRole)
        self.pf = QComboBox(self)
        self.mac = QLineEdit(self)
        self.mtu = QLineEdit(self)
        self.profile = QComboBox(self)
        self.network = QComboBox(self)
        self.policy = QComboBox(self)
        self.limits = WrapLabel(self)
        self.limits.setStyleSheet("color: #333; background: #eef3fb; padding: 4px;")
        self.form.addRow("Attach mode", self.attach)
        self.form.addRow("Physical function", self.pf)
        self.form.addRow("MAC address", self.mac)
        self.form.addRow("MTU", self.mtu)
        self.form.addRow("Port profile", self.profile)
        self.form.addRow("or network", self.network)
        self.form.addRow("with policy profile", self.policy)
        self.body.addWidget(self.limits)
        self.detach_button = QPushButton("Detach this vNIC", self)
        self.detach_button.clicked.connect(self.detach)
        self.body.addWidget(self.detach_button)
        for edit in (self.mac, self.mtu):
            edit.textEdited.connect(self.edited)
        for combo in (self.attach, self.pf, self.profile, self.network, self.policy):
            combo.currentIndexChanged.connect(self.edited)
        self.open(None)

    def _split(self, name: str) -> tuple[str, str]:
        vm, _, nic = name.partition("/")
        return vm, nic

    def lookup(self, name: str):
        vif = self.doc.derived().index.vifs.get(name)
        return vif.nic if vif is not None else None

    def read_only_reason(self, nic: Vnic) -> str | None:
        if nic.network is not None:
            return (f"vNIC {self.name} is an OpenStack port on network {nic.network}, "
                    + READ_ONLY_MESSAGE)
        return None

    def load(self, nic: Vnic) -> None:
        self._original = nic
        topo = self.doc.topology
        vm_name, _ = self._split(self.editing())
        vm = self.doc.derived().index.vms[vm_name]
        host = self.doc.derived().index.hosts.get(vm.host)
        pfs = [pf.name for pf in host.vic.pfs] if host and host.vic else []
        F.fill_combo(self.pf, [("(none / automatic)", None)] + [(p, p) for p in pfs])
        F.fill_combo(self.profile, [("(none)", None)]
                     + [(p.name, p.name) for p in topo.port_profiles])
        F.fill_combo(self.network, [("(none)", None)] + [(n.name, n.name) for n in topo.networks])
        F.fill_combo(self.policy, [("(none)", None)]
                     + [(p.name, p.name) for p in topo.policy_profiles])
        F.set_combo(self.attach, nic.attach)
        F.set_combo(self.pf, nic.pf)
        self.mac.setText(nic.mac)
        self.mtu.setText(str(nic.mtu))
        F.set_combo(self.profile, nic.port_profile)
        F.set_combo(self.network, nic.network)
        F.set_combo(self.policy, nic.policy_profile)

    def change(self) -> NicUpdate:
        vm, _ = self._split(self.editing())
        attach = AttachMode(F.combo_value(self.attach))
        data = {**self._original.model_dump(), "attach": attach,
                "pf": F.combo_value(self.pf) if (attach.uses_vf or
                                                 attach is AttachMode.MACVTAP_PRIVATE) else None,
                "mac": F.text(self.mac), "mtu": F.opt_int(self.mtu, "mtu"),
                "port_profile": F.combo_value(self.profile),
                "network": F.combo_value(self.network),
                "policy_profile": F.combo_value(self.policy)}
        if data["mtu"] is None:
            raise ValueError("mtu: required")
        return NicUpdate(vm, Vnic.model_validate(data))

    def edited(self, *args) -> None:
        super().edited(*args)
        if not self._loading and self.name is not None:
            self._show_limits()

    def _show_limits(self) -> None:
        """The limits of the domain rules for the mode and PF chosen, as you type."""
        attach = AttachMode(F.combo_value(self.attach))
        vm_name, nic_name = self._split(self.editing())
        derived = self.doc.derived()
        vm = derived.index.vms.get(vm_name)
        host = derived.index.hosts.get(vm.host) if vm else None
        ucs = self.doc.topology.ucs
        lines = [ATTACH_HELP[attach]]
        self.pf.setEnabled(attach is not AttachMode.VETH and not self.banner.isVisible())
        if host is not None and attach.is_vmfex and host.switching is Switching.VEM:
            lines.append(f"✖ {host.name} is a VEM host: VM-FEX modes need a VIC")
        if host is not None and attach is AttachMode.VETH and host.switching is Switching.VMFEX:
            lines.append(f"✖ {host.name} is a VM-FEX host: veth needs a VEM")
        if attach is AttachMode.MACVTAP_PRIVATE and ucs.release_tuple >= (2, 1):
            lines.append(f"✖ MacVTap private is refused by UCS Manager {ucs.release} "
                         "(2.1 or later)")
        if attach.uses_vf and host is not None:
            pf = F.combo_value(self.pf)
            pools = [p for (h, name), p in derived.vf_pools.items()
                     if h == host.name and (pf is None or name == pf)]
            vif = f"{vm_name}/{nic_name}"
            for pool in pools:
                mine = vif in pool.holders
                free = pool.free + (1 if mine else 0)
                mark = "✔" if free > 0 else "✖"
                lines.append(f"{mark} PF {pool.pf}: {free} of {pool.usable} usable VFs free "
                             f"({pool.vfs} VFs, netlink limit {pool.netlink_limit} per PF)")
            if not pools:
                lines.append(f"✖ {host.name} has no SR-IOV PF for a VF")
        if attach is AttachMode.HOSTDEV:
            lines.append("This VM cannot live-migrate while this vNIC is hostdev")
        self.limits.setText("\n".join(lines))

    def limit_text(self) -> str:
        return self.limits.text()

    def preview_path(self, topology) -> str:
        vm_name, _ = self._split(self.name or "")
        for i, vm in enumerate(topology.vms):
            if vm.name == vm_name:
                return f"vms[{i}]"
        return ""

    def set_fields_enabled(self, on: bool) -> None:
        super().set_fields_enabled(on)
        # No vNIC (a VM without one, or the vNIC went) or an OpenStack port: nothing to
        # detach (the button stayed enabled and raised on None before).
        self.detach_button.setEnabled(on)

    def detach(self) -> None:
        if self.name is None:
            return
        vm, nic = self._split(self.name)
        change = NicDetach(vm, nic)
        hard, _ = refusals(self.doc.topology, change)
        if hard:
            self.result.setText("Refused: " + "; ".join(f.message for f in hard))
            return
        self.doc.push(ChangeCommand(self.doc.topology, change))
