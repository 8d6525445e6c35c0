"""The compiled plane's flow cache replays recorded frames; these scenarios are the ways a
recording goes stale, each checked against the reference plane and the compiled plane
without its cache, and against hand-computed figures.

Three VEMs, one VM each in one unicast-only bridge domain, MAC aging 1 s. vm1 sends to
vm0 at 1,000 pps: while h1 knows vm0's MAC the frames go unicast to h0; while it does not,
they are flooded and vm2 receives a copy of each."""

from __future__ import annotations

import pytest
from test_engine_vxlan import vems

from console.engine.facade import Fabric
from console.models.topofile import loads

PLANES = [("reference", True), ("compiled", True), ("compiled", False)]


def _fabrics(text: str) -> list[Fabric]:
    pytest.importorskip("console.engine._dataplane")
    return [Fabric(loads(text, source="test.yaml"), seed=3, plane=p, flow_cache=c)
            for p, c in PLANES]


def _rx(fabrics: list[Fabric], t: float, vif: str = "vm2/eth0") -> int:
    """vm2's received frames at time t, the same on every plane."""
    counts = set()
    for f in fabrics:
        f.run_until(t)
        counts.add(f.sample().vifs[vif].rx_packets)
    assert len(counts) == 1, f"planes disagree at t={t}: {counts}"
    return counts.pop()


def test_an_expired_mac_learned_again_ends_the_cached_flood():
    # vm0 speaks at t=0 and again at t=2.5: h1's entry for vm0 expires at t=1, so vm1's
    # frames flood from 1 s to 2.5 s, and go unicast again once vm0 is learned again.
    f = _fabrics(vems(3, vsm="{mac_aging_s: 1}", traffic=(
        "  - {from: vm0/eth0, to: broadcast, count: 1}\n"
        "  - {from: vm1/eth0, to: vm0/eth0, pps: 1000}\n"
        "  - {from: vm0/eth0, to: broadcast, count: 1, start_s: 2.5}\n")))
    at_1 = _rx(f, 1.0)
    at_2_4 = _rx(f, 2.4)
    assert 1390 <= at_2_4 - at_1 <= 1410  # ~1,400 floods in 1.4 s
    at_2_6 = _rx(f, 2.6)
    assert _rx(f, 3.5) == at_2_6  # unicast again: nothing more for vm2


def test_a_flow_silent_for_the_aging_time_learns_its_mac_again():
    # Two VEMs: vm0 on h0; vm1 and a listener, vmx, on h1. vm0 sends one broadcast every
    # 2 s (0.5 pps), always from the same flow, so its MAC expires at h1 one second after
    # each frame and each new frame of that flow must bring it back (nothing else does:
    # h0 keeps vm1 fresh, vmx never speaks).
    f = _fabrics(vems(2, vsm="{mac_aging_s: 1}", vms_extra=(
        "  - {name: vmx, host: h1, nics: [{name: eth0, mac: '52:54:00:00:00:99', "
        "port_profile: bd, attach: veth}]}\n"), traffic=(
        "  - {from: vm0/eth0, to: broadcast, pps: 0.5}\n"
        "  - {from: vm1/eth0, to: vm0/eth0, pps: 1000}\n")))
    rx = [_rx(f, t, "vmx/eth0") for t in (2.0, 4.0, 6.0, 8.0, 10.0)]
    steps = [b - a for a, b in zip(rx, rx[1:])]
    # per 2 s: ~1,000 floods while vm0 is unknown, plus vm0's broadcast
    assert all(950 <= s <= 1050 for s in steps), steps


def test_an_l2_hit_that_ages_out_ends_the_recording():
    # vm0 speaks once, at t=0; vm1's frames are known unicast until the entry ages out at
    # 1 s, then floods: the recording made while the entry was valid must not outlive it.
    f = _fabrics(vems(3, vsm="{mac_aging_s: 1}", traffic=(
        "  - {from: vm0/eth0, to: broadcast, count: 1}\n"
        "  - {from: vm1/eth0, to: vm0/eth0, pps: 1000}\n")))
    at_0_9 = _rx(f, 0.9)
    assert at_0_9 <= 2  # vm0's broadcast, and a vm1 frame sent before vm0 spoke
    at_1 = _rx(f, 1.0)
    assert 990 <= _rx(f, 2.0) - at_1 <= 1010


def test_a_refresh_deferred_by_replays_keeps_the_entry_alive():
    # vm0 broadcasts at 1,000 pps from t=0; every frame refreshes vm0's entry at h1, but
    # while the flow replays those refreshes are deferred, and nothing else reads that
    # entry. At t=2 s vmx (on h1) sends to vm0: the lookup must see the deferred refreshes
    # and find vm0 (known unicast), not take the entry for expired and flood. No sample
    # before then, since a sample writes the deferred refreshes itself.
    f = _fabrics(vems(2, vsm="{mac_aging_s: 1}", vms_extra=(
        "  - {name: vmx, host: h1, nics: [{name: eth0, mac: '52:54:00:00:00:99', "
        "port_profile: bd, attach: veth}]}\n"), traffic=(
        "  - {from: vm0/eth0, to: broadcast, pps: 1000}\n"
        "  - {from: vmx/eth0, to: vm0/eth0, count: 5, start_s: 2}\n")))
    _rx(f, 2.1, "vm1/eth0")
    for fab in f:
        s = fab.sample()
        assert s.vifs["vm0/eth0"].rx_packets == 5
        # only vm0's broadcasts were flooded; vmx's five frames went unicast
        assert s.bridge_domains["bd"].flood_frames == s.vifs["vm0/eth0"].tx_packets


def test_counters_of_replayed_frames_reach_every_sample():
    f = _fabrics(vems(2, traffic=(
        "  - {from: vm0/eth0, to: vm1/eth0, pps: 1000}\n"
        "  - {from: vm1/eth0, to: vm0/eth0, pps: 1000}\n")))
    samples = []
    for t in (0.5, 1.0, 1.001, 3.0):
        for fab in f:
            fab.run_until(t)
        samples.append([fab.sample().to_json() for fab in f])
    for row in samples:
        assert row[0] == row[1] == row[2]
    compiled = f[1]
    assert compiled._plane.slow_frames < 10  # the rest came from the cache
    assert f[2]._plane.slow_frames == compiled.offered
