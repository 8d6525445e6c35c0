"""The open topology: its model, its file, its one undo history and its unsaved state."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QSettings, QTimer, Signal, SignalInstance
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

from console.backends.base import Backend
from console.models import Topology
from console.models import topofile as tf
from console.models.derived import Derived
from console.models.heap import hand_back

APP_TITLE = "Fabric Console"
MAX_RECENT = 8
RECENT_KEY = "files/recent"

# Reading and writing topology files: YAML for 10,000 VMs takes seconds, which the window
# must not wait for. One thread, so two saves of one file never interleave.
_FILES = ThreadPoolExecutor(1, thread_name_prefix="topology-file")


class DocumentApi(Protocol):
    """What the canvas and the editors need of the document they show.

    A Document offers it, and so does the window's Workspace, which relays the current
    Document: the views are built once, on the Workspace, and follow every switch."""

    @property
    def topology(self) -> Topology: ...

    @property
    def backend(self) -> Backend | None:
        """Where Apply sends a change (None: the edit stays in the model)."""
        ...

    # Signals, as an instance sees them.
    @property
    def changed(self) -> SignalInstance: ...

    @property
    def topologyReplaced(self) -> SignalInstance: ...

    @property
    def liveResult(self) -> SignalInstance: ...

    def push(self, command: QUndoCommand) -> None: ...

    def derived(self) -> Derived: ...


class Document(QObject):
    """One topology being edited.

    Editors never touch the model directly: they `push()` undo commands, so every edit is
    on the one stack and the clean state of that stack is the saved state of the file.
    """

    titleChanged = Signal(str)
    topologyReplaced = Signal(object)  # New/Open: a different Topology object
    changed = Signal()  # any edit, undo or redo (coalesced to one per event-loop turn)
    pathChanged = Signal(str)
    recentChanged = Signal(list)
    liveResult = Signal(object)  # ChangeResult of an undo or redo sent to the live fabric

    def __init__(self, topology: Topology | None = None, path: str | os.PathLike | None = None,
                 settings: QSettings | None = None, backend: Backend | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.topology = topology if topology is not None else Topology()
        self.path: Path | None = Path(path) if path else None
        self.settings = settings if settings is not None else QSettings()
        self._backend = backend
        # What the document is when it has no file: a connection's URI (its fabric is
        # the document: edits go live) or None (an offline drawing).
        self.origin: str | None = None
        # Where Apply sends changes when no backend was set: e.g. the window's connection
        # that runs this topology (None: edits stay in the model).
        self.backend_provider: Callable[[], Backend | None] | None = None
        self.stack = QUndoStack(self)
        # Bound methods, not lambdas: Qt drops them when the document goes, so a stack
        # torn down with it never calls back into a deleted document.
        self.stack.cleanChanged.connect(self._clean_changed)
        self.stack.indexChanged.connect(self._index_changed)
        self._derived: Derived | None = None
        self._pending = False
        self._tasks: set[asyncio.Task] = set()  # saves in flight (asyncio keeps weak refs)
        # Any change of the model, through the stack or not, makes the derived facts stale.
        self.topology.events.connect(self._model_changed)

    @property
    def backend(self) -> Backend | None:
        if self._backend is not None:
            return self._backend
        return self.backend_provider() if self.backend_provider is not None else None

    @backend.setter
    def backend(self, backend: Backend | None) -> None:
        self._backend = backend

    # ------------------------------------------------------------------ editing
    def push(self, command: QUndoCommand) -> None:
        self.stack.push(command)

    def derived(self) -> Derived:
        """Derived facts of the current state (rebuilt after each edit, on first use)."""
        if self._derived is None or self._derived.topo is not self.topology:
            self._derived = Derived(self.topology)
        return self._derived

    def _clean_changed(self, _clean: bool) -> None:
        self._emit_title()

    def _index_changed(self, _index: int) -> None:
        self._schedule_changed()

    def _schedule_changed(self) -> None:
        self._derived = None
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self._flush_changed)  # dropped if self is gone

    @property
    def pending(self) -> bool:
        """A `changed` signal is on its way (edits are coalesced per event-loop turn)."""
        return self._pending

    def _flush_changed(self) -> None:
        self._pending = False
        self.changed.emit()

    # -------------------------------------------------------------------- state
    @property
    def dirty(self) -> bool:
        return not self.stack.isClean()

    @property
    def needs_save(self) -> bool:
        """Unsaved edits that would be lost: a file's, or an offline drawing's. A live
        fabric without a file keeps its edits itself (they were applied to it)."""
        return self.dirty and (self.path is not None or self.origin is None)

    @property
    def display_name(self) -> str:
        if self.path:
            return self.path.name
        if self.origin:
            return f"{self.topology.name} ({self.origin})"
        return f"{self.topology.name} (unsaved)"

    @property
    def title(self) -> str:
        star = "*" if self.needs_save else ""
        return f"{self.display_name}{star} — {APP_TITLE}"

    def _emit_title(self) -> None:
        try:
            title = self.title
        except RuntimeError:  # the stack is gone: the application is shutting down
            return
        self.titleChanged.emit(title)

    # -------------------------------------------------------------------- files
    def new(self, name: str = "untitled") -> None:
        self._replace(Topology(name=name), None)

    def open(self, path: str | os.PathLike) -> None:
        """Load a file. Raises TopologyFileError (naming path and rule); the current
        topology is kept when the file cannot be read."""
        topo = tf.load(path)
        self._replace(topo, Path(path))
        self.add_recent(path)

    async def open_async(self, path: str | os.PathLike) -> None:
        """open() with the reading and checking in a worker thread; the window keeps
        running. Raises TopologyFileError like open()."""
        hand_back()  # on this thread, not the reader's: a large file freezes what it reads
        topo = await asyncio.get_running_loop().run_in_executor(_FILES, tf.load, path)
        self._replace(topo, Path(path))
        self.add_recent(path)

    def edit_copy(self, topo: Topology) -> None:
        """Edit a copy of a live fabric's topology (no file behind it until Save As)."""
        self._replace(topo.model_copy(deep=True), None)

    def save(self) -> None:
        if self.path is None:
            raise ValueError("no file name yet: use save_as")
        self.save_as(self.path)

    def save_as(self, path: str | os.PathLike) -> None:
        """Atomic save (topofile.save); marks the undo stack clean."""
        tf.save(self.topology, path)
        self._saved(path, self.stack.index())

    def save_as_async(self, path: str | os.PathLike) -> Awaitable[None]:
        """save_as() that keeps the window running: the model becomes plain data now, in
        the call (about a seventh of the time), YAML and the atomic write happen in a
        worker thread; await the result. An edit made meanwhile is not in the file, so
        the document then stays unsaved. Raises OSError/ValueError like save_as(); the
        file on disk is then unchanged."""
        topo, index = self.topology, self.stack.index()
        data = tf.to_data(topo)
        written = asyncio.get_event_loop().run_in_executor(
            _FILES, lambda: tf.write_atomic(tf.dumps_data(data), path))

        async def finish() -> None:
            await written
            if self.topology is topo:  # not replaced (New, Open) while writing
                self._saved(path, index)

        return finish()

    def _saved(self, path: str | os.PathLike, index: int) -> None:
        new_path = Path(path)
        if new_path != self.path:
            self.path = new_path
            self.pathChanged.emit(str(new_path))
        if self.stack.index() == index:
            self.stack.setClean()
        self.add_recent(path)
        self._emit_title()

    def _model_changed(self, *_info) -> None:
        self._schedule_changed()

    def _replace(self, topo: Topology, path: Path | None) -> None:
        self.stack.clear()
        self.topology.events.disconnect(self._model_changed)
        self.topology = topo
        topo.events.connect(self._model_changed)
        self.path = path
        self._derived = None
        self.topologyReplaced.emit(topo)
        self.pathChanged.emit(str(path) if path else "")
        self._emit_title()
        self._schedule_changed()

    async def _save_then(self, parent: QWidget | None, done: Callable[[bool], None]) -> None:
        """The unsaved-changes prompt's Save: done(True) once written, else say why."""
        assert self.path is not None
        try:
            await self.save_as_async(self.path)
        except (OSError, ValueError) as exc:
            failed = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE,
                                 f"Cannot save: {exc}\nThe file on disk is unchanged.",
                                 QMessageBox.StandardButton.Ok, parent)
            failed.finished.connect(failed.deleteLater)
            failed.open()  # not exec(): no nested event loop
            done(False)
            return
        done(not self.dirty)  # an edit made while saving is not in the file

    # ------------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        value: Any = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings gives a str for one-element lists
            value = [value]
        return [str(v) for v in value or []]

    def add_recent(self, path: str | os.PathLike) -> None:
        full = str(Path(path).resolve())
        files = [full] + [f for f in self.recent_files() if f != full]
        self.settings.setValue(RECENT_KEY, files[:MAX_RECENT])
        self.recentChanged.emit(files[:MAX_RECENT])

    # ----------------------------------------------------------- close prompt
    def confirm_discard(self, parent: QWidget | None, done: Callable[[bool], None],
                        save_as: Callable[[], bool] | None = None) -> QMessageBox | None:
        """Ask about unsaved changes without blocking (open(), never exec()); call
        done(True) when it is fine to drop the document, done(False) to keep it.

        Returns the box (shown) or None when there was nothing to ask."""
        if not self.needs_save:
            done(True)
            return None
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(APP_TITLE)
        box.setText(f"Save the changes to {self.display_name}?")
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setStandardButtons(QMessageBox.StandardButton.Save
                               | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def finished(_code: int) -> None:
            button = box.standardButton(box.clickedButton())
            if button == QMessageBox.StandardButton.Discard:
                done(True)
            elif button == QMessageBox.StandardButton.Save:
                if self.path is not None:
                    task = asyncio.ensure_future(self._save_then(parent, done))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                else:
                    done(bool(save_as and save_as()))
            else:
                done(False)

        box.finished.connect(finished)
        box.open()
        return box
