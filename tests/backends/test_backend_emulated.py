"""The emulated backend on a real asyncio loop, against the real engine."""

from __future__ import annotations

import asyncio
import math
import threading
from pathlib import Path

import pytest

from console.backends.base import BackendError, ConnectionState, EventKind
from console.backends.emulated import EmulatedBackend, parse_uri
from console.backends.registry import open_backend
from console.backends.topofiles import demo_path
from console.models.changes import Migrate, PortProfileEdit
from console.models.topofile import load

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE = DATA / "design_example.yaml"


def run(coro):
    return asyncio.run(coro)


class ManualClock:
    """A wall clock that moves only when the test says so (EmulatedBackend's `clock`)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future]] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, done))
        await done

    @property
    def sleeping(self) -> bool:
        """Is the clock task waiting on this clock (and so doing nothing else)?"""
        return bool(self._sleepers)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [s for s in self._sleepers if s[0] <= self.now]
        self._sleepers = [s for s in self._sleepers if s[0] > self.now]
        for _, done in due:
            if not done.done():
                done.set_result(None)


async def wait_for(predicate, timeout=10.0):
    """Until predicate() (public state) holds, as qtbot.waitUntil does: the short sleep
    is the polling interval, not a wait for something to happen."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def test_registry_picks_the_emulated_backend_for_demo():
    backend = open_backend("emulated:///demo")
    assert isinstance(backend, EmulatedBackend)
    assert backend.path == demo_path() and backend.path.is_file()
    assert load(backend.path).vms  # the demo is a real topology file


def test_uri_forms_and_options():
    path, options = parse_uri(f"emulated://{EXAMPLE}?seed=7&plane=reference&speed=10x")
    assert path == EXAMPLE
    assert options == {"seed": "7", "plane": "reference", "speed": "10x"}
    backend = EmulatedBackend(f"emulated://{EXAMPLE}?seed=7&speed=max")
    assert backend.seed == 7 and math.isinf(backend.speed)
    with pytest.raises(BackendError, match="speed"):
        EmulatedBackend("emulated:///demo?speed=fast")


def test_connect_runs_the_clock_and_counters_grow():
    async def scenario():
        clock = ManualClock()
        b = EmulatedBackend(f"emulated://{EXAMPLE}", clock=clock)
        events = b.events()
        await b.connect()
        assert b.state is ConnectionState.CONNECTED
        first = await b.sample()
        await wait_for(lambda: clock.sleeping)
        clock.advance(1.0)  # a wall second, at 1x a simulated one
        await wait_for(lambda: clock.sleeping and b.now > first.timestamp + 0.5)
        second = await b.sample()
        assert second.timestamp > first.timestamp and second.live
        # app1 sends 1000 pps to web1 in the example file
        assert second.vifs["app1/eth0"].tx_packets > first.vifs["app1/eth0"].tx_packets
        kinds = []
        while True:
            ev = await asyncio.wait_for(events.__anext__(), 1)
            kinds.append((ev.kind, ev.data.get("state") or ev.data.get("step")))
            if ev.kind is EventKind.STATE and ev.data.get("state") == "connected":
                break
        assert kinds[0] == (EventKind.STATE, "connecting")
        assert any(k is EventKind.PROGRESS for k, _ in kinds)
        await b.close()
        await b.close()  # safe twice
        assert b.state is ConnectionState.DISCONNECTED

    run(scenario())
    assert not [t for t in threading.enumerate() if t.name.startswith("fabric-engine")]


def test_clock_speeds_pause_real_time_and_max():
    async def scenario():
        clock = ManualClock()
        b = EmulatedBackend(f"emulated://{EXAMPLE}", clock=clock)
        await b.connect()
        await wait_for(lambda: clock.sleeping)  # 1x: the clock task waits on the clock
        b.set_speed(0)
        paused = b.now
        clock.advance(5.0)  # wakes the task, which sees the pause and waits to resume
        await wait_for(lambda: b.paused)
        assert b.now == paused and not clock.sleeping
        b.set_speed(math.inf)  # as fast as the engine goes: no wall clock involved
        await wait_for(lambda: b.now > paused + 20, timeout=10)
        b.set_speed(1)
        await wait_for(lambda: clock.sleeping)  # the engine call in flight has finished
        t0 = b.now
        clock.advance(0.5)
        await wait_for(lambda: clock.sleeping and b.now > t0)
        # in step with the wall clock at 1x: half a wall second, half a simulated one
        assert b.now - t0 == pytest.approx(0.5, abs=1e-3)
        b.set_speed(10)
        clock.advance(0.1)  # ends the 1x wait, which then starts over at 10x
        await wait_for(lambda: clock.sleeping)
        assert b.now == pytest.approx(t0 + 0.5, abs=1e-3)
        clock.advance(0.2)
        t2 = b.now
        await wait_for(lambda: clock.sleeping and b.now > t2)
        assert b.now - t2 == pytest.approx(2.0, abs=1e-3)  # 10x
        with pytest.raises(BackendError):
            b.set_speed(-1)
        await b.close()

    run(scenario())


def test_apply_a_live_change_emits_a_config_event_and_updates_the_inventory():
    async def scenario():
        b = EmulatedBackend(f"emulated://{EXAMPLE}")
        events = b.events()
        await b.connect()
        topo = await b.inventory()
        web = next(p for p in topo.port_profiles if p.name == "web")
        edited = web.model_copy(update={"description": "edited live"})
        change = PortProfileEdit(edited)
        result = await b.apply(change)
        assert result.applied, result.message
        seen = []
        while not seen or seen[-1].kind is not EventKind.CONFIG:
            seen.append(await asyncio.wait_for(events.__anext__(), 2))
        assert (seen[-1].subject, seen[-1].detail) == ("web", "Edit port profile web")
        assert seen[-1].data == {"change": change, "message": result.message,
                                 "steps": result.steps}
        after = await b.inventory()
        assert next(p for p in after.port_profiles if p.name == "web").description \
            == "edited live"
        assert topo is not after  # callers get their own copy
        # a refusal is a result, not an error: hostdev... web1 is macvtap; kvm1 -> kvm2
        # is a VEM host, so VM-FEX web1 cannot move there
        refused = await b.apply(Migrate("web1", "kvm2"))
        assert not refused.applied and refused.message
        await b.close()

    run(scenario())


def test_l2_table_lists_learned_entries():
    async def scenario():
        clock = ManualClock()
        b = EmulatedBackend("emulated:///demo", clock=clock)
        await b.connect()
        for _ in range(2):  # a catch-up is at most MAX_CATCH_UP_S: two wall seconds
            await wait_for(lambda: clock.sleeping)
            clock.advance(1.0)
        await wait_for(lambda: clock.sleeping and b.now > 1.0)
        entries = await b.l2_table("tenant-a")
        assert entries and {"mac", "vem", "vtep_ip", "age_s"} <= set(dir(entries[0]))
        await b.close()

    run(scenario())


@pytest.mark.parametrize("text, expect", [
    (None, "No such file"),
    ("format: fabric-console/1\nvms: [{name: a}]\n", "vms[0]"),
])
def test_unreadable_files_fail_with_a_clear_message(tmp_path, text, expect):
    path = tmp_path / "t.yaml"
    if text is not None:
        path.write_text(text)

    async def scenario():
        b = EmulatedBackend(f"emulated://{path}")
        with pytest.raises(BackendError) as info:
            await b.connect()
        assert b.state is ConnectionState.FAILED
        with pytest.raises(BackendError):
            await b.sample()
        await b.close()
        return str(info.value)

    message = run(scenario())
    assert expect in message and "Traceback" not in message


def test_a_dropped_connection_gives_stale_samples_never_live_ones():
    async def scenario():
        b = EmulatedBackend(f"emulated://{EXAMPLE}")
        await b.connect()
        live = await b.sample()
        assert live.live
        await b.drop("host unreachable")
        assert b.state is ConnectionState.FAILED
        stale = await b.sample()
        assert not stale.live and stale.timestamp == live.timestamp
        with pytest.raises(BackendError, match="host unreachable"):
            await b.inventory()
        await b.close()

    run(scenario())
