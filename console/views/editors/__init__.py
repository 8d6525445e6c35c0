"""Object editors, the topology document, and `install()`, which wires the canvas, the
editor dock, Undo/Redo and the topology file actions into the main window through its
public hooks (add_workspace_tab, add_dock, set_undo_stack, edit_menu, add_connection)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu, QMessageBox, QWidget

from console.models.topofile import TopologyFileError

from .document import APP_TITLE, Document
from .panel import EditorPanel

FILE_FILTER = "Topology files (*.yaml *.yml);;All files (*)"


@dataclass
class Installed:
    """What install() added (kept so nothing is garbage-collected, and for tests)."""

    document: Document
    canvas: QWidget
    panel: EditorPanel
    dock: QDockWidget
    actions: dict[str, QAction] = field(default_factory=dict)
    recent_menu: QMenu | None = None
    connection: object | None = None  # the window Connection running this topology
    close_guard: QObject | None = None
    dialogs: list = field(default_factory=list)
    tasks: set = field(default_factory=set)  # file reads and writes in flight

    # ------------------------------------------------------------------ files
    def new(self) -> None:
        self.document.confirm_discard(self.canvas.window(), self._new_confirmed,
                                      self.ask_save_as)

    def _new_confirmed(self, ok: bool) -> None:
        if ok:
            self.document.new()
            self.connection = None

    def edit_connection(self, window) -> None:
        """Edit the selected connection's fabric (a libvirt host, an emulated fabric, a
        lab): its topology opens on the canvas and Apply in the editors goes to it."""
        conn = window.current_connection()
        if conn is None or getattr(conn, "topology", None) is None or not conn.connected:
            self._tell("No live connection", "Select a connected fabric in the tree first.")
            return

        def confirmed(ok: bool) -> None:
            if ok:
                self.document.edit_copy(conn.topology)
                self.connection = conn
                window.workspace.setCurrentIndex(window.workspace.indexOf(self.canvas))

        self.document.confirm_discard(self.canvas.window(), confirmed, self.ask_save_as)

    def ask_open(self) -> QFileDialog:
        dialog = QFileDialog(self.canvas.window(), "Edit topology file", "", FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def open(self, path: str | os.PathLike) -> asyncio.Future:
        """Open a file for editing, after asking about unsaved changes. The file is read
        in a worker thread; the future gives True once it is on the canvas, False when
        it was not opened (the user kept the current one, or the file was refused)."""
        result = asyncio.get_event_loop().create_future()

        def confirmed(ok: bool) -> None:
            if ok:
                self.spawn(self._open(path, result))
            else:
                result.set_result(False)

        self.document.confirm_discard(self.canvas.window(), confirmed, self.ask_save_as)
        return result

    async def _open(self, path: str | os.PathLike, result: asyncio.Future) -> None:
        self._status(f"Reading {Path(path).name}…")
        try:
            await self.document.open_async(path)
        except TopologyFileError as exc:
            self._status("")
            self._tell(f"Cannot open {Path(path).name}", str(exc))
            result.set_result(False)
            return
        self._status(f"Opened {Path(path).name}", 5000)
        self.connection = None
        self.canvas.view.fit()
        result.set_result(True)

    def save(self) -> asyncio.Future | None:
        if self.document.path is None:
            self.ask_save_as()
            return None
        return self._save_to(self.document.path)

    def ask_save_as(self) -> bool:
        dialog = QFileDialog(self.canvas.window(), "Save topology as", "", FILE_FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("yaml")
        dialog.fileSelected.connect(self._save_to)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return False  # saved later, when a file is chosen

    def _save_to(self, path: str | os.PathLike) -> asyncio.Future:
        """Save without blocking the window; the future gives True once the file is
        written (atomically), False when it could not be (the file on disk unchanged)."""
        result = asyncio.get_event_loop().create_future()
        self._status(f"Saving {Path(path).name}…")
        self.spawn(self._save(path, self.document.save_as_async(path), result))
        return result

    async def _save(self, path: str | os.PathLike, saving: Awaitable[None],
                    result: asyncio.Future) -> None:
        try:
            await saving
        except (OSError, ValueError) as exc:
            self._status("")
            self._tell("Cannot save", f"{path}: {exc}\nThe file on disk is unchanged.")
            result.set_result(False)
            return
        self._status(f"Saved {Path(path).name}", 5000)
        result.set_result(True)

    def spawn(self, coro) -> asyncio.Task:
        """Run a coroutine on the loop, kept referenced until it ends."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)  # asyncio keeps only weak references to tasks
        task.add_done_callback(self.tasks.discard)
        return task

    def _status(self, text: str, timeout_ms: int = 0) -> None:
        bar = getattr(self.canvas.window(), "statusBar", None)
        if bar is not None:
            bar().showMessage(text, timeout_ms)

    def fill_recent(self) -> None:
        if self.recent_menu is None:
            return
        self.recent_menu.clear()
        files = self.document.recent_files()
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        self.recent_menu.setEnabled(bool(files))

    def run(self, window) -> None:
        """Run this topology on an emulated fabric (a new window connection), and send
        later edits made in the editors to it."""
        if self.document.path is None or self.document.dirty:
            self._tell("Save first", "Save the topology, then run it: the emulated fabric "
                       "reads the file.")
            return
        conn = window.add_connection(f"emulated://{self.document.path.resolve()}")
        self.connection = conn

    def _backend(self):
        conn = self.connection
        if conn is not None and getattr(conn, "connected", False):
            return conn.backend
        return None

    def _tell(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Ok, self.canvas.window())
        box.finished.connect(box.deleteLater)
        box.open()  # never exec(): the asyncio loop must keep running
        self.dialogs.append(box)
        return box


class _CloseGuard(QObject):
    """Asks about unsaved changes when the window closes (the window's own closeEvent
    stays untouched: this filter sees the event first)."""

    def __init__(self, window: QWidget, document: Document, installed: Installed):
        super().__init__(window)
        self.window, self.document, self.installed = window, document, installed
        self.allowed = False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close and not self.allowed:
            if self.document.dirty:
                event.ignore()
                self.document.confirm_discard(self.window, self._answered,
                                              self.installed.ask_save_as)
                return True
        return False

    def _answered(self, ok: bool) -> None:
        if ok:
            self.allowed = True
            self.window.close()


def _file_menu(window) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "File":
            return menu
    return None


def install(window, document: Document | None = None) -> Installed:
    """Add the Topology canvas tab, the Editor dock, Undo/Redo in the Edit menu and the
    topology file actions (New, Edit file, recent, Save, Save As, Run) to `window`."""
    from console.views.canvas import CanvasWidget

    doc = document or Document(settings=getattr(window, "settings", None))
    canvas = CanvasWidget(doc)
    panel = EditorPanel(doc)
    window.add_workspace_tab(canvas, "Topology")
    dock = window.add_dock(panel, "Editor", Qt.DockWidgetArea.RightDockWidgetArea,
                           name="editor")
    window.set_undo_stack(doc.stack)
    installed = Installed(doc, canvas, panel, dock)
    doc.backend_provider = installed._backend

    def current(kind: str, name: str) -> None:
        if kind:
            panel.show_object(kind, name)

    def activated(kind: str, name: str) -> None:
        panel.show_object(kind, name)
        dock.show()
        dock.raise_()

    def migrate(vm: str) -> None:
        activated("vm", vm)
        panel.vm.ask_migration()

    canvas.scene.migrate_requested.connect(migrate)
    canvas.current.connect(current)
    canvas.activated.connect(activated)
    doc.titleChanged.connect(window.setWindowTitle)

    def act(key: str, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        installed.actions[key] = action
        return action

    # Ctrl+N / Ctrl+O belong to the window's connection actions: these use Shift.
    act("new", "&New topology", installed.new, "Ctrl+Shift+N", "An empty topology to draw")
    act("open", "&Edit topology file…", installed.ask_open, "Ctrl+Shift+O",
        "Open a topology file in the editors")
    act("save", "&Save topology", installed.save, QKeySequence.StandardKey.Save)
    act("save_as", "Save topology &as…", installed.ask_save_as, "Ctrl+Shift+S")
    act("run", "&Run on emulated fabric", lambda: installed.run(window), "Ctrl+R",
        "Run the saved topology on an emulated fabric; editor changes then apply live")
    act("edit_live", "Edit &connection's fabric", lambda: installed.edit_connection(window),
        "Ctrl+Shift+E", "Open the selected connection's fabric in the editors; Apply changes "
        "it live")
    menu = _file_menu(window)
    if menu is not None:
        first = menu.actions()[0] if menu.actions() else None
        for key in ("new", "open"):
            menu.insertAction(first, installed.actions[key])
        installed.recent_menu = QMenu("Open &recent topology", menu)
        menu.insertMenu(first, installed.recent_menu)
        for key in ("save", "save_as", "run", "edit_live"):
            menu.insertAction(first, installed.actions[key])
        menu.insertSeparator(first)
        installed.recent_menu.aboutToShow.connect(installed.fill_recent)
        installed.fill_recent()
    else:  # no File menu: keep the shortcuts working
        for action in installed.actions.values():
            window.addAction(action)

    guard = _CloseGuard(window, doc, installed)
    window.installEventFilter(guard)
    installed.close_guard = guard
    window.setWindowTitle(doc.title if doc.path or doc.dirty else APP_TITLE)

    def live_result(result) -> None:  # an undo/redo that went to the live fabric
        verb = "Applied live" if result.applied else "Not applied live"
        window.statusBar().showMessage(f"{verb}: {result.message}", 10000)

    doc.liveResult.connect(live_result)
    return installed


__all__ = ["Document", "EditorPanel", "Installed", "install"]
