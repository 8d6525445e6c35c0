"""A plain libvirt host (no Cisco VIC, no VEM: libvirt's own `test:///default`) is
monitored without fabric findings; discovery is read in a stable order; and the backend
shows the host's own XML beside what the product would write (issue #12)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from libvirt_nodes import node_uri

from console.backends.base import BackendError
from console.backends.libvirt import LibvirtBackend
from console.engine.tables import compile_topology
from console.export import libvirt as lx
from console.export import nxos, ucsm
from console.models import Switching, topofile
from console.models.findings import Severity
from console.models.rules import check


@pytest.fixture
def default_host(run):
    b = LibvirtBackend("test:///default")
    run(b.connect())
    yield b
    run(b.close())


# ----------------------------------------------------------------- defect 1: plain hosts
def test_default_test_driver_host_is_plain_and_has_no_fabric_findings(default_host, run):
    topo = run(default_host.inventory())
    (host,) = topo.hosts
    assert host.switching is Switching.PLAIN and host.vic is None
    assert host.fabric_interconnect is None and topo.fabric_interconnects == []
    found = check(topo)
    assert [f for f in found if f.severity is Severity.ERROR] == []
    rules = {f.rule for f in found}
    assert "vmfex.vic-missing" not in rules and "host.attach-mode" not in rules


def test_plain_host_exports_the_network_it_is_on(default_host, run):
    topo = run(default_host.inventory())
    iface = ET.fromstring(lx.render_object(topo, "vms[0].nics[0]"))
    # what libvirt itself holds (type='network', source network='default'), not a VEM port
    assert iface.get("type") == "network"
    assert iface.find("source").get("network") == "default"
    assert iface.find("virtualport") is None
    assert "plain host" in nxos.render_object(topo, "hosts[0]")
    assert "plain host" in ucsm.render_object(topo, "hosts[0]")


def test_plain_host_on_a_bridge_exports_the_bridge():
    topo = topofile.from_data({
        "format": "fabric-console/1", "name": "lab",
        "hosts": [{"name": "pc", "switching": "plain"}],
        "port_profiles": [{"name": "lv-bridge-br0"}],
        "vms": [{"name": "v", "host": "pc", "nics": [
            {"name": "eth0", "mac": "52:54:00:00:00:01", "port_profile": "lv-bridge-br0"}]}],
    })
    iface = ET.fromstring(lx.render_object(topo, "vms[0].nics[0]"))
    assert iface.get("type") == "bridge" and iface.find("source").get("bridge") == "br0"


def test_a_file_naming_a_plain_host_validates_and_simulates_off_the_fabric():
    # A plain host beside a VM-FEX host on a fabric interconnect: its VM is on no switch
    # (the FI does not take it), and the rules say so once as a warning.
    topo = topofile.from_data({
        "format": "fabric-console/1", "name": "mixed",
        "fabric_interconnects": [{"name": "fi-a"}],
        "port_profiles": [{"name": "web", "clients": ["default"], "vlans": [100],
                           "native_vlan": 100}],
        "hosts": [
            {"name": "kvm1", "os": "rhel-6.4", "switching": "vmfex",
             "fabric_interconnect": "fi-a",
             "vic": {"model": "VIC-1280", "pfs": [{"name": "eth2", "vfs": 4}]}},
            {"name": "pc", "switching": "plain"},
        ],
        "vms": [
            {"name": "web1", "host": "kvm1", "nics": [
                {"name": "eth0", "mac": "52:54:00:00:01:01", "port_profile": "web",
                 "attach": "macvtap-passthrough", "pf": "eth2"}]},
            {"name": "desk", "host": "pc", "nics": [
                {"name": "eth0", "mac": "52:54:00:00:02:01", "port_profile": "web"}]},
        ],
        "traffic": [{"from": "desk/eth0", "to": "web1/eth0", "count": 3}],
    })
    found = check(topo)
    assert [f for f in found if f.severity is Severity.ERROR] == []
    assert [(f.rule, f.path) for f in found] == [("host.plain-off-fabric", "traffic[0].from")]
    tables = compile_topology(topo)
    vif_group = dict(zip(tables.vif_ids, tables.vif_group.tolist()))
    assert vif_group["desk/eth0"] == -1 and vif_group["web1/eth0"] >= 0


# ------------------------------------------------------------ defect 3: a stable order
def test_discovery_order_is_the_same_on_every_read(run):
    # The test driver lists domains and networks from a hash table: in another order on
    # each open. Paths such as vms[3].nics[0] must name the same VM every time.
    seen = []
    for _ in range(6):
        b = LibvirtBackend(node_uri("kvm1"))
        run(b.connect())
        try:
            topo = run(b.inventory())
        finally:
            run(b.close())
        seen.append(([vm.name for vm in topo.vms], [p.name for p in topo.port_profiles]))
    names, profiles = seen[0]
    assert names == sorted(names)
    assert all(s == (names, profiles) for s in seen)


# --------------------------------------------------------- defect 2: the host's own XML
def test_native_config_of_a_vm_and_its_vif_is_the_live_domain_xml(default_host, run):
    dom = ET.fromstring(run(default_host.native_config("vm", "test")))
    assert dom.tag == "domain" and dom.findtext("name") == "test"
    iface = ET.fromstring(run(default_host.native_config("vif", "test/testnet0")))
    assert iface.tag == "interface" and iface.get("type") == "network"
    assert iface.find("source").get("network") == "default"
    assert iface.find("target").get("dev") == "testnet0"


def test_native_config_of_a_profile_is_its_libvirt_network(default_host, run, backend):
    net = ET.fromstring(run(default_host.native_config("profile", "lv-default")))
    assert net.tag == "network" and net.findtext("name") == "default"
    assert net.find("forward").get("mode") == "nat"
    # a VM-FEX profile id: the pool network whose portgroup carries it
    kvm1 = backend("kvm1")
    text = run(kvm1.native_config("profile", "web"))
    assert "<name>vmfex-kvm1-eth2</name>" in text and "profileid='web'" in text


def test_native_config_of_a_pf_is_its_node_device(backend, run):
    text = run(backend("kvm1").native_config("pf", "kvm1/eth2"))
    dev = ET.fromstring(text)
    assert dev.findtext("name") == "pci_0000_0b_00_0"
    assert dev.find(".//capability[@type='virt_functions']") is not None


def test_native_config_names_what_is_missing(default_host, run):
    with pytest.raises(BackendError, match="no domain named ghost"):
        run(default_host.native_config("vm", "ghost"))
    with pytest.raises(BackendError, match="no interface eth9"):
        run(default_host.native_config("vif", "test/eth9"))
    assert run(default_host.native_config("bd", "tenant-a")) is None
