"""Discovery: a test-driver node file maps onto the topology model, so the same rules,
derived facts and views work on a libvirt host."""

from __future__ import annotations

from libvirt_nodes import node_uri

from console.backends import open_backend
from console.backends.libvirt import LibvirtBackend
from console.models import AttachMode, Switching
from console.models.derived import Derived


def test_registry_picks_libvirt_for_libvirt_uris():
    assert isinstance(open_backend("test:///default"), LibvirtBackend)
    assert isinstance(open_backend("qemu+ssh://kvm1/system"), LibvirtBackend)


def test_vmfex_host_with_cisco_vic_and_vfs(backend, run):
    topo = run(backend("kvm1").inventory())
    host = topo.hosts[0]
    assert host.name == "kvm1" and host.switching is Switching.VMFEX
    assert host.vic is not None and host.vic.model == "VIC-1280"  # from the PF's VPD name
    assert [(p.name, p.vfs, p.pci) for p in host.vic.pfs] == [
        ("eth2", 8, "0000:0b:00.0"), ("eth3", 4, "0000:0c:00.0")]
    assert {p.name for p in topo.port_profiles} == {"web", "db", "mgmt"}


def test_each_driver_topology_maps_to_its_attach_mode(backend, run):
    topo = run(backend("kvm1").inventory())
    nics = {f"{vm.name}/{n.name}": n for vm in topo.vms for n in vm.nics}
    assert nics["web1/eth0"].attach is AttachMode.MACVTAP_PASSTHROUGH  # network pool
    assert nics["web1/eth0"].pf == "eth2" and nics["web1/eth0"].port_profile == "web"
    assert nics["app1/eth0"].attach is AttachMode.MACVTAP_PASSTHROUGH  # direct passthrough
    assert nics["app1/eth0"].mtu == 9000
    assert nics["web2/eth1"].attach is AttachMode.MACVTAP_PRIVATE
    assert nics["web2/eth1"].port_profile == "mgmt" and nics["web2/eth1"].pf == "eth3"
    # hostdev: the VF's PCI address leads to its PF through phys_function
    assert nics["db1/eth0"].attach is AttachMode.HOSTDEV and nics["db1/eth0"].pf == "eth2"
    assert nics["db1/eth0"].port_profile == "db"


def test_derived_facts_work_on_discovered_hosts(backend, run):
    derived = Derived(run(backend("kvm1").inventory()))
    pool = derived.vf_pools[("kvm1", "eth2")]
    assert pool.vfs == 8 and len(pool.holders) == 4  # web1, web2/eth0, app1, db1
    assert pool.usable == 8 and pool.free == 4
    verdict = derived.migration("db1")
    assert not verdict.allowed and "hostdev" in verdict.reasons[0]
    assert derived.migration("web1").allowed


def test_vem_host_and_plain_default_host(backend, run):
    vem = run(backend("vem1").inventory())
    assert vem.hosts[0].switching is Switching.VEM and vem.hosts[0].vic is None
    nic = vem.vms[0].nics[0]
    assert nic.attach is AttachMode.VETH and nic.port_profile == "tenant-a"

    from console.backends.libvirt import LibvirtBackend

    b = LibvirtBackend("test:///default")
    run(b.connect())
    try:
        topo = run(b.inventory())
    finally:
        run(b.close())
    assert topo.hosts[0].name == "default"
    (vm,) = topo.vms
    # a NAT network without a port profile still shows, named after its network
    assert vm.name == "test" and vm.nics[0].port_profile == "lv-default"
    assert vm.nics[0].name == "testnet0"  # no user alias: the target device


def test_connect_failure_is_a_readable_backend_error(run):
    import pytest

    from console.backends import BackendError
    from console.backends.base import ConnectionState

    b = LibvirtBackend(node_uri("no-such-node"))
    with pytest.raises(BackendError, match="cannot connect"):
        run(b.connect())
    assert b.state is ConnectionState.FAILED
    run(b.close())


def test_discovered_topology_saves_and_validates_like_a_file(backend, run):
    from console.models import topofile
    from console.models.rules import check

    topo = run(backend("kvm1").inventory())
    again = topofile.loads(topofile.dumps(topo))
    assert again == topo
    # the host's VIC uplinks end on a fabric interconnect libvirt cannot see: implied
    assert topo.hosts[0].fabric_interconnect == topo.fabric_interconnects[0].name
    rules = {f.rule for f in check(topo)}
    assert "vmfex.no-fabric-interconnect" not in rules
    assert "vmfex.macvtap-private-release" in rules  # web2/eth1 under UCS Manager 2.2
