"""Preview of the selected object as libvirt XML, NX-OS or UCS Manager text, following
the edits in an editor: the export formats of console.export.FORMATS, in their order."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from console.export import FORMATS, load_format
from console.models import Topology


def render(fmt: str, topology: Topology, path: str) -> str:
    """The text of one object in one format, or a one-line reason it cannot be shown."""
    try:
        return load_format(fmt).render_object(topology, path, None)
    except (ValueError, KeyError, LookupError) as exc:
        return f"# {exc}"


class PreviewWidget(QWidget):
    def __init__(self, parent=None, fmt: str = "nxos"):
        super().__init__(parent)
        self.combo = QComboBox(self)
        for key, export_format in FORMATS.items():
            self.combo.addItem(export_format.label, key)
        self.combo.setCurrentIndex(max(0, list(FORMATS).index(fmt)))
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMinimumHeight(90)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preview:", self))
        top.addWidget(self.combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        self._topology: Topology | None = None
        self._path = ""
        self.combo.currentIndexChanged.connect(lambda _i: self._render())

    @property
    def format(self) -> str:
        return self.combo.currentData()

    def set_format(self, fmt: str) -> None:
        self.combo.setCurrentIndex(list(FORMATS).index(fmt))

    def show_object(self, topology: Topology | None, path: str) -> None:
        self._topology, self._path = topology, path
        self._render()

    def _render(self) -> None:
        if self._topology is None or not self._path:
            self.text.setPlainText("")
            return
        text = render(self.format, self._topology, self._path)
        if text != self.text.toPlainText():
            self.text.setPlainText(text)
