"""Tracing a frame for the views: `fabric-console trace` behind an async call.

The views may not import the engine (pyproject.toml, contract views-through-backends), and
a trace compiles the fabric and runs its traffic: seconds on a large file. So the trace
runs here, in a worker thread, on a snapshot of the document's topology taken on the
caller's thread (edits replace fields, never mutate them: console.models.merge).

The trace uses the file's semantics: the traffic of the topology run for `at` simulated
seconds (0: empty L2 tables), not a live connection's current L2 state, which no backend
exports today.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from console.engine.trace import REASONS, Drop, Step, Trace, TraceError, trace
from console.models.merge import shallow_copy
from console.models.topology import Topology

# One worker: a second trace asked while one runs waits for it rather than sharing the
# two cores with it.
_TRACES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trace")


async def trace_frame(topology: Topology, source: str, to: str, *, size: int = 64,
                      ip: bool = False, df: bool = False, at: float = 0.0) -> Trace:
    """Trace one frame from `source` (vm/nic) to `to` (vm/nic, a MAC or broadcast) off the
    event loop's thread. Raises TraceError when either names nothing."""
    snapshot = shallow_copy(topology)
    return await asyncio.get_running_loop().run_in_executor(
        _TRACES, partial(trace, snapshot, source, to, size=size, ip=ip or df, df=df, at=at))


__all__ = ["REASONS", "Drop", "Step", "Trace", "TraceError", "trace_frame"]
