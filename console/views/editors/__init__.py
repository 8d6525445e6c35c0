"""Object editors, the topology document, and `install()`, which wires the canvas, the
editor dock, Undo/Redo and the topology file actions into the main window through its
public hooks (add_workspace_tab, add_dock, set_undo_stack, edit_menu, add_connection)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from console.models.topofile import TopologyFileError

from .bar import ModelBar
from .document import APP_TITLE, Document
from .panel import EditorPanel

if TYPE_CHECKING:
    from console.views.canvas import CanvasWidget
    from console.views.workspace import Workspace

FILE_FILTER = "Topology files (*.yaml *.yml);;All files (*)"


@dataclass
class Installed:
    """What install() added (kept so nothing is garbage-collected, and for tests).

    `document` is the window's Workspace: the canvas and editors show the document of
    the connection selected in the tree, or the offline drawing (File > New)."""

    document: Workspace
    canvas: CanvasWidget
    panel: EditorPanel
    dock: QDockWidget
    tab: QWidget | None = None
    bar: ModelBar | None = None
    actions: dict[str, QAction] = field(default_factory=dict)
    recent_menu: QMenu | None = None
    close_guard: QObject | None = None
    dialogs: list = field(default_factory=list)
    tasks: set = field(default_factory=set)  # file reads and writes in flight
    window: Any = None
    documents: dict[Any, Document] = field(default_factory=dict)  # connection -> its own
    waiting: set = field(default_factory=set)  # connections whose inventory is not in yet
    follow_next: Any = None  # a connection to show as soon as its document is ready
    _syncing: bool = False

    @property
    def connection(self) -> Any:
        """The connection whose fabric the canvas and editors show (None: offline)."""
        for conn, doc in self.documents.items():
            if doc is self.document.document:
                return conn
        return None

    # ----------------------------------------------------------- connections
    def adopt_connections(self) -> None:
        """Follow the window's connections: each one's document, once it has one."""
        window = self.window
        for conn in list(window.connections):
            if conn in self.documents or conn in self.waiting:
                continue
            if conn.document is not None:
                self._document_ready(conn, conn.document)
            else:
                self.waiting.add(conn)
                conn.documentReady.connect(self._ready_slot)
        for conn in [c for c in self.documents if c not in window.connections]:
            self.document.forget(self.documents.pop(conn))
            if self.bar is not None:
                self.bar.remove(conn)

    def _ready_slot(self, doc: Document) -> None:
        for conn in list(self.waiting):
            if conn.document is doc:
                self._document_ready(conn, doc)

    def _document_ready(self, conn, doc: Document) -> None:
        self.waiting.discard(conn)
        if conn not in self.window.connections:
            return  # closed meanwhile
        self.documents[conn] = doc
        if self.bar is not None:
            self.bar.add(conn)
        # The document a user meets first is the connection they are looking at.
        if self.window.current_connection() is conn or self.follow_next is conn:
            self.follow_next = None
            self.show_connection(conn)

    def show_connection(self, conn) -> bool:
        """Show a connection's fabric on the canvas and in the editors."""
        doc = self.documents.get(conn)
        if doc is None:
            return False
        self.document.set_document(doc)
        self.canvas.set_live(conn)
        return True

    def show_offline(self) -> None:
        self.document.set_document(self.document.offline)
        self.canvas.set_live(None)

    # ------------------------------------------------------------- selection
    def tree_selected(self) -> None:
        """The tree's selection, everywhere: the canvas selects the object, the editor
        shows it, and the workspace shows its connection's fabric."""
        if self._syncing:
            return
        nodes = self.window.selected_nodes()
        node = nodes[0] if nodes else None
        if node is None or node.conn is None:
            return
        if node.conn in self.documents and self.document.document is not \
                self.documents[node.conn]:
            self.show_connection(node.conn)
        target = canvas_target(node.kind, node.key)
        if target is None:
            return
        self._syncing = True
        try:
            kind, name = target
            self.canvas.select_object(kind, name)
            self.panel.show_object(*editor_target(node.kind, node.key, kind, name))
        finally:
            self._syncing = False

    def tree_menu(self, pos) -> QMenu | None:
        """The tree's context menu: Trace a frame… from a VM or vNIC, on the topology of
        its connection, drawn on the canvas when that connection is the one shown."""
        from console.views.tracedialog import open_trace_dialog

        tree = self.window.tree
        index = tree.indexAt(pos)
        node = self.window.model.node(index) if index.isValid() else None
        if node is None or node.kind not in ("vm", "vif") or node.conn is None:
            return None
        conn = node.conn
        vm = node.key.split("/", 1)[0]
        menu = QMenu(tree)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def trace() -> None:
            shown = self.documents.get(conn) is self.document.document
            self.dialogs.append(open_trace_dialog(
                lambda: conn.topology, vm, self.canvas.scene if shown else None,
                self.window, nic=node.key if node.kind == "vif" else None))

        menu.addAction("Trace a frame…", trace)
        menu.popup(tree.viewport().mapToGlobal(pos))
        return menu

    def canvas_selected(self, kind: str, name: str) -> None:
        if kind:
            self.panel.show_object(kind, name)
        conn = self.connection
        if self._syncing or not kind or conn is None:
            return
        node = self.window.model.find(conn, TREE_KIND.get(kind, kind), name)
        if node is None:
            return
        self._syncing = True
        try:
            self.window.select_node(node)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ files
    def new(self) -> None:
        """An empty offline drawing (the connections keep their own documents)."""
        offline = self.document.offline
        offline.confirm_discard(self.canvas.window(), self._new_confirmed,
                                self.ask_save_as)

    def _new_confirmed(self, ok: bool) -> None:
        if ok:
            self.document.offline.new()
            self.show_offline()

    def edit_connection(self, window) -> None:
        """Show the selected connection's fabric on the canvas (a libvirt host, an
        emulated fabric, a lab): Apply in the editors goes to it."""
        conn = window.current_connection()
        if conn is None or not self.show_connection(conn) or not conn.connected:
            self._tell("No live connection", "Select a connected fabric in the tree first.")
            return
        window.workspace.setCurrentIndex(window.workspace.indexOf(self.tab or self.canvas))

    def ask_open(self) -> QFileDialog:
        dialog = QFileDialog(self.canvas.window(), "Edit topology file", "", FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def open(self, path: str | os.PathLike) -> asyncio.Future:
        """Open a file as the offline drawing, after asking about its unsaved changes.
        The file is read in a worker thread; the future gives True once it is on the
        canvas, False when it was not opened (kept, or refused)."""
        result = asyncio.get_event_loop().create_future()

        def confirmed(ok: bool) -> None:
            if ok:
                self.spawn(self._open(path, result))
            else:
                result.set_result(False)

        self.document.offline.confirm_discard(self.canvas.window(), confirmed,
                                              self.ask_save_as)
        return result

    async def _open(self, path: str | os.PathLike, result: asyncio.Future) -> None:
        self._status(f"Reading {Path(path).name}…")
        try:
            await self.document.offline.open_async(path)
        except TopologyFileError as exc:
            self._status("")
            self._tell(f"Cannot open {Path(path).name}", str(exc))
            result.set_result(False)
            return
        self._status(f"Opened {Path(path).name}", 5000)
        self.show_offline()
        self.canvas.view.fit()
        result.set_result(True)

    def save(self) -> asyncio.Future | None:
        if self.document.path is None:
            self.ask_save_as()
            return None
        return self._save_to(self.document.path)

    def ask_save_as(self, then: Callable[[], object] | None = None) -> bool:
        """The Save As dialog (never exec()); `then` runs once the file is written."""
        dialog = QFileDialog(self.canvas.window(), "Save topology as", "", FILE_FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("yaml")

        def chosen(path: str) -> None:
            saved = self._save_to(path)
            if then is not None:
                saved.add_done_callback(lambda f: f.result() and then())

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialogs.append(dialog)
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
        """Run the offline drawing on an emulated fabric (a new window connection); the
        canvas then shows that running fabric, and edits apply live."""
        if self.connection is not None:
            self._tell("Already running", f"This fabric runs on {self.connection.uri}: "
                       "edits in the editors apply to it live.")
            return
        doc = self.document.document

        def start() -> None:
            assert doc.path is not None
            self.follow_next = window.add_connection(f"emulated://{doc.path.resolve()}")

        # The emulated fabric runs a file: save first (asking where for a new drawing).
        if doc.path is None:
            self._status("Save the drawing first: the emulated fabric runs the file")
            self.ask_save_as(then=start)
        elif doc.dirty:
            def saved(f: asyncio.Future[bool]) -> None:
                if f.result():
                    start()

            self._save_to(doc.path).add_done_callback(saved)
        else:
            start()

    def _tell(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Ok, self.canvas.window())
        box.finished.connect(box.deleteLater)
        box.open()  # never exec(): the asyncio loop must keep running
        self.dialogs.append(box)
        return box


class _CloseGuard(QObject):
    """Asks about unsaved changes when the window closes, one document at a time: the
    offline drawing and every file-backed connection document (the window's own
    closeEvent stays untouched: this filter sees the event first)."""

    def __init__(self, window: QWidget, installed: Installed):
        super().__init__(window)
        self.window, self.installed = window, installed
        self.allowed = False
        self.discarded: set[int] = set()

    def unsaved(self) -> list[Document]:
        docs = [self.installed.document.offline, *self.installed.documents.values()]
        return [d for d in docs if d.needs_save and id(d) not in self.discarded]

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close and not self.allowed:
            unsaved = self.unsaved()
            if unsaved:
                event.ignore()
                doc = unsaved[0]
                if doc is not self.installed.document.document:  # show what is asked about
                    self.installed.document.set_document(doc)
                doc.confirm_discard(self.window, lambda ok: self._answered(ok, doc),
                                    self.installed.ask_save_as)
                return True
        return False

    def _answered(self, ok: bool, doc: Document) -> None:
        if ok:
            self.discarded.add(id(doc))  # saved, or dropped on purpose
            if not self.unsaved():
                self.allowed = True
            self.window.close()


def _file_menu(window) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "File":
            return menu
    return None


# Tree kinds -> the canvas object they are, or are part of.
def canvas_target(kind: str, key: str) -> tuple[str, str] | None:
    if kind in ("host", "vm", "bd"):
        return kind, key
    if kind == "vem":
        return "host", key
    if kind == "profile":
        return "pp", key
    if kind in ("vif", "vtep", "pf", "vf") and "/" in key:
        owner = key.split("/", 1)[0]
        return ("vm" if kind == "vif" else "host"), owner
    return None


def editor_target(tree_kind: str, key: str, kind: str, name: str) -> tuple[str, str]:
    """What the editor dock opens for a tree row: a VIF opens its VM's page on it."""
    return ("vif", key) if tree_kind == "vif" else (kind, name)


TREE_KIND = {"pp": "profile"}  # canvas kind -> tree kind, where they differ


def install(window, document: Document | None = None) -> Installed:
    """Add the Topology canvas tab, the Editor dock, Undo/Redo in the Edit menu and the
    topology file actions (New, Edit file, recent, Save, Save As, Run) to `window`.

    `document` is the offline drawing (a new empty one by default); each connection of
    the window brings its own document, shown when the connection is selected."""
    from console.views.canvas import CanvasWidget
    from console.views.workspace import Workspace

    ws = Workspace(document, settings=getattr(window, "settings", None), parent=window)
    # Qt parents from the start: a parentless widget later put into a layout could be
    # freed by Python's garbage collector after Qt had deleted its item-view children.
    tab = QWidget(window)
    window.add_workspace_tab(tab, "Topology")
    bar = ModelBar(tab)
    # The canvas and the editors take a DocumentApi: the Workspace relays the current one.
    canvas = CanvasWidget(ws, tab)
    panel = EditorPanel(ws)
    column = QVBoxLayout(tab)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(bar)
    column.addWidget(canvas, 1)
    dock = window.add_dock(panel, "Editor", Qt.DockWidgetArea.RightDockWidgetArea,
                           name="editor")
    window.set_undo_stack(ws.group)
    installed = Installed(ws, canvas, panel, dock, tab=tab, bar=bar, window=window)
    bar.show_document(ws.document)
    ws.documentChanged.connect(bar.show_document)
    ws.liveResult.connect(bar.live_result)

    def chosen(conn) -> None:
        if conn is None:
            installed.show_offline()
            return
        node = window.model.connection_node(conn)
        if node is not None and window.current_connection() is not conn:
            window.select_node(node)
        installed.show_connection(conn)

    bar.chosen.connect(chosen)

    def activated(kind: str, name: str) -> None:
        panel.show_object(kind, name)
        window.show_dock(dock)

    def migrate(vm: str) -> None:
        activated("vm", vm)
        panel.vm.ask_migration()

    canvas.scene.migrate_requested.connect(migrate)
    canvas.current.connect(installed.canvas_selected)
    canvas.activated.connect(activated)
    ws.titleChanged.connect(window.setWindowTitle)

    # Follow the window's connections and its tree: a connection added or removed is a
    # top-level row of the tree model; the tree's selection is the workspace's.
    def rows(parent, *_args) -> None:
        if not parent.isValid():
            installed.adopt_connections()

    window.model.rowsInserted.connect(rows)
    window.model.rowsRemoved.connect(rows)
    window.tree.selectionModel().selectionChanged.connect(
        lambda *_a: installed.tree_selected())
    window.tree.selectionModel().currentChanged.connect(
        lambda *_a: installed.tree_selected())
    installed.adopt_connections()
    # "Trace a frame…" on a VM or vNIC in the tree, as on the canvas.
    window.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    window.tree.customContextMenuRequested.connect(installed.tree_menu)

    def act(key: str, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        installed.actions[key] = action
        return action

    # Ctrl+N / Ctrl+O belong to the window's connection actions: these use Shift.
    act("new", "&New topology", installed.new, "Ctrl+Shift+N",
        "An empty offline topology to draw")
    act("open", "&Edit topology file…", installed.ask_open, "Ctrl+Shift+O",
        "Open a topology file on the canvas, offline")
    act("save", "&Save topology", installed.save, QKeySequence.StandardKey.Save)
    act("save_as", "Save topology &as…", installed.ask_save_as, "Ctrl+Shift+S")
    act("run", "&Run on emulated fabric", lambda: installed.run(window), "Ctrl+R",
        "Run the saved offline topology on an emulated fabric; edits then apply live")
    act("edit_live", "Edit &connection's fabric", lambda: installed.edit_connection(window),
        "Ctrl+Shift+E", "Show the selected connection's fabric on the canvas")
    menu = _file_menu(window)
    if menu is not None:
        # None (an empty menu) appends; PySide6's stubs do not say Qt accepts it.
        first: Any = menu.actions()[0] if menu.actions() else None
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

    guard = _CloseGuard(window, installed)
    window.installEventFilter(guard)
    installed.close_guard = guard
    doc = ws.document
    window.setWindowTitle(doc.title if doc.path or doc.dirty else APP_TITLE)

    def live_result(result) -> None:  # an undo/redo that went to the live fabric
        window.statusBar().showMessage(live_text(result), 10000)

    ws.liveResult.connect(live_result)
    return installed


def live_text(result) -> str:
    """"Undone live: Edit port profile web" — what went to the fabric, and how."""
    what = result.change.describe()
    verb = "Applied live" if result.applied else "Not applied live"
    message = (result.message or "").strip()
    if not message or message.lower().rstrip(".") in ("applied", "ok", what.lower()):
        return f"{verb}: {what}"
    return f"{verb}: {what} — {message}"


__all__ = ["Document", "EditorPanel", "Installed", "install"]
