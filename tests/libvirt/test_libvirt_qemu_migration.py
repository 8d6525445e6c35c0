"""A real live migration: migrateToURI3 (LIVE|PEER2PEER|PERSIST_DEST|UNDEFINE_SOURCE)
between two private root libvirtds on this machine (qemu_support.QemuDaemon: distinct
hostnames and host_uuids, so libvirt sees two hosts), through the backend's migrate:
PROGRESS events from jobStats, the guest persistent on the destination and gone from the
source, and both hosts' lifecycle events through libvirtaio.

The guest is a tiny TCG one with no vNIC: both daemons share this machine's network, so a
macvtap of the same MAC on the same lower device cannot exist twice, as it would while the
destination takes over. The source link is capped (migrateSetMaxSpeed, what a slow
network does) so the job lasts long enough for jobStats polls to see memory moving.
"""

from __future__ import annotations

import pytest
from qemu_support import qemu_daemon, qemu_skip_reason, start_guest, tiny_domain

from console.backends.base import EventKind
from console.backends.libvirt import LibvirtBackend, migration
from console.backends.libvirt.migration import job_percent

needs_qemu = pytest.mark.skipif(qemu_skip_reason() is not None,
                                reason=qemu_skip_reason() or "")


@pytest.fixture
def two_hosts(run):
    with qemu_daemon("fcqsrc", ("fcqdst",)) as src, \
            qemu_daemon("fcqdst", ("fcqsrc",)) as dst:
        a, b = LibvirtBackend(src.uri), LibvirtBackend(dst.uri)
        run(a.connect())
        try:
            run(b.connect())
            yield src, dst, a, b
        finally:
            run(a.close())
            run(b.close())


@needs_qemu
def test_live_migration_moves_the_guest_and_reports_progress(two_hosts, run, monkeypatch):
    src, dst, a, b = two_hosts
    assert (a.host, b.host) == ("fcqsrc", "fcqdst")
    dom = start_guest(src.open(), tiny_domain("mig1", memory_mib=64))
    dom.migrateSetMaxSpeed(1)  # MiB/s: the guest's few touched MiB take about a second
    monkeypatch.setattr(migration, "PROGRESS_INTERVAL_S", 0.05)
    events, dest_events = a.events(), b.events()

    async def migrate_and_collect():
        result = await a.migrate("mig1", "fcqdst")
        seen = []
        while True:  # everything emitted during the call is queued already
            seen.append(await events.__anext__())
            if seen[-1].kind is EventKind.PROGRESS and seen[-1].detail == "migrated":
                return result, seen

    async def lifecycle(stream, seen: list, until: str) -> list[str]:
        # libvirt's events, through libvirtaio on this loop: some came during the call
        details = [ev.detail for ev in seen if ev.kind is EventKind.LIFECYCLE]
        while until not in details:
            ev = await stream.__anext__()
            if ev.kind is EventKind.LIFECYCLE and ev.subject == "mig1":
                details.append(ev.detail)
        return details

    result, seen = run(migrate_and_collect(), timeout=60)
    progress = [ev for ev in seen if ev.kind is EventKind.PROGRESS]
    # the source paused the guest to switch over and stopped it; the destination started
    # it and let it run (libvirt sends no 'undefined' for UNDEFINE_SOURCE)
    assert {"suspended", "stopped"} <= set(run(lifecycle(events, seen, "stopped"),
                                               timeout=10))
    assert "started" in run(lifecycle(dest_events, [], "resumed"), timeout=10)

    assert result.applied, result.message
    assert result.message == "mig1 now runs on fcqdst"
    assert result.steps == [f"done: migrate mig1 live to fcqdst ({b.uri})"]
    moving = [ev.data["percent"] for ev in progress if ev.detail.startswith("migrating ")
              and "%" in ev.detail]
    assert any(0 < p < 100 for p in moving), [ev.detail for ev in progress]
    assert moving == sorted(moving)  # memory only moves forward
    assert progress[-1].data == {"percent": 100.0, "dest": "fcqdst"}
    # the guest runs on the destination, persistently, and is gone from the source
    moved = dst.open().lookupByName("mig1")
    assert moved.isActive() and moved.isPersistent()
    assert [d.name() for d in src.open().listAllDomains()] == []
    assert [vm.name for vm in run(b.inventory()).vms] == ["mig1"]
    assert run(a.inventory()).vms == []


def test_job_percent_counts_skipped_zero_pages_as_done():
    # a real jobStats reading mid-migration: 0.4 MB sent, most of 72 MB were zero pages
    stats = {"type": 2, "data_total": 71761920, "data_processed": 419261,
             "data_remaining": 5828608, "memory_total": 71761920}
    assert round(job_percent(stats)) == 92
    assert job_percent({"type": 2, "data_total": 0, "data_remaining": 0}) is None
    assert job_percent({"data_total": 200, "data_processed": 50}) == 25.0
