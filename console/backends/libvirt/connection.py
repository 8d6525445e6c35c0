"""One libvirt connection: its own worker thread, credentials, keepalive, drop detection.

Every blocking libvirt call runs on the connection's single worker thread (libvirt
connections may be shared between threads, but one thread per connection keeps the calls
of one host in order and never blocks the event loop). libvirt events are dispatched on
the asyncio loop through libvirt-python's libvirtaio, registered once per loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import libvirt
import libvirtaio

from ..base import BackendError

log = logging.getLogger(__name__)
T = TypeVar("T")

KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_COUNT = 3
CREDENTIAL_TIMEOUT_S = 300.0

# Errors that mean the connection itself is gone (not that one call failed).
DROP_CODES = frozenset({
    libvirt.VIR_ERR_INVALID_CONN,
    libvirt.VIR_ERR_NO_CONNECT,
    libvirt.VIR_ERR_RPC,
    libvirt.VIR_ERR_SYSTEM_ERROR,
    getattr(libvirt, "VIR_ERR_AUTH_CANCELLED", -1),
})


@dataclass(frozen=True)
class CredentialRequest:
    """One question libvirt asks while opening a connection (user name, password...)."""

    kind: int  # libvirt.VIR_CRED_*
    prompt: str
    challenge: str
    default: str

    @property
    def secret(self) -> bool:
        return self.kind in (libvirt.VIR_CRED_PASSPHRASE, libvirt.VIR_CRED_NOECHOPROMPT)


AuthCallback = Callable[[str, list[CredentialRequest]], Awaitable[list[str] | None]]
"""Asked (on the event loop) for the answers, in order; None cancels. The GUI shows a
password dialog; nothing is stored."""

CREDENTIAL_TYPES = [libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE,
                    libvirt.VIR_CRED_ECHOPROMPT, libvirt.VIR_CRED_NOECHOPROMPT,
                    libvirt.VIR_CRED_REALM]

_registered_loops: set[int] = set()

# libvirt prints every error to stderr by default; this backend reports them itself, in
# words for the administrator (as virt-manager does).
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def ensure_event_loop_impl(loop: asyncio.AbstractEventLoop) -> None:
    """Dispatch libvirt events on this asyncio loop (done once per loop, before opening)."""
    if id(loop) in _registered_loops:
        return
    if libvirtaio.getCurrentImpl() is not None:
        # libvirt takes one event implementation per process, for good: a second loop in
        # the same process (a CLI command run from a test) works without events.
        log.info("libvirt events already run on another asyncio loop; none on this one")
        return
    libvirtaio.virEventRegisterAsyncIOImpl(loop=loop)
    _registered_loops.add(id(loop))


def is_remote(uri: str) -> bool:
    parts = urlsplit(uri)
    return "+" in parts.scheme or bool(parts.netloc)


def is_drop(exc: BaseException) -> bool:
    return isinstance(exc, libvirt.libvirtError) and exc.get_error_code() in DROP_CODES


def describe(exc: BaseException) -> str:
    if isinstance(exc, libvirt.libvirtError):
        return exc.get_error_message() or str(exc)
    return str(exc)


class Connection:
    """A libvirt connection and the thread its calls run on."""

    def __init__(self, uri: str, auth: AuthCallback | None = None):
        self.uri = uri
        self.auth = auth
        self.conn: libvirt.virConnect | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="libvirt")
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the connection was opened from (events are dispatched there)."""
        return self._loop

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) on the connection's worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(conn, *args) on the worker thread; BackendError when not connected."""
        conn = self.conn
        if conn is None:
            raise BackendError(f"{self.uri}: not connected")
        return await self.run(fn, conn, *args)

    async def open(self, on_close: Callable[[int], None]) -> libvirt.virConnect:
        self._loop = asyncio.get_running_loop()
        ensure_event_loop_impl(self._loop)
        try:
            conn = await self.run(self._open_blocking)
        except libvirt.libvirtError as exc:
            raise BackendError(f"cannot connect to {self.uri}: {describe(exc)}") from None
        self.conn = conn
        if is_remote(self.uri):
            try:
                await self.run(conn.setKeepAlive, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT)
            except libvirt.libvirtError as exc:
                log.info("%s: no keepalive (%s)", self.uri, describe(exc))
        try:
            conn.registerCloseCallback(lambda _c, reason, _o: on_close(reason), None)
        except libvirt.libvirtError as exc:
            log.info("%s: no close callback (%s)", self.uri, describe(exc))
        return conn

    def _open_blocking(self) -> libvirt.virConnect:
        return libvirt.openAuth(self.uri, [CREDENTIAL_TYPES, self._credentials, None], 0)

    def _credentials(self, creds: list[list[Any]], _opaque: Any) -> int:
        """libvirt's credential callback (on the worker thread): ask the async callback on
        the loop and wait for the answers. Returns -1 (cancelled) without a callback."""
        if self.auth is None or self._loop is None:
            return -1
        requests = [CredentialRequest(c[0], c[1] or "", c[2] or "", c[3] or "") for c in creds]
        future = asyncio.run_coroutine_threadsafe(self.auth(self.uri, requests), self._loop)
        try:
            answers = future.result(CREDENTIAL_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - a failing dialog cancels the connection
            return -1
        if answers is None or len(answers) != len(creds):
            return -1
        for cred, answer in zip(creds, answers):
            cred[4] = answer
        return 0

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            def _close() -> None:
                with contextlib.suppress(libvirt.libvirtError):
                    conn.unregisterCloseCallback()
                with contextlib.suppress(libvirt.libvirtError):
                    conn.close()
            await self.run(_close)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
