"""One reachability verdict (issue #12): Derived.vtep_paths (what the VTEP editor's table
shows), Derived.unreachable_paths (what the rule vxlan.vtep-reachability reports) and the
data plane (what the emulated fabric drops) judge a segment's traffic the same way: from
the sender's designated VTEP to the receiver's designated VTEP; and Apply's guard refuses a
VTEP edit exactly when the table shows a path it breaks, once, naming the bridge domain the
VTEP is designated for."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.engine.reference import ReferencePlane
from console.engine.tables import compile_topology
from console.models import Switching, Vtep
from console.models import topofile as tf
from console.models.changes import VtepEdit
from console.models.derived import Derived, VtepPath, vtep_reach
from console.models.rules import apply_to_model, guard

DEMO = (Path(__file__).resolve().parents[2] / "resources/topologies/demo.yaml").read_text()
RULE = "vxlan.vtep-reachability"
VEMS = ["vem1", "vem2", "vem3"]

vtep_lists = st.lists(
    st.builds(Vtep, name=st.sampled_from(["vtep0", "vtep1", "vtep2"]),
              ip=st.sampled_from(["10.0.1.31/24", "10.0.1.32/25", "10.0.2.33/24",
                                  "10.0.3.34/24", "10.0.0.35/16"]),
              gateway=st.sampled_from([None, None, "10.0.1.1", "10.0.2.1"])),
    min_size=1, max_size=4, unique_by=lambda v: v.name)
edits = st.builds(
    VtepEdit, st.sampled_from(VEMS), vtep_lists.map(tuple),
    st.dictionaries(st.sampled_from(["tenant-a", "tenant-b"]),
                    st.sampled_from(["vtep0", "vtep1", "vtep2"]), max_size=2))
PROPS = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def demo(proxy_arp: bool = False):
    topo = tf.loads(DEMO)
    topo.underlay.proxy_arp = proxy_arp
    return topo


def edited(change: VtepEdit, proxy_arp: bool = False):
    topo = demo(proxy_arp)
    apply_to_model(topo, change)
    return topo


def moved_out_of_reach() -> VtepEdit:
    """vem1's vtep1 (designated for tenant-b) into a subnet of its own, no gateway."""
    return VtepEdit("vem1", (Vtep(name="vtep0", ip="10.0.1.11/24", gateway="10.0.1.1"),
                             Vtep(name="vtep1", ip="10.0.3.21/24")), {"tenant-b": "vtep1"})


@given(edits, st.booleans())
@PROPS
def test_a_path_is_judged_as_the_data_plane_sends_it(change, proxy_arp):
    topo = edited(change, proxy_arp)
    plane = ReferencePlane(compile_topology(topo))
    index = {key: i for i, key in enumerate(plane.t.vtep_keys)}
    hosts = [h for h in topo.hosts if h.switching is Switching.VEM]
    for a in hosts:
        for b in hosts:
            for va in a.vteps:
                for vb in b.vteps:
                    ia, ib = index[(a.name, va.name)], index[(b.name, vb.name)]
                    assert vtep_reach(va, vb, proxy_arp).ok == plane.reach(ia, ib), (va, vb)


@given(edits, st.booleans())
@PROPS
def test_unreachable_paths_are_the_noes_of_vtep_paths(change, proxy_arp):
    derived = Derived(edited(change, proxy_arp))
    noes = {key(p) for host in VEMS for p in derived.vtep_paths(host)
            if p.src_host == host and not p.reach.ok and p.src is not None
            and p.dst is not None}
    reported = [key(p) for p in derived.unreachable_paths]
    assert sorted(reported) == sorted(noes)  # each path once


def key(path: VtepPath) -> tuple:
    return (path.bridge_domain, path.src_host, path.src.name, path.dst_host, path.dst.name,
            path.reach)


def test_paths_leave_from_the_designated_vtep():
    derived = Derived(edited(moved_out_of_reach()))
    paths = {(p.bridge_domain, p.src_host, p.dst_host): p for p in derived.vtep_paths("vem1")}
    assert paths[("tenant-a", "vem1", "vem2")].src.name == "vtep0"  # 5000 % 2
    assert paths[("tenant-a", "vem1", "vem2")].reach.ok
    broken = paths[("tenant-b", "vem1", "vem2")]
    assert broken.src.name == "vtep1" and not broken.reach.ok
    assert broken.reach.how == "another subnet; no gateway, no proxy ARP"
    assert paths[("tenant-b", "vem2", "vem1")].reach.ok  # vem2's VTEP has a gateway
    assert [(p.bridge_domain, p.src_host, p.dst_host) for p in derived.unreachable_paths] \
        == [("tenant-b", "vem1", "vem2"), ("tenant-b", "vem1", "vem3")]


@given(edits)
@PROPS
def test_guard_refuses_exactly_where_the_table_says_no(change):
    # The demo has no reachability finding, so whatever the edit breaks is new.
    topo = demo()
    refused = [f for f in guard(topo, change) if f.rule == RULE]
    table = Derived(edited(change)).vtep_paths(change.host)
    noes = [p for p in table if not p.reach.ok and p.src is not None and p.dst is not None]
    assert bool(refused) == bool(noes), (refused, noes)


def test_the_refusal_names_the_designated_vteps_bridge_domain_once():
    refused = [f for f in guard(demo(), moved_out_of_reach()) if f.rule == RULE]
    assert len(refused) == 1, refused
    [finding] = refused
    assert finding.path == "hosts[2].vteps[1]"
    assert "vtep1" in finding.message and "tenant-b" in finding.message
    assert "tenant-a" not in finding.message  # vtep0 carries tenant-a, and reaches
    assert "vem2" in finding.message and "vem3" in finding.message
