"""plan_change, the one change pipeline: judged by the rules, applied to a copy that shares
what the change does not edit, the input never edited; and what a change says of itself
(describe, subject)."""

from __future__ import annotations

import typing

import pytest
from rulekit import demo, demo_changes

from console.models import changes as ch
from console.models import topofile as tf
from console.models.pipeline import plan_change
from console.models.rules import applied_copy, apply_to_model, guard
from console.models.rules.apply import TOUCHES

CHANGES = list(demo_changes(demo()))


def _listen(topo, heard: list[str]) -> None:
    """Hear every event of the topology and of every object in its lists."""
    topo.events.connect(lambda info: heard.append(f"topology.{info.signal.name}"))
    for name in type(topo).model_fields:
        value = getattr(topo, name)
        for obj in value if isinstance(value, list) else [value]:
            if hasattr(obj, "events"):
                obj.events.connect(lambda info, o=obj: heard.append(f"{o}.{info.signal.name}"))
    for vm in topo.vms:
        for nic in vm.nics:
            nic.events.connect(lambda info, n=nic: heard.append(f"{n}.{info.signal.name}"))


@pytest.mark.parametrize("name", CHANGES)
def test_plan_change_never_edits_its_input_and_shares_what_it_does_not_edit(name):
    topo = demo()
    change = demo_changes(topo)[name]
    before = tf.dumps(topo)
    heard: list[str] = []
    _listen(topo, heard)
    planned = plan_change(topo, change)
    assert planned.refusals == [] and planned.after is not None and planned.before is topo
    assert tf.dumps(topo) == before and heard == [], "the input topology changed"
    in_place = demo()
    apply_to_model(in_place, change)
    assert tf.dumps(planned.after) == tf.dumps(in_place) != before
    for field in type(topo).model_fields:
        old, new = getattr(topo, field), getattr(planned.after, field)
        if not isinstance(new, list):
            assert new is old or field in TOUCHES[type(change)], field
        elif field not in TOUCHES[type(change)]:  # the same objects, none copied
            assert len(new) == len(old) and all(a is b for a, b in zip(new, old)), field
        else:  # an object the change left as it was is not a copy either
            assert all(any(o is obj for o in old) for obj in new if obj in old), field


def test_a_copy_takes_even_what_the_rules_refuse_and_the_original_stays():
    """The editors draw refused changes offline (commands.ChangeCommand): `no feature
    segmentation` under VXLAN ports, a rename of what OpenStack owns."""
    topo = demo()
    tenant_b = next(b for b in topo.bridge_domains if b.name == "tenant-b")
    for change in [ch.VsmEdit(topo.vsm.model_copy(update={"segmentation": False})),
                   ch.BridgeDomainEdit(tenant_b.model_copy(update={"name": "tb"}),
                                       old_name="tenant-b")]:
        before = tf.dumps(topo)
        heard: list[str] = []
        _listen(topo, heard)
        assert plan_change(topo, change).after is None
        after = applied_copy(topo, change)
        assert tf.dumps(topo) == before and heard == []
        in_place = demo()
        apply_to_model(in_place, change)
        assert tf.dumps(after) == tf.dumps(in_place) != before


def test_a_refused_change_has_no_after_and_every_reason_in_its_result():
    topo = demo()
    web1 = topo.vms[0]
    change = ch.NicAttach("web1", web1.nics[0].model_copy(update={"name": "eth5",
                                                                  "port_profile": "nope"}))
    before = tf.dumps(topo)
    planned = plan_change(topo, change)
    assert planned.after is None and tf.dumps(topo) == before
    assert [f.rule for f in planned.refusals] == ["dup.mac", "ref.port-profile"]
    assert planned.refusals == guard(topo, change)
    result = planned.refused()
    assert not result.applied and result.findings == planned.refusals
    assert result.message == "; ".join(f.message for f in planned.refusals)


def test_an_unknown_name_is_refused_before_anything_is_applied():
    topo = demo()
    planned = plan_change(topo, ch.NicDetach("web1", "eth7"))
    assert planned.after is None
    assert [(f.rule, f.path, f.message) for f in planned.refusals] == [
        ("change.unknown-object", "vms[0]", "VM web1 has no vNIC named eth7")]


# Every kind of change: what it says in an undo menu, an `apply` plan and a live result,
# and the object a backend's event names.
DESCRIBED = {
    "profile-edit": ("Edit port profile web", "web"),
    "profile-rename": ("Edit port profile web-renamed", "web-renamed"),
    "profile-remove": ("Delete port profile spare", "spare"),
    "nic-update": ("Edit vNIC web1/eth0", "web1"),
    "nic-detach": ("Detach vNIC web1/eth0", "web1"),
    "nic-attach": ("Attach vNIC web1/eth9", "web1"),
    "vm-define": ("Define VM web9 (0 vNICs)", "web9"),
    "vm-remove": ("Delete VM legacy1", "legacy1"),
    "vtep-edit": ("Edit VTEPs of vem1", "vem1"),
    "bd-edit": ("Edit bridge domain tenant-a", "tenant-a"),
    "bd-rename": ("Edit bridge domain ta", "ta"),
    "bd-remove": ("Delete bridge domain spare-bd", "spare-bd"),
    "vsm-edit": ("Enable segmentation", "vsm"),
    "migrate": ("Migrate web1 to kvm2", "web1"),
}


@pytest.mark.parametrize("name", CHANGES)
def test_every_change_describes_itself_and_names_its_subject(name):
    change = demo_changes(demo())[name]
    assert (change.describe(), change.subject) == DESCRIBED[name]


def test_the_table_covers_every_kind_of_change():
    kinds = {type(c) for c in demo_changes(demo()).values()}
    assert kinds == set(typing.get_args(ch.Change)) == set(TOUCHES)
    assert ch.VsmEdit(demo().vsm.model_copy(update={"segmentation": False})).describe() \
        == "Disable segmentation"
