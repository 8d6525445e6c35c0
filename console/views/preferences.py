"""Preferences kept in QSettings: poll interval, history length, which graphs to show,
and the URI history of the Add connection dialog."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .graphs import GRAPHS

DEFAULT_GRAPHS = tuple(g.key for g in GRAPHS)  # graphs are ON by default (virt-manager #167)
MAX_URI_HISTORY = 10


@dataclass
class Preferences:
    poll_s: float = 1.0
    history_min: int = 10
    graphs: list[str] = field(default_factory=lambda: list(DEFAULT_GRAPHS))

    @property
    def history_s(self) -> float:
        return self.history_min * 60.0

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        prefs = cls()
        # QSettings gives back whatever the file holds (a str from an INI file).
        poll_s: Any = settings.value("stats/poll_s", prefs.poll_s)
        history_min: Any = settings.value("stats/history_min", prefs.history_min)
        try:
            prefs.poll_s = min(60.0, max(0.1, float(poll_s)))
            prefs.history_min = min(240, max(1, int(history_min)))
        except (TypeError, ValueError):
            pass  # a hand-edited settings file with junk: keep the defaults
        graphs = settings.value("stats/graphs", None)
        if isinstance(graphs, str):
            graphs = [g for g in graphs.split(",") if g]
        if isinstance(graphs, list):
            prefs.graphs = [g for g in graphs if g in DEFAULT_GRAPHS]
        return prefs

    def save(self, settings: QSettings) -> None:
        settings.setValue("stats/poll_s", self.poll_s)
        settings.setValue("stats/history_min", self.history_min)
        settings.setValue("stats/graphs", ",".join(self.graphs))
        settings.sync()


def uri_history(settings: QSettings) -> list[str]:
    value = settings.value("connections/history", "")
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [v for v in str(value or "").split("\n") if v]


def remember_uri(settings: QSettings, uri: str) -> None:
    items = [uri] + [u for u in uri_history(settings) if u != uri]
    settings.setValue("connections/history", "\n".join(items[:MAX_URI_HISTORY]))
    settings.sync()


class PreferencesDialog(QDialog):
    """Edits a copy of the preferences; `applied` carries the new ones on OK."""

    applied = Signal(object)

    def __init__(self, prefs: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        layout = QVBoxLayout(self)
        stats = QGroupBox("Statistics")
        form = QFormLayout(stats)
        self.poll = QDoubleSpinBox()
        self.poll.setRange(0.1, 60.0)
        self.poll.setSingleStep(0.5)
        self.poll.setDecimals(1)
        self.poll.setSuffix(" s")
        self.poll.setValue(prefs.poll_s)
        form.addRow("Poll interval:", self.poll)
        self.history = QSpinBox()
        self.history.setRange(1, 240)
        self.history.setSuffix(" min")
        self.history.setValue(prefs.history_min)
        form.addRow("History length:", self.history)
        layout.addWidget(stats)
        graphs = QGroupBox("Graphs")
        gl = QVBoxLayout(graphs)
        self.graph_boxes: dict[str, QCheckBox] = {}
        for spec in GRAPHS:
            who = {"vif": "VIF", "bd": "bridge domain", "vem": "VEM"}[spec.kind]
            box = QCheckBox(f"{spec.title} ({who})")
            box.setChecked(spec.key in prefs.graphs)
            self.graph_boxes[spec.key] = box
            gl.addWidget(box)
        layout.addWidget(graphs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.accepted.connect(lambda: self.applied.emit(self.value()))

    def value(self) -> Preferences:
        return Preferences(
            poll_s=round(self.poll.value(), 1),
            history_min=self.history.value(),
            graphs=[k for k, box in self.graph_boxes.items() if box.isChecked()],
        )
