"""A host that never answers (issue #17) in the window: the connection says "not
answering" and what timed out, the window keeps working (another connection opens
meanwhile), and closing never hangs. A silent asyncio server on 127.0.0.1 and a private
libvirtd stopped with SIGSTOP; time-outs set short in the URIs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("libvirt")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libvirt"))
from qemu_support import LIBVIRTD, Daemon  # noqa: E402

SERVER_LIFETIME_S = 60.0


class SilentServer:
    """Accepts on 127.0.0.1 and never sends a byte; its own loop on a thread (the Qt
    loop's tasks must not be the ones keeping it up); stops by itself at its lifetime."""

    def __init__(self) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=self._main, name="silent-server", daemon=True)

    def _main(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        held: list[asyncio.StreamWriter] = []

        async def accept(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            held.append(writer)

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._stop = self._loop.create_future()
        self._ready.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop, SERVER_LIFETIME_S)
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()

    def __enter__(self) -> SilentServer:
        self._thread.start()
        assert self._ready.wait(10)
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


def test_a_silent_host_is_not_answering_and_the_window_keeps_working(window, qtbot, silent,
                                                                     close_connections,
                                                                     caplog):
    caplog.set_level(logging.WARNING, logger="console.views.connection")
    uri = f"test+tcp://127.0.0.1:{silent.port}/default?fc_connect_timeout=4"
    started = time.monotonic()
    hung = window.add_connection(uri)
    qtbot.waitUntil(lambda: hung.state == "connecting", timeout=5000)
    # meanwhile the window works: another connection opens and shows its inventory
    demo = window.add_connection("emulated:///demo")
    qtbot.waitUntil(lambda: demo.connected and demo.topology is not None, timeout=10000)
    assert hung.state == "connecting"
    qtbot.waitUntil(lambda: hung.state == "failed", timeout=10000)
    assert 3.5 < time.monotonic() - started < 10
    assert hung.detail == (f"{uri} is not answering: opening the connection had no answer "
                           "within 4 s")
    window.select_node(window.model.connection_node(hung))
    qtbot.waitUntil(lambda: "not answering" in window.state_label.text(), timeout=5000)
    assert any(uri in m and "not answering" in m for m in caplog.messages)
    started = time.monotonic()
    close_connections(window)
    assert time.monotonic() - started < 5


@pytest.mark.skipif(LIBVIRTD is None, reason="libvirtd is not installed")
def test_a_host_that_stops_answering_mid_session(window, qtbot, close_connections):
    daemon = Daemon()
    try:
        daemon.start()
        uri = (daemon.uri("kvm1") + "&fc_call_timeout=0.5&fc_connect_timeout=0.5"
               "&fc_keepalive=0")
        conn = window.add_connection(uri)
        qtbot.waitUntil(lambda: conn.connected and conn.history.live
                        and conn.last_sample is not None, timeout=20000)
        assert daemon.proc is not None
        os.kill(daemon.proc.pid, signal.SIGSTOP)
        qtbot.waitUntil(lambda: conn.state == "reconnecting", timeout=10000)
        assert "is not answering: reading the counters had no answer within 0.5 s" \
            in conn.detail
        qtbot.waitUntil(lambda: not conn.live, timeout=5000)
        window.select_node(window.model.connection_node(conn))
        qtbot.waitUntil(lambda: "not answering" in window.state_label.text(), timeout=5000)
        started = time.monotonic()
        close_connections(window)
        assert time.monotonic() - started < 10
    finally:
        if daemon.proc is not None and daemon.proc.poll() is None:
            os.kill(daemon.proc.pid, signal.SIGCONT)
        daemon.stop()
