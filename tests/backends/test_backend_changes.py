"""The emulated fabric takes a change through the one pipeline (console.models.pipeline): a
refused change, or one whose recompile fails, leaves its topology (and the running
fabric) as they were; an applied one is announced the way every backend announces it."""

from __future__ import annotations

import asyncio

import pytest

from console.backends.base import EventKind
from console.backends.emulated import EmulatedBackend
from console.backends.topofiles import demo_path
from console.engine import facade
from console.engine.facade import Fabric
from console.models import changes as ch
from console.models import topofile as tf
from console.models.pipeline import plan_change


def _nic_update(topo, **fields) -> ch.NicUpdate:
    web1 = next(vm for vm in topo.vms if vm.name == "web1")
    return ch.NicUpdate("web1", web1.nics[0].model_copy(update=fields))


def _broken_compile(*_args, **_kwargs):
    raise MemoryError("no room for the new tables")


def test_a_fabric_whose_recompile_fails_keeps_its_topology_and_keeps_running(monkeypatch):
    fabric = Fabric(tf.load(demo_path()))
    fabric.run_until(0.5)
    before, dumped, counted = fabric.topology, tf.dumps(fabric.topology), fabric.sample()
    monkeypatch.setattr(facade, "compile_topology", _broken_compile)
    change = _nic_update(fabric.topology, mtu=1400)
    with pytest.raises(MemoryError):
        fabric.apply(change)
    assert fabric.topology is before and tf.dumps(before) == dumped
    fabric.run_until(1.0)  # the old plane still runs, its counters still count
    assert fabric.sample().vifs["app1/eth0"].tx_packets > counted.vifs["app1/eth0"].tx_packets
    monkeypatch.undo()
    result = fabric.apply(change)
    assert result.applied and fabric.topology is not before
    assert tf.dumps(before) == dumped  # the topology it ran before was never edited


def test_a_refused_change_leaves_the_fabric_alone():
    fabric = Fabric(tf.load(demo_path()))
    before, dumped = fabric.topology, tf.dumps(fabric.topology)
    result = fabric.apply(_nic_update(fabric.topology, port_profile="nope"))
    assert not result.applied and [f.rule for f in result.findings] == ["ref.port-profile"]
    assert fabric.topology is before and tf.dumps(before) == dumped


def test_the_emulated_backend_keeps_its_topology_on_a_refusal_and_a_failure(monkeypatch):
    async def scenario() -> None:
        backend = EmulatedBackend("emulated:///demo?speed=0")
        events = backend.events()
        await backend.connect()
        try:
            before = tf.dumps(await backend.inventory())
            refused = ch.NicDetach("web1", "eth7")
            result = await backend.apply(refused)
            expected = plan_change(await backend.inventory(), refused).refused()
            assert (result.applied, result.message) == (False, expected.message) \
                == (False, "VM web1 has no vNIC named eth7")
            assert tf.dumps(await backend.inventory()) == before

            change = _nic_update(await backend.inventory(), mtu=1400)
            with monkeypatch.context() as patched:
                patched.setattr(facade, "compile_topology", _broken_compile)
                with pytest.raises(MemoryError):
                    await backend.apply(change)
            assert tf.dumps(await backend.inventory()) == before

            result = await backend.apply(change)
            assert result.applied
            seen = []
            while not seen or seen[-1].kind is not EventKind.CONFIG:
                seen.append(await asyncio.wait_for(events.__anext__(), 2))
            assert [e for e in seen if e.kind is EventKind.CONFIG] == seen[-1:]  # once
            assert (seen[-1].subject, seen[-1].detail) == ("web1", "Edit vNIC web1/eth0")
            assert seen[-1].data == {"change": change, "message": "applied",
                                     "steps": result.steps}
        finally:
            await backend.close()

    asyncio.run(scenario())
