"""The kernel lab backend (`netns:///path/topology.yaml`): the topology built on real
Linux networking in network namespaces, live, behind the asyncio backend interface.

All netlink work runs on one worker thread (a single-thread executor), so lab changes
never interleave and the event loop only awaits them; a second thread sends rate flows."""

from __future__ import annotations

import asyncio
import atexit
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from console.models.changes import (
    Change,
    ChangeResult,
    Migrate,
    NicAttach,
    NicDetach,
    NicUpdate,
    PortProfileEdit,
    VmDefine,
    VmRemove,
    VtepEdit,
)
from console.models.pipeline import plan_change
from console.models.stats import CounterSample
from console.models.topology import Topology

from ..base import (
    Backend,
    BackendError,
    BackendEvent,
    ConnectionState,
    EventKind,
)
from ..process import exit_on_sigterm
from ..topofiles import file_of_uri, load_topology
from .counters import read_sample
from .lab import Lab
from .nsctl import has_net_admin, list_namespaces, remove_namespace
from .plan import plan_lab
from .state import reap_stale
from .traffic import RateSender, run_count_flows

log = logging.getLogger(__name__)

LIVE_CHANGES = (PortProfileEdit, NicAttach, NicDetach, NicUpdate, Migrate, VtepEdit, VmDefine,
                VmRemove)
"""Changes the lab applies; others (bridge-domain edits, VSM settings) are refused with a
reason, since the lab would have to be rebuilt for them: reconnect instead."""

NEEDS_ROOT = ("the kernel lab needs root (CAP_NET_ADMIN) to create network namespaces, "
              "bridges and vxlan devices: run fabric-console as root (e.g. sudo), or open "
              "the file on emulated:/// instead")

_OPEN_LABS: weakref.WeakSet[Lab] = weakref.WeakSet()


@atexit.register
def _teardown_at_exit() -> None:
    for lab in list(_OPEN_LABS):
        try:
            lab.teardown()
        except Exception:  # exiting anyway; a later start reaps what is left
            log.exception("lab %s: teardown at exit failed", lab.lab_id)


def path_of(uri: str) -> Path:
    return file_of_uri(uri, "netns")[0]


def _kernel_message(exc: Exception, step: str) -> str:
    if isinstance(exc, NetlinkError):
        return f"the kernel refused {step or 'the first step'}: {exc.args[1]} (errno {exc.code})"
    return f"{step or 'building the lab'} failed: {exc}"


class NetnsBackend(Backend):
    """A topology running in network namespaces of this machine."""

    def __init__(self, uri: str):
        super().__init__(uri)
        self.path = path_of(uri)
        self.lab: Lab | None = None
        self.topology: Topology | None = None
        self._rate: RateSender | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._reported: str | None = None
        self._closing = False  # close() called: a connect in flight stops

    async def _call(self, fn: Any, *args: Any) -> Any:
        if self._executor is None:
            raise BackendError(f"{self.uri}: not connected")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _progress(self, percent: int, step: str) -> None:
        self.emit(BackendEvent(EventKind.PROGRESS, self.uri, step,
                               {"percent": percent, "step": step}))

    # ---------------------------------------------------------------- lifecycle
    async def connect(self, *, traffic: bool = True) -> None:
        """Build the lab. `traffic=False` builds it without sending the file's flows (the
        differential tests send them themselves)."""
        if self.state is ConnectionState.CONNECTED:
            return
        self._closing = False
        self.set_state(ConnectionState.CONNECTING, f"building a lab for {self.path}")
        exit_on_sigterm()  # a plain script killed by SIGTERM still tears its lab down
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="netns-lab")
        try:
            self._progress(10, f"reading {self.path.name}")
            topo = await self._call(self._load)
            self._progress(30, "building namespaces, bridges and vxlan devices")
            await self._call(self._build, topo)
            self._still_wanted()
            if traffic:
                self._progress(90, "sending the file's flows")
                _, problems = await self._call(self.run_count_flows)
                for problem in problems:
                    self.emit(BackendEvent(EventKind.LOG, self.uri, problem))
                self._still_wanted()
                self._rate = RateSender(self.lab)  # type: ignore[arg-type]
                self._rate.update(topo)
                self._rate.start()
        except BackendError as exc:
            if not self._closing:  # closed meanwhile: close() has cleaned up and said so
                await self._fail(str(exc))
            raise
        except Exception as exc:
            log.exception("lab for %s failed", self.uri)
            await self._fail(f"{self.uri}: {exc}")
            raise BackendError(f"{self.uri}: {exc}") from exc
        self._progress(100, "running")
        self.set_state(ConnectionState.CONNECTED,
                       f"{topo.name}: lab {self.lab.lab_id if self.lab else ''}")

    def _still_wanted(self) -> None:
        """Stop connecting when close() came in meanwhile (it tore the lab down)."""
        if self._closing:
            raise BackendError(f"{self.uri}: closed while connecting")

    def _load(self) -> Topology:
        if not has_net_admin():
            raise BackendError(NEEDS_ROOT)
        return load_topology(self.path)

    def _build(self, topo: Topology) -> None:
        try:
            reaped = reap_stale(list_namespaces, remove_namespace)
        except PermissionError:
            raise BackendError(NEEDS_ROOT) from None
        if reaped:
            log.info("removed %d namespaces left by labs whose process died", len(reaped))
        lab = Lab(str(self.path))
        try:
            lab.build(plan_lab(topo))  # tears down what it built on any failure
        except PermissionError:
            raise BackendError(NEEDS_ROOT) from None
        except (NetlinkError, OSError) as exc:
            step = lab.steps[-1] if lab.steps else ""
            raise BackendError(f"{self.path}: {_kernel_message(exc, step)}; nothing was "
                               "left behind") from None
        self.lab = lab
        self.topology = topo
        _OPEN_LABS.add(lab)

    def run_count_flows(self) -> tuple[int, list[str]]:
        """Send the file's count flows once, in file order (blocking; worker thread)."""
        if self.lab is None or self.topology is None:
            return 0, []
        return run_count_flows(self.lab, self.topology)

    async def _fail(self, reason: str) -> None:
        await self._shutdown()
        self.set_state(ConnectionState.FAILED, reason)

    async def _shutdown(self) -> None:
        if self._rate is not None:
            rate, self._rate = self._rate, None
            await asyncio.get_running_loop().run_in_executor(None, rate.stop)
        if self._executor is not None:
            # Closed while connecting: the lab being built is only known once its build
            # ends. The executor has one thread, so this no-op runs after it.
            await self._call(lambda: None)
        if self.lab is not None:
            lab, self.lab = self.lab, None
            _OPEN_LABS.discard(lab)
            if self._executor is not None:
                await self._call(lab.teardown)
            else:
                lab.teardown()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def close(self) -> None:
        self._closing = True
        await self._shutdown()
        if self.state is not ConnectionState.DISCONNECTED:
            self.set_state(ConnectionState.DISCONNECTED, "closed; lab removed")

    # ---------------------------------------------------------------- inventory
    async def inventory(self) -> Topology:
        if self.topology is None:
            raise BackendError(f"{self.uri}: not connected")
        copy: Topology = await self._call(lambda: self.topology.model_copy(deep=True))
        return copy

    async def apply(self, change: Change) -> ChangeResult:
        result: ChangeResult = await self._call(self._apply, change)
        if result.applied:  # events go out on the loop's thread, never the worker's
            self.announce(result)
        return result

    def _apply(self, change: Change) -> ChangeResult:
        if self.lab is None or self.topology is None:
            raise BackendError(f"{self.uri}: not connected")
        if not isinstance(change, LIVE_CHANGES):
            return ChangeResult(change, False, f"the kernel lab cannot apply a "
                                f"{type(change).__name__} live: reconnect to rebuild it")
        planned = plan_change(self.topology, change)
        if planned.after is None:
            return planned.refused()
        new = planned.after  # self.topology stays as it is until the lab has followed
        old_plan = self.lab.plan
        try:
            steps = self.lab.reconcile(plan_lab(new))
        except (NetlinkError, OSError) as exc:
            failed = self.lab.steps[-1] if self.lab.steps else ""
            try:
                self.lab.reconcile(old_plan)
            except (NetlinkError, OSError):
                log.exception("lab %s: could not restore after a failed change",
                              self.lab.lab_id)
            return ChangeResult(change, False, _kernel_message(exc, failed))
        self.topology = new
        if self._rate is not None:
            self._rate.update(new)
        return ChangeResult(change, True, f"applied to lab {self.lab.lab_id}", steps=steps)

    # ---------------------------------------------------------------- counters
    async def sample(self) -> CounterSample:
        if self.lab is None:
            raise BackendError(f"{self.uri}: not connected")
        sample: CounterSample = await self._call(read_sample, self.lab)
        rate = self._rate
        if rate is not None and rate.error is not None and rate.error != self._reported:
            self._reported = rate.error  # a flow the kernel refused: say so once
            self.emit(BackendEvent(EventKind.LOG, self.uri, rate.error))
        return sample
