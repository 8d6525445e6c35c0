"""inverse_of: applying a change then its inverse gives back the topology it started from."""

from __future__ import annotations

import pytest
from rulekit import demo, demo_changes

from console.models import topofile as tf
from console.models.changes import (
    BridgeDomainEdit,
    NicDetach,
    PortProfileEdit,
    VmRemove,
    VsmEdit,
)
from console.models.rules.apply import apply_to_model
from console.models.rules.inverse import inverse_of

INVERTIBLE = ["profile-edit", "profile-rename", "nic-update", "nic-detach", "nic-attach",
              "vtep-edit", "bd-edit", "migrate", "vm-remove"]


@pytest.mark.parametrize("name", INVERTIBLE)
def test_a_change_then_its_inverse_restores_the_topology(name):
    topo = demo()
    change = demo_changes(topo)[name]
    before = tf.dumps(topo)
    undo = inverse_of(topo, change)
    assert undo is not None
    apply_to_model(topo, change)
    assert tf.dumps(topo) != before
    apply_to_model(topo, undo)
    after = tf.loads(tf.dumps(topo))
    # detaching a vNIC drops its traffic flows, which no fabric change brings back
    expected = tf.loads(before)
    if isinstance(change, NicDetach | VmRemove):
        after.traffic = expected.traffic
    if isinstance(change, VmRemove):  # defined again, it comes back at the end of the list
        after.vms = sorted(after.vms, key=lambda vm: vm.name)
        expected.vms = sorted(expected.vms, key=lambda vm: vm.name)
    assert tf.dumps(after) == tf.dumps(expected)


def test_turning_segmentation_off_has_no_single_inverse():
    topo = demo()
    assert inverse_of(topo, VsmEdit(topo.vsm.model_copy(update={"segmentation": False}))) \
        is None


def test_apply_to_model_replaces_only_the_fields_touches_names():
    from console.models.changes import BridgeDomainRemove, PortProfileRemove
    from console.models.rules.apply import TOUCHES

    base = demo()
    web = next(p for p in base.port_profiles if p.name == "web")
    tenant_b = next(b for b in base.bridge_domains if b.name == "tenant-b")
    extra = [PortProfileRemove("backup"), BridgeDomainRemove("tenant-b"),
             BridgeDomainEdit(tenant_b.model_copy(update={"name": "tb"}), old_name="tenant-b"),
             VsmEdit(base.vsm.model_copy(update={"segmentation": False})),
             PortProfileEdit(web.model_copy(update={"name": "w2"}), old_name="web")]
    for change in [*demo_changes(base).values(), *extra]:
        topo = demo()
        before = topo.model_dump()
        apply_to_model(topo, change)
        after = topo.model_dump()
        changed = {k for k in before if before[k] != after[k]}
        assert changed <= set(TOUCHES[type(change)]), (type(change).__name__, changed)
