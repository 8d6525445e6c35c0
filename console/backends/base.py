"""The backend interface: one asyncio API over every kind of fabric.

Every operation is `async` and none blocks the event loop: blocking libraries run in an
executor, engine work in a worker thread. Views reach fabrics only through this class.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from console.models.changes import Change, ChangeResult, Migrate, VmDefine, VmRemove
from console.models.findings import Finding
from console.models.payloads import EventData, L2Entry
from console.models.stats import CounterSample
from console.models.topology import Topology


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


class EventKind(StrEnum):
    STATE = "state"  # connection state changed
    LIFECYCLE = "lifecycle"  # a VM started, stopped, was defined, undefined, migrated
    CONFIG = "config"  # the inventory changed (device added/removed, profile edited)
    PROGRESS = "progress"  # a long operation moved (migration percent)
    LOG = "log"


def _no_data() -> EventData:
    return {}


@dataclass(frozen=True)
class BackendEvent:
    kind: EventKind
    subject: str  # the object's path or name ("vms[3]", "web1", the URI)
    detail: str = ""
    data: EventData = field(default_factory=_no_data)  # its keys go by the kind


class BackendError(Exception):
    """A backend operation failed; the message is for the administrator."""


class Backend(abc.ABC):
    """One connection to one fabric, chosen by URI (see console.backends.registry)."""

    uri: str

    def __init__(self, uri: str):
        self.uri = uri
        self.state = ConnectionState.DISCONNECTED
        self._subscribers: list[asyncio.Queue[BackendEvent]] = []

    # -- lifecycle
    @abc.abstractmethod
    async def connect(self) -> None:
        """Open the connection. Raises BackendError with a readable reason."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release everything; safe to call twice."""

    # -- inventory and changes
    @abc.abstractmethod
    async def inventory(self) -> Topology:
        """The fabric as a topology model (a fresh object the caller may keep)."""

    @abc.abstractmethod
    async def apply(self, change: Change) -> ChangeResult:
        """Apply one change and report what happened (refusals are results, not errors)."""

    async def migrate(self, vm: str, dest_host: str) -> ChangeResult:
        from console.models.changes import Migrate

        return await self.apply(Migrate(vm, dest_host))

    # -- counters
    @abc.abstractmethod
    async def sample(self) -> CounterSample:
        """Every counter now: monotonic totals plus a timestamp."""

    # -- optional: what only some fabrics have. The defaults say "not here"; views call
    # these directly instead of probing the backend's attributes.
    async def l2_table(self, bridge_domain: str) -> list[L2Entry] | None:
        """The learned MAC table of a bridge domain, VEM by VEM, as the VSM shows it, or
        None where the fabric gives no such table (libvirt hosts, the kernel lab)."""
        return None

    async def native_config(self, kind: str, name: str) -> str | None:
        """The fabric's own configuration text of one object, as it holds it now, shown
        beside what Fabric Console would write (libvirt: a VM's domain XML, a VIF's
        `<interface>`, a network's XML). `kind` is what the tree calls the object (vm, vif,
        host, profile, pf) and `name` its key ("vm/nic" for a VIF, "host/pf" for a PF).
        None where the fabric has no text of its own for it (the emulated fabric runs the
        file itself). Raises BackendError with a readable reason when reading fails."""
        return None

    @property
    def speed(self) -> float | None:
        """Simulated seconds per wall-clock second, or None for a fabric on real time."""
        return None

    def set_speed(self, speed: float) -> bool:
        """Change the simulation clock (0 pauses, math.inf runs flat out); False where the
        fabric runs on real time and has no clock to change."""
        return False

    def adopt(self, reference: Topology) -> None:
        """Definitions a topology file holds that the fabric itself does not (libvirt knows
        a port profile by its id only; UCS Manager holds its settings). Fabrics that hold
        everything they run ignore it."""
        return None

    async def plan(self, change: Change) -> tuple[list[Any], list[Finding], Topology] | None:
        """The steps a change would take (each with a `description`), the findings that
        would refuse it and the topology after it, without applying it; None where the
        fabric applies a change in one step."""
        return None

    @property
    def auth(self) -> Callable[..., Awaitable[Any]] | None:
        """How the fabric asks for user names and passwords while connecting (libvirt's
        SASL; the GUI answers with a dialog), or None; fabrics that never ask keep None."""
        return None

    @auth.setter
    def auth(self, callback: Callable[..., Awaitable[Any]] | None) -> None:
        return None  # nothing here ever asks

    # -- events
    def events(self, maxsize: int = 1000) -> AsyncIterator[BackendEvent]:
        """An async stream of events; each call gets its own stream."""
        queue: asyncio.Queue[BackendEvent] = asyncio.Queue(maxsize)
        self._subscribers.append(queue)

        async def stream() -> AsyncIterator[BackendEvent]:
            try:
                while True:
                    yield await queue.get()
            finally:
                self._subscribers.remove(queue)

        return stream()

    def emit(self, event: BackendEvent) -> None:
        """Hand an event to every stream; a full stream drops its oldest event."""
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def announce(self, result: ChangeResult) -> None:
        """Tell every stream that a change was carried out, the same way on every fabric:
        a LIFECYCLE event for a VM defined, removed or moved, else CONFIG; the subject
        is the object the change is about, the detail what the change does."""
        change = result.change
        kind = EventKind.LIFECYCLE if isinstance(change, (Migrate, VmDefine, VmRemove)) \
            else EventKind.CONFIG
        self.emit(BackendEvent(kind, change.subject, change.describe(), {
            "change": change, "message": result.message, "steps": list(result.steps)}))

    def set_state(self, state: ConnectionState, detail: str = "") -> None:
        self.state = state
        self.emit(BackendEvent(EventKind.STATE, self.uri, detail, {"state": state.value}))
