"""Trace a frame… : `fabric-console trace` for one vNIC, from the canvas or the tree.

Asks for the destination (a vNIC, a MAC or broadcast), the size, IP and DF, and the
simulated second to send it at; lists the steps and decisions the fabric took with the
verdict, and draws the path on the canvas (console/views/canvas/highlight.py).

The trace runs on the document's CURRENT topology (asked for when Trace is pressed, so an
edit made since the dialog opened is traced), off the GUI thread on the window's asyncio
loop (console/backends/tracing.py runs it in a worker). For a live emulated connection it
traces the file's semantics at `at` seconds, not the running fabric's L2 state: no backend
exports that state today.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.backends.tracing import Trace, TraceError, trace_frame
from console.models.topology import Topology

DROP = QColor("#c0392b")
DELIVER = QColor("#2e7d32")


class TraceDialog(QDialog):
    """One vNIC's frames traced; each trace replaces the previous one on the canvas."""

    traced = Signal(object)  # the Trace, once shown
    failed = Signal(str)  # FROM or TO names nothing (the message)

    def __init__(self, topology: Callable[[], Topology], vm: str,
                 highlight: Any | None = None, parent: QWidget | None = None,
                 nic: str | None = None):
        super().__init__(parent)
        self.topology = topology
        self.highlight = highlight  # canvas.highlight.TraceHighlight, or None (no canvas)
        self.last_trace: Trace | None = None
        self._task: asyncio.Task[None] | None = None
        self.setWindowTitle(f"Trace a frame from {vm}")
        self.resize(760, 520)
        topo = topology()
        vm_obj = next((v for v in topo.vms if v.name == vm), None)
        nics = [f"{vm}/{n.name}" for n in vm_obj.nics] if vm_obj is not None else []

        self.source = QComboBox()
        self.source.addItems(nics)
        if nic in nics:  # opened on one vNIC (the tree's VIF row)
            self.source.setCurrentText(nic)
        self.to = QComboBox()
        self.to.setEditable(True)  # a MAC address may be typed
        self.to.addItem("broadcast")
        self.to.addItems([f"{v.name}/{n.name}" for v in topo.vms for n in v.nics
                          if v.name != vm])
        self.to.setToolTip("a vNIC (vm/nic), a MAC address, or broadcast")
        self.frame_size = QSpinBox()
        self.frame_size.setRange(28, 65535)  # an L3 length, as `trace --size`
        self.frame_size.setValue(64)
        self.frame_size.setSuffix(" bytes")
        self.ip = QCheckBox("IP (may be fragmented)")
        self.df = QCheckBox("don't fragment (DF)")
        self.df.toggled.connect(self._df_toggled)
        self.ip.toggled.connect(self._ip_toggled)
        self.at = QDoubleSpinBox()
        self.at.setRange(0, 10**7)
        self.at.setDecimals(3)
        self.at.setSuffix(" s")
        self.at.setToolTip("send it after the file's traffic has run this long (0: empty "
                           "L2 tables)")

        form = QFormLayout()
        form.addRow("From", self.source)
        form.addRow("To", self.to)
        form.addRow("Size", self.frame_size)
        form.addRow("", self.ip)
        form.addRow("", self.df)
        form.addRow("At", self.at)

        self.steps = QTreeWidget()
        self.steps.setHeaderLabels(["#", "where", "step"])
        self.steps.setRootIsDecorated(False)
        self.steps.setWordWrap(True)
        self.steps.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.trace_button = QPushButton("Trace")
        self.trace_button.setDefault(True)
        buttons.addButton(self.trace_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.trace_button.clicked.connect(self.start)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(buttons)

    def _df_toggled(self, on: bool) -> None:
        if on:  # DF is an IP header bit
            self.ip.setChecked(True)

    def _ip_toggled(self, on: bool) -> None:
        if not on:
            self.df.setChecked(False)

    # ---------------------------------------------------------------- running
    def start(self) -> asyncio.Task[None]:
        """Trace with the fields as they are; the task is also kept on the dialog."""
        if self._task is not None and not self._task.done():
            self._task.cancel()  # only the newest question matters
        self._task = asyncio.get_event_loop().create_task(self.run())
        return self._task

    async def run(self) -> None:
        self.trace_button.setEnabled(False)
        self.verdict.setText("tracing…")
        try:
            result = await trace_frame(
                self.topology(), self.source.currentText(), self.to.currentText().strip(),
                size=self.frame_size.value(), ip=self.ip.isChecked(), df=self.df.isChecked(),
                at=self.at.value())
        except TraceError as exc:
            self.verdict.setText(f"<b>Cannot trace:</b> {exc}")
            self.failed.emit(str(exc))
            return
        finally:
            self.trace_button.setEnabled(True)
        self.show_trace(result)

    def show_trace(self, result: Trace) -> None:
        self.last_trace = result
        self.steps.clear()
        for n, s in enumerate(result.steps, 1):
            item = QTreeWidgetItem([str(n), s.where, s.text])
            item.setToolTip(2, s.text)
            if s.kind == "drop":
                for c in range(3):
                    item.setForeground(c, DROP)
            elif s.kind == "deliver":
                item.setForeground(2, DELIVER)
            self.steps.addTopLevelItem(item)
        self.steps.resizeColumnToContents(0)
        self.steps.resizeColumnToContents(1)
        head = "reached" if result.reached else "NOT reached"
        self.verdict.setText(f"<b>{head}</b>: {result.verdict()}")
        if self.highlight is not None:
            self.highlight.show(result)
        self.traced.emit(result)

    def done(self, code: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        super().done(code)


def open_trace_dialog(topology: Callable[[], Topology], vm: str, scene: Any | None = None,
                      parent: QWidget | None = None, nic: str | None = None) -> TraceDialog:
    """The dialog for a VM (`nic`, "vm/nic", preselects one of its vNICs), drawing on
    `scene` (a canvas TopologyScene) when given; shown non-modal so the canvas stays
    usable while it is open."""
    highlight = None
    if scene is not None:
        from console.views.canvas.highlight import highlight_of

        highlight = highlight_of(scene)
    dialog = TraceDialog(topology, vm, highlight, parent, nic)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
