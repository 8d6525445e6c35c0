"""The details pane: what the selected object is (properties), what the rules say about it
(findings), its configuration (on a libvirt host the XML the host holds now, beside what
Fabric Console would write: NX-OS / UCS Manager / libvirt previews), the VSM tables that
belong to it, and its live graphs.

Nothing here keeps a copy of a model value: every show re-reads the connection's current
topology and derived facts (the connection's model changes under it: edits, undo, live
events)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .graphs import PlotPanel, PlotRefresher
from .icons import severity_icon
from .tables import (
    L2_HEADERS,
    PROFILE_VIF_HEADERS,
    VTEP_HEADERS,
    RowsModel,
    l2_rows,
    profile_vif_rows,
    vtep_rows,
)
from .tree import Node

if TYPE_CHECKING:
    from console.models.vmfex import Pf

    from .connection import Connection

# The model classes, the exporters and pydantic are imported when an object is first shown
# (its connection has read them already), not with the window, which shows before any.

log = logging.getLogger(__name__)

# Which configuration each kind of tree object previews (what Fabric Console would write;
# the host's own text is beside it, see LIVE_KINDS): NX-OS and UCSM for profiles,
# bridge domains and hosts; libvirt XML for VMs (domain), VIFs (interface), hosts (VF pool
# networks) and profiles (portgroup), so a profile edit shows in the interface XML.
# Tree objects a backend may hold its own configuration text for (Backend.native_config).
LIVE_KINDS = ("vm", "vif", "host", "profile", "pf")
LIVE_TITLE = "libvirt XML (live, from the host)"
PRODUCT_TITLE = "What Fabric Console would write"
READING = "reading…"

# Property labels that read wrong as the bare field name (the rest: the field name,
# spaced); a PF's "VFs" row is its own vfs field, the pool's counts follow it.
LABELS = {"vfs": "VFs", "pci": "PCI address", "vic": "VIC"}

KIND_NAMES = {
    "connection": "Connection", "cluster": "Cluster", "host": "Host", "vm": "Virtual machine",
    "vif": "VIF", "vem": "VEM", "vtep": "VTEP", "bd": "Bridge domain",
    "profile": "Port profile", "group": "", "pf": "SR-IOV physical function",
    "vf": "SR-IOV virtual function",
}


def plot_target(nodes: list[Node]) -> tuple[str, list[str]]:
    """(history kind, object names) the graphs of a selection show."""
    if not nodes:
        return "", []
    first = nodes[0]
    if first.kind in ("bd", "vem", "vtep") or (first.kind == "group"
                                               and first.key in ("bridge_domains", "vems")):
        kind = "bd" if first.kind == "bd" or first.key == "bridge_domains" else "vem"
        names: list[str] = []
        for n in nodes:
            if n.kind == "group":
                names += [c.key for c in n.children]
            elif n.kind == "vtep" and n.parent is not None:
                names.append(n.parent.key)
            elif n.kind in ("bd", "vem"):
                names.append(n.key)
        return kind, list(dict.fromkeys(names))
    names = []
    for n in nodes:
        if n.spark is not None and n.spark[0] == "vif":
            names += n.spark[1]
    return "vif", list(dict.fromkeys(names))


def _pf_text(pf: Pf) -> str:
    pci = f", PCI {pf.pci}" if pf.pci else ""
    return f"{pf.name} ({pf.vfs} VFs{pci})"


def _value_text(value: Any) -> str:
    from pydantic import BaseModel

    from console.models.vmfex import Pf, Vic

    if isinstance(value, Vic):  # "VIC-1280: eth2 (8 VFs, PCI 0000:0b:00.0), eth3 (...)"
        pfs = ", ".join(_pf_text(pf) for pf in value.pfs)
        return f"{value.model}: {pfs}" if pfs else f"{value.model} (no PFs)"
    if isinstance(value, Pf):
        return _pf_text(value)
    if isinstance(value, BaseModel):  # a nested setting (QoS...): its fields that are set
        return ", ".join(f"{LABELS.get(k, k.replace('_', ' '))}: {_value_text(v)}"
                         for k, v in value if v is not None) or "—"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) or "—"
    if value is None:
        return "—"
    return str(value)


class DetailsPane(QWidget):
    """Everything about the selected object(s)."""

    graphsShown = Signal()

    def __init__(self, refresher: PlotRefresher, parent: QWidget | None = None):
        super().__init__(parent)
        self.nodes: list[Node] = []
        self.graphs: list[str] = []
        self.window_s = 600.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        self.header = QLabel("Nothing selected")
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.header.setFont(font)
        self.subheader = QLabel("")
        self.subheader.setStyleSheet("color: #555")
        layout.addWidget(self.header)
        layout.addWidget(self.subheader)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        layout.addWidget(self.splitter, 1)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.properties = QTreeWidget()
        self.properties.setHeaderLabels(["Property", "Value"])
        self.properties.setRootIsDecorated(False)
        self.properties.setAlternatingRowColors(True)
        self.properties.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tabs.addTab(self.properties, "Properties")
        self.findings = QTreeWidget()
        self.findings.setHeaderLabels(["Rule", "Message"])
        self.findings.setRootIsDecorated(False)
        self.findings.setWordWrap(True)
        self.tabs.addTab(self.findings, "Findings")
        # Configuration: the host's own text (when the backend has one) beside the product's
        # preview, each under a title saying which is which.
        self.config_split = QSplitter(Qt.Orientation.Horizontal)
        self.live_config, self.live_box, self.live_title = self._text_box(LIVE_TITLE)
        self.config, self.config_box, self.config_title = self._text_box(PRODUCT_TITLE)
        # the host's XML keeps its lines (long attribute lists scroll); the preview wraps
        self.live_config.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.live_box.hide()
        self.tabs.addTab(self.config_split, "Configuration")
        # Every widget and model here has a Qt parent from the start, the model being
        # its view's child: a parentless one outlived the pane, and the garbage collector
        # later freed a view after its model (a crash).
        self.table = QTableView(self)
        self.table_model = RowsModel([], self.table)
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table_note = QLabel("")
        self.table_note.setStyleSheet("color: #555; padding: 2px")
        table_box = QWidget(self)
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table_note)
        tl.addWidget(self.table, 1)
        self.table_box = table_box
        table_box.hide()  # shown as a tab when the object has a table
        self.vtep_table = QTableView(self)
        self.vtep_model = RowsModel(VTEP_HEADERS, self.vtep_table)
        self.vtep_table.hide()
        self.vtep_table.setModel(self.vtep_model)
        self.vtep_table.verticalHeader().hide()
        self.vtep_table.verticalHeader().setDefaultSectionSize(22)
        self.vtep_table.horizontalHeader().setStretchLastSection(True)
        self.splitter.addWidget(self.tabs)

        self.plots = PlotPanel(refresher)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.plots)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.plot_scroll = scroll
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([220, 480])
        self._l2_task: asyncio.Task | None = None
        self._live_task: asyncio.Task | None = None
        self._live_of: tuple[int, str, str] | None = None  # (connection, kind, key) shown

    def _text_box(self, title: str) -> tuple[QPlainTextEdit, QWidget, QLabel]:
        box = QWidget(self.config_split)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 2, 0, 0)
        label = QLabel(title, box)
        label.setStyleSheet("font-weight: bold; padding: 2px")
        text = QPlainTextEdit(box)
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(label)
        layout.addWidget(text, 1)
        self.config_split.addWidget(box)
        return text, box, label

    # ----------------------------------------------------------------- showing
    def show_nodes(self, nodes: list[Node]) -> None:
        self.nodes = [n for n in nodes if n.kind != "root"]
        node = self.nodes[0] if self.nodes else None
        if node is None:
            self.header.setText("Nothing selected")
            self.subheader.setText("")
            self.properties.clear()
            self.findings.clear()
            self.config.setPlainText("")
            self._fill_live_config(None)
            self.plots.show_objects(None, "", [], [], self.window_s)
            return
        kind_name = KIND_NAMES.get(node.kind, "")
        title = node.key if node.kind == "vif" else node.name
        if len(self.nodes) > 1:
            title = f"{len(self.nodes)} objects selected"
        self.header.setText(title)
        conn = node.conn
        state = "" if conn is None else f" — {conn.uri}"
        self.subheader.setText(f"{kind_name}{state}")
        self._fill_properties(node)
        self._fill_findings(node)
        self._fill_config(node)
        self._fill_tables(node)
        self.refresh_graphs()

    def connection_changed(self, conn: Connection) -> None:
        """A connection's state or detail changed: the properties of a row of it that
        show them (its URI, state, detail) follow."""
        if self.nodes and self.nodes[0].kind == "connection" and self.nodes[0].conn is conn:
            self._fill_properties(self.nodes[0])

    def refresh_graphs(self) -> None:
        node = self.nodes[0] if self.nodes else None
        if node is None or node.conn is None:
            self.plots.show_objects(None, "", [], [], self.window_s)
            return
        kind, names = plot_target(self.nodes)
        self.plots.show_objects(node.conn.history, kind, names, self.graphs, self.window_s)
        self.graphsShown.emit()

    def _object(self, node: Node) -> Any:
        conn = node.conn
        if conn is None or conn.topology is None or conn.derived is None:
            return None
        idx = conn.derived.index
        if node.kind == "vif":
            ref = idx.vifs.get(node.key)
            return ref.nic if ref else None
        if node.kind == "vtep" and "/" in node.key:
            host, vtep = node.key.split("/", 1)
            h = idx.hosts.get(host)
            return next((v for v in h.vteps if v.name == vtep), None) if h else None
        if node.kind == "pf" and "/" in node.key:
            host, pf = node.key.split("/", 1)
            h = idx.hosts.get(host)
            return next((p for p in h.vic.pfs if p.name == pf), None) if h and h.vic else None
        if node.kind == "vf":
            return None  # no model object: a VF is a slot of its PF's pool (_derived_rows)
        tables: dict[str, Mapping[str, Any]] = {
            "host": idx.hosts, "vem": idx.hosts, "vm": idx.vms, "cluster": idx.clusters,
            "bd": idx.bridge_domains, "profile": conn.derived.all_profiles}
        table = tables.get(node.kind)
        return table.get(node.key) if table is not None else None

    def _fill_properties(self, node: Node) -> None:
        from pydantic import BaseModel

        self.properties.clear()
        rows: list[tuple[str, str]] = []
        conn = node.conn
        if node.kind == "connection" and conn is not None:
            rows += [("URI", conn.uri), ("State", conn.state), ("Detail", conn.detail)]
            if conn.topology is not None:
                t = conn.topology
                rows += [("Topology", t.name), ("Hosts", str(len(t.hosts))),
                         ("VMs", str(len(t.vms))),
                         ("Bridge domains", str(len(t.bridge_domains))),
                         ("Findings", str(len(conn.findings)))]
        obj = self._object(node)
        if obj is not None:
            for name, value in obj:
                if name in ("position",) or (isinstance(value, list) and value
                                             and isinstance(value[0], BaseModel)):
                    continue
                rows.append((LABELS.get(name, name.replace("_", " ")), _value_text(value)))
        rows += self._derived_rows(node)
        for key, value in rows:
            item = QTreeWidgetItem([key, value])
            item.setToolTip(1, value)
            self.properties.addTopLevelItem(item)

    def _derived_rows(self, node: Node) -> list[tuple[str, str]]:
        conn = node.conn
        if conn is None or conn.derived is None:
            return []
        d = conn.derived
        rows: list[tuple[str, str]] = []
        if node.kind == "vif":
            ref = d.index.vifs.get(node.key)
            if ref is not None:
                profile = d.profile_of(ref.nic)
                seg = d.segment_of(ref.nic)
                rows.append(("effective port profile", profile.name if profile else "—"))
                rows.append(("segment", str(seg) if seg else "—"))
                vf = d.vf_of(node.key)
                if vf is not None:
                    rows.append(("VF", f"{vf[0]} VF {vf[1]}"))
                hist = conn.history
                for metric, label in (("rx_pps", "rx now"), ("tx_pps", "tx now")):
                    rows.append((label, f"{hist.latest('vif', node.key, metric):.0f} pps"))
        elif node.kind == "vm":
            verdict = d.migration(node.key)
            rows.append(("live migration", "allowed" if verdict.allowed
                         else "; ".join(verdict.reasons)))
            targets = d.migration_targets(node.key)
            rows.append(("can migrate to", ", ".join(targets) or "—"))
        elif node.kind == "bd":
            rows.append(("member VEMs", ", ".join(d.segment_members.get(node.key, [])) or "—"))
        elif node.kind in ("host", "vem"):
            rows.append(("segments", ", ".join(d.segments_on(node.key)) or "—"))
        elif node.kind == "profile":
            rows.append(("VIFs using it", str(len(d.vifs_using(node.key)))))
        elif node.kind == "pf":
            pf_host, _, pf_name = node.key.partition("/")
            pool = d.vf_pools.get((pf_host, pf_name))
            if pool is not None:  # the PF's own VFs are its "VFs" row already
                rows += [("netlink limit", str(pool.netlink_limit)),
                         ("usable", str(pool.usable)), ("in use", str(len(pool.holders))),
                         ("free", str(pool.free)), ("held by", ", ".join(pool.holders) or "—")]
        elif node.kind == "vf":
            rows += self._vf_rows(node)
        return rows

    @staticmethod
    def _vf_rows(node: Node) -> list[tuple[str, str]]:
        """A VF (key host/pf/n): its PF, its number, who holds it, its PCI address."""
        from console.models.derived import vf_pci_address

        conn = node.conn
        host_name, pf_name, n = (node.key.split("/") + ["", "", ""])[:3]
        if conn is None or conn.derived is None or not n.isdigit():
            return []
        d, index = conn.derived, int(n)
        pool = d.vf_pools.get((host_name, pf_name))
        if pool is None:
            return [("PF", pf_name), ("host", host_name)]
        holder = pool.holders[index] if index < len(pool.holders) else "—"
        rows = [("host", host_name), ("PF", pf_name)]
        if index < pool.usable:
            rows.append(("VF", str(index)))
        else:  # past the usable VFs: the VIF waits for one (vmfex.vf-limit says why)
            rows.append(("VF", f"none: the PF has {pool.usable} usable VFs"))
        rows.append(("held by", holder))
        host = d.index.hosts.get(host_name)
        pf = next((p for p in host.vic.pfs if p.name == pf_name), None) \
            if host is not None and host.vic is not None else None
        if pf is not None and pf.pci is not None and index < pool.usable:
            # the address the product plans for VF n (what a hostdev export writes); on a
            # live host libvirt may have handed the VIF another VF (its interface XML says)
            with contextlib.suppress(ValueError):  # past the bus: no address to show
                rows.append(("planned PCI address", vf_pci_address(pf.pci, index)))
        return rows

    def _fill_findings(self, node: Node) -> None:
        self.findings.clear()
        shown = node.findings
        if node.kind == "connection" and node.conn is not None:
            shown = node.conn.findings
        for f in shown:
            item = QTreeWidgetItem([f.rule, f"{f.path}: {f.message}"])
            item.setIcon(0, severity_icon(f.severity.value))
            item.setToolTip(1, f.message)
            self.findings.addTopLevelItem(item)
        self.tabs.setTabText(1, f"Findings ({len(shown)})" if shown else "Findings")
        self.tabs.setTabIcon(1, severity_icon(node.worst) if node.worst else QIcon())

    def _fill_config(self, node: Node) -> None:
        self.config.setPlainText(self._config_text(node))
        self._fill_live_config(node)

    # ------------------------------------------------------- the host's own XML
    def _fill_live_config(self, node: Node | None) -> None:
        """Ask the backend for the object's own text (asynchronously: a libvirt call may
        wait on the network); the pane shows it beside the preview when it comes."""
        conn = node.conn if node is not None else None
        if node is None or conn is None or node.kind not in LIVE_KINDS \
                or not conn.connected or conn.backend is None or len(self.nodes) > 1:
            self._cancel_live()
            self._live_of = None
            self.live_box.hide()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no asyncio loop (a widget built without qasync): preview only
        which = (id(conn), node.kind, node.key)
        if which != self._live_of:
            # another object: its text is not known yet. The same one shown again (after a
            # model change) keeps the last text until the fresh read replaces it.
            self.live_config.setPlainText(READING)
            self._live_of = which
        self.live_box.show()
        self._cancel_live()
        self._live_task = loop.create_task(self._fetch_live(node, conn.backend))

    async def _fetch_live(self, node: Node, backend: Any) -> None:
        try:
            text = await backend.native_config(node.kind, node.key)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the reason is shown, never a traceback
            text = f"Cannot read it from the host: {exc}"
        if not self.nodes or self.nodes[0] is not node:
            return  # the selection moved on while the host answered
        if text is None:  # the fabric holds no text of its own for it
            self.live_box.hide()
            return
        self.live_config.setPlainText(text)
        self.live_box.show()

    def _cancel_live(self) -> None:
        if self._live_task is not None and not self._live_task.done():
            self._live_task.cancel()
        self._live_task = None

    def _config_text(self, node: Node) -> str:
        from console.export import FORMATS

        conn = node.conn
        if conn is None or conn.topology is None:
            return ""
        path = node.path
        if node.kind == "profile" and not path and conn.derived is not None:
            dyn = [p.name for p in conn.derived.dynamic_profiles.values()]
            if node.key in dyn:
                path = f"dynamic_profiles[{dyn.index(node.key)}]"
        # A VEM is a host seen as a switch: its switch configuration only.
        formats = [f for f in FORMATS.values()
                   if f.shows(path) and (f.switch or node.kind != "vem")]
        if not path or not formats:
            return "No configuration preview for this kind of object.\n" \
                   "(Previews exist for port profiles, bridge domains, hosts, VMs and VIFs.)"
        parts = []
        for export_format in formats:
            try:
                # the connection's Derived is current: building it again per format is
                # work done three times on the GUI thread
                text = export_format.render_object(conn.topology, path, conn.derived)
            except (ValueError, KeyError) as exc:
                text = f"! {exc}\n"
            except Exception as exc:  # a preview bug must not break selection
                log.exception("config preview of %s failed", path)
                text = f"! preview failed: {exc}\n"
            if text.strip():
                parts.append(f"!! {export_format.label}\n{text}")
        return "\n".join(parts) or "No configuration preview available."

    def _fill_tables(self, node: Node) -> None:
        # Remove the object-specific tabs, then add the ones this object has.
        while self.tabs.count() > 3:
            self.tabs.removeTab(3)
        conn = node.conn
        if conn is None or conn.topology is None or conn.derived is None:
            return
        if node.kind == "bd":
            self.table_model.set_headers(L2_HEADERS)
            self.table_model.set_rows([])
            self.table_note.setText("Learned remote MACs of this segment in every VEM.")
            self.tabs.addTab(self.table_box, "L2 table")
            rows, bold = vtep_rows(conn.topology, conn.derived, node.key)
            self.vtep_model.set_rows(rows, bold)
            self.vtep_table.resizeColumnsToContents()
            self.tabs.addTab(self.vtep_table, f"VTEPs ({len(rows)})")
            self.refresh_l2()
        elif node.kind == "profile":
            self.table_model.set_headers(PROFILE_VIF_HEADERS)
            rows = profile_vif_rows(conn.topology, conn.derived, node.key)
            self.table_model.set_rows(rows)
            self.table.resizeColumnsToContents()
            self.table_note.setText("A change to this profile applies at once to every VIF "
                                    "below.")
            self.tabs.addTab(self.table_box, f"VIFs ({len(rows)})")

    # ------------------------------------------------------------- L2 table
    def refresh_l2(self) -> None:
        """Fetch the selected bridge domain's L2 table (asynchronously)."""
        node = self.nodes[0] if self.nodes else None
        if node is None or node.kind != "bd" or node.conn is None:
            return
        if self._l2_task is not None and not self._l2_task.done():
            return  # one fetch at a time
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._l2_task = loop.create_task(self._fetch_l2(node))

    async def _fetch_l2(self, node: Node) -> None:
        assert node.conn is not None  # only bridge domains of a connection get here
        try:
            entries = await node.conn.l2_table(node.key)
        except Exception as exc:
            self.table_note.setText(f"L2 table unavailable: {exc}")
            return
        if not self.nodes or self.nodes[0] is not node:
            return
        if entries is None:
            self.table_note.setText("This connection does not report L2 tables.")
            return
        self.table_model.set_headers(L2_HEADERS)
        first = self.table_model.rowCount() == 0
        self.table_model.set_rows(l2_rows(entries))
        if first:
            self.table.resizeColumnsToContents()
        remote = sum(1 for e in entries if not getattr(e, "local", False))
        self.table_note.setText(f"Bridge domain {node.key}: {len(entries)} entries in the "
                                f"VEMs' L2 tables, {remote} learned from remote VTEPs "
                                "(as `show bridge-domain mac` lists them).")

    def cancel(self) -> None:
        if self._l2_task is not None:
            self._l2_task.cancel()
        self._cancel_live()

