"""settle_heap(): a loaded topology's objects leave the collector's sight, and what was
dropped since the last settle is still collected."""

from __future__ import annotations

import asyncio
import gc
import weakref

from console.backends import open_backend
from console.backends.topofiles import settle_heap


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
