"""The libvirt backend: one real (or test-driver) KVM host behind the Backend interface.

Connection drops are noticed three ways: libvirt's close callback (remote URIs, with
keepalive), a call failing with a connection error, and a call with no answer before its
deadline (connection.NotAnswering: the host is "not answering"). Either way the state
becomes RECONNECTING (the detail says why), samples are marked live=False (the last
counters, never shown as live), and a task reconnects with exponential backoff until
close() is called.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import xml.etree.ElementTree as ET
from typing import Any

import libvirt
from defusedxml import ElementTree as SafeET

from console.export import libvirt as lx
from console.models import Topology
from console.models.changes import Change, ChangeResult, Migrate
from console.models.findings import Finding
from console.models.pipeline import PlannedChange, plan_change
from console.models.stats import CounterSample, VifCounters

from ..base import Backend, BackendError, BackendEvent, ConnectionState, EventKind
from . import inventory, migration, native, steps
from . import stats as stats_mod
from .connection import (
    AuthCallback,
    Connection,
    NotAnswering,
    Timeouts,
    describe,
    is_drop,
    release,
)

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0

_LIFECYCLE = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: "defined",
    libvirt.VIR_DOMAIN_EVENT_UNDEFINED: "undefined",
    libvirt.VIR_DOMAIN_EVENT_STARTED: "started",
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: "suspended",
    libvirt.VIR_DOMAIN_EVENT_RESUMED: "resumed",
    libvirt.VIR_DOMAIN_EVENT_STOPPED: "stopped",
    libvirt.VIR_DOMAIN_EVENT_SHUTDOWN: "shutdown",
    libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: "pmsuspended",
    libvirt.VIR_DOMAIN_EVENT_CRASHED: "crashed",
}

_CLOSE_REASONS = {
    libvirt.VIR_CONNECT_CLOSE_REASON_ERROR: "an I/O error",
    libvirt.VIR_CONNECT_CLOSE_REASON_EOF: "the host hung up",
    libvirt.VIR_CONNECT_CLOSE_REASON_KEEPALIVE: "no keepalive answer",
    libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT: "closed here",
}

OPEN_BACKENDS: dict[str, LibvirtBackend] = {}
"""Connected libvirt backends by host name: migration finds its destination here."""


class LibvirtBackend(Backend):
    def __init__(self, uri: str, auth: AuthCallback | None = None,
                 timeouts: Timeouts | None = None):
        super().__init__(uri)
        # time-outs: `timeouts`, else the URI's fc_* parameters, else the environment
        self.connection = Connection(uri, auth, timeouts)
        self.host: str | None = None
        self.reference: Topology | None = None  # port profile definitions (see adopt)
        self._facts: inventory.HostFacts | None = None
        self._skip: set[tuple[str, str]] = set()
        self._last: dict[str, VifCounters] = {}
        self._callbacks: list[int] = []
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        self.last_poll: stats_mod.PollReport | None = None
        self.bulk_stats = True  # False once the driver says it has no getAllDomainStats

    @property
    def auth(self) -> AuthCallback | None:
        """The async credential callback (the GUI's password dialog): set it after
        open_backend() and before connect(); answers are used once, never stored."""
        return self.connection.auth

    @auth.setter
    def auth(self, callback: AuthCallback | None) -> None:
        self.connection.auth = callback

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        self._closing = False
        self.set_state(ConnectionState.CONNECTING)
        try:
            await self._open()
        except BackendError as exc:
            log.info("%s: connecting failed: %s", self.uri, exc)
            self.set_state(ConnectionState.FAILED, str(exc))
            raise
        self.set_state(ConnectionState.CONNECTED, f"connected to {self.host}")

    async def _open(self) -> None:
        conn = await self.connection.open(self._on_close)
        try:
            self.host = await self.connection.run(inventory.host_name, conn, self.uri,
                                                  what="reading the host name")
            # registering is a round trip to the host: on the worker, with a deadline
            self._callbacks = await self.connection.run(self._register_events, conn,
                                                        what="registering for events")
        except (BackendError, libvirt.libvirtError) as exc:
            callbacks, self._callbacks = self._callbacks, []
            await self.connection.close(callbacks)
            if isinstance(exc, BackendError):
                raise
            raise BackendError(f"cannot connect to {self.uri}: {describe(exc)}") from None
        OPEN_BACKENDS[self.host] = self

    async def close(self) -> None:
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
            self._reconnect_task = None
        callbacks, self._callbacks = self._callbacks, []
        await self.connection.close(callbacks)  # bounded: a silent host is left behind
        if self.host is not None and OPEN_BACKENDS.get(self.host) is self:
            del OPEN_BACKENDS[self.host]
        if self.state is not ConnectionState.DISCONNECTED:
            self.set_state(ConnectionState.DISCONNECTED)
        self.connection.shutdown()

    # ------------------------------------------------------------------ drops
    def _on_close(self, reason: int) -> None:
        """libvirt's close callback, on the event loop thread."""
        why = _CLOSE_REASONS.get(reason, f"reason {reason}")
        self.connection_lost(f"the connection to {self.host or self.uri} closed: {why}")

    def connection_lost(self, why: str) -> None:
        """Mark the connection down and start reconnecting (idempotent)."""
        loop = self.connection.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:  # called from another thread
            loop.call_soon_threadsafe(self.connection_lost, why)
            return
        if self._closing or self.state is ConnectionState.RECONNECTING:
            return
        log.info("%s: connection lost (%s); reconnecting", self.uri, why)
        dead, self.connection.conn = self.connection.conn, None
        callbacks, self._callbacks = self._callbacks, []
        self.set_state(ConnectionState.RECONNECTING, why)
        self._reconnect_task = asyncio.get_running_loop().create_task(
            self._reconnect(dead, callbacks))

    async def _reconnect(self, dead: libvirt.virConnect | None, callbacks: list[int]) -> None:
        if dead is not None:  # release what is left of the old connection (bounded: a
            # host that stopped answering does not answer the goodbye either)
            await release(self.uri, dead, callbacks,
                          min(self.connection.timeouts.call_s, 5.0))
        delay = BACKOFF_FIRST_S
        attempt = 0
        while not self._closing:
            await asyncio.sleep(delay)
            attempt += 1
            try:
                await self._open()
            except BackendError as exc:
                log.info("%s: reconnect attempt %d failed: %s", self.uri, attempt, exc)
                self.emit(BackendEvent(EventKind.LOG, self.uri,
                                       f"reconnect attempt {attempt} failed: {exc}",
                                       {"retry_in_s": min(delay * 2, BACKOFF_MAX_S)}))
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            self._facts = None
            self.set_state(ConnectionState.CONNECTED, f"reconnected after {attempt} attempts")
            self.emit(BackendEvent(EventKind.CONFIG, self.uri, "reconnected: read the "
                                   "inventory again"))
            return

    async def _call(self, fn: Any, *args: Any, what: str | None = None,
                    change: bool = False) -> Any:
        """A libvirt call on the worker thread, with the call (or, for a step of a
        change, the change) deadline; a dropped or silent connection starts reconnecting
        and raises BackendError."""
        t = self.connection.timeouts
        try:
            return await self.connection.call(
                fn, *args, what=what, timeout=t.change_s if change else t.call_s,
                kind="change" if change else "call")
        except NotAnswering as exc:
            self.connection_lost(str(exc))
            raise
        except libvirt.libvirtError as exc:
            if is_drop(exc):
                self.connection_lost(describe(exc))
                raise BackendError(f"{self.uri}: connection lost ({describe(exc)})") from None
            raise

    # ------------------------------------------------------------------ events
    def _register_events(self, conn: libvirt.virConnect) -> list[int]:
        """(On the worker thread.) The callbacks run on the loop, through libvirtaio."""
        reg = conn.domainEventRegisterAny
        return [
            reg(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._on_lifecycle, None),
            reg(None, libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, self._on_device, "added"),
            reg(None, libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, self._on_device, "removed"),
        ]

    def _on_lifecycle(self, _conn: Any, dom: libvirt.virDomain, event: int, detail: int,
                      _opaque: Any) -> None:
        what = _LIFECYCLE.get(event, f"event {event}")
        self._facts = None  # the next sample re-reads the inventory
        self.emit(BackendEvent(EventKind.LIFECYCLE, dom.name(), what,
                               {"host": self.host, "event": event, "detail": detail}))

    def _on_device(self, _conn: Any, dom: libvirt.virDomain, device: str, how: str) -> None:
        self._facts = None
        self.emit(BackendEvent(EventKind.CONFIG, dom.name(), f"device {device} {how}",
                               {"host": self.host, "device": device}))

    # ------------------------------------------------------------------ inventory
    def adopt(self, reference: Topology) -> None:
        """Port profile definitions (VLANs, QoS, clients) and UCS limits from a topology
        file: libvirt knows a profile only by its id, UCS Manager holds its settings."""
        self.reference = reference

    async def facts(self) -> inventory.HostFacts:
        if self.connection.conn is None:
            raise BackendError(f"{self.uri}: not connected ({self.state.value})")
        try:
            facts: inventory.HostFacts = await self._call(inventory.read, self.uri,
                                                          what="reading the inventory")
        except libvirt.libvirtError as exc:
            raise BackendError(f"{self.uri}: cannot read the inventory: {describe(exc)}") \
                from None
        self._facts = facts
        return facts

    async def inventory(self) -> Topology:
        facts = await self.facts()
        return self._with_reference(facts.topology)

    def _with_reference(self, topo: Topology) -> Topology:
        topo = topo.model_copy(deep=True)
        ref = self.reference
        if ref is None:
            return topo
        known = {p.name: p for p in ref.port_profiles}
        seen = {p.name for p in topo.port_profiles}
        topo.port_profiles = [known.get(p.name, p) for p in topo.port_profiles] + [
            p.model_copy(deep=True) for p in ref.port_profiles if p.name not in seen]
        topo.ucs = ref.ucs.model_copy()
        topo.clusters = [c.model_copy() for c in ref.clusters] or topo.clusters
        if ref.fabric_interconnects and topo.fabric_interconnects:
            topo.fabric_interconnects = [f.model_copy() for f in ref.fabric_interconnects]
        for host in topo.hosts:
            mine = next((h for h in ref.hosts if h.name == host.name), None)
            if host.fabric_interconnect is not None and ref.fabric_interconnects:
                host.fabric_interconnect = (mine.fabric_interconnect if mine is not None
                                            and mine.fabric_interconnect
                                            else ref.fabric_interconnects[0].name)
            if mine is not None:
                host.cluster = mine.cluster
                if host.vic is not None and mine.vic is not None:
                    host.vic.model = mine.vic.model if host.vic.model == "VIC" \
                        else host.vic.model
        return topo

    async def xml_of(self, vm: str, nic: str | None = None, inactive: bool = False) -> str:
        """The host's own XML of a domain, or of one of its interfaces (by vNIC name): what
        libvirt holds now, for a details pane. `inactive`: the persistent definition."""
        flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
        text: str = await self._call(lambda conn: conn.lookupByName(vm).XMLDesc(flags),
                                what=f"reading the XML of {vm}")
        if nic is None:
            return text
        root: ET.Element = SafeET.fromstring(text)
        devices = root.find("devices")
        iface = steps.find_interface(devices, nic) if devices is not None else None
        if iface is None:
            raise BackendError(f"{vm} has no interface {nic}")
        return lx.to_text(iface)

    async def native_config(self, kind: str, name: str) -> str | None:
        """The host's own XML of a tree object (see native.native_config), read on the
        connection's thread: the domain's XML for a VM, its `<interface>` for a VIF, the
        network behind a port profile, the networks of the host, a PF's node device."""
        try:
            config: str | None = await self._call(native.native_config, kind, name,
                                                  what=f"reading the XML of {name}")
            return config
        except native.NotOnHost as exc:
            raise BackendError(str(exc)) from None
        except libvirt.libvirtError as exc:
            raise BackendError(f"{self.uri}: cannot read the XML of {name}: "
                               f"{describe(exc)}") from None

    # ------------------------------------------------------------------ changes
    async def plan(self, change: Change) -> tuple[list[steps.Step], list[Finding], Topology]:
        """(steps, refusals, topology after) for a change, without carrying it out."""
        planned, todo = await self._plan(change)
        return todo, planned.refusals, planned.after or planned.before

    async def _plan(self, change: Change) -> tuple[PlannedChange, list[steps.Step]]:
        """The change judged and applied to the host's inventory (console.models.pipeline),
        and the libvirt steps that carry it out (none when it is refused)."""
        planned = plan_change(await self.inventory(), change)
        if planned.after is None or isinstance(change, Migrate):
            return planned, []
        todo = await self._call(steps.plan, planned.before, planned.after, self.host, change,
                                what="planning the change")
        return planned, _dedupe(todo)

    async def apply(self, change: Change) -> ChangeResult:
        if isinstance(change, Migrate):
            return await migration.migrate(self, change)
        try:
            planned, todo = await self._plan(change)
        except steps.NotForLibvirt as exc:
            return ChangeResult(change, False, str(exc))
        except libvirt.libvirtError as exc:
            log.info("%s: cannot plan %s: %s", self.uri, type(change).__name__,
                     describe(exc))
            return ChangeResult(change, False, f"cannot plan the change: {describe(exc)}")
        if planned.after is None:
            return planned.refused()
        return await self.run_steps(change, todo)

    async def run_steps(self, change: Change, planned: list[steps.Step]) -> ChangeResult:
        done: list[str] = []
        for i, step in enumerate(planned):
            try:
                note = await self._call(step.action, what=step.description, change=True)
            except (libvirt.libvirtError, BackendError) as exc:
                log.info("%s: step '%s' failed: %s", self.uri, step.description,
                            describe(exc))
                left = [s.description for s in planned[i + 1:]]
                message = (f"failed at '{step.description}': {describe(exc)}. "
                           f"Applied: {', '.join(done) or 'nothing'}. "
                           f"Not applied: {', '.join([step.description, *left])}")
                return ChangeResult(change, False, message,
                                    steps=[*(f"done: {d}" for d in done),
                                           f"FAILED: {step.description}: {describe(exc)}",
                                           *(f"not done: {d}" for d in left)])
            done.append(f"{step.description} [{note}]")
        self._facts = None
        result = ChangeResult(change, True, "applied" if planned else
                              "nothing to change on this host",
                              steps=[f"done: {d}" for d in done])
        self.announce(result)
        return result

    # ------------------------------------------------------------------ counters
    async def sample(self) -> CounterSample:
        now = time.time()
        if self.connection.conn is None or self.state is not ConnectionState.CONNECTED:
            return CounterSample(now, dict(self._last), live=False)
        try:
            if self._facts is None:
                await self.facts()
            assert self._facts is not None
            vifs, report = await self._poll()
            if report.unknown_domains:  # started or defined since the last inventory
                await self.facts()
                vifs, report = await self._poll()
        except BackendError as exc:
            log.info("%s: sample not live: %s", self.uri, exc)
            return CounterSample(now, dict(self._last), live=False)
        except libvirt.libvirtError as exc:
            # info: the drop itself is reported (state, close callback); a CLI without
            # logging set up would print every warning bare on stderr
            log.info("%s: stats failed: %s", self.uri, describe(exc))
            return CounterSample(now, dict(self._last), live=False)
        self.last_poll = report
        self._last = vifs
        return CounterSample(now, vifs)

    async def _poll(self) -> tuple[dict[str, VifCounters], stats_mod.PollReport]:
        assert self._facts is not None
        vifs, report = await self._call(stats_mod.poll, self._facts.targets, self._skip,
                                        self.bulk_stats, what="reading the counters")
        if report.bulk_unsupported or report.bulk_without_net:
            self.bulk_stats = False  # per-interface calls from now on: the bulk call
            # would cost a round trip per poll and bring no counters
        return vifs, report


def _dedupe(planned: list[steps.Step]) -> list[steps.Step]:
    seen: set[str] = set()
    out = []
    for step in planned:
        if step.description not in seen:
            seen.add(step.description)
            out.append(step)
    return out
