"""inverse_of: applying a change then its inverse gives back the topology it started from."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.models import topofile as tf
from console.models.changes import (
    BridgeDomainEdit,
    Migrate,
    NicAttach,
    NicDetach,
    NicUpdate,
    PortProfileEdit,
    VmRemove,
    VsmEdit,
    VtepEdit,
)
from console.models.rules.apply import apply_to_model
from console.models.rules.inverse import inverse_of

DEMO = Path(__file__).resolve().parents[2] / "resources" / "topologies" / "demo.yaml"


def _changes(topo):
    web = next(p for p in topo.port_profiles if p.name == "web")
    tenant_a = next(b for b in topo.bridge_domains if b.name == "tenant-a")
    web1 = next(v for v in topo.vms if v.name == "web1")
    vem1 = next(h for h in topo.hosts if h.name == "vem1")
    return [
        PortProfileEdit(web.model_copy(update={"vlans": [100, 101], "native_vlan": 100})),
        PortProfileEdit(web.model_copy(update={"name": "web-renamed"}), old_name="web"),
        NicUpdate("web1", web1.nics[0].model_copy(update={"mtu": 1400})),
        NicDetach("web1", "eth0"),
        NicAttach("web1", web1.nics[0].model_copy(update={"name": "eth9",
                                                          "mac": "52:54:00:00:99:99"})),
        VtepEdit("vem1", tuple(vem1.vteps[:1]), {}),
        BridgeDomainEdit(tenant_a.model_copy(update={"segment_id": 5999})),
        Migrate("web1", "kvm2"),
        VmRemove("legacy1"),
    ]


@pytest.mark.parametrize("i", range(9))
def test_a_change_then_its_inverse_restores_the_topology(i):
    topo = tf.load(DEMO)
    change = _changes(topo)[i]
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
    topo = tf.load(DEMO)
    assert inverse_of(topo, VsmEdit(topo.vsm.model_copy(update={"segmentation": False}))) \
        is None


def test_apply_to_model_replaces_only_the_fields_touches_names():
    from console.models.changes import BridgeDomainRemove, PortProfileRemove
    from console.models.rules.apply import TOUCHES

    base = tf.load(DEMO)
    web = next(p for p in base.port_profiles if p.name == "web")
    tenant_b = next(b for b in base.bridge_domains if b.name == "tenant-b")
    extra = [PortProfileRemove("backup"), BridgeDomainRemove("tenant-b"),
             BridgeDomainEdit(tenant_b.model_copy(update={"name": "tb"}), old_name="tenant-b"),
             VsmEdit(base.vsm.model_copy(update={"segmentation": False})),
             PortProfileEdit(web.model_copy(update={"name": "w2"}), old_name="web")]
    for change in _changes(base) + extra:
        topo = tf.load(DEMO)
        before = topo.model_dump()
        apply_to_model(topo, change)
        after = topo.model_dump()
        changed = {k for k in before if before[k] != after[k]}
        assert changed <= set(TOUCHES[type(change)]), (type(change).__name__, changed)
