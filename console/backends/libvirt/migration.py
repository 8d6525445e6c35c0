"""Live migration between two connected hosts of one cluster (migrateToURI3).

Refused before it starts when Derived.migration says no (a hostdev vNIC, another cluster,
a host without a VIC...), through the same guard as every other change. While the
migration call blocks the source connection's worker thread, jobStats is polled from the
loop's default executor (libvirt connections are thread-safe) and each reading that moves
the bar becomes a PROGRESS event ("preparing the destination" at 0% while no memory moves
yet). Tested against two real libvirtds with QEMU (tests/libvirt/test_libvirt_qemu_*).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import libvirt

from console.models.changes import ChangeResult, Migrate
from console.models.rules.guards import plan_change

from ..base import BackendError, BackendEvent, EventKind
from . import parse
from .connection import describe

if TYPE_CHECKING:
    from .backend import LibvirtBackend

PROGRESS_INTERVAL_S = 0.5
FLAGS = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
         | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)


async def migrate(source: LibvirtBackend, change: Migrate) -> ChangeResult:
    from .backend import OPEN_BACKENDS

    dest = OPEN_BACKENDS.get(change.dest_host)
    if dest is None or dest is source:
        return ChangeResult(change, False, f"no open connection to host {change.dest_host}: "
                            "connect to it first (migration stays between connected hosts)")
    try:
        topo = parse.merge([await source.inventory(), await dest.inventory()])
    except BackendError as exc:
        return ChangeResult(change, False, str(exc))
    planned = plan_change(topo, change)
    if planned.after is None:
        return planned.refused()
    return await _run(source, dest, change)


async def _run(source: LibvirtBackend, dest: LibvirtBackend, change: Migrate) -> ChangeResult:
    conn = source.connection.conn
    if conn is None:
        return ChangeResult(change, False, f"{source.uri}: not connected")
    try:
        dom = await source.connection.run(conn.lookupByName, change.vm,
                                          what=f"looking up {change.vm}")
    except BackendError as exc:
        return ChangeResult(change, False, str(exc))
    params = {libvirt.VIR_MIGRATE_PARAM_DEST_NAME: change.vm}
    step = f"migrate {change.vm} live to {change.dest_host} ({dest.uri})"
    call = asyncio.ensure_future(
        # no deadline: a migration takes as long as the guest's memory does; keepalive
        # is what notices a host that went away meanwhile
        source.connection.run(dom.migrateToURI3, dest.uri, params, FLAGS, timeout=None))
    watcher = asyncio.ensure_future(_watch(source, dom, change.vm))
    try:
        await call
    except libvirt.libvirtError as exc:
        return ChangeResult(change, False, f"{step} failed: {describe(exc)}; the VM stays on "
                            f"{source.host}", steps=[f"FAILED: {step}: {describe(exc)}"])
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    source.emit(BackendEvent(EventKind.PROGRESS, change.vm, "migrated",
                             {"percent": 100.0, "dest": change.dest_host}))
    return ChangeResult(change, True, f"{change.vm} now runs on {change.dest_host}",
                        steps=[f"done: {step}"])


def job_percent(stats: dict[str, Any]) -> float | None:
    """Percent done of a migration job from jobStats, or None when it does not say yet.

    QEMU skips zero pages without sending them, so `processed` of a mostly empty guest
    stays near 0% until the jump to done (seen on a real migration: 0.75 MB processed of
    72 MB, then finished); `total - remaining` counts those pages as done."""
    total = stats.get("data_total") or stats.get("memory_total")
    if not total:
        return None
    remaining = stats.get("data_remaining", stats.get("memory_remaining"))
    if remaining is not None:
        done = total - remaining
    else:
        done = stats.get("data_processed", stats.get("memory_processed"))
        if done is None:
            return None
    return max(0.0, min(100.0, 100.0 * float(done) / float(total)))


async def _watch(source: LibvirtBackend, dom: libvirt.virDomain, vm: str) -> None:
    loop = asyncio.get_running_loop()
    preparing_told = False
    shown, told = 0.0, False
    while True:
        await asyncio.sleep(PROGRESS_INTERVAL_S)
        try:
            stats = await loop.run_in_executor(None, dom.jobStats)
        except libvirt.libvirtError:
            continue  # the job has not started or the driver cannot tell
        percent = job_percent(stats)
        if percent is not None:
            # a later pass re-sends pages the guest dirtied, so `remaining` can grow a
            # little (seen: 99.65% then 99.63%); the bar never moves back
            if told and round(percent) <= round(shown):
                continue  # nothing new to show (the job is finishing, or paused)
            shown, told = percent, True
            source.emit(BackendEvent(EventKind.PROGRESS, vm, f"migrating {percent:.0f}%",
                                     {"percent": percent}))
        elif stats.get("type", libvirt.VIR_DOMAIN_JOB_NONE) != libvirt.VIR_DOMAIN_JOB_NONE \
                and not preparing_told:
            # the job runs but no memory moves yet: the destination is being prepared
            # (its QEMU starting), which can take seconds
            preparing_told = True
            source.emit(BackendEvent(EventKind.PROGRESS, vm,
                                     "migrating: preparing the destination",
                                     {"percent": 0.0}))
