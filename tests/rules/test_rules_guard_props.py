"""Property: a change guard() allows, applied with apply_to_model(), never adds an error
finding; guard() and apply_to_model() never raise on what loads; plan_change() never edits
the topology it is given, nor any earlier one its copies share objects with."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.models import BridgeDomain, PortProfile, Vnic, Vsm, Vtep
from console.models import topofile as tf
from console.models.changes import (
    BridgeDomainEdit,
    BridgeDomainRemove,
    Migrate,
    NicAttach,
    NicDetach,
    NicUpdate,
    PortProfileEdit,
    PortProfileRemove,
    VmRemove,
    VsmEdit,
    VtepEdit,
)
from console.models.findings import Severity
from console.models.pipeline import plan_change
from console.models.rules import applied_copy, apply_to_model, check, guard
from console.models.rules.guards import prechecks

DEMO = (Path(__file__).resolve().parents[2] / "resources/topologies/demo.yaml").read_text()
_base = tf.loads(DEMO)
VMS = [vm.name for vm in _base.vms] + ["ghost"]
HOSTS = [h.name for h in _base.hosts] + ["nowhere"]
PROFILES = [p.name for p in _base.port_profiles] + ["secure_web-net", "nope"]
BDS = [b.name for b in _base.bridge_domains] + ["nope"]
ATTACH = ["veth", "macvtap-passthrough", "hostdev", "macvtap-private"]

names = st.sampled_from(["eth0", "eth1", "eth9"])
macs = st.sampled_from(["52:54:00:00:01:01", "02:00:00:00:00:01", "02:00:00:00:00:02"])


@st.composite
def vnics(draw) -> Vnic:
    attach = draw(st.sampled_from(ATTACH))
    pf = draw(st.sampled_from([None, "eth2", "eth3"])) if attach != "veth" else None
    if draw(st.booleans()):
        return Vnic(name=draw(names), mac=draw(macs), port_profile=draw(
            st.sampled_from(PROFILES)), attach=attach, pf=pf, mtu=draw(st.sampled_from(
                [1400, 1500, 1551])))
    return Vnic(name=draw(names), mac=draw(macs), network="web-net", policy_profile="secure",
                attach=attach, pf=pf)


vteps = st.lists(st.builds(Vtep, name=st.sampled_from(["vtep0", "vtep1", "a", "b", "c"]),
                           ip=st.sampled_from(["10.0.1.11/24", "10.0.1.50/24", "10.0.3.5/24",
                                               "10.0.2.99/24"]),
                           gateway=st.sampled_from([None, "10.0.1.1"])), max_size=6)

changes = st.one_of(
    st.builds(Migrate, st.sampled_from(VMS), st.sampled_from(HOSTS)),
    st.builds(NicAttach, st.sampled_from(VMS), vnics()),
    st.builds(NicUpdate, st.sampled_from(VMS), vnics()),
    st.builds(NicDetach, st.sampled_from(VMS), names),
    st.builds(VmRemove, st.sampled_from(VMS)),
    st.builds(VtepEdit, st.sampled_from(HOSTS), vteps.map(tuple)),
    st.builds(PortProfileRemove, st.sampled_from(PROFILES)),
    st.builds(PortProfileEdit, st.builds(
        PortProfile, name=st.sampled_from(PROFILES), clients=st.sampled_from([[], ["default"]]),
        max_ports=st.sampled_from([None, 1, 2]), bridge_domain=st.sampled_from(BDS + [None]))),
    st.builds(BridgeDomainRemove, st.sampled_from(BDS)),
    st.builds(BridgeDomainEdit, st.builds(
        BridgeDomain, name=st.sampled_from(BDS + ["new"]),
        segment_id=st.sampled_from([10, 5000, 5001, 7000]),
        mode=st.sampled_from(["multicast", "unicast-only"]),
        group=st.sampled_from([None, "239.1.1.1", "239.9.9.9"]))),
    st.builds(VsmEdit, st.builds(Vsm, segmentation=st.booleans())),
)


def errors(topo) -> set[tuple[str, str]]:
    return {(f.rule, f.message) for f in check(topo) if f.severity is Severity.ERROR}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(changes, min_size=1, max_size=4))
def test_allowed_changes_never_add_errors(sequence):
    topo = tf.loads(DEMO)
    for change in sequence:
        before = errors(topo)
        refusals = guard(topo, change)
        assert all(f.severity is Severity.ERROR for f in refusals)
        if refusals:
            continue
        apply_to_model(topo, change)
        assert errors(topo) <= before, change


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(changes, min_size=1, max_size=4))
def test_plan_change_never_edits_a_topology(sequence):
    topo = tf.loads(DEMO)
    seen = [(topo, tf.dumps(topo))]
    for change in sequence:
        before = seen[-1][1]
        planned = plan_change(topo, change)
        assert tf.dumps(topo) == before
        if not prechecks(topo, change):  # a copy takes it, whether the rules allow it or not
            in_place = tf.loads(before)
            apply_to_model(in_place, change)
            assert tf.dumps(applied_copy(topo, change)) == tf.dumps(in_place)
        if planned.after is not None:  # what a fabric runs next: shares objects with topo
            topo = planned.after
            seen.append((topo, tf.dumps(topo)))
    assert all(tf.dumps(t) == dumped for t, dumped in seen)
