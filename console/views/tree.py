"""The connection tree: connections, clusters, hosts, VMs and VIFs; VEMs and VTEPs; bridge
domains; port profiles. A QAbstractItemModel over a node tree that each model change
updates in place (rows that left are removed, new ones inserted, the rest keep their
nodes); a new counter sample touches no row: the traffic column is volatile (read from
the history at paint time), and the view repaints only its visible rows, a band at a time
(TrafficRepainter), so a sample costs the same with 100 or 100,000 VIFs and never one long
paint; findings only touch the rows they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView

from console.models.heap import collector_paused

from .icons import kind_icon, severity_icon, state_icon
from .treenodes import LAZY_KINDS, Node, build_connection_children

if TYPE_CHECKING:
    import numpy as np

    from .connection import Connection

__all__ = ["ConnectionTreeModel", "Node", "SparklineDelegate", "TrafficRepainter",
           "path_prefixes"]

SPARK_ROLE = Qt.ItemDataRole.UserRole + 1
NODE_ROLE = Qt.ItemDataRole.UserRole + 2
SPARK_POINTS = 60

COLUMNS = ("Name", "Traffic", "Status")


def _identities(children: list[Node]) -> list[tuple[str, str, int]]:
    """Each row's identity under its parent: (kind, key, n), n counting the rows with the
    same kind and key before it (a hand-written file may name two VMs alike)."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for child in children:
        pair = (child.kind, child.key)
        n = seen.get(pair, 0)
        seen[pair] = n + 1
        out.append((child.kind, child.key, n))
    return out


def _take_values(mine: Node, theirs: Node) -> bool:
    """Copy what a row shows from a freshly built node; True when its cells changed."""
    changed = (mine.name, mine.tooltip, mine.state, mine.spark) != (
        theirs.name, theirs.tooltip, theirs.state, theirs.spark)
    if mine.spark != theirs.spark:  # other VIFs: the cached traffic rows are stale
        mine.spark_rows = None
        mine.spark_cache = None
    mine.name, mine.tooltip, mine.state, mine.spark = (
        theirs.name, theirs.tooltip, theirs.state, theirs.spark)
    mine.path = theirs.path  # vms[3] may now be vms[2]: findings follow the file's paths
    return changed


def _adopt(node: Node) -> None:
    """Link a subtree the model takes: each child's parent and connection."""
    for i, child in enumerate(node.children):
        child.parent, child.conn, child.row_hint = node, node.conn, i
        _adopt(child)


_CUT = re.compile(r"(\.[^.\[]+|\[\d+\])$")


def path_prefixes(path: str) -> list[str]:
    """'vms[2].nics[0].pf' -> ['vms[2].nics[0].pf', 'vms[2].nics[0]', 'vms[2].nics',
    'vms[2]', 'vms']."""
    out = []
    while path:
        out.append(path)
        cut = _CUT.search(path)
        if cut is None:
            break
        path = path[:cut.start()]
    return out


class ConnectionTreeModel(QAbstractItemModel):
    """Every open connection and its inventory."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.root = Node("root", "")
        # a QTreeView's isExpanded, when one shows this model
        self.expanded_check: Callable[[QModelIndex], bool] | None = None
        self._by_path: dict[Connection, dict[str, Node]] = {}
        self._owners: dict[Connection, dict[str, Node]] = {}  # path -> closed row to open

    # ---------------------------------------------------------- connections
    def add_connection(self, conn: Connection) -> Node:
        node = Node("connection", conn.uri, conn.uri, conn=conn)
        row = len(self.root.children)
        self.beginInsertRows(QModelIndex(), row, row)
        node.parent = self.root
        self.root.children.append(node)
        self.endInsertRows()
        conn.stateChanged.connect(lambda *_: self._touch(node, 0, 2))
        conn.topologyChanged.connect(lambda: self.rebuild(conn))
        conn.findingsChanged.connect(lambda: self.place_findings(conn))
        conn.sampled.connect(lambda: self.traffic_changed(conn))
        return node

    def remove_connection(self, conn: Connection) -> None:
        node = self.connection_node(conn)
        if node is None:
            return
        row = node.row()
        self.beginRemoveRows(QModelIndex(), row, row)
        self.root.children.pop(row)
        node.parent = None
        self.endRemoveRows()
        self._by_path.pop(conn, None)
        self._owners.pop(conn, None)

    def connection_node(self, conn: Connection) -> Node | None:
        return next((n for n in self.root.children if n.conn is conn), None)

    def rebuild(self, conn: Connection) -> None:
        """A new or changed inventory: update the connection's rows in place.

        The whole subtree is built again and diffed against the rows shown, by (kind,
        key) under each parent: rows that left are removed, rows that arrived inserted,
        rows that stayed keep their Node (so persistent indexes, the selection, the
        current row, expansion and the scroll position survive) and repaint. Every edit,
        undo, redo and live event ends here, so a reset would lose all of that each time.
        """
        node = self.connection_node(conn)
        if node is None:
            return
        with collector_paused():  # 100,000 VIFs: a quarter of a million rows built
            fresh = Node("connection", node.name, node.key, conn=conn)
            build_connection_children(fresh, conn)
            if node.spark != fresh.spark:
                node.spark, node.spark_rows, node.spark_cache = fresh.spark, None, None
            self._merge(node, fresh)
            del fresh  # the rows not kept go now, by reference count (no links back up)
        self._by_path[conn] = {}
        self._owners[conn] = {}
        self._map_paths(conn, node)
        self.place_findings(conn)

    def _map_paths(self, conn: Connection, top: Node) -> None:
        """Note the file path of every row built under `top`, and which closed row will
        build the rows of the paths it owns."""
        by_path, owners = self._by_path[conn], self._owners[conn]
        for n in top.walk():
            if n.path and n.kind != "vem":  # a VEM shares its host's path
                by_path[n.path] = n
            for owned in n.owns:
                owners[owned] = n

    def build_rows(self, node: Node) -> None:
        """Build the rows of a closed host or VEM now (opening it, or reaching one of its
        rows by path or name), with the signals a view needs."""
        if node.loader is None:
            return
        with collector_paused():
            kids = node.build_children()
            if not kids:
                return
            node.children = []  # the view hears of them as inserted rows
            self.beginInsertRows(self.index_of(node), 0, len(kids) - 1)
            node.children = kids
            _adopt(node)
            self.endInsertRows()
        conn = node.conn
        if conn is not None and conn in self._by_path:
            self._map_paths(conn, node)
            self.place_findings(conn)  # findings shown on the host move to their rows

    def hasChildren(self, parent=QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        node = self.node(parent)
        return bool(node.children) or node.loader is not None

    def canFetchMore(self, parent) -> bool:
        return parent.isValid() and self.node(parent).loader is not None

    def fetchMore(self, parent) -> None:
        if parent.isValid():
            self.build_rows(self.node(parent))

    def _merge(self, old: Node, new: Node, parent: QModelIndex | None = None) -> None:
        """Make `old`'s children match `new`'s, reusing the Nodes that stayed. `parent`
        is `old`'s index, when the caller knows it."""
        if parent is None:
            parent = self.index_of(old)
        wanted = _identities(new.children)
        keep = set(wanted)
        # 1. rows that left, in contiguous runs from the bottom (rows above keep their
        #    numbers while the ones below go)
        have = _identities(old.children)
        row = len(have) - 1
        while row >= 0:
            if have[row] in keep:
                row -= 1
                continue
            last = row
            while row >= 0 and have[row] not in keep:
                row -= 1
            self.beginRemoveRows(parent, row + 1, last)
            for gone in old.children[row + 1:last + 1]:
                gone.parent = None
            del old.children[row + 1:last + 1]
            self.endRemoveRows()
        # 2. walk the new order: keep, move (a reordered row) or insert
        have = _identities(old.children)
        for i, ident in enumerate(wanted):
            if i < len(have) and have[i] == ident:
                continue
            j = have.index(ident, i + 1) if ident in have[i + 1:] else -1
            if j >= 0:
                self.beginMoveRows(parent, j, j, parent, i)
                old.children.insert(i, old.children.pop(j))
                have.insert(i, have.pop(j))
                self.endMoveRows()
            else:
                arrived = new.children[i]
                self.beginInsertRows(parent, i, i)
                old.children.insert(i, arrived)
                arrived.parent, arrived.conn = old, old.conn
                _adopt(arrived)
                have.insert(i, ident)
                self.endInsertRows()
        # 3. rows that stayed take the new values, and their children are merged too
        for i, (mine, theirs) in enumerate(zip(old.children, new.children, strict=True)):
            if mine is theirs:
                continue  # just inserted
            mine.row_hint = i
            index = self.createIndex(i, 0, mine)
            changed = _take_values(mine, theirs)
            closed = mine.loader is not None
            if closed:
                # still closed: it builds its rows from the new inventory when opened
                changed |= theirs.loader is None  # the expand arrow goes
                mine.loader, mine.owns = theirs.loader, theirs.owns
                closed = mine.loader is not None or not theirs.children  # else rows arrive
            elif theirs.loader is not None:
                theirs.build_children()  # open here: diff against its rows
            if changed:
                self.dataChanged.emit(index, self.createIndex(i, len(COLUMNS) - 1, mine))
            if not closed and (mine.children or theirs.children):
                self._merge(mine, theirs, index)

    def place_findings(self, conn: Connection) -> None:
        node = self.connection_node(conn)
        if node is None:
            return
        touched = [n for n in node.walk() if n.findings]
        for n in touched:
            n.findings = []
        for finding in conn.findings:
            target = self.node_for_path(conn, finding.path, build=False) or node
            target.findings.append(finding)
            touched.append(target)
        for n in set(touched):
            self._touch(n, 2, 2)

    def node_for_path(self, conn: Connection, path: str, build: bool = True) -> Node | None:
        """The deepest row whose file path is `path` or contains it. A row not built yet
        is built (with its siblings) unless `build` is False: then its closed host or
        VEM row answers."""
        nodes = self._by_path.get(conn, {})
        owners = self._owners.get(conn, {})
        for prefix in path_prefixes(path):
            if prefix in nodes:
                return nodes[prefix]
            owner = owners.get(prefix)
            if owner is not None and owner.loader is not None:
                if not build:
                    return owner
                self.build_rows(owner)
                return self.node_for_path(conn, path, build)
        return None

    def find(self, conn: Connection, kind: str, key: str) -> Node | None:
        """The row of an object by kind and key, built if it was not yet."""
        node = self.connection_node(conn)
        if node is None:
            return None
        found = next((n for n in node.walk() if n.kind == kind and n.key == key), None)
        if found is None and kind in LAZY_KINDS:
            # vm: "web1"; vif: "web1/eth0"; pf, vf and vtep: "host/..."
            first = key.split("/", 1)[0]
            vm = None if conn.derived is None else conn.derived.index.vms.get(first)
            owner = vm.host if kind in ("vm", "vif") and vm is not None else first
            for n in list(node.walk()):
                if n.key == owner and n.kind in ("host", "vem") and n.loader is not None:
                    self.build_rows(n)
            found = next((n for n in node.walk() if n.kind == kind and n.key == key), None)
        return found

    def traffic_changed(self, conn: Connection) -> None:
        """A new sample: the connection row's status may change ("not live"). The traffic
        column of every row is volatile (read from the history when painted): the view
        repaints its visible rows (TrafficRepainter) instead of this model signalling
        every row of every expanded node (a dataChanged per expanded host, and a
        QTreeView repaints whole rows, every column, for any of them)."""
        node = self.connection_node(conn)
        if node is None:
            return
        self._touch(node, 1, 2)

    def is_expanded(self, node: Node) -> bool:
        """Set by the view (QTreeView.isExpanded); every row counts as expanded without."""
        view = self.expanded_check
        return True if view is None else view(self.index_of(node))

    def _touch(self, node: Node, c0: int, c1: int) -> None:
        row = node.row()
        if row < 0 or (node.parent is None and node.kind != "root"):
            return
        self.dataChanged.emit(self.createIndex(row, c0, node), self.createIndex(row, c1, node))

    # ------------------------------------------------------------ the model API
    def index_of(self, node: Node, column: int = 0) -> QModelIndex:
        if node is self.root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row(), column, node)

    def node(self, index: QModelIndex | QPersistentModelIndex) -> Node:
        return index.internalPointer() if index.isValid() else self.root

    def index(self, row: int, column: int, parent=QModelIndex()) -> QModelIndex:  # noqa: B008
        pnode = self.node(parent)
        if 0 <= row < len(pnode.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, pnode.children[row])
        return QModelIndex()

    def parent(self, index=QModelIndex()):  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node: Node = index.internalPointer()
        parent = node.parent
        if parent is None or parent is self.root:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        col = index.column()
        if role == NODE_ROLE:
            return node
        if col == 0:
            if role == Qt.ItemDataRole.DisplayRole:
                return node.name
            if role == Qt.ItemDataRole.DecorationRole:
                if node.kind == "connection" and node.conn is not None:
                    return state_icon(node.conn.state)
                return kind_icon(node.kind)
            if role == Qt.ItemDataRole.ToolTipRole:
                if node.kind == "connection" and node.conn is not None:
                    return f"{node.conn.uri}\n{node.conn.state}: {node.conn.detail}"
                return node.tooltip or None
        elif col == 1:
            if role == SPARK_ROLE:
                return self.spark_of(node)
            if role == Qt.ItemDataRole.DisplayRole and node.spark is not None:
                return self.rate_text(node)
        elif col == 2:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.status_text(node)
            if role == Qt.ItemDataRole.DecorationRole and node.worst:
                return severity_icon(node.worst)
            if role == Qt.ItemDataRole.ToolTipRole and node.findings:
                return "\n".join(str(f) for f in node.findings[:10])
            if role == Qt.ItemDataRole.ForegroundRole and node.kind == "connection" \
                    and node.conn is not None and node.conn.state == "failed":
                return QColor("#cc0000")
        return None

    def status_text(self, node: Node) -> str:
        if node.kind == "connection" and node.conn is not None:
            c = node.conn
            if "is not answering" in c.detail:  # the libvirt backend's time-out
                return "not answering"
            if c.state == "connected" and not c.history.live:
                return "not live"
            return c.state
        n = len(node.findings)
        state = node.state
        if n:
            return f"{state + ', ' if state else ''}{n} finding{'s' if n > 1 else ''}"
        return state

    def spark_of(self, node: Node) -> np.ndarray | None:
        """The node's last minute of traffic, computed once per sample (a paint asks for
        it twice, and an aggregate row sums hundreds of VIFs)."""
        if node.spark is None or node.conn is None:
            return None
        history = node.conn.history
        cached = node.spark_cache
        if cached is not None and cached[0] == history.generation:
            return cached[1]
        kind, names, metrics = node.spark
        rows = node.spark_rows
        if rows is None or len(rows) < len(names):  # objects without samples yet
            rows = node.spark_rows = history.rows_of(kind, names)
        data = history.tail(kind, rows, metrics, SPARK_POINTS)
        node.spark_cache = (history.generation, data)
        return data

    def rate_text(self, node: Node) -> str:
        spark = self.spark_of(node)
        if spark is None or len(spark) == 0 or node.spark is None:
            return ""
        return human_rate(float(spark[-1])) + (" pps" if node.spark[0] == "vif" else "/s")


def human_rate(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f}{unit}"
    return f"{value:.0f}"


class TrafficRepainter(QObject):
    """Repaints the traffic column of a tree view's visible rows after each sample, a
    band of rows per event-loop turn: a QTreeView paints whole rows (every column, every
    role asked of the model), so one update of 40 rows is one ~12 ms paint, while bands
    of BAND rows keep each paint short and let the loop run in between. Rows off screen
    cost nothing, however many the model holds."""

    BAND = 10
    INTERVAL_MS = 1

    def __init__(self, view: QTreeView, column: int = 1):
        super().__init__(view)
        self.view = view
        self.column = column
        self._y = 0
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self._step)

    def schedule(self) -> None:
        """Repaint from the top (a band already on its way starts over); nothing while
        the view is not shown (a closed window)."""
        self._y = 0
        if self.view.isVisible() and not self.timer.isActive():
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _step(self) -> None:
        view = self.view
        viewport = view.viewport()
        if not view.isVisible() or self._y >= viewport.height():
            self.timer.stop()
            return
        first = view.indexAt(viewport.rect().topLeft())
        row_h = max(8, view.rowHeight(first) if first.isValid() else 20)
        header = view.header()
        band = QRect(header.sectionViewportPosition(self.column), self._y,
                     header.sectionSize(self.column), row_h * self.BAND)
        viewport.update(band)
        self._y += band.height()


def polyline(xs: np.ndarray, ys: np.ndarray) -> QPolygonF:
    """Points (xs[i], ys[i]) as a QPolygonF, written straight into its memory (what
    pyqtgraph's arrayToQPolygonF does; importing pyqtgraph for it would cost the window
    ~0.2 s before it first shows)."""
    import numpy as np
    import shiboken6

    poly = QPolygonF()
    if len(xs) == 0:
        return poly
    poly.resize(len(xs))
    # VoidPtr(object, size, writable): its stub knows only VoidPtr(int)
    memory: Any = shiboken6.VoidPtr
    points = np.frombuffer(memory(poly.data(), len(xs) * 16, True), dtype=np.float64)
    points = points.reshape(-1, 2)  # a QPointF is two doubles
    points[:, 0] = xs
    points[:, 1] = ys
    return poly


class SparklineDelegate(QStyledItemDelegate):
    """Draws the traffic column: a sparkline of the last minute and the current rate."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        # No initStyleOption and no index.data(): each would be a round trip through the
        # model for roles a sparkline does not need; the node and the model answer.
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        model = index.model()
        node = index.internalPointer() if index.isValid() else None
        if not isinstance(model, ConnectionTreeModel) or not isinstance(node, Node):
            return
        text = model.rate_text(node) if node.spark is not None else ""
        data = model.spark_of(node)
        rect = option.rect.adjusted(2, 3, -2, -3)
        text_w = 58
        spark_rect = rect.adjusted(0, 0, -text_w, 0)
        painter.save()
        live = node.conn.history.live if node.conn is not None else True
        if data is not None and len(data) > 1 and spark_rect.width() > 10:
            top = float(data.max()) or 1.0
            w, h = spark_rect.width(), spark_rect.height()
            n = len(data)
            import numpy as np  # here, not with the window: rows have data only later

            xs = spark_rect.left() + np.arange(n) * (w / max(SPARK_POINTS - 1, 1)) \
                + (SPARK_POINTS - n) * w / max(SPARK_POINTS - 1, 1)
            ys = spark_rect.bottom() - data / top * h
            poly = polyline(xs, ys)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor("#3465a4" if live else "#b0b0b0"), 1))
            painter.drawPolyline(poly)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = option.palette.ColorRole.HighlightedText if selected \
            else option.palette.ColorRole.Text
        painter.setPen(option.palette.color(role) if live else QColor("#999"))
        painter.drawText(rect.adjusted(rect.width() - text_w, 0, 0, 0),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()
