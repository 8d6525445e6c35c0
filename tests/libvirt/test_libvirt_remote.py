"""A real remote connection: a private libvirtd serves the test driver over a UNIX socket
(`test+unix:///PATH/kvm1.xml?socket=...`). Stopping the daemon makes libvirt's close
callback fire, the backend marks samples not live and reconnects when it is back.
Skipped where libvirtd is not installed (Debian: apt-get install libvirt-daemon)."""

from __future__ import annotations

import asyncio
import shutil

import libvirt
import pytest
from qemu_support import LIBVIRTD, Daemon

from console.backends import BackendError
from console.backends.base import ConnectionState, EventKind
from console.backends.libvirt import LibvirtBackend

pytestmark = pytest.mark.skipif(LIBVIRTD is None, reason="libvirtd is not installed")


def _running(d: Daemon):
    try:
        d.start()
        yield d
    finally:
        d.stop()
        shutil.rmtree(d.dir, ignore_errors=True)


@pytest.fixture
def daemon():
    yield from _running(Daemon())


def test_remote_drop_is_not_live_then_reconnects(daemon, run):
    b = LibvirtBackend(daemon.uri("kvm1"))
    events = b.events()
    run(b.connect())
    try:
        topo = run(b.inventory())
        assert topo.hosts[0].name == "kvm1" and len(topo.vms) == 4
        before = run(b.sample())
        assert before.live and "db1/eth0" in before.vifs

        async def next_state(state: str):
            while True:
                ev = await events.__anext__()
                if ev.kind is EventKind.STATE and ev.data["state"] == state:
                    return ev

        daemon.stop()  # the host goes away: libvirt's close callback fires
        ev = run(next_state("reconnecting"), timeout=30)
        assert "closed" in ev.detail
        stale = run(b.sample())
        assert not stale.live and stale.vifs == before.vifs
        daemon.start()
        run(next_state("connected"), timeout=60)
        assert b.state is ConnectionState.CONNECTED
        assert run(b.sample()).live
    finally:
        run(b.close())


def test_two_hosts_at_once_one_connection_each(daemon, run):
    one, two = LibvirtBackend(daemon.uri("kvm1")), LibvirtBackend(daemon.uri("kvm2"))
    async def both(a, b):
        return await asyncio.gather(a, b)

    run(both(one.connect(), two.connect()))
    try:
        assert one.connection.executor is not two.connection.executor
        t1, t2 = run(both(one.inventory(), two.inventory()))
        assert (t1.hosts[0].name, t2.hosts[0].name) == ("kvm1", "kvm2")
        assert len(t1.vms) == 4 and t2.vms == []
    finally:
        run(one.close())
        run(two.close())


@pytest.fixture
def sasl_daemon():
    if shutil.which("saslpasswd2") is None:
        pytest.skip("saslpasswd2 is not installed (Debian: sasl2-bin)")
    yield from _running(Daemon(password="s3cret"))


def test_password_is_asked_through_the_async_callback(sasl_daemon, run):
    asked = []

    async def dialog(uri, requests):  # what the GUI's password dialog does
        asked.append([(r.kind, r.secret) for r in requests])
        return ["admin" if not r.secret else "s3cret" for r in requests]

    b = LibvirtBackend(sasl_daemon.uri("kvm1"))
    b.auth = dialog
    run(b.connect())
    try:
        assert run(b.inventory()).hosts[0].name == "kvm1"
    finally:
        run(b.close())
    assert asked == [[(libvirt.VIR_CRED_AUTHNAME, False), (libvirt.VIR_CRED_PASSPHRASE, True)]]


def test_wrong_password_or_cancel_is_a_readable_refusal(sasl_daemon, run):
    async def wrong(uri, requests):
        return ["admin" if not r.secret else "nope" for r in requests]

    async def cancel(uri, requests):
        return None

    for callback in (wrong, cancel, None):
        b = LibvirtBackend(sasl_daemon.uri("kvm1"))
        b.auth = callback
        with pytest.raises(BackendError, match="cannot connect") as info:
            run(b.connect())
        assert "auth" in str(info.value).lower()
        assert b.state is ConnectionState.FAILED
        run(b.close())
