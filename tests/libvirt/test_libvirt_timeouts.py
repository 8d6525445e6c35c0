"""Connections that never answer (issue #17): a server on 127.0.0.1 that accepts and says
nothing, and a private libvirtd stopped with SIGSTOP before connecting or mid-poll. Every
wait is bounded by a short time-out set here; the daemon is continued and stopped at
teardown whatever happened."""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from libvirt_nodes import node_uri
from qemu_support import LIBVIRTD, Daemon

from console.backends import BackendError, open_backend
from console.backends.base import ConnectionState, EventKind
from console.backends.libvirt import LibvirtBackend
from console.backends.libvirt.connection import NotAnswering, Timeouts, split_uri

ROOT = Path(__file__).resolve().parents[2]
SERVER_LIFETIME_S = 60.0  # the silent server stops by itself even if a test never ends
needs_libvirtd = pytest.mark.skipif(LIBVIRTD is None, reason="libvirtd is not installed")


# ----------------------------------------------------------------------------- helpers
class SilentServer:
    """An asyncio TCP server on 127.0.0.1 that accepts every connection and never sends
    a byte: what a hung libvirtd looks like from the client. It runs its own loop on a
    thread, so that a blocking client (libvirt, or a command in a subprocess) can meet it,
    and stops by itself after SERVER_LIFETIME_S."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=self._main, name="silent-server", daemon=True)

    def _main(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        held: list[asyncio.StreamWriter] = []

        async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            held.append(writer)  # keep it open, say nothing

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._stop = self._loop.create_future()
        self._ready.set()
        with contextlib.suppress(TimeoutError):  # the lifetime bound
            await asyncio.wait_for(self._stop, SERVER_LIFETIME_S)
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()

    def __enter__(self) -> SilentServer:
        self._thread.start()
        assert self._ready.wait(10), "the silent server did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))
        self._thread.join(10)


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    d = Daemon()
    try:
        d.start()
        yield d
    finally:
        if d.proc is not None and d.proc.poll() is None:
            os.kill(d.proc.pid, signal.SIGCONT)  # a stopped daemon cannot terminate
        d.stop()


def sigstop(d: Daemon) -> None:
    assert d.proc is not None
    os.kill(d.proc.pid, signal.SIGSTOP)


SHORT = Timeouts(connect_s=0.5, call_s=0.5, keepalive_interval_s=0, keepalive_count=0)


# ----------------------------------------------------------------------------- URIs
def test_time_outs_come_from_the_uri_then_the_environment():
    uri = "qemu+ssh://h/system?keyfile=/k&fc_connect_timeout=2.5&fc_keepalive=1,4"
    plain, t = split_uri(uri, {"FABRIC_CONSOLE_CONNECT_TIMEOUT": "9",
                               "FABRIC_CONSOLE_CALL_TIMEOUT": "7"})
    assert plain == "qemu+ssh://h/system?keyfile=/k"  # libvirt never sees fc_*
    assert (t.connect_s, t.call_s, t.change_s) == (2.5, 7.0, Timeouts().change_s)
    assert (t.keepalive_interval_s, t.keepalive_count) == (1, 4)
    assert split_uri("test:///default", {})[1] == Timeouts()
    assert split_uri("test:///default?fc_keepalive=0", {})[1].keepalive_interval_s == 0
    for bad in ("fc_call_timeout=abc", "fc_call_timeout=-1", "fc_call_timeout=inf",
                "fc_keepalive=5", "fc_timeout=3"):
        with pytest.raises(BackendError, match="fc_"):
            split_uri(f"test:///default?{bad}", {})


def test_unknown_scheme_is_said_before_any_connection(run):
    b = open_backend("bogus://x")
    with pytest.raises(BackendError) as info:
        run(b.connect())
    message = str(info.value)
    assert "bogus://x: unknown URI scheme 'bogus:'" in message
    assert "certificate" not in message and "qemu" in message
    assert b.state is ConnectionState.FAILED
    run(b.close())
    with pytest.raises(BackendError, match=r"unknown transport '\+carrier'"):
        run(open_backend("qemu+carrier://h/system").connect())


def test_a_bad_time_out_in_the_uri_is_a_refusal_naming_it(run):
    b = open_backend("test:///default?fc_call_timeout=soon")
    with pytest.raises(BackendError, match="fc_call_timeout='soon' is not a time-out"):
        run(b.connect())
    run(b.close())


# ----------------------------------------------------------------------------- silent server
@pytest.mark.parametrize("scheme,path", [("qemu+tcp", "system"), ("test+tcp", "default")],
                         ids=["system-driver", "test-driver"])
def test_connect_to_a_server_that_never_answers_times_out(silent, run, scheme, path):
    uri = f"{scheme}://127.0.0.1:{silent.port}/{path}"
    b = LibvirtBackend(uri, timeouts=SHORT)
    events = b.events()
    started = time.monotonic()
    with pytest.raises(NotAnswering) as info:
        run(b.connect(), timeout=10)
    took = time.monotonic() - started
    assert str(info.value) == (f"{uri} is not answering: opening the connection had no "
                               "answer within 0.5 s")
    assert "fc_connect_timeout" in info.value.hint
    assert 0.5 <= took < 5, took
    assert silent.accepted >= 1  # it really reached the server
    assert b.state is ConnectionState.FAILED

    async def last_state():
        while True:
            ev = await events.__anext__()
            if ev.data.get("state") == "failed":
                return ev
    assert "not answering" in run(last_state(), timeout=5).detail
    started = time.monotonic()
    run(b.close(), timeout=5)
    assert time.monotonic() - started < 2


def test_no_new_attempt_while_the_last_one_still_waits(silent, run):
    """Reconnecting to a host that stays silent costs one blocked thread, not one per
    attempt."""
    b = LibvirtBackend(f"test+tcp://127.0.0.1:{silent.port}/default", timeouts=SHORT)
    with pytest.raises(NotAnswering):
        run(b.connect(), timeout=10)
    started = time.monotonic()
    with pytest.raises(NotAnswering, match="the last attempt is still waiting"):
        run(b.connect(), timeout=10)
    assert time.monotonic() - started < 0.4
    assert silent.accepted == 1
    run(b.close())


def test_the_loop_keeps_running_while_a_connect_hangs(silent, run):
    """The abandoned open blocks a worker thread, never the event loop."""
    b = LibvirtBackend(f"test+tcp://127.0.0.1:{silent.port}/default",
                       timeouts=Timeouts(connect_s=1.0, keepalive_interval_s=0))
    ticks = 0

    async def both():
        nonlocal ticks
        connect = asyncio.ensure_future(b.connect())
        while not connect.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return connect.exception()

    assert isinstance(run(both(), timeout=10), NotAnswering)
    assert ticks > 20  # the loop turned all along
    run(b.close())
    local = LibvirtBackend(node_uri("kvm1"), timeouts=SHORT)  # other hosts still work
    run(local.connect())
    try:
        assert run(local.sample()).live
    finally:
        run(local.close())


# ----------------------------------------------------------------------------- SIGSTOP
@needs_libvirtd
def test_connect_to_a_stopped_daemon_times_out(daemon, run):
    sigstop(daemon)
    uri = daemon.uri("kvm1")
    b = LibvirtBackend(uri, timeouts=SHORT)
    started = time.monotonic()
    with pytest.raises(NotAnswering, match="opening the connection had no answer within "
                                           "0.5 s"):
        run(b.connect(), timeout=10)
    assert time.monotonic() - started < 5
    run(b.close(), timeout=5)


@needs_libvirtd
def test_daemon_stopped_mid_poll_gives_not_live_samples_and_a_bounded_close(daemon, run):
    b = LibvirtBackend(daemon.uri("kvm1"), timeouts=Timeouts(
        connect_s=0.5, call_s=0.5, keepalive_interval_s=0, keepalive_count=0))
    events = b.events()
    run(b.connect())
    try:
        before = run(b.sample())
        assert before.live and before.vifs
        sigstop(daemon)
        started = time.monotonic()
        stale = run(b.sample(), timeout=10)  # the call deadline, not keepalive (off)
        assert time.monotonic() - started < 5
        assert not stale.live and stale.vifs == before.vifs
        assert b.state is ConnectionState.RECONNECTING

        async def reconnecting():
            while True:
                ev = await events.__anext__()
                if ev.data.get("state") == "reconnecting":
                    return ev
        detail = run(reconnecting(), timeout=5).detail
        assert "is not answering: reading the counters had no answer within 0.5 s" in detail
        assert not run(b.sample(), timeout=5).live  # at once: no call while it is down
    finally:
        started = time.monotonic()
        run(b.close(), timeout=10)
        assert time.monotonic() - started < 5


@needs_libvirtd
def test_keepalive_notices_a_stopped_daemon_without_any_call(daemon, run):
    b = LibvirtBackend(daemon.uri("kvm1"), timeouts=Timeouts(
        connect_s=5, call_s=30, keepalive_interval_s=1, keepalive_count=1))
    events = b.events()
    run(b.connect())
    try:
        sigstop(daemon)

        async def dropped():
            while True:
                ev = await events.__anext__()
                if ev.kind is EventKind.STATE and ev.data["state"] == "reconnecting":
                    return ev
        ev = run(dropped(), timeout=15)  # libvirt's close callback, driven by libvirtaio
        assert "no keepalive answer" in ev.detail
    finally:
        run(b.close(), timeout=10)


# ----------------------------------------------------------------------------- the command
def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FABRIC_CONSOLE_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "console.cli", *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    """The command's first line of output, read from the pipe itself (communicate()
    reads the rest from the same descriptor: nothing is left in a buffer between)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        assert left > 0 and sel.select(left), f"no first line within {timeout} s"
        chunk = os.read(fd, 65536)
        assert chunk, "the command ended before printing a line"
        data += chunk
    sel.close()
    return data.decode()


def _finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the command did not exit within {timeout} s: {out} {err}")
    return proc.returncode, out, err


def test_stats_against_a_silent_server_exits_2_naming_uri_and_what(silent):
    uri = f"qemu+tcp://127.0.0.1:{silent.port}/system?fc_connect_timeout=0.5"
    started = time.monotonic()
    code, out, err = _finish(_cli("stats", "--connect", uri, "--count", "1"), timeout=30)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"fabric-console stats: {uri} is not answering: opening the connection had no "
        "answer within 0.5 s",
        "fabric-console stats: the connect time-out is 0.5 s; ?fc_connect_timeout=S in the "
        "URI or FABRIC_CONSOLE_CONNECT_TIMEOUT=S changes it"]
    assert time.monotonic() - started < 15


def test_stats_unknown_scheme_says_so():
    code, _out, err = _finish(_cli("stats", "--connect", "bogus://x", "--count", "1"), 30)
    assert code == 2
    assert err.startswith("fabric-console stats: bogus://x: unknown URI scheme 'bogus:'")
    assert "certificate" not in err and "Traceback" not in err


@needs_libvirtd
def test_stats_exits_after_a_daemon_stops_mid_poll(daemon):
    uri = daemon.uri("kvm1") + "&fc_call_timeout=0.5&fc_connect_timeout=0.5&fc_keepalive=0"
    proc = _cli("stats", "--connect", uri, "--json", "--interval", "0.2", "--count", "5")
    try:
        first = _first_line(proc, timeout=30)
        assert '"live": true' in first
        sigstop(daemon)
        code, out, err = _finish(proc, timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = (first + out).splitlines()
    assert len(lines) == 5 and all('"live": false' in line for line in lines[-3:])
    assert code == 1
    assert "is not answering: reading the counters had no answer within 0.5 s" in err
    assert "the connection was down at the last sample" in err
    assert "Traceback" not in err


@needs_libvirtd
def test_time_in_a_password_dialog_does_not_count_against_the_connect_time_out(run):
    import shutil

    if shutil.which("saslpasswd2") is None:
        pytest.skip("saslpasswd2 is not installed (Debian: sasl2-bin)")
    d = Daemon(password="s3cret")
    try:
        d.start()

        async def slow_user(uri, requests):  # a person typing: longer than the time-out
            await asyncio.sleep(1.0)
            return ["admin" if not r.secret else "s3cret" for r in requests]

        b = LibvirtBackend(d.uri("kvm1"), timeouts=Timeouts(connect_s=0.5))
        b.auth = slow_user
        run(b.connect(), timeout=15)
        try:
            assert run(b.inventory()).hosts[0].name == "kvm1"
        finally:
            run(b.close())
    finally:
        d.stop()
