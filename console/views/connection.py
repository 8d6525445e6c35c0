"""A connection as the window sees it: one backend, its inventory, findings and rate
history, with Qt signals for the views.

All backend calls are awaited on the asyncio loop qasync runs, so nothing here blocks the
GUI thread. Counters are polled at the preference's interval by one task; a poll still in
flight when the next is due is skipped (virt-manager's "Tick is slow" back-pressure).

A host that stops answering costs a deadline, never a frozen window: the backend gives up
on the call (libvirt: connection.NotAnswering, "URI is not answering: what had no answer
within N s") and this connection shows it, as "failed" when opening timed out (F5 tries
again) or as "reconnecting" while the backend tries again by itself; the detail, which
the tree's tooltip and the status bar show, says "not answering" and what timed out.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QObject, Signal

from console.backends.base import Backend, BackendError, ConnectionState, EventKind
from console.backends.registry import open_backend
from console.models.derived import Derived
from console.models.findings import Finding, Severity
from console.models.merge import merge_live, shallow_copy
from console.models.overlay import FloodMode
from console.models.rules import check
from console.models.stats import CounterSample
from console.models.topology import Topology

from .credentials import ask_credentials
from .editors.document import Document
from .history import StatsHistory

log = logging.getLogger(__name__)


_RULES = ThreadPoolExecutor(1, thread_name_prefix="fabric-rules")
"""Validation runs here: one thread for every connection (the rules only read)."""


def check_topology(topo: Topology) -> list[Finding]:
    """The rules' findings (console.models.rules), errors first; none if a rule fails."""
    try:
        return sorted(check(topo), key=lambda f: (f.severity is not Severity.ERROR, f.path))
    except Exception:  # a rule bug must not take the window down
        log.exception("validation rules failed")
        return []


def _merged_fields(fields: dict[str, Any], base: Topology | None,
                   topo: Topology) -> dict[str, Any]:
    """merge_live on a snapshot (a new Topology of the same field values, which no view
    follows): the fields it changed, with their new values. Runs off the GUI thread."""
    scratch = Topology(**fields)  # as merge.shallow_copy builds it: objects shared
    changed = merge_live(scratch, base, topo)
    return {name: getattr(scratch, name) for name in changed}


def document_file(uri: str) -> Path | None:
    """The topology file an emulated fabric or kernel lab runs (None for the built-in
    demo and for libvirt hosts)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("emulated", "netns") or parts.path in ("", "/demo"):
        return None
    return Path(unquote(parts.path))


class Connection(QObject):
    """One open connection: state, its fabric's topology document, findings and counters.

    The document (`self.document`) is the one model every view of this connection
    follows: the tree, details, canvas and editors. Its topology object stays the same
    for the life of the connection; a new inventory from the fabric is merged into it in
    place (console.models.merge), and every change to it, from an edit, an undo, a redo
    or the fabric, re-derives the facts and findings and emits `topologyChanged`.
    """

    stateChanged = Signal(str, str)  # state, detail
    progress = Signal(int, str)  # percent, step
    topologyChanged = Signal()
    documentReady = Signal(object)  # the Document, once the first inventory is in
    findingsChanged = Signal()
    sampled = Signal()

    def __init__(self, uri: str, poll_s: float = 1.0, history_s: float = 600.0,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.uri = uri
        self.backend: Backend | None = None
        self.state = ConnectionState.DISCONNECTED.value
        self.detail = ""
        self.document: Document | None = None
        self.derived: Derived | None = None
        self._inventory: Topology | None = None  # the fabric's last report, for merging
        self._checking: asyncio.Task | None = None
        self.findings: list[Finding] = []
        self.poll_s = poll_s
        self.history = StatsHistory(self._capacity(history_s))
        self.last_sample: CounterSample | None = None
        self.sim_time = 0.0
        self.frames_per_s = 0.0
        self.skipped_ticks = 0
        self._tasks: list[asyncio.Task] = []
        self._polling: asyncio.Task | None = None

    def _capacity(self, history_s: float) -> int:
        return int(history_s / max(self.poll_s, 0.05)) + 2

    @property
    def topology(self) -> Topology | None:
        return self.document.topology if self.document is not None else None

    # ---------------------------------------------------------------- settings
    def set_poll(self, poll_s: float, history_s: float) -> None:
        self.poll_s = poll_s
        self.history.resize(self._capacity(history_s))

    @property
    def connected(self) -> bool:
        return self.state == ConnectionState.CONNECTED.value

    @property
    def live(self) -> bool:
        return self.connected and self.history.live

    # --------------------------------------------------------------- lifecycle
    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) == (self.state, self.detail):
            return
        if state != self.state:  # the log says what each connection went through
            log.info("%s: %s%s", self.uri, state, f" ({detail})" if detail else "")
        self.state, self.detail = state, detail
        self.stateChanged.emit(state, detail)

    async def open(self) -> bool:
        """Connect; False (with the state FAILED and a readable detail) when it fails."""
        self._set_state(ConnectionState.CONNECTING.value, f"connecting to {self.uri}…")
        try:
            self.backend = open_backend(self.uri)
            if self.backend.auth is None:
                # libvirt asks for user names and passwords through this (a dialog)
                self.backend.auth = ask_credentials
            self._spawn(self._follow_events(self.backend), "events")
            await self.backend.connect()
            await self.reload()
        except BackendError as exc:
            log.warning("%s: cannot open: %s", self.uri, exc)
            self._set_state(ConnectionState.FAILED.value, str(exc))
            return False
        except Exception as exc:  # no traceback for the user; the log keeps it
            log.exception("connecting to %s failed", self.uri)
            self._set_state(ConnectionState.FAILED.value, f"{self.uri}: {exc}")
            return False
        self._set_state(ConnectionState.CONNECTED.value, self.detail_text())
        self._polling = self._spawn(self._poll(), "poll")
        return True

    def detail_text(self) -> str:
        if self.topology is None:
            return ""
        t = self.topology
        return f"{t.name}: {len(t.hosts)} hosts, {len(t.vms)} VMs"

    async def reconnect(self) -> bool:
        """Open the connection again (after a failure or a drop), on a fresh backend."""
        await self.close()
        self.history.clear()
        self.history.live = True
        return await self.open()

    async def close(self) -> None:
        if self._checking is not None:
            self._checking.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # closing goes on; the log keeps what went wrong
                log.exception("%s: %s ended with an error", self.uri, task.get_name())
        self._tasks.clear()
        if self.backend is not None:
            try:
                await self.backend.close()  # bounded by the backend (a silent host)
            except Exception:
                log.exception("%s: closing the backend failed", self.uri)
        self._set_state(ConnectionState.DISCONNECTED.value, "closed")

    def _spawn(self, coro: Any, name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro, name=f"{name} {self.uri}")
        self._tasks.append(task)
        return task

    # ------------------------------------------------------- inventory, events
    async def reload(self) -> None:
        """Read the fabric's inventory: the first one becomes the document, later ones
        are merged into it (what the user drew and has not applied stays)."""
        assert self.backend is not None
        topo = await self.backend.inventory()
        base, self._inventory = self._inventory, topo
        if self.document is None:
            # Not a Qt child: Python owns it (and its undo commands) for as long as the
            # connection object lives; Qt-parented undo stacks were freed twice at exit.
            doc = Document(shallow_copy(topo), document_file(self.uri))
            doc.origin = self.uri
            doc.backend_provider = lambda: self.backend if self.connected else None
            doc.changed.connect(self._model_changed)
            self.document = doc
            self._model_changed()
            self.documentReady.emit(doc)
        else:
            await self._merge(base, topo)

    async def _merge(self, base: Topology | None, topo: Topology) -> None:
        """Merge a new inventory into the document: the three-way merge (comparing every
        object of 2,000 VMs: ~25 ms) runs on the rules' thread against a snapshot of the
        document's fields; the GUI thread only sets the fields that changed. A field
        the user changed while the merge ran (an edit, an undo) keeps the user's value:
        it is newer than this report, and its Apply brings the fabric's next one."""
        assert self.document is not None
        doc = self.document.topology
        before = {name: getattr(doc, name) for name in type(doc).model_fields}
        merged = await asyncio.get_running_loop().run_in_executor(
            _RULES, _merged_fields, before, base, topo)
        if self.document is None or self.document.topology is not doc:
            return
        for name, value in merged.items():  # each field one assignment, one event
            if getattr(doc, name) is before[name]:
                setattr(doc, name, value)

    def _model_changed(self) -> None:
        """The document changed (an edit, undo, redo or the fabric): re-derive, tell the
        views, and check the rules again in the background."""
        topo = self.topology
        if topo is None:
            return
        self.derived = Derived(topo)
        self.history.flood_modes = {bd.name: FloodMode(bd.mode) for bd in topo.bridge_domains}
        self.topologyChanged.emit()
        if self._checking is not None:
            self._checking.cancel()  # only the newest state's findings matter
        self._checking = asyncio.get_running_loop().create_task(self._check(topo))

    async def _check(self, topo: Topology) -> None:
        # The rules take ~70 ms per 1,000 VMs: off the GUI thread, on a snapshot (the
        # document may change while they run; edits replace fields, never mutate them).
        snapshot = shallow_copy(topo)
        findings = await asyncio.get_running_loop().run_in_executor(
            _RULES, check_topology, snapshot)
        self.findings = findings
        self.findingsChanged.emit()

    async def _follow_events(self, backend: Backend) -> None:
        async for event in backend.events():
            if event.kind is EventKind.PROGRESS:
                self.progress.emit(int(event.data.get("percent", 0)), event.detail)
            elif event.kind is EventKind.STATE:
                state = event.data.get("state", "")
                if state in (ConnectionState.FAILED.value,
                             ConnectionState.RECONNECTING.value):
                    # the backend's words: "URI is not answering: ...", "closed: ..."
                    self._set_state(state, event.detail)
                elif state == ConnectionState.CONNECTED.value and self.topology is not None:
                    self._set_state(state, self.detail_text())
            elif event.kind is EventKind.LOG and "retry_in_s" in event.data \
                    and self.state == ConnectionState.RECONNECTING.value:
                why = self.detail.split("; reconnect attempt", 1)[0]
                self._set_state(self.state, f"{why}; {event.detail}; next try in "
                                            f"{event.data['retry_in_s']:g} s")
            elif event.kind in (EventKind.CONFIG, EventKind.LIFECYCLE) and self.connected:
                try:
                    await self.reload()
                except BackendError as exc:
                    log.warning("%s: reload after %s failed: %s", self.uri, event.detail, exc)

    WARM_UP = 4
    WARM_UP_S = 0.2

    async def _poll(self) -> None:
        loop = asyncio.get_running_loop()
        polls = 0
        while True:
            started = loop.time()
            await self.poll_once()
            polls += 1
            # The first WARM_UP samples come WARM_UP_S apart: a rate needs two samples
            # and a line two rates, so the graphs move a fraction of a second after the
            # window opens instead of two poll intervals later.
            interval = self.poll_s if polls >= self.WARM_UP else min(self.poll_s,
                                                                      self.WARM_UP_S)
            wait = interval - (loop.time() - started)
            if wait < 0:
                self.skipped_ticks += 1  # the sample took longer than a tick: skip ahead
            await asyncio.sleep(max(wait, 0.01))

    async def poll_once(self) -> None:
        assert self.backend is not None
        try:
            sample = await self.backend.sample()
        except BackendError as exc:
            log.warning("%s: sampling failed: %s", self.uri, exc)
            if self.history.live:
                self.history.live = False
                self.history.generation += 1
                self.sampled.emit()
            if self.state != ConnectionState.FAILED.value:
                self._set_state(ConnectionState.FAILED.value, str(exc))
            return
        self.last_sample = sample
        self.history.add(sample)
        if sample.live:
            self.sim_time = sample.timestamp
            history = self.history  # one numpy step, not a latest() per VIF
            self.frames_per_s = float(history.latest_rows(
                "vif", history.rows_of("vif", list(sample.vifs)), ("tx_pps",)).sum())
        self.sampled.emit()

    # ----------------------------------------------------------------- queries
    async def l2_table(self, bridge_domain: str) -> list[Any] | None:
        """The L2 table of a bridge domain, or None where the backend has none."""
        if self.backend is None or not self.connected:
            return None
        return await self.backend.l2_table(bridge_domain)

    def set_speed(self, speed: float) -> bool:
        return self.backend is not None and self.backend.set_speed(speed)

    @property
    def speed(self) -> float | None:
        return None if self.backend is None else self.backend.speed
