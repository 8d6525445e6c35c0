"""Counters through the bulk call, events through libvirtaio, and a dropped connection:
samples marked not live, state RECONNECTING, then reconnected."""

from __future__ import annotations

import asyncio

import libvirt

from console.backends.base import ConnectionState, EventKind


def test_sample_keys_every_running_vif_and_counts_up(backend, run):
    b = backend("kvm1")
    first = run(b.sample())
    assert b.last_poll.bulk_calls == 1 and b.last_poll.bulk_without_net
    assert first.live
    assert set(first.vifs) == {"web1/eth0", "web2/eth0", "web2/eth1", "db1/eth0",
                               "app1/eth0"}
    second = run(b.sample())
    assert second.timestamp > first.timestamp
    assert second.vifs["web1/eth0"].rx_bytes >= first.vifs["web1/eth0"].rx_bytes
    report = b.last_poll
    # the first poll is one bulk call; the test driver leaves its net group empty, so
    # each interface is read on its own as the fallback, and later polls skip the
    # bulk call that brings nothing on this driver
    assert report.bulk_calls == 0 and report.per_interface_calls == 5
    assert not b.bulk_stats


def test_shut_off_domain_drops_out_and_lifecycle_event_arrives(backend, run):
    b = backend("kvm1")
    run(b.sample())
    events = b.events()

    async def stop_and_wait():
        await b.connection.run(b.connection.conn.lookupByName("db1").destroy)
        while True:
            ev = await events.__anext__()
            if ev.kind is EventKind.LIFECYCLE:
                return ev

    ev = run(stop_and_wait(), timeout=10)
    assert ev.subject == "db1" and ev.detail == "stopped"
    assert "db1/eth0" not in run(b.sample()).vifs


def test_erroring_device_goes_on_the_skip_list(backend, run):
    b = backend("kvm1")
    run(b.sample())
    b._facts.targets["web1"]["no-such-dev"] = "ghost"
    run(b.sample())
    assert b.last_poll.per_interface_calls == 6  # five real devices and the ghost
    assert ("web1", "no-such-dev") in b._skip
    sample = run(b.sample())
    assert b.last_poll.per_interface_calls == 5  # the ghost is not asked again
    assert "web1/ghost" not in sample.vifs and sample.live


def test_dropped_connection_is_not_live_and_reconnects(backend, run):
    b = backend("kvm1")
    before = run(b.sample())
    events = b.events()
    async def drop():  # what libvirt's close callback reports when the daemon goes away
        b._on_close(libvirt.VIR_CONNECT_CLOSE_REASON_EOF)

    run(drop())
    assert b.state is ConnectionState.RECONNECTING
    stale = run(b.sample())
    assert not stale.live and stale.vifs == before.vifs

    async def until_connected():
        while True:
            ev = await events.__anext__()
            if ev.kind is EventKind.STATE and ev.data["state"] == "connected":
                return ev

    run(until_connected(), timeout=10)
    assert b.state is ConnectionState.CONNECTED
    assert run(b.sample()).live


def test_credentials_are_asked_through_the_async_callback(run):
    from console.backends.libvirt.connection import Connection

    asked = []

    async def ask(uri, requests):
        asked.append((uri, [(r.kind, r.prompt, r.secret) for r in requests]))
        return ["admin", "s3cret"]

    conn = Connection("qemu+ssh://kvm1/system", ask)
    creds = [[libvirt.VIR_CRED_AUTHNAME, "Username", "", "", None],
             [libvirt.VIR_CRED_PASSPHRASE, "Password", "", "", None]]

    async def go():
        conn._loop = asyncio.get_running_loop()
        # libvirt calls the credential callback on the connection's worker thread
        return await conn.run(conn._credentials, creds, None)

    assert run(go()) == 0
    assert [c[4] for c in creds] == ["admin", "s3cret"]
    assert asked == [("qemu+ssh://kvm1/system",
                      [(libvirt.VIR_CRED_AUTHNAME, "Username", False),
                       (libvirt.VIR_CRED_PASSPHRASE, "Password", True)])]
    conn.shutdown()


def test_driver_without_bulk_stats_falls_back_to_per_interface(backend, run):
    from console.backends.libvirt import stats

    b = backend("kvm1")
    run(b.sample())
    conn = b.connection.conn

    class NoBulk:
        """The connection as an older driver shows it: no getAllDomainStats."""

        def getAllDomainStats(self, *_args):
            err = libvirt.libvirtError("this function is not supported")
            err.err = (libvirt.VIR_ERR_NO_SUPPORT, 0, "not supported", 0, "", "", "", 0, 0)
            raise err

        def __getattr__(self, name):
            return getattr(conn, name)

    vifs, report = stats.poll(NoBulk(), b._facts.targets, set())
    assert report.bulk_unsupported and report.per_interface_calls == 5
    assert set(vifs) == set(run(b.sample()).vifs)
