"""Keeping CPython's cyclic garbage collector off work that makes many objects at once.

Reading a topology file, or building the connection tree for one, makes hundreds of
thousands of objects in a burst. Every 700 allocations the collector walks the young
ones, and a full collection walks everything: at 100,000 VMs that was most of a load's
time, and more than half of the tree's. Paused, the objects are walked once afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import threading
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection inside the block. With `freeze`, what exists when
    the block ends without an error is frozen out of later collections (gc.freeze: the
    survivors of a large load are long-lived). Before the block, on the main thread,
    what an earlier freeze kept is handed back and collected (hand_back), so a topology
    closed since then goes now instead of being frozen again with the new one; a worker
    thread leaves that to its caller, which calls hand_back() on the main thread first."""
    was_enabled = gc.isenabled()
    if freeze and threading.current_thread() is threading.main_thread():
        hand_back()
    gc.disable()
    done = False
    try:
        yield
        done = True
    finally:
        if freeze and done:
            gc.freeze()
        if was_enabled:
            gc.enable()


def hand_back() -> None:
    """Hand back what an earlier freeze kept and collect: what was closed since goes.
    Walks only the objects alive now, not those a load is about to make. On the main
    thread only: a collection in another thread finalizes the Qt objects it frees there,
    and a window's garbage freed that way crashed the process."""
    gc.unfreeze()
    gc.collect()


def settle() -> None:
    """Hand back what an earlier freeze kept, collect, and freeze what survives: the
    objects alive now leave the collector's sight (collector_paused(freeze=True) around
    nothing)."""
    with collector_paused(freeze=True):
        pass


def give_back() -> None:
    """Return freed memory to the system. A parse goes through transient allocations
    (ryaml's Rust side: twice the size of the data) that glibc keeps after they are
    freed: half the resident growth of a load (10,000 VMs: 89 MB, 44 MB after this;
    3 ms)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        return None
