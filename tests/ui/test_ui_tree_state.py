"""The connection tree across model changes: every edit, undo, redo and live event emits
topologyChanged, and the tree must update its rows in place, keeping what the user
expanded, collapsed, selected and scrolled to."""

from __future__ import annotations

from console.models.derived import Derived
from console.models.inventory import VmState


def wait_connected(qtbot, conn, timeout=20000):
    qtbot.waitUntil(lambda: conn.state in ("connected", "failed"), timeout=timeout)
    assert conn.state == "connected", conn.detail


def expanded(window, conn) -> set[tuple[str, str]]:
    root = window.model.connection_node(conn)
    return {(n.kind, n.key) for n in root.walk()
            if n.children and window.tree.isExpanded(window.model.index_of(n))}


def change_vms(conn, vms) -> None:
    """Replace the topology's VM list as an edit does (console/views/undo.py replaces
    whole lists), then tell the views, as the connection's document does."""
    topo = conn.topology
    topo.vms = vms
    conn.derived = Derived(topo)
    conn.topologyChanged.emit()


def new_vm(conn, name: str, like: str, mac: str):
    template = next(v for v in conn.topology.vms if v.name == like)
    nics = [n.model_copy(update={"mac": mac}) for n in template.nics]
    return template.model_copy(update={"name": name, "nics": nics}, deep=True)


def test_expansion_selection_and_scroll_survive_a_change(window, qtbot, qtmodeltester):
    window.resize(1200, 560)  # short: the tree scrolls
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    model, tree = window.model, window.tree
    qtbot.waitUntil(lambda: tree.isExpanded(model.index_of(model.find(conn, "vm", "web1"))))
    qtmodeltester.check(model)  # and Qt's model tester watches every change below

    tree.collapse(model.index_of(model.find(conn, "host", "kvm2")))
    tree.expand(model.index_of(model.find(conn, "group", "vems")))
    window.mark_user_selection()
    vif = model.find(conn, "vif", "web1/eth0")
    window.select_node(vif)
    bar = tree.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 2)
    bar.setValue(bar.maximum() // 2)
    scroll = bar.value()
    before = expanded(window, conn)
    assert ("host", "kvm2") not in before and ("group", "vems") in before
    nodes_before = {(n.kind, n.key): n for n in model.connection_node(conn).walk()}

    # an edit: legacy1 (on the collapsed kvm2) goes, new1 arrives on vem2
    vms = [v for v in conn.topology.vms if v.name != "legacy1"]
    vms.append(new_vm(conn, "new1", "os3", "52:54:00:00:99:01"))
    change_vms(conn, vms)
    qtbot.waitUntil(lambda: model.find(conn, "vm", "new1") is not None)

    assert model.find(conn, "vm", "legacy1") is None
    assert model.find(conn, "vif", "legacy1/eth0") is None
    assert model.find(conn, "vif", "new1/eth0") is not None
    after = expanded(window, conn)
    assert after == before - {("vm", "legacy1")}  # nothing re-expanded, nothing closed
    assert [n.key for n in window.selected_nodes()] == ["web1/eth0"]
    assert model.node(tree.currentIndex()) is vif  # the same row, not a look-alike
    assert window.details.header.text() == "web1/eth0"
    assert bar.value() == scroll
    # rows that stayed are the same objects (persistent indexes follow them)
    for key, node in nodes_before.items():
        if key not in (("vm", "legacy1"), ("vif", "legacy1/eth0")):
            assert model.find(conn, *key) is node, key

    # and an undo of it: the VM comes back, new1 goes
    window.tree.expand(model.index_of(model.find(conn, "vm", "new1")))
    vms = [v for v in conn.topology.vms if v.name != "new1"]
    vms.append(new_vm(conn, "legacy1", "os3", "52:54:00:00:99:02"))
    change_vms(conn, vms)
    qtbot.waitUntil(lambda: model.find(conn, "vm", "legacy1") is not None)
    assert model.find(conn, "vm", "new1") is None
    assert expanded(window, conn) == before - {("vm", "legacy1")}
    assert [n.key for n in window.selected_nodes()] == ["web1/eth0"]
    assert bar.value() == scroll


def test_reordered_and_renamed_rows_keep_their_nodes(window, qtbot, qtmodeltester):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    model = window.model
    qtmodeltester.check(model)
    web1 = model.find(conn, "vm", "web1")
    window.mark_user_selection()
    window.select_node(web1)
    # the same VMs in the reverse order, db1 shut off: rows move, nothing is replaced
    vms = [v.model_copy(update={"state": VmState.SHUT_OFF}) if v.name == "db1" else v
           for v in reversed(conn.topology.vms)]
    change_vms(conn, vms)
    qtbot.waitUntil(lambda: model.find(conn, "vm", "db1").state == "shut off")
    assert model.find(conn, "vm", "web1") is web1
    host = web1.parent
    assert [n.key for n in host.children if n.kind == "vm"] == [
        v.name for v in vms if v.host == host.key]
    assert web1.path == f"vms[{[v.name for v in vms].index('web1')}]"
    assert [n.key for n in window.selected_nodes()] == ["web1"]
    # a finding's path finds the object at its new place
    assert window.model.node_for_path(conn, web1.path) is web1


def test_rows_collapsed_by_the_user_stay_collapsed(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    model, tree = window.model, window.tree
    root = model.connection_node(conn)
    qtbot.waitUntil(lambda: tree.isExpanded(model.index_of(root)))
    tree.collapse(model.index_of(root))
    change_vms(conn, list(conn.topology.vms))  # an edit that changes nothing shown
    assert not tree.isExpanded(model.index_of(root))


def test_every_row_knows_its_place_after_moves_and_removals(window, qtbot, qtmodeltester):
    # Node.row() trusts a remembered position once it checks out: after rows moved,
    # left and arrived, each must still answer where it is, and so must Qt's parent().
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    model = window.model
    root = model.connection_node(conn)

    def places_hold() -> None:
        for node in root.walk():
            if node.parent is not None:
                assert node.row() == next(i for i, c in enumerate(node.parent.children)
                                          if c is node), (node.kind, node.key)
                index = model.index_of(node)
                assert model.node(index) is node
                assert model.node(model.parent(index)) is node.parent

    places_hold()
    vms = list(reversed(conn.topology.vms))
    change_vms(conn, vms)
    qtbot.waitUntil(lambda: [n.key for n in model.find(conn, "vm", vms[0].name).parent.children
                             if n.kind == "vm"][0] == next(
        v.name for v in vms if v.host == vms[0].host))
    places_hold()
    change_vms(conn, vms[2:] + [new_vm(conn, "extra1", vms[0].name, "52:54:00:aa:00:01")])
    qtbot.waitUntil(lambda: model.find(conn, "vm", "extra1") is not None)
    places_hold()
    qtmodeltester.check(model)


LARGE = "emulated://" + str(__import__("pathlib").Path(__file__).resolve().parents[2]
                             / "resources" / "topologies" / "large.yaml")


def built(root, kind: str) -> list:
    return [n for n in root.walk() if n.kind == kind]


def test_a_hosts_rows_are_built_when_it_is_opened_or_reached(window, qtbot):
    # 2,000 VMs: the tree builds hosts, VEMs, bridge domains and profiles; a host's VMs
    # and VIFs, and a VEM's VTEPs, when the host or VEM is opened or one of its rows is
    # asked for by name or path (a selection, a finding, the canvas).
    conn = window.add_connection(LARGE)
    wait_connected(qtbot, conn, timeout=60000)
    model = window.model
    root = model.connection_node(conn)
    assert built(root, "host") and not built(root, "vm") and not built(root, "vtep")
    host = built(root, "host")[0]
    index = model.index_of(host)
    assert model.hasChildren(index) and model.rowCount(index) == 0
    assert model.canFetchMore(index)
    assert host.spark is not None and host.spark[1]  # its graphs need no rows

    window.tree.expand(index)  # what a click on the arrow does
    qtbot.waitUntil(lambda: model.rowCount(index) > 0)
    vms = [n for n in host.children if n.kind == "vm"]
    assert [v.key for v in vms] == [v.name for v in conn.topology.vms if v.host == host.key]
    assert not model.canFetchMore(index)

    far = conn.topology.vms[-1]
    assert far.host != host.key
    vif = model.find(conn, "vif", f"{far.name}/{far.nics[0].name}")
    assert vif is not None and vif.parent.key == far.name and vif.parent.parent.key == far.host
    i = len(conn.topology.vms) - 1
    assert model.node_for_path(conn, f"vms[{i}].nics[0]") is vif
    vem = next(h for h in conn.topology.hosts if h.vteps)
    vtep = model.find(conn, "vtep", f"{vem.name}/{vem.vteps[0].name}")
    assert vtep is not None and vtep.parent.kind == "vem"


def test_a_rebuild_keeps_opened_hosts_open_and_closed_hosts_closed(window, qtbot,
                                                                   qtmodeltester):
    conn = window.add_connection(LARGE)
    wait_connected(qtbot, conn, timeout=60000)
    model = window.model
    root = model.connection_node(conn)
    opened, closed = built(root, "host")[:2]
    window.tree.expand(model.index_of(opened))
    qtbot.waitUntil(lambda: bool(opened.children))
    kept = {n.key: n for n in opened.children if n.kind == "vm"}
    change_vms(conn, list(reversed(conn.topology.vms)))
    qtbot.waitUntil(lambda: [n.key for n in opened.children if n.kind == "vm"]
                    == list(reversed(list(kept))))
    assert all(kept[n.key] is n for n in opened.children if n.kind == "vm")  # same rows
    assert not closed.children and closed.loader is not None  # still to be built
    assert window.tree.isExpanded(model.index_of(opened))
    qtmodeltester.check(model)  # Qt's own consistency checks, fetching every row


def test_a_finding_on_a_row_not_built_shows_on_its_host_then_moves_to_it(window, qtbot):
    from console.models.findings import Finding, Severity

    conn = window.add_connection(LARGE)
    wait_connected(qtbot, conn, timeout=60000)
    model = window.model
    root = model.connection_node(conn)
    i, vm = next((i, v) for i, v in enumerate(conn.topology.vms)
                 if v.host == built(root, "host")[3].key)
    host = next(h for h in built(root, "host") if h.key == vm.host)
    conn.findings = [Finding(f"vms[{i}].nics[0]", "test.rule", Severity.WARNING, "a test")]
    model.place_findings(conn)
    assert [f.rule for f in host.findings] == ["test.rule"] and not host.children
    window.tree.expand(model.index_of(host))
    qtbot.waitUntil(lambda: bool(host.children))
    vif = model.find(conn, "vif", f"{vm.name}/{vm.nics[0].name}")
    assert [f.rule for f in vif.findings] == ["test.rule"] and not host.findings
