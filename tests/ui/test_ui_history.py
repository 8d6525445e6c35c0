"""Rate history ring buffers (numpy, no Qt)."""

from __future__ import annotations

import numpy as np

from console.models.overlay import FloodMode
from console.models.stats import CounterSample, FloodCounters, VemCounters, VifCounters
from console.views.history import StatsHistory


def sample(t: float, n: int, live: bool = True) -> CounterSample:
    return CounterSample(
        t,
        vifs={"a/eth0": VifCounters(tx_packets=10 * n, tx_bytes=1000 * n, rx_packets=n,
                                    tx_drops=n),
              "b/eth0": VifCounters(rx_packets=2 * n)},
        bridge_domains={"bd": FloodCounters(flood_frames=n, flood_copies=3 * n,
                                            igmp_joins=1, learned_macs=7)},
        vems={"vem1": VemCounters(encap_packets=5 * n, mtu_drops=n)},
        live=live,
    )


def test_rates_per_second_from_monotonic_counters():
    h = StatsHistory(10)
    h.flood_modes = {"bd": FloodMode.UNICAST_ONLY}
    assert not h.add(sample(0.0, 0))  # the first sample gives no rate
    assert h.add(sample(2.0, 4))
    assert h.latest("vif", "a/eth0", "tx_pps") == 20.0
    assert h.latest("vif", "a/eth0", "tx_bps") == 16000.0  # bytes -> bits
    assert h.latest("vif", "a/eth0", "drops_ps") == 2.0
    assert h.latest("vif", "b/eth0", "rx_pps") == 4.0
    assert h.latest("bd", "bd", "ucast_copies_ps") == 6.0  # unicast-only: replication
    assert h.latest("bd", "bd", "mcast_copies_ps") == 0.0
    assert h.latest("bd", "bd", "learned_macs") == 7.0  # a gauge, not a rate
    assert h.latest("vem", "vem1", "encap_ps") == 10.0
    # a counter that goes backwards (backend restart) gives 0, never negative
    h.add(sample(3.0, 1))
    assert h.latest("vif", "a/eth0", "tx_pps") == 0.0


def test_ring_wraps_keeping_the_newest_and_tails_match():
    h = StatsHistory(5)
    for i in range(9):
        h.add(sample(float(i), i * i))
    t = h.timeline()
    assert list(t) == [4.0, 5.0, 6.0, 7.0, 8.0]
    series = h.series("vif", "a/eth0", "tx_pps")
    assert list(series) == [10 * (i * i - (i - 1) ** 2) for i in range(4, 9)]
    # tail over a wrapped ring equals the plain sum of the ordered series
    for n in (1, 3, 5):
        both = h.tail("vif", ["a/eth0", "b/eth0"], ("tx_pps", "rx_pps"), n)
        expected = (h.block("vif", ["a/eth0", "b/eth0"], "tx_pps").sum(axis=0)
                    + h.block("vif", ["a/eth0", "b/eth0"], "rx_pps").sum(axis=0))[-n:]
        assert np.array_equal(both, expected)
    h.resize(3)
    assert list(h.timeline()) == [6.0, 7.0, 8.0]
    assert list(h.series("vif", "a/eth0", "tx_pps")) == list(series[-3:])


def test_a_stale_sample_marks_the_history_not_live():
    h = StatsHistory(5)
    h.add(sample(0.0, 0))
    h.add(sample(1.0, 1))
    generation = h.generation
    assert not h.add(sample(1.0, 1, live=False))
    assert not h.live and h.generation > generation
    assert h.add(sample(2.0, 2)) and h.live
