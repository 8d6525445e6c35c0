"""The vectorised reads the plots and the tree use (issue #16) give what the per-object
reads give: latest_rows() as latest() per object, sum_rows() as a sum of block() rows,
also once the ring has wrapped."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from console.models.stats import CounterSample, VifCounters  # noqa: E402
from console.views.history import StatsHistory  # noqa: E402


def filled(samples: int, capacity: int = 8) -> tuple[StatsHistory, list[str]]:
    names = [f"vm{i}/eth0" for i in range(12)]
    hist = StatsHistory(capacity)
    for t in range(samples):
        hist.add(CounterSample(float(t), vifs={
            n: VifCounters(t * (k + 1) ** 2, t * 3 * k, t * 64 * k, t * 80, t % 3, 0)
            for k, n in enumerate(names)}))
    return hist, names


@pytest.mark.parametrize("samples", [3, 20])  # before and after the ring wraps
def test_latest_rows_and_sum_rows_match_the_per_object_reads(samples):
    hist, names = filled(samples)
    rows = hist.row_numbers("vif", names)
    assert (rows >= 0).all()
    metrics = ("rx_pps", "tx_pps", "drops_ps")
    expected = [sum(hist.latest("vif", n, m) for m in metrics) for n in names]
    assert np.allclose(hist.latest_rows("vif", rows, metrics), expected)
    for some in (names[:2], names[1:]):  # a few of many, and most of them
        got = hist.sum_rows("vif", hist.rows_of("vif", some), "rx_pps")
        assert np.allclose(got, hist.block("vif", some, "rx_pps").sum(axis=0))


def test_row_numbers_mark_objects_without_samples():
    hist, names = filled(3)
    assert hist.row_numbers("vif", [names[0], "nobody/eth0"]).tolist()[1] == -1
