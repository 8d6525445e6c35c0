"""The emulated backend: the engine behind the asyncio backend interface.

URIs: `emulated:///demo` (the demo topology shipped in resources/topologies/demo.yaml) or
`emulated:///PATH/to/topology.yaml`; query options `seed=N`, `plane=compiled|reference`,
`speed=0|1|10|max`.

The engine is not thread-safe and its work is long, so every engine call runs on ONE worker
thread (a single-thread executor) and the event loop only awaits it. A clock task advances
simulated time in step with the wall clock at the chosen speed (paused, 1x, 10x, or as fast
as the engine goes); views pull counters with `sample()` at their poll interval. The wall
clock is injectable (`clock=`, a `Clock`; by default the event loop's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from console.models.changes import Change, ChangeResult
from console.models.heap import hand_back
from console.models.payloads import L2Entry
from console.models.stats import CounterSample
from console.models.topology import Topology

from .base import (
    Backend,
    BackendError,
    BackendEvent,
    ConnectionState,
    EventKind,
)
from .registry import register
from .topofiles import file_of_uri, load_topology, settle_heap

log = logging.getLogger(__name__)

SPEEDS: dict[str, float] = {"pause": 0.0, "1x": 1.0, "10x": 10.0, "max": math.inf}
"""The clock speeds a view offers, by label."""

MAX_CATCH_UP_S = 1.0
"""Wall seconds one tick may make up for: a stalled loop does not start a spiral of
ever-longer engine runs."""


class Clock(Protocol):
    """Wall time as the clock task sees it: what it reads and how it waits. The default
    is the event loop's own clock; tests give one they advance by hand, so that "in step
    with the wall clock" is checked exactly and without waiting."""

    def time(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The running event loop's monotonic clock (asyncio's time() and sleep())."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def parse_uri(uri: str) -> tuple[Path, dict[str, str]]:
    """(topology file, options) of an emulated:// URI."""
    return file_of_uri(uri, "emulated")


def _speed_of(text: str) -> float:
    if text in SPEEDS:
        return SPEEDS[text]
    try:
        value = float(text.rstrip("x"))
    except ValueError:
        raise BackendError(f"speed '{text}' is not one of pause, 1x, 10x, max") from None
    if value < 0:
        raise BackendError(f"speed {value} is negative")
    return value


class EmulatedBackend(Backend):
    """One emulated fabric, running in a worker thread, driven by a clock task."""

    def __init__(self, uri: str, *, tick_s: float = 0.1, clock: Clock | None = None):
        super().__init__(uri)
        self.clock: Clock = clock if clock is not None else LoopClock()
        self.path, options = parse_uri(uri)
        self.seed = int(options.get("seed", "0"))
        self.plane = options.get("plane", "compiled")
        self._speed = _speed_of(options.get("speed", "1x"))
        self.tick_s = tick_s
        self._executor: ThreadPoolExecutor | None = None
        self._fabric: Any = None
        self._clock: asyncio.Task[None] | None = None
        self._resume = asyncio.Event()
        self._waiting_to_resume = False
        self._sim_now = 0.0
        self._last_sample: CounterSample | None = None
        self._failure = ""

    # ------------------------------------------------------------------ helpers
    async def _call(self, fn: Any, *args: Any) -> Any:
        """Run one engine call on the worker thread."""
        if self._executor is None:
            raise BackendError(f"{self.uri}: not connected")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _progress(self, percent: int, step: str) -> None:
        self.emit(BackendEvent(EventKind.PROGRESS, self.uri, step,
                               {"percent": percent, "step": step}))

    @property
    def now(self) -> float:
        """Simulated seconds since the fabric started (as of the last engine call)."""
        return self._sim_now

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        """The clock task has stopped at speed 0 and waits to be resumed: simulated time
        stands still (no engine call is in flight or will start) until set_speed(> 0)."""
        return self._waiting_to_resume

    def set_speed(self, speed: float) -> bool:
        """0 pauses, 1 is real time, math.inf runs as fast as the engine goes."""
        if speed < 0 or math.isnan(speed):
            raise BackendError(f"speed {speed} is not a clock speed")
        self._speed = speed
        if speed > 0:
            self._resume.set()
        else:
            self._resume.clear()
        self.emit(BackendEvent(EventKind.STATE, self.uri, "speed",
                               {"state": self.state.value, "speed": speed}))
        return True

    # ---------------------------------------------------------------- lifecycle
    async def connect(self) -> None:
        if self.state is ConnectionState.CONNECTED:
            return
        self.set_state(ConnectionState.CONNECTING, f"opening {self.path}")
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="fabric-engine")
        try:
            self._progress(10, f"reading {self.path.name}")
            hand_back()  # here, on the loop's thread (see below): the read freezes its own
            topo = await self._call(load_topology, self.path)
            # On the loop's thread, not the worker's: a collection in another thread
            # hands the Qt objects it frees to the main thread for deletion later, and
            # a window's garbage freed that way crashed the process.
            settle_heap(self.path)  # no full collections walking the topology every sample
            self._progress(50, "compiling the fabric")
            self._fabric = await self._call(self._build, topo)
            self._sim_now = float(await self._call(lambda: self._fabric.now))
            self._progress(100, "running")
        except BackendError as exc:
            await self._fail(str(exc))
            raise
        except Exception as exc:  # an engine bug must not leave a frozen "Connecting…"
            log.exception("emulated fabric %s failed to start", self.uri)
            await self._fail(f"{self.uri}: the emulated fabric failed to start: {exc}")
            raise BackendError(self._failure) from exc
        self.set_state(ConnectionState.CONNECTED, f"{topo.name}: {len(topo.vms)} VMs")
        if self._speed > 0:
            self._resume.set()
        self._clock = asyncio.get_running_loop().create_task(self._run_clock(),
                                                             name=f"clock {self.uri}")

    def _build(self, topo: Topology) -> Any:
        from console.engine.facade import Fabric

        try:
            return Fabric(topo, seed=self.seed, plane=self.plane)
        except Exception as exc:
            if self.plane != "compiled":
                raise
            # A checkout whose Cython plane is not built (ImportError) or cannot take this
            # topology still runs, on the reference plane with the same semantics.
            if isinstance(exc, ImportError):
                log.warning("compiled data plane not built; using the reference plane")
            else:
                log.exception("compiled data plane failed; using the reference plane")
            self.plane = "reference"
            return Fabric(topo, seed=self.seed, plane="reference")

    async def _fail(self, reason: str) -> None:
        self._failure = reason
        await self._stop_clock()
        self.set_state(ConnectionState.FAILED, reason)

    async def close(self) -> None:
        await self._stop_clock()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            # Wait (off the loop) for the engine call in flight, so no engine thread
            # outlives the connection; an engine stuck for 5 s is left to finish alone.
            await _joined(executor, timeout=5.0)
        self._fabric = None
        if self.state is not ConnectionState.DISCONNECTED:
            self.set_state(ConnectionState.DISCONNECTED, "closed")

    async def _stop_clock(self) -> None:
        task, self._clock = self._clock, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def drop(self, reason: str = "connection dropped") -> None:
        """Break the connection as a failing host would: counters stop being live."""
        await self._fail(f"{self.uri}: {reason}")

    # -------------------------------------------------------------------- clock
    async def _run_clock(self) -> None:
        clock = self.clock
        chunk = 0.5  # simulated seconds per engine call at full speed, adapted below
        last = clock.time()
        try:
            while True:
                if self._speed <= 0:
                    self._waiting_to_resume = True
                    try:
                        await self._resume.wait()
                    finally:
                        self._waiting_to_resume = False
                    last = clock.time()
                    continue
                if math.isinf(self._speed):
                    started = time.perf_counter()
                    self._sim_now = await self._call(self._advance, self._sim_now + chunk)
                    # ~20 ms per call: efficient, yet apply() and sample() wait little and
                    # the GUI thread gets the GIL back often.
                    chunk = self._adapt(chunk, time.perf_counter() - started, 0.02)
                    last = clock.time()
                    await asyncio.sleep(0)  # a yield to the loop, not a wait
                    continue
                speed = self._speed
                await clock.sleep(self.tick_s)
                now = clock.time()
                elapsed = min(now - last, MAX_CATCH_UP_S)
                last = now
                if self._speed != speed:
                    continue  # changed while asleep: start over at the new speed
                target = self._sim_now + elapsed * speed
                while self._sim_now < target and self._speed == speed:
                    # Short engine calls: an engine call may hold the GIL, and the GUI
                    # thread must get it back often (event-loop latency).
                    started = time.perf_counter()
                    step_to = min(target, self._sim_now + chunk)
                    self._sim_now = await self._call(self._advance, step_to)
                    chunk = self._adapt(chunk, time.perf_counter() - started, 0.01)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("emulated fabric %s stopped", self.uri)
            self._failure = f"{self.uri}: the emulated fabric stopped: {exc}"
            self._clock = None
            self.set_state(ConnectionState.FAILED, self._failure)

    @staticmethod
    def _adapt(chunk: float, took: float, aim: float) -> float:
        """The next chunk of simulated seconds, so one engine call takes about `aim`."""
        return min(60.0, max(0.001, chunk * min(4.0, aim / max(took, 1e-4))))

    def _advance(self, until: float) -> float:
        self._fabric.run_until(until)
        return float(self._fabric.now)

    # ------------------------------------------------------- inventory, changes
    async def inventory(self) -> Topology:
        self._require()
        topo: Topology = await self._call(lambda: self._fabric.topology.model_copy(deep=True))
        return topo

    async def apply(self, change: Change) -> ChangeResult:
        self._require()
        result: ChangeResult = await self._call(self._fabric.apply, change)
        if result.applied:
            self.announce(result)
        return result

    def _require(self) -> None:
        if self.state is not ConnectionState.CONNECTED or self._fabric is None:
            raise BackendError(self._failure or f"{self.uri}: not connected")

    # ----------------------------------------------------------------- counters
    async def sample(self) -> CounterSample:
        if self.state is not ConnectionState.CONNECTED:
            if self._last_sample is not None:
                # The last counters we had, marked stale: never shown as live data.
                return replace(self._last_sample, live=False)
            raise BackendError(self._failure or f"{self.uri}: not connected")
        sample: CounterSample = await self._call(self._fabric.sample)
        self._last_sample = sample
        return sample

    # ------------------------------------------- VSM tables (emulated extras)
    async def l2_table(self, bridge_domain: str) -> list[L2Entry] | None:
        """The L2 table of a bridge domain as the VSM shows it."""
        self._require()
        entries: list[L2Entry] = await self._call(self._fabric.l2_table, bridge_domain)
        return entries


async def _joined(executor: ThreadPoolExecutor, timeout: float) -> None:
    """Wait, without blocking the loop, until the executor's thread has ended (the engine
    call in flight finishes first). A plain thread waits for it: asyncio.to_thread would
    use qasync's default executor, whose QThreads outlive the connection."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def wait() -> None:
        executor.shutdown(wait=True)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(finish)

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    threading.Thread(target=wait, name="emulated-close", daemon=True).start()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(done, timeout)


register("emulated", EmulatedBackend)
