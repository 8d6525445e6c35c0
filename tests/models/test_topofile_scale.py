"""A large file's load stays linear and leaves the heap as the GUI needs it (issue #16).

Speed itself is measured by benchmarks/scale.py; these tests count what does not depend on
the machine: Python function calls and peak traced memory, 1,000 VMs against 10,000.
A step that went quadratic (a list searched once per VM, a rule re-walking every host per
object) multiplies one or the other by about a hundred instead of ten."""

from __future__ import annotations

import cProfile
import gc
import pstats
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from console.models import topofile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def texts() -> dict[int, str]:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_topology
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    # The shape of benchmarks/scale.py's fabric (a VEM per ten VMs, four VTEPs each),
    # scaled down; segments grow with the fabric too.
    return {vms: gen_topology.dumps(gen_topology.generate(vms // 10, vms, vms // 25, 4, 8,
                                                          vms // 100, 1, "linear"))
            for vms in (1_000, 10_000)}


def _calls(text: str) -> int:
    profile = cProfile.Profile()
    profile.enable()
    try:
        topofile.loads(text)
    finally:
        profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def _peak_bytes(text: str) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        topo: Any = topofile.loads(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del topo
    return peak


def test_load_stays_linear_in_python_calls(texts):
    topofile.loads(texts[1_000])  # one-time work (schemas, caches) out of the count
    small, large = _calls(texts[1_000]), _calls(texts[10_000])
    print(f"Python calls: 1,000 VMs {small:,}, 10,000 VMs {large:,} ({large / small:.1f}x)")
    assert large <= 11 * small


def test_load_stays_linear_in_memory(texts):
    small, large = _peak_bytes(texts[1_000]), _peak_bytes(texts[10_000])
    print(f"peak traced: 1,000 VMs {small:,} B, 10,000 VMs {large:,} B ({large / small:.1f}x)")
    assert large <= 11 * small


def test_a_large_load_leaves_its_objects_frozen_and_hands_back_the_last(texts):
    # The first collection after a load would walk every object it made, and every full
    # collection after it again: a large file's objects are frozen out of its sight.
    assert len(texts[10_000]) >= topofile.FREEZE_FROM_BYTES > len(texts[1_000])
    gc.unfreeze()
    try:
        first = topofile.loads(texts[10_000])
        frozen = gc.get_freeze_count()
        assert frozen > 10_000 * 3  # at least the VMs, their vNICs and their lists
        del first  # closed: the next large load hands its objects back before freezing
        second = topofile.loads(texts[10_000])
        assert gc.get_freeze_count() <= frozen * 1.1
        assert len(second.vms) == 10_000
        topofile.loads(texts[1_000])  # a small file leaves the freeze as it is
        assert gc.get_freeze_count() <= frozen * 1.1
    finally:
        gc.unfreeze()


def test_a_failed_large_load_freezes_nothing(texts):
    gc.unfreeze()
    bad = texts[10_000].replace("format: fabric-console/1", "format: fabric-console/9", 1)
    try:
        with pytest.raises(topofile.TopologyFileError, match="format"):
            topofile.loads(bad)
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_a_chunked_load_consumes_only_what_loads_owns(texts, monkeypatch):
    monkeypatch.setattr(topofile, "_CHUNKED_FROM", 1_000)  # 10,000 VMs: in chunks
    raw = topofile.parse_yaml(texts[10_000])
    vms = list(raw["vms"])
    kept = topofile.from_data(raw)
    assert raw["vms"] == vms  # from_data's caller still has its data
    consumed = topofile.from_data(raw, consume=True)
    assert raw["vms"] == [None] * len(vms)  # dropped chunk by chunk as validated
    assert consumed.model_dump() == kept.model_dump() == topofile.loads(texts[10_000]).model_dump()
