"""The VTEP editor's reachability table is the verdict Apply goes by (issue #12): it is
computed by Derived.vtep_paths, the function behind the rule vxlan.vtep-reachability, on
the topology with the fields applied; it follows the model; and a refusal is shown once.

On the demo: vem1 has vtep0 (designated for tenant-a, segment 5000) and vtep1 (chosen for
tenant-b), both with a gateway; vem2 and vem3 have one VTEP each, with a gateway."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.backends.registry import open_backend
from console.models import Vtep
from console.models import topofile as tf
from console.models.changes import VtepEdit
from console.views.editors.commands import ChangeCommand, refusals
from console.views.editors.vtep import VtepEditor

REACHABILITY_RULE = "vxlan.vtep-reachability"

DEMO = Path(__file__).resolve().parents[3] / "resources" / "topologies" / "demo.yaml"


def retype(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(DEMO.read_text())
    return path


@pytest.fixture
def demo_doc(qapp, settings, demo_file):
    from console.views.editors.document import Document

    return Document(tf.load(demo_file), demo_file, settings=settings)


@pytest.fixture
def editor(qtbot, demo_doc):
    e = VtepEditor(demo_doc)
    qtbot.addWidget(e)
    e.resize(640, 900)
    e.show()
    return e


def move_vtep1_out_of_reach(qtbot, e):
    """vem1's vtep1, designated for tenant-b, into a subnet of its own, no gateway."""
    retype(qtbot, e.rows[1].ip, "10.0.3.21/24")
    retype(qtbot, e.rows[1].gateway, "")


def reachability_refusals(doc, change):
    hard, soft = refusals(doc.topology, change)
    return [f for f in hard + soft if f.rule == REACHABILITY_RULE]


def test_the_table_says_no_exactly_where_apply_refuses(qtbot, editor, settle, demo_doc):
    e = editor
    e.open("vem1")
    assert e.reachability() == {"vem2": True, "vem3": True}
    assert not reachability_refusals(demo_doc, e.change())

    move_vtep1_out_of_reach(qtbot, e)
    # vtep0 still has its gateway, but tenant-b's traffic leaves from vtep1: the old table
    # took the best of any VTEP and said "yes" here.
    assert e.reachability() == {"vem2": False, "vem3": False}
    assert e.verdicts() == {("vem2", "tenant-a"): True, ("vem2", "tenant-b"): False,
                            ("vem3", "tenant-a"): True, ("vem3", "tenant-b"): False}
    assert reachability_refusals(demo_doc, e.change())
    no = e.reach.topLevelItem(0)
    assert no.text(2) == "no path to it in tenant-b" and no.isExpanded()

    qtbot.keyClicks(e.rows[1].gateway, "10.0.3.1")
    assert e.reachability() == {"vem2": True, "vem3": True}
    assert not reachability_refusals(demo_doc, e.change())
    settle(e, doc=demo_doc)


def test_only_designated_vteps_are_judged(qtbot, editor, settle, demo_doc):
    # tenant-b moved to vtep0: vtep1 is designated for nothing, so out of reach of
    # everyone it carries no traffic, and the table holds nothing against the VEM
    # (tests/rules/test_guard_reachability.py checks that Apply's guard agrees).
    e = editor
    e.open("vem1")
    combo = e.designated["tenant-b"]
    combo.setCurrentIndex(combo.findData("vtep0"))
    move_vtep1_out_of_reach(qtbot, e)
    assert e.reachability() == {"vem2": True, "vem3": True}
    assert e.reach.topLevelItem(0).child(2).text(0) == "tenant-b: vtep0 \u2192 vtep0"
    settle(e, doc=demo_doc)


def test_a_new_vtep_takes_over_segments_and_the_table_says_what_that_does(
        qtbot, editor, settle, demo_doc):
    e = editor
    e.open("vem1")
    assert e.designated["tenant-a"].currentText() == "automatic (vtep0)"
    qtbot.mouseClick(e.add_button, Qt.MouseButton.LeftButton)
    assert "fix the VTEP fields" in e.reach.topLevelItem(0).text(2)  # no address yet
    qtbot.keyClicks(e.rows[2].ip, "10.0.1.41/24")
    # segment 5000 % 3 VTEPs: tenant-a now leaves from vtep2, which has no gateway
    assert e.designated["tenant-a"].currentText() == "automatic (vtep2)"
    assert e.verdicts()[("vem2", "tenant-a")] and not e.verdicts()[("vem3", "tenant-a")]
    vem3 = e.reach.topLevelItem(1)
    assert vem3.child(0).text(0) == "tenant-a: vtep2 \u2192 vtep0"
    assert reachability_refusals(demo_doc, e.change())
    settle(e, doc=demo_doc)


def test_the_refusal_is_shown_once(qtbot, editor, settle, demo_doc, demo_file, run):
    backend = open_backend(f"emulated://{demo_file}")
    run(backend.connect())
    try:
        demo_doc.backend = backend
        e = editor
        e.open("vem1")
        move_vtep1_out_of_reach(qtbot, e)
        settle(e)  # the rule check that fills the messages
        qtbot.mouseClick(e.apply_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: e.last_result is not None, timeout=10000)
        result = e.last_result
        assert not result.applied
        [finding] = [f for f in result.findings if f.rule == REACHABILITY_RULE]
        shown = e.messages.text() + e.result.text()
        assert shown.count(finding.message.split(":")[0]) == 1, shown
        assert demo_doc.stack.count() == 0
    finally:
        run(backend.close())
    settle(e, doc=demo_doc)


def test_the_table_follows_the_model_under_an_unapplied_edit(qtbot, editor, settle,
                                                              demo_doc):
    e = editor
    e.open("vem1")
    move_vtep1_out_of_reach(qtbot, e)
    assert e.reachability()["vem2"] is False
    # vem2 moves into vtep1's subnet (with a gateway for the rest): tenant-b now stays in
    # one subnet from vtep1 to vem2.
    moved = VtepEdit("vem2", (Vtep(name="vtep0", ip="10.0.3.12/24", gateway="10.0.3.1"),))
    with qtbot.waitSignal(demo_doc.changed, timeout=3000):
        demo_doc.push(ChangeCommand(demo_doc.topology, moved))
    assert e.reachability() == {"vem2": True, "vem3": False}
    assert e.rows[1].ip.text() == "10.0.3.21/24"  # the edit in progress is kept
    with qtbot.waitSignal(demo_doc.changed, timeout=3000):
        demo_doc.stack.undo()
    assert e.reachability() == {"vem2": False, "vem3": False}
    settle(e, doc=demo_doc)


def test_a_vem_without_vms_in_a_bridge_domain_says_so(qtbot, editor, settle, demo_doc):
    demo_doc.topology.vms = [vm for vm in demo_doc.topology.vms if vm.host != "vem3"]
    e = editor
    e.open("vem3")
    assert e.reachability() == {}
    assert "carry no VXLAN traffic" in e.reach.topLevelItem(0).text(2)
    e.open("vem1")  # and vem1 shares no bridge domain with it any more
    assert e.reachability() == {"vem2": True, "vem3": None}
    settle(e, doc=demo_doc)


def test_render_an_unreachable_vtep(qtbot, editor, settle, demo_doc, tmp_path):
    e = editor
    e.open("vem1")
    move_vtep1_out_of_reach(qtbot, e)
    settle(e, doc=demo_doc)
    assert e.grab().save(str(tmp_path / "vtep.png"))
