"""File > Add connection…: a URI with a history of the ones used before."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

EXAMPLES = ("emulated:///demo", "netns:///demo", "test:///default", "qemu:///system")


class AddConnectionDialog(QDialog):
    """Emits `chosen(uri)` on OK. Opened with open(), never exec() (PATTERNS.md, qasync)."""

    chosen = Signal(str)

    def __init__(self, history: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add connection")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.uri = QComboBox()
        self.uri.setEditable(True)
        self.uri.setMinimumWidth(380)
        for uri in [*history, *(e for e in EXAMPLES if e not in history)]:
            self.uri.addItem(uri)
        form.addRow("URI:", self.uri)
        layout.addLayout(form)
        hint = QLabel("emulated:///demo, emulated:///path/to/topology.yaml,\n"
                      "netns:///path/to/topology.yaml (a kernel lab; needs root),\n"
                      "or a libvirt URI: test:///default, qemu:///system, "
                      "qemu+ssh://host/system")
        hint.setStyleSheet("color: #555")
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.accepted.connect(self._emit)

    def _emit(self) -> None:
        uri = self.uri.currentText().strip()
        if uri:
            self.chosen.emit(uri)
