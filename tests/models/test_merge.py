"""merge_live: a fabric's new inventory goes into the edited topology in place, keeping
what the user drew and has not applied, and the canvas positions."""

from __future__ import annotations

from pathlib import Path

from console.models import topofile as tf
from console.models.merge import merge_live, shallow_copy

DEMO = Path(__file__).parents[2] / "resources" / "topologies" / "demo.yaml"


def demo():
    return tf.load(DEMO)


def test_a_change_on_the_fabric_reaches_the_model_and_keeps_positions():
    base = demo()
    ours = shallow_copy(base)
    ours.port_profiles = [p.model_copy(update={"position": (10.0, 20.0)})
                          if p.name == "web" else p for p in ours.port_profiles]
    theirs = demo()
    web = next(p for p in theirs.port_profiles if p.name == "web")
    theirs.port_profiles = [p.model_copy(update={"vlans": [100, 101]}) if p is web else p
                            for p in theirs.port_profiles]
    events: list[str] = []
    ours.events.connect(lambda info: events.append(info.signal.name))

    changed = merge_live(ours, base, theirs)

    assert changed == ["port_profiles"] and events == ["port_profiles"]
    merged = next(p for p in ours.port_profiles if p.name == "web")
    assert merged.vlans == [100, 101]
    assert merged.position == (10.0, 20.0)  # the drawing's, not the fabric's


def test_what_the_user_drew_stays_when_the_fabric_changes_something_else():
    base = demo()
    ours = shallow_copy(base)
    extra = ours.vms[0].model_copy(update={"name": "drawn1", "nics": []})
    ours.vms = [*ours.vms, extra]
    theirs = demo()
    theirs.vms = [vm for vm in theirs.vms if vm.name != "web2"]  # removed on the fabric

    assert merge_live(ours, base, theirs) == ["vms"]
    names = [vm.name for vm in ours.vms]
    assert "drawn1" in names and "web2" not in names
    assert names.index("drawn1") == len(names) - 1


def test_an_unchanged_inventory_changes_nothing():
    base = demo()
    ours = shallow_copy(base)
    ours.underlay = ours.underlay.model_copy(update={"mtu": 9000})  # the user's edit
    events: list[str] = []
    ours.events.connect(lambda info: events.append(info.signal.name))
    assert merge_live(ours, base, demo()) == []
    assert events == [] and ours.underlay.mtu == 9000


def test_a_vm_added_on_the_fabric_is_appended():
    base = demo()
    ours = shallow_copy(base)
    theirs = demo()
    theirs.vms = [*theirs.vms, theirs.vms[0].model_copy(update={"name": "new1"})]
    merge_live(ours, base, theirs)
    assert ours.vms[-1].name == "new1"
