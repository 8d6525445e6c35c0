"""The main window on real emulated fabrics: tree, details, graphs, findings, tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from console.views.tree import Node

DATA = Path(__file__).resolve().parents[1] / "data"


def wait_connected(qtbot, conn, timeout=20000):
    qtbot.waitUntil(lambda: conn.state in ("connected", "failed"), timeout=timeout)
    assert conn.state == "connected", conn.detail


def nodes(window, conn, kind):
    root = window.model.connection_node(conn)
    return [n for n in root.walk() if n.kind == kind]


def test_window_opens_demo_with_hosts_vms_vifs(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    root = window.model.connection_node(conn)
    hosts = {n.key for n in nodes(window, conn, "host")}
    assert {h.name for h in conn.topology.hosts} == hosts
    vifs = {n.key for n in nodes(window, conn, "vif")}
    assert "web1/eth0" in vifs and len(vifs) == sum(len(v.nics) for v in conn.topology.vms)
    # the model answers through the Qt API, as the view reads it
    index = window.model.index_of(root)
    assert window.model.rowCount(index) == len(root.children) > 0
    assert window.model.data(index) == "emulated:///demo"
    assert {n.name for n in root.children if n.kind == "group"} == {
        "VEMs", "Bridge domains", "Port profiles"}
    qtbot.waitUntil(lambda: window.model.status_text(root) == "connected")


def test_selecting_a_vif_shows_details_and_its_graph_fills(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    vif = window.model.find(conn, "vif", "web1/eth0")
    window.mark_user_selection()
    window.select_node(vif)
    assert window.details.header.text() == "web1/eth0"
    props = {window.details.properties.topLevelItem(i).text(0):
             window.details.properties.topLevelItem(i).text(1)
             for i in range(window.details.properties.topLevelItemCount())}
    assert props["mac"] == "52:54:00:00:01:01"
    assert props["effective port profile"] == "web"
    plots = window.details.plots.plots
    assert [p.spec.key for p in plots][:3] == ["vif_packets", "vif_bits", "vif_drops"]
    qtbot.waitUntil(lambda: plots[0].point_count() > 0, timeout=15000)
    assert plots[0].names == ["web1/eth0"]
    # traffic flows: the tx rate of web1 (2500 pps offered in the demo) is not zero
    qtbot.waitUntil(lambda: conn.history.latest("vif", "web1/eth0", "tx_pps") > 0)


def test_new_user_gets_a_busy_vif_watched_without_clicking(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    qtbot.waitUntil(lambda: window.details.nodes and window.details.nodes[0].kind == "vif",
                    timeout=15000)
    node = window.details.nodes[0]
    assert conn.history.latest("vif", node.key, "rx_pps") \
        + conn.history.latest("vif", node.key, "tx_pps") > 0
    qtbot.waitUntil(lambda: window.details.plots.plots[0].point_count() > 0)


def test_watch_action_picks_the_busiest_vif(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    qtbot.waitUntil(lambda: conn.history.count >= 2, timeout=15000)
    window.watch_action.trigger()
    chosen = window.details.nodes[0]
    rates = {n.key: conn.history.latest("vif", n.key, "rx_pps")
             + conn.history.latest("vif", n.key, "tx_pps") for n in nodes(window, conn, "vif")}
    assert chosen.kind == "vif"
    assert rates[chosen.key] == max(rates.values()) > 0


def test_selecting_a_vm_plots_all_its_vifs_in_merged_curves(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    window.select_node(window.model.connection_node(conn))
    plot = window.details.plots.plots[0]
    assert plot.merged and len(plot.names) == len(nodes(window, conn, "vif"))
    qtbot.waitUntil(lambda: plot.point_count() > 0, timeout=15000)


def broken_file(tmp_path: Path) -> Path:
    text = (DATA / "design_example.yaml").read_text()
    # a VM on a host outside the cluster named default: a VM-FEX rule finding
    text = text.replace("clusters: [{name: default}]", "clusters: [{name: default}, {name: lab}]")
    text = text.replace("  - name: kvm1\n    cluster: default", "  - name: kvm1\n    cluster: lab")
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def test_findings_panel_lists_findings_and_choosing_one_selects_its_object(
        window, qtbot, tmp_path):
    conn = window.add_connection(f"emulated://{broken_file(tmp_path)}")
    wait_connected(qtbot, conn)
    panel = window.findings
    qtbot.waitUntil(lambda: panel.count() > 0)
    rules = [panel.model.rows[i][1].rule for i in range(panel.count())]
    assert any(r.startswith("vmfex.") for r in rules), rules
    row = next(i for i in range(panel.count())
               if panel.model.rows[i][1].path.startswith("vms["))
    finding = panel.model.rows[row][1]
    panel.choose_row(panel.proxy.mapFromSource(panel.model.index(row, 0)).row())
    selected = window.selected_nodes()
    assert len(selected) == 1
    assert finding.path.startswith(selected[0].path) and selected[0].kind in ("vm", "vif")
    assert finding in selected[0].findings
    assert window.details.tabs.currentIndex() == 1
    assert window.details.findings.topLevelItemCount() >= 1


def test_l2_table_of_a_bridge_domain_fills_after_traffic(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    bd = window.model.find(conn, "bd", "tenant-a")
    window.select_node(bd)
    tabs = [window.details.tabs.tabText(i) for i in range(window.details.tabs.count())]
    assert "L2 table" in tabs and any(t.startswith("VTEPs") for t in tabs)
    model = window.details.table_model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=15000)
    assert model.headers == ["MAC", "VEM", "VTEP IP", "Age (s)"]
    macs = {model.rows[i][0] for i in range(model.rowCount())}
    assert "52:54:00:00:11:01" in macs  # app1, which floods tenant-a
    # VTEPs: one designated VTEP per member VEM, marked
    vteps = window.details.vtep_model
    marked = [r for r in vteps.rows if r[4]]
    assert vteps.rowCount() > 0
    assert len(marked) == len({r[0] for r in vteps.rows})
    # flood graphs of the bridge domain fill too
    qtbot.waitUntil(lambda: window.details.plots.plots
                    and window.details.plots.plots[0].point_count() > 0)
    assert window.details.plots.plots[0].spec.key == "bd_flood"


def test_port_profile_lists_the_vifs_that_use_it(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "profile", "web"))
    rows = {r[0] for r in window.details.table_model.rows}
    assert rows == {v.id for v in conn.derived.vifs_using("web")} and rows
    assert "port-profile" in window.details.config.toPlainText().lower() \
        or "port profile" in window.details.config.toPlainText().lower()


def test_two_connections_at_once(window, qtbot):
    a = window.add_connection("emulated:///demo")
    b = window.add_connection(f"emulated://{DATA / 'design_example.yaml'}")
    wait_connected(qtbot, a)
    wait_connected(qtbot, b)
    assert len(window.model.root.children) == 2
    qtbot.waitUntil(lambda: a.history.count > 0 and b.history.count > 0, timeout=15000)
    assert a.topology.name != "" and {v.name for v in b.topology.vms} == {"web1", "app1",
                                                                           "app2"}


def test_failed_connection_shows_an_error_state_not_a_traceback(window, qtbot, tmp_path):
    missing = tmp_path / "nope.yaml"
    conn = window.add_connection(f"emulated://{missing}")
    qtbot.waitUntil(lambda: conn.state == "failed", timeout=10000)
    assert "nope.yaml" in conn.detail
    root = window.model.connection_node(conn)
    assert window.model.status_text(root) == "failed"
    assert "Could not connect" in window.statusBar().currentMessage()
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: fabric-console/1\nhosts: [{name: h, switching: sideways}]\n")
    conn2 = window.add_connection(f"emulated://{bad}")
    qtbot.waitUntil(lambda: conn2.state == "failed", timeout=10000)
    assert "hosts[0].switching" in conn2.detail
    unknown = window.add_connection("nosuchscheme:///x")
    qtbot.waitUntil(lambda: unknown.state == "failed", timeout=10000)
    assert "nosuchscheme" in unknown.detail


def test_dropped_connection_greys_the_graphs_as_not_live(window, qtbot, run):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    plot = window.details.plots.plots[0]
    qtbot.waitUntil(lambda: plot.point_count() > 0, timeout=15000)
    assert plot.live
    run(conn.backend.drop("host unreachable"))
    qtbot.waitUntil(lambda: not plot.live, timeout=10000)
    assert plot.stale_text.isVisible()
    assert "not live" in plot.title.text()
    assert conn.state == "failed" and "host unreachable" in conn.detail


def test_export_png_and_csv(window, qtbot, tmp_path):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    plot = window.details.plots.plots[0]
    qtbot.waitUntil(lambda: conn.history.count >= 2, timeout=15000)
    plot.refresh()
    png, csv_path = tmp_path / "g.png", tmp_path / "g.csv"
    plot.export_png(png)
    plot.export_csv(csv_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "time_s,web1/eth0 rx packets/s,web1/eth0 tx packets/s"
    assert len(lines) == 1 + conn.history.count
    assert float(lines[-1].split(",")[2]) > 0


@pytest.mark.parametrize("speed", [0.0, 10.0])
def test_speed_actions_drive_the_simulated_clock(window, qtbot, speed):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    qtbot.waitUntil(lambda: conn.backend.now > 0, timeout=15000)
    window.speed_actions[speed].trigger()
    assert conn.speed == speed
    if speed == 0.0:
        # the engine call in flight when pausing finishes; then the clock stops
        qtbot.waitUntil(lambda: conn.backend.paused, timeout=10000)
        t, polled = conn.backend.now, conn.history.count
        qtbot.waitUntil(lambda: conn.history.count > polled, timeout=15000)  # a sample later
        assert conn.backend.now == t and conn.backend.paused
        window._update_status()
        assert "(paused)" in window.time_label.text()
    else:
        start = conn.backend.now
        qtbot.waitUntil(lambda: conn.backend.now - start > 3.0, timeout=10000)
    assert "t = " in window.time_label.text()


def test_closing_a_connection_removes_it(window, qtbot, run):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    run(window.close_connection(conn))
    assert window.model.root.children == []
    assert conn.state == "disconnected"
    assert window.findings.count() == 0


def test_path_prefixes_find_the_deepest_object():
    from console.views.tree import path_prefixes

    assert path_prefixes("vms[2].nics[0].pf") == [
        "vms[2].nics[0].pf", "vms[2].nics[0]", "vms[2].nics", "vms[2]", "vms"]
    assert isinstance(Node("vif", "x"), Node)


def test_copy_of_demo_file_opens_by_path(window, qtbot, tmp_path):
    from console.backends.topofiles import demo_path

    copy = tmp_path / "mine.yaml"
    shutil.copy(demo_path(), copy)
    conn = window.add_connection(f"emulated://{copy}")
    wait_connected(qtbot, conn)
    assert conn.topology.name


def test_preferences_persist_and_apply(window, qtbot, settings):
    from console.views.mainwindow import MainWindow
    from console.views.preferences import Preferences

    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    dialog = window.ask_preferences()
    assert dialog.isVisible() and dialog.poll.value() == 1.0  # graphs on, 1 s by default
    assert all(box.isChecked() for box in dialog.graph_boxes.values())
    dialog.poll.setValue(2.5)
    dialog.history.setValue(20)
    dialog.graph_boxes["vif_drops"].setChecked(False)
    dialog.accept()
    assert conn.poll_s == 2.5
    assert conn.history.capacity >= 20 * 60 / 2.5
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    assert [p.spec.key for p in window.details.plots.plots] == ["vif_packets", "vif_bits"]
    again = Preferences.load(settings)
    assert (again.poll_s, again.history_min) == (2.5, 20)
    assert "vif_drops" not in again.graphs
    other = MainWindow(settings)  # a second start reads the same settings
    try:
        assert other.prefs == again
    finally:
        other.shutdown()
        other.deleteLater()


def test_window_geometry_is_remembered(window, settings):
    from console.views.mainwindow import MainWindow

    # within the offscreen screen (800 wide), above the window's least width (the tree
    # and the workspace each keep theirs)
    window.resize(720, 480)
    window.close()  # saves geometry and dock state
    other = MainWindow(settings)
    try:
        assert (other.size().width(), other.size().height()) == (720, 480)
    finally:
        other.shutdown()
        other.deleteLater()


def test_add_connection_dialog_keeps_a_uri_history(window, qtbot, settings):
    from console.views.preferences import uri_history

    dialog = window.ask_connection()
    assert dialog.isVisible()
    assert dialog.uri.findText("emulated:///demo") >= 0
    dialog.uri.setEditText(f"emulated://{DATA / 'design_example.yaml'}")
    dialog.accept()
    assert len(window.connections) == 1
    wait_connected(qtbot, window.connections[0])
    assert uri_history(settings)[0] == f"emulated://{DATA / 'design_example.yaml'}"


def test_selection_survives_a_live_change(window, qtbot, run):
    from console.models.changes import PortProfileEdit

    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    web = next(p for p in conn.topology.port_profiles if p.name == "web")
    result = run(conn.backend.apply(PortProfileEdit(web.model_copy(
        update={"description": "changed"}))))
    assert result.applied
    qtbot.waitUntil(lambda: conn.derived.index.port_profiles["web"].description == "changed")
    qtbot.waitUntil(lambda: [n.key for n in window.selected_nodes()] == ["web1/eth0"])
    assert window.details.header.text() == "web1/eth0"


def test_undo_stack_and_workspace_tab_extension_points(window):
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QLabel

    stack = QUndoStack(window)
    window.set_undo_stack(stack)
    texts = [a.text() for a in window.edit_menu.actions()]
    assert any("Undo" in t for t in texts) and any("Redo" in t for t in texts)
    window.set_undo_stack(QUndoStack(window))  # replaces, does not add
    assert sum("Undo" in a.text() for a in window.edit_menu.actions()) == 1
    index = window.add_workspace_tab(QLabel("canvas"), "Topology")
    assert window.workspace.tabText(index) == "Topology"


def test_f5_reconnects_a_dropped_connection(window, qtbot, run):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    run(conn.backend.drop("link down"))
    qtbot.waitUntil(lambda: conn.state == "failed")
    window.select_node(window.model.connection_node(conn))
    window.reload_action.trigger()
    qtbot.waitUntil(lambda: conn.state == "connected", timeout=20000)
    qtbot.waitUntil(lambda: conn.history.count > 0 and conn.history.live, timeout=15000)


def test_wall_clock_samples_plot_as_seconds_before_now(qtbot):
    from console.models.stats import CounterSample, VifCounters
    from console.views.graphs import GRAPH_BY_KEY
    from console.views.history import StatsHistory
    from console.views.plots import RatePlot

    history = StatsHistory(10)
    epoch = 1_795_000_000.0  # a real host's timestamps
    for i in range(4):
        history.add(CounterSample(epoch + i, vifs={"vm/eth0": VifCounters(rx_packets=100 * i)}))
    plot = RatePlot(GRAPH_BY_KEY["vif_packets"], history, ["vm/eth0"])
    qtbot.addWidget(plot)
    plot.refresh()
    x, y = plot._curves["rx_pps"].getData()
    assert list(x) == [-2.0, -1.0, 0.0] and list(y) == [100.0, 100.0, 100.0]
    assert "before" in plot.plot_item.getAxis("bottom").labelText


def test_vif_preview_is_its_libvirt_interface_and_follows_a_profile_change(window, qtbot, run):
    from console.models.changes import NicUpdate

    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    text = window.details.config.toPlainText()
    assert "<interface" in text and "profileid=\"web\"" in text.replace("'", '"')
    web1 = next(vm for vm in conn.topology.vms if vm.name == "web1")
    nic = web1.nics[0].model_copy(update={"port_profile": "db"})
    assert run(conn.backend.apply(NicUpdate("web1", nic))).applied
    qtbot.waitUntil(lambda: "profileid=\"db\"" in
                    window.details.config.toPlainText().replace("'", '"'), timeout=10000)


@pytest.mark.parametrize("uri", ["emulated:///demo", f"test://{DATA / 'kvm1.xml'}"])
def test_vmfex_hosts_show_their_pfs_and_the_vifs_holding_vfs(window, qtbot, uri):
    pytest.importorskip("libvirt") if uri.startswith("test:") else None
    conn = window.add_connection(uri)
    wait_connected(qtbot, conn)
    pfs = nodes(window, conn, "pf")
    assert pfs, "no PF in the tree"
    pools = conn.derived.vf_pools
    for pf in pfs:
        pool = pools[tuple(pf.key.split("/", 1))]
        assert pf.state == f"{min(len(pool.holders), pool.usable)}/{pool.usable} VFs"
        assert [c.state for c in pf.children] == pool.holders
    window.mark_user_selection()
    window.select_node(pfs[0])
    props = {window.details.properties.topLevelItem(i).text(0):
             window.details.properties.topLevelItem(i).text(1)
             for i in range(window.details.properties.topLevelItemCount())}
    assert props["usable"] == str(pools[tuple(pfs[0].key.split("/", 1))].usable)


def test_a_selected_connection_row_shows_its_state_as_it_changes(window, qtbot, run):
    # Selected while connecting (as a new connection is), the properties followed the
    # tree's state column only on the next click: "State: connecting" stayed.
    conn = window.add_connection("emulated:///demo")
    window.select_node(window.model.connection_node(conn))

    def state_shown() -> str:
        props = window.details.properties
        rows = {props.topLevelItem(i).text(0): props.topLevelItem(i).text(1)
                for i in range(props.topLevelItemCount())}
        return rows.get("State", "")

    assert state_shown() in ("disconnected", "connecting", "connected")
    wait_connected(qtbot, conn)
    qtbot.waitUntil(lambda: state_shown() == "connected")
    run(conn.backend.drop("host unreachable"))
    qtbot.waitUntil(lambda: state_shown() == "failed", timeout=10000)
