"""Counter samples as columns (console.engine.sampling, console.models.stats.CounterTable):
the same counters as the per-VIF dataclasses of before, read by name or by column."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from test_engine_vxlan import vems

from console.engine import sampling, tables
from console.engine.facade import Fabric
from console.models.changes import NicAttach
from console.models.inventory import Vnic
from console.models.stats import CounterSample, CounterTable, VifCounters, columns
from console.models.topofile import load

LARGE = Path(__file__).resolve().parents[2] / "resources" / "topologies" / "large.yaml"


def _columns_sample(f: Fabric) -> CounterSample:
    return sampling.counter_sample(f._tables, f._plane, f._base_arrays(),
                                   f._base.igmp_counts, f._tick, f.now)


def _plain(s: CounterSample) -> dict[str, object]:
    """Every counter as plain values, by name (what samples compare on)."""
    return {"timestamp": s.timestamp,
            **{key: {n: asdict(c) for n, c in getattr(s, key).items()}
               for key in ("vifs", "bridge_domains", "vems", "fabric_interconnects")}}


def test_columns_sample_equals_the_facade_sample(plane: str) -> None:
    f = Fabric(load(LARGE), plane=plane)
    f.run_until(0.2)
    s = _columns_sample(f)
    assert isinstance(s.vifs, CounterTable)
    assert _plain(s) == _plain(f.sample())
    assert s.to_json() == f.sample().to_json()
    assert sum(v.rx_packets for v in s.vifs.values()) > 0  # traffic was counted


def test_columns_sample_after_a_live_change(fabric) -> None:
    extra = "  - {name: h9, switching: vem, vteps: [{name: v0, ip: 10.0.0.99/24}]}\n"
    f = fabric(vems(2, mode="multicast", hosts_extra=extra,
                    vms_extra="  - {name: late, host: h9}\n",
                    traffic="  - {from: vm0/eth0, to: broadcast, pps: 10}\n"))
    f.run_until(1)
    nic = Vnic(name="eth0", mac="52:54:00:00:09:01", port_profile="bd")
    assert f.apply(NicAttach("late", nic)).applied
    f.run_until(2)
    s = _columns_sample(f)
    assert _plain(s) == _plain(f.sample())
    assert s.bridge_domains["bd"].igmp_joins == 3
    assert s.vifs["late/eth0"].rx_packets == 10
    assert s.vems["h9"].l2_entries > 0


def test_counter_table_reads_like_a_dict() -> None:
    rows = np.arange(12, dtype=np.int64).reshape(2, 6)
    t = CounterTable(VifCounters, ["a/eth0", "b/eth0"], rows)
    assert t["b/eth0"] == VifCounters(6, 7, 8, 9, 10, 11)
    assert t.get("c/eth0") is None and "c/eth0" not in t and len(t) == 2
    assert t == {"a/eth0": VifCounters(0, 1, 2, 3, 4, 5), "b/eth0": VifCounters(6, 7, 8, 9, 10, 11)}
    assert [n for n, _ in t.items()] == list(t) == ["a/eth0", "b/eth0"]
    assert t.to_json()["a/eth0"]["rx_bytes"] == 3
    t["a/eth0"] = VifCounters(tx_packets=99)  # an existing name writes its row
    assert rows[0, 0] == 99 and t["a/eth0"].tx_packets == 99
    t["c/eth0"] = VifCounters(rx_packets=5)  # a new name: a dict from now on
    assert list(t) == ["a/eth0", "b/eth0", "c/eth0"] and t["c/eth0"].rx_packets == 5
    del t["a/eth0"]
    assert list(t) == ["b/eth0", "c/eth0"]


def test_columns_of_a_table_or_a_dict() -> None:
    rows = np.arange(12, dtype=np.int64).reshape(2, 6)
    t = CounterTable(VifCounters, ["a", "b"], rows)
    as_dict = dict(t.items())
    want = ("rx_packets", "tx_bytes")
    assert np.asarray(columns(t, ["a", "b"], want)).tolist() == [[2, 1], [8, 7]]
    for table in (t, as_dict):
        got = np.asarray(columns(table, ["b", "x", "a"], want)).tolist()
        assert got == [[8, 7], [-1, -1], [2, 1]]


def test_layout_check_names_a_column_no_dataclass_has(monkeypatch) -> None:
    sampling.check_layout()
    broken = dict(tables.COUNTER_COLUMNS, fi=("switched_frames", "hairpin_frames", "lost"))
    monkeypatch.setattr(sampling, "COUNTER_COLUMNS", broken)
    with pytest.raises(RuntimeError, match="fi"):
        sampling.check_layout()


def test_compiled_plane_columns_are_the_declared_ones() -> None:
    dataplane = pytest.importorskip("console.engine._dataplane")
    for kind, declared in tables.COUNTER_COLUMNS.items():
        layout = dataplane.COUNTER_LAYOUT[kind]
        assert [layout[name] for name in declared] == list(range(len(declared))), kind
        assert dataplane.COUNTER_WIDTHS[kind] == len(declared)
    assert set(dataplane.COUNTER_LAYOUT) == set(tables.COUNTER_COLUMNS)


def test_counter_table_read_row_by_row_stays_right_after_a_write() -> None:
    n = 200  # more reads than a table serves before converting its rows at once
    rows = np.arange(n * 6, dtype=np.int64).reshape(n, 6)
    t = CounterTable(VifCounters, [f"v{i}" for i in range(n)], rows)
    assert [t[f"v{i}"].tx_bytes for i in range(n)] == rows[:, 1].tolist()
    t["v7"] = VifCounters(tx_bytes=-5)
    assert t["v7"].tx_bytes == -5 and t["v8"].tx_bytes == rows[8, 1]
