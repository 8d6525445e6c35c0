"""Bridge-domain editor: name, segment id, flood mode, multicast group; and the VSM's
segmentation feature switch, whose guard refuses `no feature segmentation` while any port
uses a VXLAN port profile (naming the ports)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from console.models import BridgeDomain, FloodMode, Owner
from console.models.changes import BridgeDomainEdit, Change, ChangeResult, VsmEdit
from console.models.derived import flood_group
from console.models.rules.openstack import READ_ONLY_MESSAGE

from . import fields as F
from .base import EditorBase, WrapLabel
from .commands import ChangeCommand, refusals
from .document import DocumentApi


class BridgeDomainEditor(EditorBase):
    title_text = "Bridge domain"

    def __init__(self, document: DocumentApi, parent: QWidget | None = None):
        super().__init__(document, parent, preview_format="nxos")
        self.name_edit = QLineEdit(self)
        self.segment_id = QLineEdit(self)
        self.segment_id.setPlaceholderText("4096 to 16000000")
        self.mode = QComboBox(self)
        for v in FloodMode:
            self.mode.addItem(v.value, v)
        self.group = QLineEdit(self)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Segment id", self.segment_id)
        self.form.addRow("Flood mode", self.mode)
        self.form.addRow("Multicast group", self.group)
        for edit in (self.name_edit, self.segment_id, self.group):
            edit.textEdited.connect(self.edited)
        self.segment_id.textEdited.connect(self._show_group_placeholder)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self._show_group_placeholder()

        self.segmentation = QCheckBox("Segmentation feature (feature segmentation)", self)
        self.segmentation_result = WrapLabel(self)
        self.body.addWidget(QLabel("<b>VSM</b>", self))
        self.body.addWidget(self.segmentation)
        self.body.addWidget(self.segmentation_result)
        self.segmentation.clicked.connect(self.toggle_segmentation)
        document.changed.connect(self._sync_segmentation)
        document.topologyReplaced.connect(lambda _t: self._sync_segmentation())
        self._sync_segmentation()
        self.open(None)

    def lookup(self, name: str):
        return self.doc.derived().index.bridge_domains.get(name)

    def read_only_reason(self, obj: BridgeDomain) -> str | None:
        if obj.owner is Owner.OPENSTACK:
            return f"bridge domain {obj.name} is " + READ_ONLY_MESSAGE
        return None

    def _mode_changed(self, *_args) -> None:
        self._enable_group(self.name is not None and not self.banner.isVisible())
        self._show_group_placeholder()
        self.edited()

    def set_fields_enabled(self, on: bool) -> None:
        super().set_fields_enabled(on)
        # opening a unicast-only bridge domain enables every field: not its group
        self._enable_group(on)

    def _enable_group(self, on: bool) -> None:
        self.group.setEnabled(on and FloodMode(self.mode.currentData()) is FloodMode.MULTICAST)

    def _show_group_placeholder(self, *_args) -> None:
        """Say what an empty group field gives: the group flood_group (the one the model
        and the export go by) assigns to this bridge domain without one, and no example
        address when that is none: an example read as a default nobody would assign."""
        mode = FloodMode(F.combo_value(self.mode))
        if mode is FloodMode.UNICAST_ONLY:
            self.group.setPlaceholderText("none: unicast-only replicates floods head-end")
            return
        try:
            seg = F.opt_int(self.segment_id, "segment_id") or 0
        except ValueError:
            seg = 0
        # Unvalidated on purpose: the fields may not be valid yet, and only mode, segment
        # id and the missing group can matter to the group it gets.
        empty = BridgeDomain.model_construct(name=F.text(self.name_edit), segment_id=seg,
                                             mode=mode, group=None)
        group = flood_group(empty)
        if group is not None:
            self.group.setPlaceholderText(f"{group} (assigned when left empty)")
        else:
            self.group.setPlaceholderText("none assigned: multicast needs one in 224.0.0.0/4")

    def load(self, bd: BridgeDomain) -> None:
        self.name_edit.setText(bd.name)
        self.segment_id.setText(str(bd.segment_id))
        F.set_combo(self.mode, bd.mode)
        self.group.setText("" if bd.group is None else str(bd.group))
        self._show_group_placeholder()

    def change(self) -> BridgeDomainEdit:
        # What the fields do not show (owner, canvas position) comes from the model as it is
        # now, not as it was at load: a drag on the canvas meanwhile must survive Apply.
        old = self.lookup(self.name) if self.name else None
        if old is None:
            raise ValueError(f"bridge domain {self.name} no longer exists")
        mode = FloodMode(F.combo_value(self.mode))
        seg = F.opt_int(self.segment_id, "segment_id")
        if seg is None:
            raise ValueError("segment_id: required (4096 to 16000000)")
        group = F.text(self.group) or None
        if mode is FloodMode.UNICAST_ONLY:
            group = None  # unicast-only replicates to each VTEP: no group
        bd = BridgeDomain.model_validate({**old.model_dump(), "name": F.text(self.name_edit),
                                          "segment_id": seg, "mode": mode, "group": group})
        return BridgeDomainEdit(bd, old_name=old.name if bd.name != old.name else None)

    def new_name(self, change: Change) -> str | None:
        if isinstance(change, BridgeDomainEdit):
            return change.bridge_domain.name
        return self.name

    def preview_path(self, topology) -> str:
        name = F.text(self.name_edit)
        for i, bd in enumerate(topology.bridge_domains):
            if bd.name == name:
                return f"bridge_domains[{i}]"
        return ""

    # ------------------------------------------------------------ segmentation
    def _sync_segmentation(self) -> None:
        self.segmentation.setChecked(self.doc.topology.vsm.segmentation)

    def toggle_segmentation(self, on: bool) -> ChangeResult:
        """Turn `feature segmentation` on or off, through its guard."""
        vsm = self.doc.topology.vsm.model_copy(update={"segmentation": on})
        change = VsmEdit(vsm)
        hard, _soft = refusals(self.doc.topology, change)
        if hard:
            result = ChangeResult(change, False, "; ".join(f.message for f in hard), hard)
            self.segmentation.setChecked(self.doc.topology.vsm.segmentation)
            self.segmentation_result.setText(
                f"<span style='color:#b3261e'>Refused: {result.message}</span>")
            return result
        if self.doc.backend is not None:
            import asyncio

            self.segmentation_result.setText("Sending to the backend…")
            self._task = asyncio.ensure_future(self._send(change))
            return ChangeResult(change, True, "sent")
        self.doc.push(ChangeCommand(self.doc.topology, change))
        message = "Segmentation enabled" if on else \
            "Segmentation disabled: every bridge domain was removed"
        self.segmentation_result.setText(f"<span style='color:#1e7b34'>{message}</span>")
        return ChangeResult(change, True, message)
