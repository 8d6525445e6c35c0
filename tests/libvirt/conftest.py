"""Fixtures for the libvirt backend tests: libvirt's own test driver, one event loop.

libvirt keeps one event implementation per process (libvirtaio binds it to a loop), so
the tests share one asyncio loop and run coroutines on it with `run`.
"""

from __future__ import annotations

import asyncio

import pytest

libvirt = pytest.importorskip("libvirt")

from libvirt_nodes import node_uri  # noqa: E402


@pytest.fixture(scope="session")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture
def run(loop):
    def _run(coro, timeout: float = 20.0):
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    return _run


@pytest.fixture
def backend(run):
    """A connected LibvirtBackend on tests/data/kvm1.xml (closed after the test)."""
    from console.backends.libvirt import LibvirtBackend

    opened = []

    def _open(name: str = "kvm1"):
        b = LibvirtBackend(node_uri(name))
        run(b.connect())
        opened.append(b)
        return b

    yield _open
    for b in opened:
        run(b.close())
