"""The main window, in the style of virt-manager's manager window."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QTreeView,
    QWidget,
)

from console.models.findings import Finding

from .connect_dialog import AddConnectionDialog
from .connection import Connection
from .details import DetailsPane
from .findings import FindingsPanel
from .plots import PlotRefresher
from .preferences import Preferences, PreferencesDialog, remember_uri, uri_history
from .tree import ConnectionTreeModel, Node, SparklineDelegate

log = logging.getLogger(__name__)

SPEEDS = (("Pause", 0.0, "Ctrl+P"), ("1x", 1.0, "Ctrl+1"), ("10x", 10.0, "Ctrl+2"),
          ("Max", math.inf, "Ctrl+3"))


class MainWindow(QMainWindow):
    """Connections on the left, the selected object's details and live graphs in the
    middle, every finding at the bottom.

    Extension points (for the editors):

    - ``add_workspace_tab(widget, title) -> int``: adds a tab to the central QTabWidget
      (``self.workspace``), next to the "Details" tab; e.g. the "Topology" canvas.
    - ``add_dock(widget, title, area)``: adds an editor dock (a QDockWidget) and a toggle
      for it in the View menu.
    - ``set_undo_stack(stack)``: puts Undo/Redo for a QUndoStack in the Edit menu
      (Ctrl+Z / Ctrl+Shift+Z); calling it again replaces the previous stack's actions.
    - ``current_connection()`` and the ``connections`` list: where editors get the open
      topology (``conn.topology``) and the backend to apply changes to
      (``conn.backend.apply(change)``); ``connectionAdded`` is not a signal here: read
      ``Connection.topologyChanged`` of the connection instead.
    - ``select_path(conn, path)``: selects the object a file path names
      (``vms[2].nics[0]``) in the tree, as choosing a finding does.
    """

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.prefs = Preferences.load(self.settings)
        self.connections: list[Connection] = []
        self._tasks: set[asyncio.Task] = set()
        self._user_selected = False
        self._undo_actions: list[QAction] = []
        self.setWindowTitle("Fabric Console")
        self.resize(1280, 820)

        self.refresher = PlotRefresher(parent=self)
        self.model = ConnectionTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.model.expanded_check = self.tree.isExpanded
        self.tree.setItemDelegateForColumn(1, SparklineDelegate(self.tree))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 190)
        header.resizeSection(1, 170)
        header.setStretchLastSection(True)
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
        # A new inventory (after a live change) rebuilds a connection's rows: remember
        # what was selected and select it again (by kind and name) afterwards.
        self._remembered: list[tuple[Connection, str, str]] = []
        self._rebuilding = 0
        self.model.rowsAboutToBeRemoved.connect(self._rows_leaving)

        self.details = DetailsPane(self.refresher)
        self.details.graphs = list(self.prefs.graphs)
        self.details.window_s = self.prefs.history_s
        self.workspace = QTabWidget()
        self.workspace.setDocumentMode(True)
        self.workspace.addTab(self.details, "Details")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.workspace)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([460, 820])
        self.setCentralWidget(self.splitter)

        self.findings = FindingsPanel()
        self.findings.findingChosen.connect(self._finding_chosen)
        self.findings_dock = self.add_dock(self.findings, "Findings",
                                           Qt.DockWidgetArea.BottomDockWidgetArea,
                                           name="findings")

        self._shown_once = False
        self._build_status_bar()
        self._build_actions()
        self._restore_geometry()

    # ------------------------------------------------------------------- chrome
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QLabel("No connection")
        self.time_label = QLabel("")
        self.rate_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, 100)
        self.progress.hide()
        bar.addWidget(self.state_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.time_label)
        bar.addPermanentWidget(self.rate_label)

    def _action(self, text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        self.add_action = self._action("&Add connection…", self.ask_connection, "Ctrl+N",
                                       "Open another connection by URI")
        self.open_action = self._action("&Open topology file…", self.ask_file, "Ctrl+O",
                                        "Run a topology file on an emulated fabric")
        self.lab_action = self._action(
            "Run demo in &kernel lab", lambda: self.add_connection("netns:///demo"), None,
            "Build the demo topology in network namespaces of this machine (needs root)")
        self.close_action = self._action("&Close connection", self.close_current, "Ctrl+W",
                                         "Close the selected connection")
        quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        file_menu = menu.addMenu("&File")
        for a in (self.add_action, self.open_action, self.lab_action, self.close_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        self.edit_menu = menu.addMenu("&Edit")
        self._undo_separator = self.edit_menu.addSeparator()
        self.prefs_action = self._action("&Preferences…", self.ask_preferences, "Ctrl+,",
                                         "Poll interval, history length, graphs")
        self.edit_menu.addAction(self.prefs_action)

        self.view_menu = menu.addMenu("&View")
        self.watch_action = self._action("&Watch busiest VIF", self.watch_busiest, "Ctrl+G",
                                         "Select the VIF with the most traffic and show its "
                                         "graphs")
        self.reload_action = self._action("&Refresh / reconnect", self.reload_current, "F5",
                                          "Read the inventory again; reconnect a failed "
                                          "connection")
        self.view_menu.addAction(self.watch_action)
        self.view_menu.addAction(self.reload_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.findings_dock.toggleViewAction())

        sim_menu = menu.addMenu("&Simulation")
        self.speed_group = QActionGroup(self)
        self.speed_actions: dict[float, QAction] = {}
        for text, speed, key in SPEEDS:
            a = self._action(text, lambda _=False, s=speed: self.set_speed(s), key,
                             f"Simulated clock: {text.lower()}")
            a.setCheckable(True)
            a.setChecked(speed == 1.0)
            self.speed_group.addAction(a)
            self.speed_actions[speed] = a
            sim_menu.addAction(a)

        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About", self.about))

        tools = self.addToolBar("Main")
        tools.setObjectName("main-toolbar")
        tools.setMovable(False)
        tools.addAction(self.add_action)
        tools.addAction(self.watch_action)
        tools.addSeparator()
        for a in self.speed_actions.values():
            tools.addAction(a)
        tools.addSeparator()
        tools.addAction(self.prefs_action)

    # --------------------------------------------------------- extension points
    def add_workspace_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (e.g. the "Topology" canvas) to the central workspace."""
        return self.workspace.addTab(widget, title)

    def add_dock(self, widget: QWidget, title: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                 name: str | None = None) -> QDockWidget:
        """Add a dock (e.g. an editor) with a toggle in the View menu."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name or title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def set_undo_stack(self, stack: QUndoStack) -> None:
        """Undo/Redo of `stack` in the Edit menu (replacing any previous stack's)."""
        for action in self._undo_actions:
            self.edit_menu.removeAction(action)
            action.deleteLater()
        undo = stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.edit_menu.insertAction(self._undo_separator, undo)
        self.edit_menu.insertAction(self._undo_separator, redo)
        self._undo_actions = [undo, redo]

    # -------------------------------------------------------------- connections
    def add_connection(self, uri: str) -> Connection:
        """Open a connection in the background: the window stays responsive and the tree
        shows it as connecting, then connected (or failed, with the reason)."""
        conn = Connection(uri, self.prefs.poll_s, self.prefs.history_s, self)
        self.connections.append(conn)
        node = self.model.add_connection(conn)
        self.findings.model.add_connection(conn)
        conn.stateChanged.connect(lambda *_: self._update_status())
        conn.progress.connect(self._progress)
        conn.sampled.connect(lambda c=conn: self._sampled(c))
        conn.topologyChanged.connect(lambda c=conn: self._topology_changed(c))
        remember_uri(self.settings, uri)
        if not self.tree.currentIndex().isValid():
            self.tree.setCurrentIndex(self.model.index_of(node))
        self._spawn(self._open(conn))
        return conn

    async def _open(self, conn: Connection) -> None:
        self.progress.setValue(0)
        self.progress.show()
        ok = await conn.open()
        self.progress.hide()
        if not ok:
            self.statusBar().showMessage(f"Could not connect: {conn.detail}", 15000)
        self._update_status()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _progress(self, percent: int, step: str) -> None:
        self.progress.setValue(percent)
        self.progress.setFormat(f"{step} %p%")

    async def close_connection(self, conn: Connection) -> None:
        if conn not in self.connections:
            return
        self.connections.remove(conn)
        selected = [n for n in self.selected_nodes() if n.conn is conn]
        if selected:
            self.tree.clearSelection()
        self.findings.model.remove_connection(conn)
        self.model.remove_connection(conn)
        await conn.close()
        self._update_status()

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await self.close_connection(conn)

    def close_current(self) -> None:
        conn = self.current_connection()
        if conn is not None:
            self._spawn(self.close_connection(conn))

    def reload_current(self) -> None:
        """F5: read the inventory again; on a failed connection, connect again."""
        conn = self.current_connection()
        if conn is None:
            return
        if conn.connected:
            self._spawn(conn.reload())
        elif conn.state in ("failed", "disconnected"):
            self._spawn(self._reopen(conn))

    async def _reopen(self, conn: Connection) -> None:
        self.progress.show()
        ok = await conn.reconnect()
        self.progress.hide()
        if not ok:
            self.statusBar().showMessage(f"Could not connect: {conn.detail}", 15000)
        self._update_status()

    def current_connection(self) -> Connection | None:
        nodes = self.selected_nodes()
        if nodes and nodes[0].conn is not None:
            return nodes[0].conn
        current = self.model.node(self.tree.currentIndex())
        if current.conn is not None:
            return current.conn
        return self.connections[0] if self.connections else None

    def _rows_leaving(self, *_args) -> None:
        self._rebuilding += 1

    def _topology_changed(self, conn: Connection) -> None:
        node = self.model.connection_node(conn)
        self._rebuilding = 0
        if node is None:
            return
        again = [self.model.find(c, kind, key) for c, kind, key in self._remembered
                 if c is conn]
        again = [n for n in again if n is not None]
        if again and not self.selected_nodes():
            selection = self.tree.selectionModel()
            for i, n in enumerate(again):
                flags = QItemSelectionModel.SelectionFlag.Select \
                    | QItemSelectionModel.SelectionFlag.Rows
                if i == 0:
                    selection.setCurrentIndex(self.model.index_of(n), flags)
                else:
                    selection.select(self.model.index_of(n), flags)
        # Show hosts, VMs and VIFs at once: a new user should not hunt for them (on a
        # small fabric; a large one opens at the host level).
        self.tree.expand(self.model.index_of(node))
        small = conn.topology is not None and len(conn.topology.vms) <= 64
        kinds = ("cluster", "host", "vm") if small else ("cluster",)
        for child in node.walk():
            if child.kind in kinds or (child.kind == "group" and child.key == "bridge_domains"
                                       and small):
                self.tree.expand(self.model.index_of(child))
        self._selection_changed()

    def _sampled(self, conn: Connection) -> None:
        if conn is self.current_connection():
            self._update_status()
        if not self._user_selected and conn.history.count >= 1:
            self.watch_busiest(auto=True)
        if self.details.nodes and self.details.nodes[0].conn is conn:
            if self.details.nodes[0].kind == "bd":
                self.details.refresh_l2()

    # ---------------------------------------------------------------- selection
    def selected_nodes(self) -> list[Node]:
        rows = self.tree.selectionModel().selectedRows(0)
        return [self.model.node(i) for i in rows]

    def _selection_changed(self, *_args) -> None:
        nodes = self.selected_nodes()
        if not nodes:
            if self._rebuilding:
                return  # rows are being replaced: keep showing the old object a moment
            current = self.tree.currentIndex()
            nodes = [self.model.node(current)] if current.isValid() else []
        if nodes:
            self._remembered = [(n.conn, n.kind, n.key) for n in nodes if n.conn is not None]
        self.details.show_nodes(nodes)
        self._update_status()

    def select_node(self, node: Node) -> None:
        index = self.model.index_of(node)
        self.tree.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.tree.scrollTo(index)

    def select_path(self, conn: Connection, path: str) -> Node | None:
        node = self.model.node_for_path(conn, path) or self.model.connection_node(conn)
        if node is not None:
            self._user_selected = True
            self.select_node(node)
        return node

    def _finding_chosen(self, conn: Connection, finding: Finding) -> None:
        self.select_path(conn, finding.path)
        self.details.tabs.setCurrentIndex(1)

    def mark_user_selection(self) -> None:
        self._user_selected = True

    def watch_busiest(self, auto: bool = False) -> Node | None:
        """Select the VIF with the most traffic (the first VIF when none has any)."""
        best: tuple[float, Node] | None = None
        first: Node | None = None
        for conn in self.connections:
            root = self.model.connection_node(conn)
            if root is None:
                continue
            for node in root.walk():
                if node.kind != "vif":
                    continue
                first = first or node
                rate = (conn.history.latest("vif", node.key, "rx_pps")
                        + conn.history.latest("vif", node.key, "tx_pps"))
                if rate > 0 and (best is None or rate > best[0]):
                    best = (rate, node)
        target = best[1] if best else (None if auto else first)
        if target is None:
            return None
        if not auto:
            self._user_selected = True
        elif best is not None:
            self._user_selected = True  # auto-watch happens once, when traffic shows
        self.select_node(target)
        return target

    # ------------------------------------------------------------------- status
    def _update_status(self) -> None:
        conn = self.current_connection()
        if conn is None:
            self.state_label.setText("No connection")
            self.time_label.setText("")
            self.rate_label.setText("")
            return
        state = conn.state if conn.history.live or not conn.connected else "not live"
        text = f"{conn.uri}: {state}"
        if conn.detail:
            text += f" — {conn.detail}"
        self.state_label.setText(text)
        self.state_label.setToolTip(conn.detail)
        speed = conn.speed
        speed_text = ""
        if speed is not None:
            speed_text = " (paused)" if speed == 0 else (" (max)" if math.isinf(speed)
                                                         else f" ({speed:g}x)")
        if conn.sim_time > 1e8:  # a real host: wall-clock time
            clock = time.strftime("%H:%M:%S", time.localtime(conn.sim_time))
            self.time_label.setText(f"sampled {clock}")
        else:
            self.time_label.setText(f"t = {conn.sim_time:,.1f} s{speed_text}")
        self.rate_label.setText(f"{conn.frames_per_s:,.0f} frames/s")
        for action in self.speed_actions.values():  # only simulated fabrics have a clock
            action.setEnabled(speed is not None)
        if speed is not None:
            action = self.speed_actions.get(speed)
            if action is not None and not action.isChecked():
                action.setChecked(True)

    def set_speed(self, speed: float) -> None:
        conn = self.current_connection()
        if conn is None or not conn.set_speed(speed):
            self.statusBar().showMessage("This connection has no simulated clock", 5000)
        self._update_status()

    # ---------------------------------------------------------------- dialogs
    def ask_connection(self) -> AddConnectionDialog:
        dialog = AddConnectionDialog(uri_history(self.settings), self)
        dialog.chosen.connect(self.add_connection)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # not exec(): the asyncio loop must keep running (qasync #59)
        return dialog

    def ask_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Open topology file", "",
                             "Topology files (*.yaml *.yml);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)

        def chosen(path: str) -> None:
            self.add_connection(f"emulated://{Path(path).resolve()}")

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def ask_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.prefs, self)
        dialog.applied.connect(self.apply_preferences)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def apply_preferences(self, prefs: Preferences) -> None:
        self.prefs = prefs
        prefs.save(self.settings)
        for conn in self.connections:
            conn.set_poll(prefs.poll_s, prefs.history_s)
        self.details.graphs = list(prefs.graphs)
        self.details.window_s = prefs.history_s
        self.details.refresh_graphs()

    def about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About Fabric Console",
                          "Fabric Console: KVM networking with Cisco VM-FEX and Nexus 1000V "
                          "VXLAN overlays.", QMessageBox.StandardButton.Ok, self)
        box.finished.connect(box.deleteLater)
        box.open()

    # ----------------------------------------------------------------- geometry
    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)

    def save_geometry(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def shutdown(self) -> None:
        """Stop the redraw timer and every plot (the window is going away)."""
        self.refresher.stop()
        self.details.cancel()
        self.details.plots.clear()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            if self.settings.value("window/state") is None:
                # First run: a short findings panel, the graphs get the height.
                QTimer.singleShot(0, self._first_dock_sizes)

    def _first_dock_sizes(self) -> None:
        self.resizeDocks([self.findings_dock], [130], Qt.Orientation.Vertical)
        right = [d for d in self.findChildren(QDockWidget)
                 if self.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
        if right:  # editor docks: narrow, the graphs keep most of the width
            self.resizeDocks(right, [300] * len(right), Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_geometry()
        self.shutdown()
        super().closeEvent(event)

