"""Keeping CPython's cyclic garbage collector off work that makes many objects at once.

Reading a topology file, or building the connection tree for one, makes hundreds of
thousands of objects in a burst. Every 700 allocations the collector walks the young
ones, and a full collection walks everything: at 100,000 VMs that was most of a load's
time, and more than half of the tree's. Paused, the objects are walked once afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection inside the block. With `freeze`, what exists when
    the block ends without an error is frozen out of later collections (gc.freeze: the
    survivors of a large load are long-lived). Before the block, what an earlier freeze
    kept is handed back and collected (gc.unfreeze, gc.collect), so a topology closed
    since then goes now, not frozen again with the new one; that walks only what was
    there before, not the objects the block is about to make."""
    was_enabled = gc.isenabled()
    if freeze:
        gc.unfreeze()
        gc.collect()
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
