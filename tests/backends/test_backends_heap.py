"""settle_heap(): a loaded topology's objects leave the collector's sight, and what was
dropped since the last settle is still collected."""

from __future__ import annotations

import asyncio
import gc
import sys
import weakref
from pathlib import Path

import pytest

from console.backends import open_backend
from console.backends.topofiles import settle_heap
from console.models import topofile


class _Node:
    pass


def _cycle() -> weakref.ref:
    a, b = _Node(), _Node()
    a.peer, b.peer = b, a  # only the cyclic collector can free these
    return weakref.ref(a)


def test_the_emulated_fabric_freezes_its_topology_once_loaded():
    gc.unfreeze()
    backend = open_backend("emulated:///demo")
    try:
        asyncio.run(backend.connect())
        assert gc.get_freeze_count() > 0
        topo = backend._fabric.topology
        # the topology's own objects are among the frozen ones: not in any generation
        # the collector walks
        assert not any(o is topo for o in gc.get_objects())
    finally:
        asyncio.run(backend.close())
        gc.unfreeze()


def test_cyclic_garbage_frozen_earlier_is_collected_at_the_next_settle():
    gc.unfreeze()
    try:
        ref = _cycle()
        settle_heap()  # the cycle is still alive here only if something holds it...
        assert ref() is None  # ...nothing does: collected before the freeze
        holder = [_Node()]
        holder[0].peer = holder
        ref = weakref.ref(holder[0])
        settle_heap()  # frozen while referenced
        del holder
        gc.collect()
        assert ref() is not None  # a frozen cycle survives ordinary collections
        settle_heap()
        assert ref() is None  # unfrozen, collected
    finally:
        gc.unfreeze()


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """A 10,000-VM file, large enough that reading it freezes what it read."""
    scripts = str(Path(__file__).resolve().parents[2] / "scripts")
    sys.path.insert(0, scripts)
    try:
        import gen_topology
    finally:
        sys.path.remove(scripts)
    path = tmp_path_factory.mktemp("heap") / "large.yaml"
    path.write_text(gen_topology.dumps(gen_topology.generate(1000, 10_000, 400, 4, 8, 100, 1,
                                                             "heap")))
    assert topofile.leaves_frozen(path.stat().st_size)
    return path


def test_a_large_file_is_settled_by_its_load_and_a_closed_ones_cycles_still_go(large):
    # Reading a large file froze its objects (topofile.leaves_frozen): settle_heap() then
    # leaves them (no walk of all of them on the loop's thread); what an earlier large
    # load froze is handed back and collected before the next large load.
    path = large
    gc.unfreeze()
    try:
        holder = [_Node()]
        holder[0].peer = holder
        ref = weakref.ref(holder[0])
        topo = topofile.load(path)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000 and ref() is not None  # frozen with the load, still held
        settle_heap(path)
        assert gc.get_freeze_count() == frozen  # not handed back and walked again
        del holder, topo  # closed
        topofile.load(path)
        assert ref() is None  # collected before the next large load froze its own
    finally:
        gc.unfreeze()


def test_a_large_load_in_a_worker_thread_collects_nothing_there(large):
    # A full collection in a worker thread finalizes what it frees there (a window's
    # Qt objects: the process crashed once). Readers run in worker threads (the
    # emulated backend, File > Open): there the load only freezes; its caller hands
    # back and collects on the main thread first (heap.hand_back).
    import threading
    from concurrent.futures import ThreadPoolExecutor

    path = large
    full: list[str] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(threading.current_thread().name)

    gc.unfreeze()
    gc.callbacks.append(seen)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="reader") as pool:
            topo = pool.submit(topofile.load, path).result()
        assert len(topo.vms) == 10_000 and gc.get_freeze_count() > 10_000
        assert not [name for name in full if name.startswith("reader")], full
    finally:
        gc.callbacks.remove(seen)
        gc.unfreeze()
