"""Migration: refused before it starts for a hostdev vNIC (Derived.migration, through
the guard), and otherwise handed to migrateToURI3. libvirt's test driver does not
migrate (it refuses peer-to-peer and direct migration), so the call path is checked up
to the driver's answer, which must come back as a clear, failed result."""

from __future__ import annotations

from console.backends.libvirt import OPEN_BACKENDS
from console.backends.libvirt.migration import job_percent


def test_hostdev_vm_is_refused_with_the_reason(backend, run):
    src, _dst = backend("kvm1"), backend("kvm2")
    assert set(OPEN_BACKENDS) >= {"kvm1", "kvm2"}
    result = run(src.migrate("db1", "kvm2"))
    assert not result.applied
    assert "hostdev" in result.message and "not supported" in result.message
    assert [f.rule for f in result.findings] == ["vmfex.live-migration"]
    assert not result.steps  # refused before anything was started


def test_allowed_migration_reaches_migrate_to_uri3(backend, run):
    src, _dst = backend("kvm1"), backend("kvm2")
    result = run(src.migrate("web1", "kvm2"))
    assert not result.applied
    assert "migrate web1 live to kvm2" in result.message
    assert "not supported" in result.message  # the test driver's own refusal
    assert "stays on kvm1" in result.message
    assert src.connection.conn.lookupByName("web1").isActive()


def test_unknown_destination_is_refused(backend, run):
    src = backend("kvm1")
    result = run(src.migrate("web1", "kvm7"))
    assert not result.applied and "no open connection to host kvm7" in result.message


def test_job_percent():
    assert job_percent({"data_total": 200, "data_processed": 50}) == 25.0
    assert job_percent({"type": 0}) is None
