"""Every XML the product writes is accepted by libvirt (defineXML / networkDefineXML on
the test driver) and reads back with the same interfaces and profile ids."""

from __future__ import annotations

from pathlib import Path

import libvirt
import pytest
from defusedxml import ElementTree as SafeET

from console.export import libvirt as lx
from console.models import AttachMode, topofile

HERE = Path(__file__).resolve().parent
DESIGN = HERE.parent / "data" / "design_example.yaml"
PLAN = HERE / "kvm1_plan.yaml"


def interfaces(xml: str) -> list[tuple]:
    """(type, mac, source attrs, virtualport type, profileid, alias) of each interface."""
    out = []
    for iface in SafeET.fromstring(xml).findall("./devices/interface"):
        vport = iface.find("virtualport")
        params = vport.find("parameters") if vport is not None else None
        source = iface.find("source")
        addr = source.find("address") if source is not None else None
        alias = iface.find("alias")
        out.append((iface.get("type"), iface.find("mac").get("address"),
                    dict(source.attrib) if source is not None else {},
                    dict(addr.attrib) if addr is not None else {},
                    vport.get("type") if vport is not None else None,
                    params.get("profileid") if params is not None else None,
                    alias.get("name") if alias is not None else None))
    return out


@pytest.fixture
def conn():
    c = libvirt.open("test:///default")
    yield c
    c.close()


@pytest.mark.parametrize("path", [DESIGN, PLAN], ids=["design", "kvm1-plan"])
def test_every_written_xml_is_accepted_and_reads_back(conn, path):
    topo = topofile.load(path)
    files = lx.render(topo)
    assert files, "nothing rendered"
    for name, text in files.items():
        if name.startswith("network-"):
            net = conn.networkDefineXML(text)
            back = SafeET.fromstring(net.XMLDesc(0))
            want = SafeET.fromstring(text)
            assert back.find("forward").attrib == want.find("forward").attrib
            assert back.find("forward/pf").get("dev") == want.find("forward/pf").get("dev")
            groups = {g.get("name"): g.find("virtualport/parameters").get("profileid")
                      for g in back.findall("portgroup")}
            assert groups == {g.get("name"): g.get("name") for g in want.findall("portgroup")}
        else:
            dom = conn.defineXML(text)
            assert interfaces(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) == \
                interfaces(text), name


def test_three_vmfex_topologies_and_veth(conn):
    topo = topofile.load(PLAN)
    new1 = next(vm for vm in topo.vms if vm.name == "new1")
    by_nic = {n.name: lx.interface_element(topo, new1, n) for n in new1.nics}
    passthrough, private, hostdev = by_nic["eth0"], by_nic["eth1"], by_nic["eth2"]
    assert passthrough.get("type") == "network"
    assert passthrough.find("source").attrib == {"network": "vmfex-kvm1-eth2",
                                                 "portgroup": "web"}
    assert private.get("type") == "direct"
    assert private.find("source").attrib == {"dev": "eth3", "mode": "private"}
    assert private.find("virtualport").get("type") == "802.1Qbh"
    assert private.find("virtualport/parameters").get("profileid") == "mgmt"
    assert private.find("model").get("type") == "virtio"
    assert hostdev.get("type") == "hostdev" and hostdev.get("managed") == "yes"
    # the first VF of eth3 (0000:0c:00.0): Derived.vf_of + vf_pci_address
    assert hostdev.find("source/address").attrib == {
        "type": "pci", "domain": "0x0000", "bus": "0x0c", "slot": "0x00", "function": "0x1"}
    assert hostdev.find("model") is None and hostdev.find("mtu") is None
    assert hostdev.find("virtualport/parameters").get("profileid") == "db"


def test_hostdev_without_pf_address_uses_a_hostdev_pool(conn):
    topo = topofile.load(PLAN)
    topo.hosts[0].vic.pfs[1].pci = None
    new1 = next(vm for vm in topo.vms if vm.name == "new1")
    el = lx.interface_element(topo, new1, new1.nics[2])
    assert el.get("type") == "network"
    assert el.find("source").get("network") == "vmfex-kvm1-eth3-hostdev"
    files = lx.render(topo)
    net = SafeET.fromstring(files["network-vmfex-kvm1-eth3-hostdev.xml"])
    assert net.find("forward").attrib == {"mode": "hostdev", "managed": "yes"}
    conn.networkDefineXML(files["network-vmfex-kvm1-eth3-hostdev.xml"])


def test_veth_is_a_vem_bridge_port_with_its_port_profile():
    topo = topofile.load(DESIGN)
    app1 = next(vm for vm in topo.vms if vm.name == "app1")
    assert app1.nics[0].attach is AttachMode.VETH
    el = lx.interface_element(topo, app1, app1.nics[0])
    assert el.get("type") == "bridge" and el.find("source").get("bridge") == lx.VEM_BRIDGE
    assert el.find("virtualport").get("type") == "openvswitch"
    assert el.find("virtualport/parameters").get("profileid") == "tenant-a"


def test_render_object_paths():
    topo = topofile.load(PLAN)
    assert "<interface" in lx.render_object(topo, "vms[1].nics[2]")
    assert "<domain" in lx.render_object(topo, "vms[0]")
    assert "vmfex-kvm1-eth2" in lx.render_object(topo, "hosts[0]")
    assert "portgroup" in lx.render_object(topo, "port_profiles[0]")
    with pytest.raises(ValueError, match="no such object"):
        lx.render_object(topo, "vms[9]")
    with pytest.raises(ValueError, match="libvirt XML exists"):
        lx.render_object(topo, "bridge_domains[0]")

