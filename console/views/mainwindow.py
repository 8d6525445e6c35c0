"""The main window, in the style of virt-manager's manager window."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QItemSelectionModel, QPoint, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QUndoStack,
)
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

from .connect_dialog import AddConnectionDialog
from .details import DetailsPane
from .findings import FindingsPanel
from .graphs import PlotRefresher
from .preferences import Preferences, PreferencesDialog, remember_uri, uri_history
from .tree import ConnectionTreeModel, Node, SparklineDelegate, TrafficRepainter

if TYPE_CHECKING:
    from console.models.findings import Finding

    from .connection import Connection

log = logging.getLogger(__name__)

SPEEDS = (("Pause", 0.0, "Ctrl+P"), ("1x", 1.0, "Ctrl+1"), ("10x", 10.0, "Ctrl+2"),
          ("Max", math.inf, "Ctrl+3"))
TREE_COLUMNS = (140, 100, 80)  # Name (its least), Traffic, Status
SPLITTER_SIZES = (430, 850)  # tree, workspace, at the default 1280 px width
WORKSPACE_LEAST = 360
WORKSPACE_ROOM = 620  # what the details pane needs for its widest graphs and buttons
FINDINGS_HEIGHT = 130
EDITOR_WIDTH = 320  # an on-demand dock's width the first time it shows


class MainWindow(QMainWindow):
    """Connections on the left, the selected object's details and live graphs in the
    middle, every finding at the bottom.

    Extension points (for the editors):

    - ``add_workspace_tab(widget, title) -> int``: adds a tab to the central QTabWidget
      (``self.workspace``), next to the "Details" tab; e.g. the "Topology" canvas.
    - ``add_dock(widget, title, area, name=None, on_demand=True)``: adds an editor dock
      (a QDockWidget) and a toggle for it in the View menu. An on-demand dock starts
      hidden (at every start, and after View > Reset layout); its saved place and width
      come back when it shows.
    - ``show_dock(dock)``: shows such a dock when the user opens an editor, at a width
      that leaves the graphs their room (the tree narrows first), and raises it.
    - ``reserve_workspace_tab(title)`` and ``reserve_dock(title, area, name,
      on_demand)``: a tab or dock whose contents are built after the window first shows
      (console.app builds the editors then): its tab title or dock is there from the
      first frame, and the saved layout restores the dock with the others; the
      ``add_workspace_tab`` or ``add_dock`` of the same title or name fills it later.
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
        # Docks added through add_dock: where each goes by default, and whether it shows
        # only on demand (an editor: hidden until something is edited).
        self._dock_defaults: dict[QDockWidget, tuple[Qt.DockWidgetArea, bool]] = {}
        self._state_restored = False
        # Tabs and docks reserved before the first show, filled later (reserve_*).
        self._reserved_tabs: dict[str, QWidget] = {}
        self._reserved_docks: dict[str, QDockWidget] = {}
        self._dock_widths: dict[str, int] = _dock_widths(self.settings)
        # Connections whose first inventory arrived (their rows were expanded once) and
        # those still connecting (the status bar's progress follows them).
        self._expanded_once: set[Connection] = set()
        self._opening: set[Connection] = set()
        self._busy: dict[Connection, str] = {}  # connection -> the step it is at
        self._percent: dict[Connection, int] = {}
        self.setWindowTitle("Fabric Console")
        self.resize(1280, 800)

        self.refresher = PlotRefresher(parent=self)
        self.model = ConnectionTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.model.expanded_check = self.tree.isExpanded
        self.tree.setItemDelegateForColumn(1, SparklineDelegate(self.tree))
        # A sample repaints the traffic column of the rows on screen, a band at a time.
        self.traffic_repainter = TrafficRepainter(self.tree, 1)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)  # a VIF is five levels deep: its name needs the room
        self.tree.setAlternatingRowColors(True)
        # The Name column takes what the Traffic and Status columns leave: a narrower
        # tree shortens names instead of scrolling the Status column out of sight.
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, TREE_COLUMNS[1])
        header.resizeSection(2, TREE_COLUMNS[2])
        self.tree.setMinimumWidth(sum(TREE_COLUMNS) + 24)  # + the vertical scroll bar
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)

        self.details = DetailsPane(self.refresher)
        self.details.graphs = list(self.prefs.graphs)
        self.details.window_s = self.prefs.history_s
        self.workspace = QTabWidget()
        self.workspace.setDocumentMode(True)
        self.workspace.addTab(self.details, "Details")
        # An explicit least width: the splitter then ignores what the tabs' contents ask
        # for, which (a wide tab bar or toolbar on one tab) could otherwise make the
        # window wider than the screen once an editor dock is open too.
        self.workspace.setMinimumWidth(WORKSPACE_LEAST)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.workspace)
        # Only the workspace grows and shrinks with the window, and neither side can be
        # collapsed to nothing by dragging the handle.
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes(list(SPLITTER_SIZES))
        self.setCentralWidget(self.splitter)

        self.findings = FindingsPanel()
        self.findings.findingChosen.connect(self._finding_chosen)
        self.findings_dock = self.add_dock(self.findings, "Findings",
                                           Qt.DockWidgetArea.BottomDockWidgetArea,
                                           name="findings", on_demand=False)

        self._build_status_bar()
        self._build_actions()
        self._update_status()
        self._restore_geometry()

    # ------------------------------------------------------------------- chrome
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QLabel("No connection")
        self.time_label = QLabel("")
        self.rate_label = QLabel("")
        # What a connection being opened is doing: the step in words, and a bar that is
        # busy (no percent) unless the backend reports one for the step.
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(140)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress_label.hide()
        self.progress.hide()
        bar.addWidget(self.state_label, 1)
        bar.addPermanentWidget(self.progress_label)
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
        self.reset_layout_action = self._action(
            "Reset &layout", self.reset_layout, None,
            "Put the panels back where they start, at their first sizes")
        self.view_menu.addAction(self.watch_action)
        self.view_menu.addAction(self.reload_action)
        self.view_menu.addAction(self.reset_layout_action)
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

        # Short texts (the menus and tooltips keep the long ones), so the whole toolbar
        # fits at 1280 px next to whatever the editors add, with no "»" overflow.
        self.add_action.setIconText("Connect")
        self.watch_action.setIconText("Watch")
        self.prefs_action.setIconText("Preferences")
        tools = self.toolbar = self.addToolBar("Main")
        tools.setObjectName("main-toolbar")
        tools.setMovable(False)
        tools.setFloatable(False)
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tools.addAction(self.add_action)
        tools.addAction(self.watch_action)
        tools.addSeparator()
        for a in self.speed_actions.values():
            tools.addAction(a)
        tools.addSeparator()
        tools.addAction(self.prefs_action)

    # --------------------------------------------------------- extension points
    def add_workspace_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (e.g. the "Topology" canvas) to the central workspace, in the place
        reserved for it if one was (reserve_workspace_tab)."""
        placeholder = self._reserved_tabs.pop(title, None)
        if placeholder is None:
            return self.workspace.addTab(widget, title)
        index = self.workspace.indexOf(placeholder)
        current = self.workspace.currentIndex() == index
        self.workspace.removeTab(index)
        self.workspace.insertTab(index, widget, title)
        if current:
            self.workspace.setCurrentIndex(index)
        placeholder.deleteLater()
        return index

    def reserve_workspace_tab(self, title: str) -> None:
        """A tab whose contents come after the first show: its title is in the tab bar
        from the first frame; add_workspace_tab(widget, title) fills it."""
        placeholder = QWidget(self.workspace)
        self.workspace.addTab(placeholder, title)
        self._reserved_tabs[title] = placeholder

    def add_dock(self, widget: QWidget, title: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                 name: str | None = None, on_demand: bool = True) -> QDockWidget:
        """Add a dock (e.g. an editor) with a toggle in the View menu.

        An `on_demand` dock (the default: an editor) starts hidden and takes space only
        when something is edited: call ``show_dock(dock)`` when the user opens an editor.
        A dock reserved under the same name (reserve_dock) takes `widget` instead.
        """
        object_name = f"dock-{name or title.lower().replace(' ', '-')}"
        reserved = self._reserved_docks.pop(object_name, None)
        if reserved is not None:
            placeholder = reserved.widget()
            reserved.setWidget(widget)
            if placeholder is not None:
                placeholder.deleteLater()
            return reserved
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        self._dock_defaults[dock] = (area, on_demand)
        # A dock added after the saved layout was restored takes its saved place (Qt
        # keeps a placeholder for it); one added before is placed by that restore.
        if not (self._state_restored and self.restoreDockWidget(dock)):
            self.addDockWidget(area, dock)
        if on_demand:
            dock.hide()
        dock.visibilityChanged.connect(lambda visible, d=dock: self._dock_visibility(d, visible))
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def reserve_dock(self, title: str,
                     area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                     name: str | None = None, on_demand: bool = True) -> QDockWidget:
        """A dock whose contents come after the first show, made now with an empty
        widget: the saved layout is restored at the first show, and a dock added after
        it could land outside the layout (see _restore_geometry). add_dock with the same
        name fills it."""
        dock = self.add_dock(QWidget(), title, area, name, on_demand)
        self._reserved_docks[dock.objectName()] = dock
        return dock

    def show_dock(self, dock: QDockWidget) -> None:
        """Show a dock because the user opened what it holds (an editor): docked at a
        width that leaves the graphs most of the window, and raised if tabbed."""
        if dock.isHidden():
            dock.show()
            if not dock.isFloating() and self.dockWidgetArea(dock) in (
                    Qt.DockWidgetArea.LeftDockWidgetArea,
                    Qt.DockWidgetArea.RightDockWidgetArea):
                width = self._dock_width(dock)
                self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
        dock.raise_()

    def _make_room(self, central: int) -> None:
        """Narrow the tree (down to its least width) before the details pane gets less
        than it needs for its graphs and their buttons, in `central` pixels."""
        tree, work = self.splitter.sizes()
        if work >= WORKSPACE_ROOM:
            return
        narrower = max(self.tree.minimumWidth(), central - WORKSPACE_ROOM)
        if narrower < tree:
            self.splitter.setSizes([narrower, central - narrower])

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
        # The connection machinery (backends, models, numpy) is imported with the first
        # connection, not with the window.
        from .connection import Connection

        conn = Connection(uri, self.prefs.poll_s, self.prefs.history_s, self)
        self.connections.append(conn)
        node = self.model.add_connection(conn)
        self.findings.model.add_connection(conn)
        conn.stateChanged.connect(lambda *_, c=conn: self._state_changed(c))
        conn.progress.connect(lambda percent, step, c=conn: self._progress(c, percent, step))
        conn.sampled.connect(lambda c=conn: self._sampled(c))
        conn.topologyChanged.connect(lambda c=conn: self._topology_changed(c))
        remember_uri(self.settings, uri)
        if not self.tree.currentIndex().isValid():
            self.tree.setCurrentIndex(self.model.index_of(node))
        self._begin_progress(conn)  # at once: the task starts on the next loop turn
        self._spawn(self._open(conn))
        return conn

    async def _open(self, conn: Connection) -> None:
        ok = await conn.open()
        if not ok:
            self.statusBar().showMessage(f"Could not connect: {conn.detail}", 15000)
        self._update_status()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ progress
    def _state_changed(self, conn: Connection) -> None:
        # The progress follows the connection's state, whoever opened it (add, F5,
        # a reconnect): busy from "connecting" until connected, failed or closed.
        if conn.state == "connecting" and conn not in self._opening:
            self._begin_progress(conn)
        elif conn.state != "connecting" and conn in self._opening:
            self._end_progress(conn)
        self.details.connection_changed(conn)
        self._update_status()

    def _begin_progress(self, conn: Connection) -> None:
        self._opening.add(conn)
        self._busy[conn] = "connecting…"
        self._percent[conn] = 0
        self._show_progress()

    def _end_progress(self, conn: Connection) -> None:
        self._opening.discard(conn)
        self._busy.pop(conn, None)
        self._percent.pop(conn, None)
        self._show_progress()

    def _progress(self, conn: Connection, percent: int, step: str) -> None:
        """A backend's step while it connects, or a long operation's percent."""
        if conn in self._opening:
            # The backend's 100 % is not the end of connecting: the inventory is read
            # next. Say that, not a stale "running 100%".
            self._busy[conn] = step if percent < 100 else "reading the inventory…"
            self._percent[conn] = percent if percent < 100 else 0
        elif percent < 100:  # a migration, say
            self._busy[conn] = step
            self._percent[conn] = percent
        else:
            self._end_progress(conn)
            return
        self._show_progress()

    def _show_progress(self) -> None:
        """The first busy connection's step, with its percent where it has one; hidden
        when nothing is in progress."""
        if not self._busy:
            self.progress.hide()
            self.progress_label.hide()
            return
        conn, step = next(iter(self._busy.items()))
        percent = self._percent.get(conn, 0)
        self.progress_label.setText(f"{conn.uri}: {step}" if len(self.connections) > 1
                                    else step)
        if 0 < percent < 100:
            self.progress.setRange(0, 100)
            self.progress.setValue(percent)
        else:  # no percent for this step: a busy bar, not a number that means nothing
            self.progress.setRange(0, 0)
        self.progress_label.show()
        self.progress.show()

    async def close_connection(self, conn: Connection) -> None:
        if conn not in self.connections:
            return
        self.connections.remove(conn)
        selected = [n for n in self.selected_nodes() if n.conn is conn]
        if selected:
            self.tree.clearSelection()
        self.findings.model.remove_connection(conn)
        self.model.remove_connection(conn)
        self._expanded_once.discard(conn)
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
        ok = await conn.reconnect()
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

    def _topology_changed(self, conn: Connection) -> None:
        # The model updated its rows in place (ConnectionTreeModel.rebuild, connected
        # before this): selection, expansion and scrolling are as the user left them.
        node = self.model.connection_node(conn)
        if node is None:
            return
        if node.children and conn not in self._expanded_once:
            self._expanded_once.add(conn)
            self._expand_first_time(conn, node)
        self._selection_changed()

    def _expand_first_time(self, conn: Connection, node: Node) -> None:
        """Show hosts, VMs and VIFs at once when a connection's inventory first arrives:
        a new user should not hunt for them (on a small fabric; a large one opens at the
        host level). Only once: later changes must not re-expand what the user closed."""
        self.tree.expand(self.model.index_of(node))
        small = conn.topology is not None and len(conn.topology.vms) <= 64
        kinds = ("cluster", "host", "vm") if small else ("cluster",)
        for child in node.walk():
            if child.kind in kinds or (child.kind == "group" and child.key == "bridge_domains"
                                       and small):
                self.tree.expand(self.model.index_of(child))

    def _sampled(self, conn: Connection) -> None:
        self.traffic_repainter.schedule()
        if conn is self.current_connection():
            self._update_status()
        if not self._user_selected and conn.history.count >= 1 and all(
                n.kind == "connection" for n in self.selected_nodes()):
            # Auto-watch only while nothing deeper than a connection is selected: it
            # never takes away an object the user (or an editor) has chosen.
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
            current = self.tree.currentIndex()
            nodes = [self.model.node(current)] if current.isValid() else []
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
        # By the VIF ids the rows' sparklines sum, in the tree's order, not by the rows:
        # a host's rows are built only when it is opened (treenodes), and one numpy step
        # reads every VIF's rate (100,000 VIFs).
        import numpy as np

        best: tuple[float, Connection, str] | None = None
        first: tuple[Connection, str] | None = None
        for conn in self.connections:
            root = self.model.connection_node(conn)
            if root is None:
                continue
            ids = [v for c in root.children if c.kind == "cluster" and c.spark
                   for v in c.spark[1]]
            if not ids:
                continue
            first = first or (conn, ids[0])
            rows = conn.history.row_numbers("vif", ids)
            known = np.flatnonzero(rows >= 0)
            if len(known) == 0:
                continue
            rates = conn.history.latest_rows("vif", rows[known], ("rx_pps", "tx_pps"))
            top = int(np.argmax(rates))  # the first of equals, as the rows' order had it
            if rates[top] > 0 and (best is None or rates[top] > best[0]):
                best = (float(rates[top]), conn, ids[known[top]])
        chosen = (best[1], best[2]) if best else (None if auto else first)
        target = None if chosen is None else self.model.find(chosen[0], "vif", chosen[1])
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
            for action in self.speed_actions.values():  # no simulated clock to drive
                action.setEnabled(False)
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
            chosen = self.speed_actions.get(speed)
            if chosen is not None and not chosen.isChecked():
                chosen.setChecked(True)

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
        """The window's size and place now; its docks when it first shows.

        The dock layout waits for the first show because the editors add their dock
        after the window is built: Qt restores the state of a window that will show
        maximized later, from a copy taken when restoreState was called, and a dock
        added in between ends up outside the layout, over the menu bar and toolbar.
        """
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
            return
        # First run: the default size, but never larger than the screen (a 1280x800
        # laptop would lose the status bar under the title bar's height).
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry()
            self.resize(min(self.width(), room.width()), min(self.height(), room.height() - 40))

    def _restore_state(self) -> None:
        self._state_restored = True
        state = self.settings.value("window/state")
        sizes = self.settings.value("window/splitter")
        if isinstance(sizes, QByteArray | bytes):
            self.splitter.restoreState(sizes)
        if not isinstance(state, QByteArray | bytes):
            self.reset_layout()  # first run
            return
        if not self.restoreState(state) or self.layout_problems():
            log.info("saved window layout unusable (%s): default layout",
                     "; ".join(self.layout_problems()) or "unreadable")
            self.reset_layout()
            return
        # Nothing is being edited at start: on-demand docks take no space until used.
        for dock, (_area, on_demand) in self._dock_defaults.items():
            if on_demand:
                dock.hide()

    def layout_problems(self) -> list[str]:
        """What is wrong with the current dock and toolbar layout (nothing, normally):
        a dock over the menu bar or toolbar, outside the window or off every screen, or
        a hidden toolbar."""
        self.layout().activate()  # type: ignore[union-attr]  # a QMainWindow has its layout
        problems = []
        chrome: list[QWidget] = [self.menuBar()]
        if self.toolbar.isHidden():
            problems.append("toolbar hidden")
        elif self.toolBarArea(self.toolbar) != Qt.ToolBarArea.TopToolBarArea:
            problems.append("toolbar moved")
        else:
            chrome.append(self.toolbar)
        top = max(w.geometry().bottom() for w in chrome) + 1
        inside = self.rect().adjusted(0, top, 0, 0)
        screens = [s.availableGeometry() for s in QGuiApplication.screens()]
        for dock in self._dock_defaults:
            if dock.isHidden():
                continue
            name = dock.objectName()
            if dock.isFloating():
                frame = dock.frameGeometry()
                if not any(frame.intersected(s).width() >= 100
                           and frame.intersected(s).height() >= 50 for s in screens):
                    problems.append(f"{name} floats off screen")
                for w in chrome:
                    area = QRect(w.mapToGlobal(QPoint(0, 0)), w.size())
                    if frame.intersects(area):
                        problems.append(f"{name} floats over the {w.objectName() or 'menu'}")
            elif self.dockWidgetArea(dock) == Qt.DockWidgetArea.NoDockWidgetArea:
                problems.append(f"{name} outside the dock areas")
            elif not inside.contains(dock.geometry()):
                problems.append(f"{name} at {dock.geometry().getRect()} outside "
                                f"{inside.getRect()}")
        return problems

    def reset_layout(self) -> None:
        """View > Reset layout: every dock docked where it starts (on-demand ones
        hidden), the findings short, the tree and workspace at their first widths."""
        self.toolbar.show()
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        for dock, (area, on_demand) in self._dock_defaults.items():
            dock.setFloating(False)
            self.addDockWidget(area, dock)  # moves it back to its area
            dock.setVisible(not on_demand)
        self._dock_widths.clear()
        self.resizeDocks([self.findings_dock], [FINDINGS_HEIGHT], Qt.Orientation.Vertical)
        self.splitter.setSizes(list(SPLITTER_SIZES))

    def _dock_width(self, dock: QDockWidget) -> int:
        """An on-demand dock's width when it shows: as the user left it, at most 40 % of
        the window, so the graphs keep most of it."""
        width = self._dock_widths.get(dock.objectName(), EDITOR_WIDTH)
        return max(200, min(width, int(self.width() * 0.4)))

    def _dock_visibility(self, dock: QDockWidget, visible: bool) -> None:
        if not visible and not dock.isFloating() and dock.width() > 50:
            self._dock_widths[dock.objectName()] = dock.width()
        elif visible and self._dock_defaults.get(dock, (None, False))[1]:
            # However it was opened (View menu, show_dock, the dock's own show()): once
            # it has its width, take the room from the tree before the details pane.
            QTimer.singleShot(0, self, lambda d=dock: self._fit_dock(d))

    def _fit_dock(self, dock: QDockWidget) -> None:
        if dock.isVisible() and not dock.isFloating() and self.dockWidgetArea(dock) in (
                Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
            self._make_room(self.splitter.width())

    def save_geometry(self) -> None:
        for dock in self._dock_defaults:
            if dock.isVisible() and not dock.isFloating():
                self._dock_widths[dock.objectName()] = dock.width()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("window/dock-widths", ",".join(
            f"{name}={width}" for name, width in self._dock_widths.items()))
        self.settings.sync()

    def shutdown(self) -> None:
        """Stop the redraw timer and every plot (the window is going away)."""
        self.refresher.stop()
        self.traffic_repainter.stop()
        self.details.cancel()
        self.details.plots.clear()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._state_restored:
            # Every dock the editors add before the first show exists now.
            self._restore_state()
            # Once more when the window has settled (a window manager maximizing it):
            # a layout that went wrong meanwhile still falls back to the default.
            QTimer.singleShot(0, self, self._check_layout)

    def _check_layout(self) -> None:
        problems = self.layout_problems()
        if problems:
            log.info("window layout unusable (%s): default layout", "; ".join(problems))
            self.reset_layout()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_geometry()
        self.shutdown()
        super().closeEvent(event)


def _dock_widths(settings: QSettings) -> dict[str, int]:
    """The on-demand docks' widths saved at the last quit ("dock-editor=320,...")."""
    widths = {}
    for item in str(settings.value("window/dock-widths", "") or "").split(","):
        name, _, width = item.partition("=")
        if name and width.isdigit():
            widths[name] = int(width)
    return widths
