"""What every object editor shares: validation as you type, Apply (one undo command, then
the change sent live to the connected backend, off the GUI thread), Revert, a read-only
state with its reason, the result of the last apply, and a preview."""

from __future__ import annotations

import asyncio

from pydantic import ValidationError
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.models.changes import Change, ChangeResult
from console.models.findings import Finding, Severity
from console.models.rules.apply import applied_copy
from console.models.topofile import format_path
from console.models.types import error_text

from .commands import ChangeCommand, refusals
from .document import DocumentApi
from .preview import PreviewWidget


def validation_messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        where = format_path(err["loc"])
        msg = error_text(err)
        out.append(f"{where}: {msg}" if where else msg)
    return out


class EditorBase(QWidget):
    """Subclasses build their fields in `self.form`, and implement load(), change()
    (the Change for the fields, raising ValidationError or ValueError when they are not
    valid), and preview_path()."""

    applied = Signal(object)  # ChangeResult
    title_text = "Editor"

    def __init__(self, document: DocumentApi, parent=None, preview_format: str = "nxos"):
        super().__init__(parent)
        self.doc = document
        self.name: str | None = None
        self._loading = False
        self._touched = False  # the fields hold an edit the user has not applied
        self._result_fresh = False  # the result label belongs to the latest model change
        self._shown: tuple[list[str], list[Finding]] = ([], [])
        self._task: asyncio.Task | None = None
        self.last_result: ChangeResult | None = None

        self.header = QLabel(self)
        self.header.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.banner = WrapLabel(self)
        self.banner.setStyleSheet("background: #fff4d6; border: 1px solid #e0c06a; "
                                  "padding: 4px; border-radius: 3px;")
        self.banner.hide()
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Labels go above their fields when the dock is narrow, instead of cutting
        # fields off at the window's edge.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.messages = WrapLabel(self)
        self.messages.setTextFormat(Qt.TextFormat.RichText)
        self.result = WrapLabel(self)
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setDefault(True)
        self.revert_button = QPushButton("Revert", self)
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        self.preview = PreviewWidget(self, preview_format)
        for label in (self.banner, self.messages, self.result):
            no_shrink(label)

        self.body = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addLayout(self.form)
        layout.addLayout(self.body)
        layout.addWidget(self.messages)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(self.preview, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)  # rules run over the whole topology: not per key
        self._timer.timeout.connect(self._check_rules)
        document.changed.connect(self._document_changed)
        document.topologyReplaced.connect(lambda _t: self.open(None))

    # ------------------------------------------------------------ subclass API
    def load(self, obj) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def change(self) -> Change:  # pragma: no cover - abstract
        raise NotImplementedError

    def lookup(self, name: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def preview_path(self, topology) -> str:
        return ""

    def editing(self) -> str:
        """The name of the object being edited, for change(): ValueError (which change()
        may raise) when there is none."""
        if self.name is None:
            raise ValueError("nothing is being edited")
        return self.name

    def read_only_reason(self, obj) -> str | None:
        return None

    # ----------------------------------------------------------------- editing
    def open(self, name: str | None) -> None:
        """Edit the named object (None: nothing)."""
        self.result.clear()
        self._load(name)

    def _load(self, name: str | None) -> None:
        """Fill the fields from the model's current state of the object. The fields are
        then the user's edit in progress: `_touched` says whether the user has changed
        them since, so a change of the model (undo, redo, a live event, another view)
        reloads them unless it would throw away what the user is typing."""
        self.name = name
        obj = self.lookup(name) if name else None
        self._loading = True
        try:
            if obj is not None:
                self.load(obj)
        finally:
            self._loading = False
        reason = self.read_only_reason(obj) if obj is not None else None
        self.banner.setVisible(reason is not None)
        self.banner.setText(f"Read-only: {reason}" if reason else "")
        self.set_fields_enabled(obj is not None and reason is None)
        self.revert_button.setEnabled(obj is not None)
        self.header.setText(f"{self.title_text} {name}" if name else self.title_text)
        self.edited()
        self._touched = False

    def set_fields_enabled(self, on: bool) -> None:
        for i in range(self.form.rowCount()):
            item = self.form.itemAt(i, QFormLayout.ItemRole.FieldRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setEnabled(on)
        self.apply_button.setEnabled(on)

    def _document_changed(self) -> None:
        # The model changed (undo, redo, the canvas, the fabric): show the object's new
        # state, unless the user has typed an edit here that is not applied yet.
        if self.name is None:
            return
        obj = self.lookup(self.name)
        if obj is None:
            self.open(None)
        elif not self._touched or not self.is_modified():
            if not self._result_fresh:
                self.result.clear()  # an undo or another change: the last result is old
            self._result_fresh = False
            self._load(self.name)
        else:
            self.edited()

    @property
    def checking(self) -> bool:
        """The rules' check of the fields is still due (it runs shortly after typing)."""
        return self._timer.isActive()

    def is_modified(self) -> bool:
        try:
            change = self.change()
        except (ValidationError, ValueError):
            return True
        return self.is_noop(change) is False

    def is_noop(self, change: Change) -> bool:
        try:
            return applied_copy(self.doc.topology, change) == self.doc.topology
        except ValueError:
            return False

    def edited(self, *_args) -> None:
        """A field changed: validate now, rules soon, preview."""
        if self._loading or self.name is None:
            return
        self._touched = True
        try:
            change = self.change()
        except ValidationError as exc:
            self.show_messages(validation_messages(exc), [])
            self.apply_button.setEnabled(False)
            return
        except ValueError as exc:
            self.show_messages([str(exc)], [])
            self.apply_button.setEnabled(False)
            return
        self.apply_button.setEnabled(not self.banner.isVisible())
        self.show_messages([], [])
        self._timer.start()
        try:
            scratch = applied_copy(self.doc.topology, change)
        except ValueError:
            scratch = None
        self.preview.show_object(scratch, self.preview_path(scratch) if scratch else "")

    def _check_rules(self) -> None:
        if self.name is None:  # the object went (another document, a delete) meanwhile
            return
        try:
            change = self.change()
        except (ValidationError, ValueError):
            return
        hard, soft = refusals(self.doc.topology, change)
        self.show_messages([], hard + soft)
        self.apply_button.setEnabled(not hard and not self.banner.isVisible())

    def show_messages(self, errors: list[str], findings: list[Finding]) -> None:
        self._shown = (list(errors), list(findings))
        lines = [f"<span style='color:#b3261e'>✖ {_esc(e)}</span>" for e in errors]
        for f in findings:
            colour = "#b3261e" if f.severity is Severity.ERROR else "#9a6700"
            lines.append(f"<span style='color:{colour}'>⚠ {_esc(f.message)} "
                         f"<i>[{f.rule}]</i></span>")
        self.messages.setText("<br>".join(lines))
        self.messages.setVisible(bool(lines))

    def revert(self) -> None:
        self.open(self.name)

    # ------------------------------------------------------------------- apply
    def apply(self) -> ChangeResult | None:
        """Put the change in the model (one undo step) and send it to the backend.

        Returns the result when there is no backend (the model is the target)."""
        try:
            change = self.change()
        except ValidationError as exc:  # in the console's words, as the form shows them
            self.result.setText("Not applied: " + "; ".join(validation_messages(exc)))
            return None
        except ValueError as exc:
            self.result.setText(f"Not applied: {exc}")
            return None
        hard, soft = refusals(self.doc.topology, change)
        if hard:
            result = ChangeResult(change, False, "; ".join(f.message for f in hard), hard)
            self._show_result(result)
            return result
        if self.doc.backend is None:
            self.name = self.new_name(change)
            self.doc.push(ChangeCommand(self.doc.topology, change))
            note = f" ({len(soft)} new finding{'s' if len(soft) > 1 else ''})" if soft else ""
            result = ChangeResult(change, True, f"Applied to the topology{note}", soft)
            self._show_result(result)
            return result
        self.result.setText("Sending to the backend…")
        self._task = asyncio.ensure_future(self._send(change))
        return None

    def new_name(self, change: Change) -> str | None:
        return self.name

    async def _send(self, change: Change) -> None:
        backend = self.doc.backend
        try:
            if backend is None:  # as a dropped connection: reported, never raised
                raise RuntimeError("not connected")
            result = await backend.apply(change)
        except Exception as exc:  # a dropped connection must not kill the GUI
            result = ChangeResult(change, False, f"The backend failed: {exc}")
        if result.applied:
            # The model follows what the fabric accepted (one undo step); a refusal
            # leaves both untouched.
            try:
                command = ChangeCommand(self.doc.topology, change, live=backend,
                                        on_live=self.doc.liveResult.emit)
            except ValueError as exc:
                result = ChangeResult(change, True, f"Applied live, but the topology here "
                                      f"has changed meanwhile: {exc}")
            else:
                self.name = self.new_name(change)
                self.doc.push(command)
        self._show_result(result)

    def _show_result(self, result: ChangeResult) -> None:
        self.last_result = result
        if result.applied:
            self._touched = False  # the fields now show the model's state
            self._result_fresh = True  # the model change this apply makes keeps it
        else:
            # A refusal says its reasons once: not also in the messages above.
            errors, findings = self._shown
            stated = {(f.rule, f.message) for f in result.findings}
            self.show_messages(errors, [f for f in findings
                                        if (f.rule, f.message) not in stated])
        colour = "#1e7b34" if result.applied else "#b3261e"
        verb = "Applied" if result.applied else "Refused"
        message = result.message.strip()
        if message.lower().rstrip(".") in ("", "applied", "ok", "refused"):
            message = result.change.describe()  # a backend's bare "applied" says nothing
        text = message if message.startswith(("Applied", "Refused")) \
            else f"{verb}: {message}"
        extra = "".join(f"<br>• {_esc(f.message)}" for f in result.findings
                        if f.message not in result.message)
        self.result.setText(f"<span style='color:{colour}'>{_esc(text)}</span>{extra}")
        self.applied.emit(result)


class WrapLabel(QLabel):
    """A word-wrapped label that keeps the height its text needs at its width (a plain
    wrapped QLabel in a box layout gets squeezed by an expanding neighbour)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        width = self.width() if self.width() > 80 else 360
        return QSize(hint.width(), max(hint.height(), self.heightForWidth(width)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.updateGeometry()  # the height it needs depends on the new width


def no_shrink(label: QLabel) -> QLabel:
    """Word-wrapped labels keep their full height (the preview gives way instead)."""
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
