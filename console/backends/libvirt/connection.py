"""One libvirt connection: its own worker thread, credentials, keepalive, drop detection,
and a deadline on every blocking call.

Every blocking libvirt call runs on the connection's single worker thread (libvirt
connections may be shared between threads, but one thread per connection keeps the calls
of one host in order and never blocks the event loop). libvirt events are dispatched on
the asyncio loop through libvirt-python's libvirtaio, registered once per loop.

A host that never answers (a server that accepts and then says nothing, a libvirtd
stopped with SIGSTOP, a daemon whose workers hang on a QEMU monitor) would keep a libvirt
call blocked for ever: libvirt has no time-out of its own on opening or on a call. So:

- every call is awaited with a deadline, counted from when the worker starts it (a call
  queued behind a long migration is not "not answering"); past it the call raises
  NotAnswering naming the URI and what had no answer;
- the worker is then abandoned: it is a daemon thread (a ThreadPoolExecutor's thread is
  joined at interpreter exit, so one stuck call kept the CLI from ever exiting), the
  calls queued behind it fail at once, the next call gets a fresh thread; a connection
  that a late open still returns is closed there;
- libvirt's keepalive (remote URIs) makes a peer that stops answering fail the connection
  by itself: libvirt's close callback fires and the call in flight returns an error.

Defaults, and how to change them (the URI's `fc_*` query parameters win over the
environment; libvirt never sees them):

  connect    20 s   opening the connection (time in a password dialog does not count)
                    ?fc_connect_timeout=S   FABRIC_CONSOLE_CONNECT_TIMEOUT=S
  call       30 s   a read: inventory, counters, XML
                    ?fc_call_timeout=S      FABRIC_CONSOLE_CALL_TIMEOUT=S
  change    120 s   one step of a change (define, start, attach, update, detach)
                    ?fc_change_timeout=S    FABRIC_CONSOLE_CHANGE_TIMEOUT=S
  keepalive 5,3     a probe every 5 s, the connection dropped after 3 unanswered
                    (about 20 s); 0 turns it off
                    ?fc_keepalive=I,C       FABRIC_CONSOLE_KEEPALIVE=I,C

Closing never waits more than CLOSE_TIMEOUT_S (or the call time-out if shorter). A live
migration has no call deadline (it takes as long as the guest's memory does): keepalive
is what notices a destination or source that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import libvirt
import libvirtaio

from ..base import BackendError

log = logging.getLogger(__name__)
T = TypeVar("T")

CREDENTIAL_TIMEOUT_S = 300.0
CLOSE_TIMEOUT_S = 5.0

# Errors that mean the connection itself is gone (not that one call failed).
DROP_CODES = frozenset({
    libvirt.VIR_ERR_INVALID_CONN,
    libvirt.VIR_ERR_NO_CONNECT,
    libvirt.VIR_ERR_RPC,
    libvirt.VIR_ERR_SYSTEM_ERROR,
    getattr(libvirt, "VIR_ERR_AUTH_CANCELLED", -1),
})

# URI schemes libvirt has drivers for (libvirt 9: src/*/ *_driver.c connectOpen; the
# per-driver daemons' own schemes at the end). Anything else is refused before libvirt
# sees it: libvirt would take `bogus://x` for a remote TLS URI and talk about a missing
# CA certificate.
LIBVIRT_SCHEMES = frozenset({
    "qemu", "test", "lxc", "xen", "libxl", "vbox", "vmwareplayer", "vmwarews",
    "vmwarefusion", "esx", "gsx", "vpx", "hyperv", "bhyve", "openvz", "vz", "parallels",
    "ch", "remote", "interface", "network", "nodedev", "nwfilter", "secret", "storage",
})
LIBVIRT_TRANSPORTS = frozenset({"tls", "tcp", "unix", "ssh", "ext", "libssh", "libssh2"})


@dataclass(frozen=True)
class Timeouts:
    """Deadlines of one connection (see the module doc for what each bounds)."""

    connect_s: float = 20.0
    call_s: float = 30.0
    change_s: float = 120.0
    keepalive_interval_s: int = 5
    keepalive_count: int = 3

    # name in the URI query, environment variable, field
    KNOBS = {
        "connect": ("fc_connect_timeout", "FABRIC_CONSOLE_CONNECT_TIMEOUT", "connect_s"),
        "call": ("fc_call_timeout", "FABRIC_CONSOLE_CALL_TIMEOUT", "call_s"),
        "change": ("fc_change_timeout", "FABRIC_CONSOLE_CHANGE_TIMEOUT", "change_s"),
    }
    KEEPALIVE = ("fc_keepalive", "FABRIC_CONSOLE_KEEPALIVE")

    @classmethod
    def knob(cls, kind: str) -> str:
        """How to change the `kind` time-out, in words for a message."""
        if kind not in cls.KNOBS:
            return ""
        param, env, _ = cls.KNOBS[kind]
        return f"?{param}=S in the URI or {env}=S"


def split_uri(uri: str, environ: dict[str, str] | None = None) -> tuple[str, Timeouts]:
    """(the URI libvirt is given, without `fc_*` parameters; the time-outs). Raises
    BackendError naming the parameter for a value that is not a number of seconds."""
    env = os.environ if environ is None else environ
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k.startswith("fc_")}
    theirs = [(k, v) for k, v in query if not k.startswith("fc_")]
    known = {p for p, _, _ in Timeouts.KNOBS.values()} | {Timeouts.KEEPALIVE[0]}
    for name in ours:
        if name not in known:
            raise BackendError(f"{uri}: unknown parameter {name} (Fabric Console knows "
                               f"{', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for param, var, attr in Timeouts.KNOBS.values():
        text, where = (ours[param], param) if param in ours else (env.get(var), var)
        if text:
            values[attr] = _seconds(uri, where, text)
    text, where = ((ours[Timeouts.KEEPALIVE[0]], Timeouts.KEEPALIVE[0])
                   if Timeouts.KEEPALIVE[0] in ours
                   else (env.get(Timeouts.KEEPALIVE[1]), Timeouts.KEEPALIVE[1]))
    if text:
        values["keepalive_interval_s"], values["keepalive_count"] = _keepalive(uri, where,
                                                                             text)
    plain = urlunsplit(parts._replace(query=urlencode(theirs, safe="/:")))
    return plain, replace(Timeouts(), **values)


def _seconds(uri: str, where: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise BackendError(f"{uri}: {where}={text!r} is not a time-out (seconds, more "
                           "than 0)")
    return value


def _keepalive(uri: str, where: str, text: str) -> tuple[int, int]:
    if text.strip() == "0":
        return 0, 0
    try:
        interval, count = (int(x) for x in text.split(","))
    except ValueError:
        interval = count = -1
    if interval <= 0 or count < 0:
        raise BackendError(f"{uri}: {where}={text!r} is not a keepalive (INTERVAL,COUNT: "
                           "seconds between probes, unanswered probes before the drop; "
                           "0 for none)")
    return interval, count


class NotAnswering(BackendError):
    """A libvirt call had no answer before its deadline: the host (or the server on that
    address) is not answering. The message names the URI and what timed out."""

    def __init__(self, uri: str, what: str, seconds: float, kind: str = "call"):
        self.uri, self.what, self.seconds, self.kind = uri, what, seconds, kind
        super().__init__(f"{uri} is not answering: {what} had no answer within "
                         f"{seconds:g} s")

    @property
    def hint(self) -> str:
        """How to give the host longer (for the command line)."""
        knob = Timeouts.knob(self.kind)
        return f"the {self.kind} time-out is {self.seconds:g} s; {knob} changes it" \
            if knob else ""


def check_scheme(uri: str) -> None:
    """BackendError for a URI no libvirt driver takes (said before any connection)."""
    scheme = urlsplit(uri).scheme
    driver, _, transport = scheme.partition("+")
    if driver not in LIBVIRT_SCHEMES:
        raise BackendError(
            f"{uri}: unknown URI scheme '{scheme}:' (Fabric Console's own: emulated:, "
            f"netns:; libvirt's: {', '.join(sorted(LIBVIRT_SCHEMES - {'remote'}))}, "
            "with +ssh, +tcp, +tls, +unix... for a remote host)")
    if transport and transport not in LIBVIRT_TRANSPORTS:
        raise BackendError(f"{uri}: unknown transport '+{transport}' (libvirt's: "
                           f"{', '.join(sorted(LIBVIRT_TRANSPORTS))})")


# ----------------------------------------------------------------------------- worker
_current = threading.local()


def current_uri() -> str | None:
    """The URI of the connection whose worker runs the calling code (None elsewhere):
    what the step log names as the host that was changed."""
    return getattr(_current, "uri", None)


@dataclass
class _Job:
    loop: asyncio.AbstractEventLoop
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    started: asyncio.Future[Any] = field(init=False)
    done: asyncio.Future[Any] = field(init=False)
    cancelled: bool = False

    def __post_init__(self) -> None:
        self.started = self.loop.create_future()
        self.done = self.loop.create_future()
        # an abandoned call's late error has nobody to await it: not worth a warning
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())

    def tell(self, fut: asyncio.Future[Any], value: Any = None,
             exc: BaseException | None = None) -> None:
        """Resolve `fut` on its loop, from any thread; a closed loop (the command ended
        while an abandoned call still ran) has nobody left to tell."""
        def resolve() -> None:
            if fut.done():
                return
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(value)
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(resolve)


class Worker:
    """One daemon thread running blocking calls in order, which can be abandoned."""

    def __init__(self, uri: str, name: str = "libvirt"):
        self.uri = uri
        self.abandoned = False
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=f"{name} {uri}",
                                        daemon=True)
        self._thread.start()

    def submit(self, loop: asyncio.AbstractEventLoop, fn: Callable[..., Any],
               args: tuple[Any, ...]) -> _Job:
        job = _Job(loop, fn, args)
        self._jobs.put(job)
        return job

    def _main(self) -> None:
        _current.uri = self.uri
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job.cancelled:
                continue
            if self.abandoned:
                job.tell(job.done, exc=BackendError(f"{self.uri}: not connected"))
                continue
            job.tell(job.started, True)
            try:
                result = job.fn(*job.args)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                job.tell(job.done, exc=exc)
            else:
                job.tell(job.done, result)

    def abandon(self, exc: BackendError) -> None:
        """Give up on the call in flight: fail the queued ones, let the thread end when
        (if ever) that call returns."""
        self.abandoned = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.tell(job.done, exc=exc)
        self._jobs.put(None)

    def shutdown(self) -> None:
        self._jobs.put(None)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def is_remote(uri: str) -> bool:
    parts = urlsplit(uri)
    return "+" in parts.scheme or bool(parts.netloc)


def is_drop(exc: BaseException) -> bool:
    return isinstance(exc, libvirt.libvirtError) and exc.get_error_code() in DROP_CODES


def describe(exc: BaseException) -> str:
    if isinstance(exc, libvirt.libvirtError):
        return exc.get_error_message() or str(exc)
    return str(exc)


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


class _LoopThreadImpl(libvirtaio.virEventAsyncIOImpl):  # type: ignore[misc]
    """libvirtaio, with the loop touched only from the loop's thread.

    libvirt adds, updates and removes its socket watches and timers from whichever
    thread makes a call, here the connections' worker threads; libvirtaio then calls
    loop.add_reader and creates tasks from that thread. The plain selector loop puts up
    with it; qasync's QSocketNotifiers do not: the window crashed (SIGSEGV) opening any
    remote URI. Off the loop's thread the id is taken at once (libvirt needs it back) and
    the rest is handed to the loop, in order (call_soon_threadsafe is FIFO). Never
    waiting for the loop there: libvirt holds its client lock while it calls us, and the
    loop may be waiting for that lock to dispatch an event."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._loop_thread = threading.get_ident()  # registered from the loop's thread

    def _here(self) -> bool:
        return threading.get_ident() == self._loop_thread

    def _later(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to watch
            self.loop.call_soon_threadsafe(fn, *args)

    def _add_handle(self, fd: int, event: int, cb: Any, opaque: Any) -> int:
        if self._here():
            return int(super()._add_handle(fd, event, cb, opaque))
        iden = int(next(libvirtaio.Callback._iden_counter))
        self._later(self._add_handle_as, iden, fd, event, cb, opaque)
        return iden

    def _add_handle_as(self, iden: int, fd: int, event: int, cb: Any, opaque: Any) -> None:
        callback = libvirtaio.FDCallback(self, cb, opaque, descriptor=self.descriptors[fd],
                                         event=event)
        callback.iden = iden
        self.callbacks[iden] = callback
        self.descriptors[fd].add_handle(callback)
        self._pending_inc()

    def _update_handle(self, watch: int, event: int) -> None:
        if self._here() and watch in self.callbacks:
            super()._update_handle(watch, event)
            return None
        # Off the loop's thread, or its add still queued there: after it, in order.
        self._later(super()._update_handle, watch, event)
        return None

    def _remove_handle(self, watch: int) -> int:
        if self._here() and watch in self.callbacks:
            return int(super()._remove_handle(watch))
        self._later(super()._remove_handle, watch)
        return 0

    def _add_timeout(self, timeout: int, cb: Any, opaque: Any) -> int:
        if self._here():
            return int(super()._add_timeout(timeout, cb, opaque))
        iden = int(next(libvirtaio.Callback._iden_counter))
        self._later(self._add_timeout_as, iden, timeout, cb, opaque)
        return iden

    def _add_timeout_as(self, iden: int, timeout: int, cb: Any, opaque: Any) -> None:
        callback = libvirtaio.TimeoutCallback(self, cb, opaque)
        callback.iden = iden
        self.callbacks[iden] = callback
        callback.update(timeout=timeout)
        self._pending_inc()

    def _update_timeout(self, timer: int, timeout: int) -> None:
        if self._here() and timer in self.callbacks:
            super()._update_timeout(timer, timeout)
            return None
        # Off the loop's thread, or its add still queued there: after it, in order.
        self._later(super()._update_timeout, timer, timeout)
        return None

    def _remove_timeout(self, timer: int) -> int:
        if self._here() and timer in self.callbacks:
            return int(super()._remove_timeout(timer))
        self._later(super()._remove_timeout, timer)
        return 0


def ensure_event_loop_impl(loop: asyncio.AbstractEventLoop) -> None:
    """Dispatch libvirt events on this asyncio loop (done once per loop, before opening,
    from the loop's thread)."""
    if id(loop) in _registered_loops:
        return
    if libvirtaio.getCurrentImpl() is not None:
        # libvirt takes one event implementation per process, for good: a second loop in
        # the same process (a CLI command run from a test) works without events.
        log.info("libvirt events already run on another asyncio loop; none on this one")
        return
    # what libvirtaio.virEventRegisterAsyncIOImpl does, with the thread-aware impl
    libvirtaio._current_impl = _LoopThreadImpl(loop).register()
    _registered_loops.add(id(loop))


DEFAULT: Any = object()  # "the call time-out" in Connection.run


class Connection:
    """A libvirt connection, the thread its calls run on, and their deadlines."""

    def __init__(self, uri: str, auth: AuthCallback | None = None,
                 timeouts: Timeouts | None = None):
        self.uri = uri
        self.auth = auth
        try:
            self.libvirt_uri, from_uri = split_uri(uri)
            self.bad_uri: BackendError | None = None
        except BackendError as exc:  # said by open(), where errors are expected
            self.libvirt_uri, from_uri, self.bad_uri = uri, Timeouts(), exc
        self.timeouts = timeouts if timeouts is not None else from_uri
        self.conn: libvirt.virConnect | None = None
        self._worker: Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # A password dialog stops the connect clock: it is the user who is slow.
        self._asking = 0
        self._resumed_at = -math.inf
        self._dialog_moved: asyncio.Future[None] | None = None
        # An open that timed out and whose thread still waits: while it does, no new
        # attempt is made (a host stopped for hours would otherwise cost a blocked thread
        # per reconnect attempt).
        self._stuck_open: Worker | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the connection was opened from (events are dispatched there)."""
        return self._loop

    @property
    def executor(self) -> Worker:
        """The worker thread the calls run on now (a fresh one after an abandoned call)."""
        if self._worker is None or self._worker.abandoned:
            self._worker = Worker(self.uri)
        return self._worker

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = DEFAULT,
                  what: str | None = None, kind: str = "call") -> T:
        """fn(*args) on the connection's worker thread, with a deadline (`timeout`
        seconds from when the worker starts it; None: none). NotAnswering past it."""
        loop = asyncio.get_running_loop()
        limit = self.timeouts.call_s if timeout is DEFAULT else timeout
        worker = self.executor
        job = worker.submit(loop, fn, args)
        try:
            await asyncio.wait({job.started, job.done}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            job.cancelled = True  # not started: the worker skips it
            raise
        if job.done.done() or limit is None:
            result: T = await job.done
            return result
        deadline = loop.time() + limit
        while not job.done.done():
            if self._asking:
                left = None
            else:
                deadline = max(deadline, self._resumed_at + limit)
                left = deadline - loop.time()
                if left <= 0:
                    exc = NotAnswering(self.uri, what or _name(fn), limit, kind)
                    log.info("%s; the call is abandoned", exc)  # the caller says it
                    worker.abandon(exc)
                    raise exc
            if self._dialog_moved is None or self._dialog_moved.done():
                self._dialog_moved = loop.create_future()
            await asyncio.wait({job.done, self._dialog_moved}, timeout=left,
                               return_when=asyncio.FIRST_COMPLETED)
        value: T = job.done.result()
        return value

    def _dialog(self, opened: bool) -> None:
        """On the loop: a password dialog opened or closed (moves the connect clock)."""
        loop = asyncio.get_running_loop()
        self._asking += 1 if opened else -1
        if not opened:
            self._resumed_at = loop.time()
        if self._dialog_moved is not None and not self._dialog_moved.done():
            self._dialog_moved.set_result(None)

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = DEFAULT,
                   what: str | None = None, kind: str = "call") -> T:
        """fn(conn, *args) on the worker thread; BackendError when not connected."""
        conn = self.conn
        if conn is None:
            raise BackendError(f"{self.uri}: not connected")
        return await self.run(fn, conn, *args, timeout=timeout, what=what, kind=kind)

    async def open(self, on_close: Callable[[int], None]) -> libvirt.virConnect:
        if self.bad_uri is not None:
            raise self.bad_uri
        check_scheme(self.libvirt_uri)
        self._loop = asyncio.get_running_loop()
        ensure_event_loop_impl(self._loop)
        if self._stuck_open is not None and self._stuck_open.alive:
            raise NotAnswering(self.uri, "opening the connection (the last attempt is "
                               "still waiting)", self.timeouts.connect_s, "connect")
        gave_up = threading.Event()
        worker = self.executor
        try:
            conn = await self.run(self._open_blocking, gave_up,
                                  timeout=self.timeouts.connect_s,
                                  what="opening the connection", kind="connect")
        except NotAnswering:
            gave_up.set()
            self._stuck_open = worker
            raise
        except libvirt.libvirtError as exc:
            raise BackendError(f"cannot connect to {self.uri}: {describe(exc)}") from None
        self.conn = conn
        t = self.timeouts
        if is_remote(self.libvirt_uri) and t.keepalive_interval_s > 0:
            try:
                await self.run(conn.setKeepAlive, t.keepalive_interval_s, t.keepalive_count,
                               what="starting keepalive")
            except libvirt.libvirtError as exc:
                log.info("%s: no keepalive (%s)", self.uri, describe(exc))
        try:
            conn.registerCloseCallback(lambda _c, reason, _o: on_close(reason), None)
        except libvirt.libvirtError as exc:
            log.info("%s: no close callback (%s)", self.uri, describe(exc))
        return conn

    def _open_blocking(self, gave_up: threading.Event) -> libvirt.virConnect:
        conn = libvirt.openAuth(self.libvirt_uri,
                                [CREDENTIAL_TYPES, self._credentials, None], 0)
        if gave_up.is_set():  # the host answered after all, too late: nobody owns it
            log.info("%s answered after its connect time-out; that connection is closed",
                     self.uri)
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()
            raise BackendError(f"{self.uri}: answered too late")
        return conn

    def _credentials(self, creds: list[list[Any]], _opaque: Any) -> int:
        """libvirt's credential callback (on the worker thread): ask the async callback on
        the loop and wait for the answers. Returns -1 (cancelled) without a callback."""
        if self.auth is None or self._loop is None:
            return -1
        requests = [CredentialRequest(c[0], c[1] or "", c[2] or "", c[3] or "") for c in creds]
        future = asyncio.run_coroutine_threadsafe(self._ask(requests), self._loop)
        try:
            answers = future.result(CREDENTIAL_TIMEOUT_S)
        except Exception:  # a failing dialog cancels the connection; the log says why
            log.exception("%s: asking for credentials failed; the connection is cancelled",
                          self.uri)
            future.cancel()
            return -1
        if answers is None or len(answers) != len(creds):
            log.info("%s: credentials not given; the connection is cancelled", self.uri)
            return -1
        for cred, answer in zip(creds, answers):
            cred[4] = answer
        return 0

    async def _ask(self, requests: list[CredentialRequest]) -> list[str] | None:
        assert self.auth is not None
        self._dialog(True)
        try:
            return await self.auth(self.uri, requests)
        finally:
            self._dialog(False)

    async def close(self, callbacks: list[int] | None = None) -> None:
        """Deregister `callbacks` and close, waiting at most CLOSE_TIMEOUT_S: a host that
        does not answer the goodbye is left to its abandoned thread."""
        conn, self.conn = self.conn, None
        if conn is not None:
            await release(self.uri, conn, callbacks or [],
                          min(CLOSE_TIMEOUT_S, self.timeouts.call_s))

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.shutdown()
            self._worker = None


async def release(uri: str, conn: libvirt.virConnect, callbacks: list[int],
                  timeout: float) -> None:
    """Deregister event callbacks and close `conn` on a thread of its own (the
    connection's worker may be stuck in a call to the same host), bounded by `timeout`."""
    def _close() -> None:
        for cb in callbacks:
            try:
                conn.domainEventDeregisterAny(cb)
            except libvirt.libvirtError as exc:
                # expected on a connection that is already gone: info, not a warning
                log.info("%s: deregistering event callback %d: %s", uri, cb, describe(exc))
        with contextlib.suppress(libvirt.libvirtError):
            conn.unregisterCloseCallback()  # absent on local drivers: nothing to say
        try:
            conn.close()
        except libvirt.libvirtError as exc:
            log.info("%s: closing the connection: %s", uri, describe(exc))

    closer = Connection(uri, timeouts=Timeouts(call_s=timeout))
    try:
        await closer.run(_close, what="closing the connection")
    except NotAnswering:
        pass  # logged by run(); nothing else waits for it
    finally:
        closer.shutdown()


def _name(fn: Callable[..., Any]) -> str:
    return f"the call {getattr(fn, '__name__', 'to libvirt')}"
