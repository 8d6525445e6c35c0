"""The workspace: which topology document the canvas and the editors show.

Every open connection owns one Document (its fabric's topology, its undo history); an
offline Document holds a drawing without a connection (File > New, a file opened for
editing). The canvas and editors are built once, on the Workspace, which offers the
Document API and relays the signals of the document that is current. Switching document
is one `topologyReplaced`: the views re-read everything from the new model, so nothing
keeps a value of the previous one. One QUndoGroup makes Edit > Undo act on the current
document's stack.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

from console.backends.base import Backend
from console.models import Topology
from console.models.derived import Derived

from .editors.document import APP_TITLE, Document

# Signals of a Document that the workspace passes on while that document is current.
_RELAYED = ("titleChanged", "changed", "pathChanged", "recentChanged", "liveResult",
            "topologyReplaced")


class Workspace(QObject):
    """The current Document, seen through one object that does not change."""

    titleChanged = Signal(str)
    topologyReplaced = Signal(object)  # another model to show: New, Open, or a switch
    changed = Signal()
    pathChanged = Signal(str)
    recentChanged = Signal(list)
    liveResult = Signal(object)
    documentChanged = Signal(object)  # the new current Document

    def __init__(self, offline: Document | None = None, settings: QSettings | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.group = QUndoGroup(self)
        self.offline = offline if offline is not None else \
            Document(settings=settings, parent=self)
        self.document: Document = self.offline
        self._relays: list[tuple[Any, Callable[..., None]]] = []
        self._attach(self.offline)

    # --------------------------------------------------------------- switching
    def set_document(self, doc: Document) -> None:
        """Show `doc` on the canvas and in the editors (a no-op when it already is)."""
        if doc is self.document:
            return
        self._detach()
        self.document = doc
        self._attach(doc)
        self.topologyReplaced.emit(doc.topology)
        self.titleChanged.emit(self.title)
        self.pathChanged.emit(str(doc.path) if doc.path else "")
        self.changed.emit()
        self.documentChanged.emit(doc)

    def forget(self, doc: Document) -> None:
        """A connection closed: its document goes; the offline drawing takes its place."""
        if doc is self.document:
            self.set_document(self.offline)

    def _attach(self, doc: Document) -> None:
        if doc.stack not in self.group.stacks():
            self.group.addStack(doc.stack)
        self.group.setActiveStack(doc.stack)
        for name in _RELAYED:
            # Signal to signal: Qt drops the link when either side goes.
            source, target = getattr(doc, name), getattr(self, name)
            source.connect(target)
            self._relays.append((source, target))

    def _detach(self) -> None:
        for source, slot in self._relays:
            with contextlib.suppress(RuntimeError, TypeError):  # the document is gone
                source.disconnect(slot)
        self._relays.clear()

    # ------------------------------------------------- the Document API, relayed
    @property
    def topology(self) -> Topology:
        return self.document.topology

    @property
    def stack(self) -> QUndoStack:
        return self.document.stack

    @property
    def path(self) -> Path | None:
        return self.document.path

    @property
    def settings(self) -> QSettings:
        return self.document.settings

    @property
    def backend(self) -> Backend | None:
        return self.document.backend

    @property
    def live(self) -> bool:
        """Edits go to a running fabric (the document is a connected connection's)."""
        return self.document.backend is not None

    @property
    def dirty(self) -> bool:
        return self.document.dirty

    @property
    def needs_save(self) -> bool:
        return self.document.needs_save

    @property
    def pending(self) -> bool:
        return self.document.pending

    @property
    def display_name(self) -> str:
        return self.document.display_name

    @property
    def title(self) -> str:
        return self.document.title

    def push(self, command: QUndoCommand) -> None:
        self.document.push(command)

    def derived(self) -> Derived:
        return self.document.derived()

    def open_async(self, path: str | os.PathLike) -> Awaitable[None]:
        return self.document.open_async(path)

    def save_as_async(self, path: str | os.PathLike) -> Awaitable[None]:
        return self.document.save_as_async(path)

    def recent_files(self) -> list[str]:
        return self.document.recent_files()

    def confirm_discard(self, parent: QWidget | None, done: Callable[[bool], None],
                        save_as: Callable[[], bool] | None = None) -> QMessageBox | None:
        return self.document.confirm_discard(parent, done, save_as)


__all__ = ["APP_TITLE", "Workspace"]
