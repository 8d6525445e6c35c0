"""Interface changes on a RUNNING guest of real QEMU (TCG), through the backend's apply.

A private root libvirtd with the QEMU driver (qemu_support.QemuDaemon) runs a tiny guest
whose vNIC is a macvtap on one end of a veth pair: the veth stands in for a VIC PF. What
this exercises of the real path: libvirt's qemuDomainChangeNet on a live macvtap, its
answer, the backend's fallback and its words. What it cannot: an 802.1Qbh association
(that needs a Cisco enic PF, which answers the port profile netlink request), so the
running interface here has no virtualport, and the product's XML brings one.

Found on QEMU 7.2 / libvirt 9.0: a virtualport change on a running `direct` interface, or
any update of a `network` interface on a passthrough pool (libvirt allocates the new
definition a device of its own before comparing, so even an identical update would move
it), is refused with VIR_ERR_OPERATION_UNSUPPORTED (or, when the pool has no free VF,
with the network driver's "none are available"); a link state change goes out live.
A live detach is a request the guest OS must acknowledge (ACPI unplug): libvirt returns
after waiting about 5 s while the device is still there.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import libvirt
import pytest
from qemu_support import qemu_daemon, qemu_skip_reason, start_guest, tiny_domain, veth_pair

from console.backends.libvirt import LibvirtBackend, steps
from console.models import AttachMode, Cluster, PortProfile, Topology
from console.models.changes import NicDetach, NicUpdate

pytestmark = pytest.mark.skipif(qemu_skip_reason() is not None,
                                reason=qemu_skip_reason() or "")

MAC = "52:54:00:fc:00:01"
PROFILES = Topology(name="ucs", clusters=[Cluster(name="default")],
                    port_profiles=[PortProfile(name=n, clients=["default"])
                                   for n in ("web", "db")])


def _direct(dev: str, mode: str = "private") -> str:
    return (f"<interface type='direct'><mac address='{MAC}'/>"
            f"<source dev='{dev}' mode='{mode}'/><model type='virtio'/>"
            "<alias name='ua-eth0'/></interface>")


@pytest.fixture
def host(run):
    """(daemon, backend, veth lower end, veth peer) with the backend connected."""
    with qemu_daemon("fcqup") as daemon, veth_pair("up") as (lower, peer):
        backend = LibvirtBackend(daemon.uri)
        backend.adopt(PROFILES)  # UCS Manager's port profiles: libvirt knows only ids
        run(backend.connect())
        try:
            yield daemon, backend, lower, peer
        finally:
            run(backend.close())


def _start(daemon, name: str, interfaces: str) -> libvirt.virDomain:
    return start_guest(daemon.open(), tiny_domain(name, interfaces))


def _iface(dom: libvirt.virDomain, flags: int) -> ET.Element:
    return ET.fromstring(dom.XMLDesc(flags)).find("./devices/interface")


def test_port_profile_change_on_running_macvtap_goes_to_config_only(host, run):
    daemon, backend, lower, _peer = host
    dom = _start(daemon, "web1", _direct(lower))
    topo = run(backend.inventory())
    nic = topo.index().vms["web1"].nics[0]
    assert (nic.attach, nic.pf) == (AttachMode.MACVTAP_PRIVATE, lower)

    result = run(backend.apply(NicUpdate("web1", nic.model_copy(update={"port_profile":
                                                                         "web"}))))

    assert result.applied, result.message
    [step] = result.steps
    assert step.startswith("done: update interface web1/eth0 (port profile web)")
    # QEMU's own refusal, named, and what that means for the running guest
    assert "config only" in step and "unable to change config on 'direct'" in step
    assert "keeps its current interface until the domain restarts" in step
    assert dom.isActive()
    live = _iface(dom, 0)
    assert live.find("virtualport") is None  # the running guest: untouched
    saved = _iface(dom, libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert saved.find("virtualport").get("type") == "802.1Qbh"
    assert saved.find("virtualport/parameters").get("profileid") == "web"
    assert saved.find("mtu") is None  # QEMU refuses <mtu> on macvtap: left out
    # the backend reads the profile back from the definition the next start uses
    shown = ET.fromstring(run(backend.xml_of("web1", "eth0", inactive=True)))
    assert shown.find("virtualport/parameters").get("profileid") == "web"


def test_change_leaving_the_interface_as_it_is_goes_live_and_config(host, run):
    # an address is the console's (libvirt does not hold it): the XML stays the same, and
    # a vNIC found without a port profile gets no made-up one (lv-...) to associate
    daemon, backend, lower, _peer = host
    dom = _start(daemon, "web4", _direct(lower))
    nic = run(backend.inventory()).index().vms["web4"].nics[0]
    assert nic.port_profile == f"lv-{lower}"

    result = run(backend.apply(NicUpdate("web4", nic.model_copy(update={"ip":
                                                                         "10.0.0.5/24"}))))

    assert result.applied, result.message
    assert result.steps == [f"done: update interface web4/eth0 (port profile lv-{lower}) "
                            "[live and config]"]
    assert _iface(dom, 0).find("virtualport") is None
    assert _iface(dom, libvirt.VIR_DOMAIN_XML_INACTIVE).find("virtualport") is None


def test_change_qemu_can_make_live_goes_live_and_config(host, run):
    daemon, backend, lower, _peer = host
    dom = _start(daemon, "web2", _direct(lower))
    el = ET.fromstring(run(backend.xml_of("web2", "eth0")))
    ET.SubElement(el, "link", state="down")
    for tag in ("target", "address"):  # what libvirt fills in on a running guest
        with contextlib.suppress(TypeError):
            el.remove(el.find(tag))
    change = NicUpdate("web2", run(backend.inventory()).index().vms["web2"].nics[0])

    result = run(backend.run_steps(change, [steps.Step(
        "link down web2/eth0", steps.update_interface("web2", "eth0", MAC, el))]))

    assert result.applied and result.steps == ["done: link down web2/eth0 [live and config]"]
    assert _iface(dom, 0).find("link").get("state") == "down"
    assert _iface(dom, libvirt.VIR_DOMAIN_XML_INACTIVE).find("link").get("state") == "down"


@pytest.mark.parametrize("full", [False, True], ids=["vf-free", "pool-full"])
def test_network_interface_on_passthrough_pool_goes_to_config_only(host, run, full):
    daemon, backend, lower, peer = host
    conn = daemon.open()
    pool = f"vmfex-{backend.host}-{lower}"  # the pool name the product gives lower's VFs
    # The veth ends as the pool's "VFs": libvirt hands one to the guest (a VIC's pool
    # would be built from <pf dev>, which needs real VFs in sysfs). Full: the guest holds
    # the only one, and libvirt's own answer to the update is an internal error.
    vfs = [lower] if full else [lower, peer]
    net = conn.networkDefineXML(
        f"<network><name>{pool}</name><forward mode='passthrough'>"
        + "".join(f"<interface dev='{vf}'/>" for vf in vfs) + "</forward>"
        "<portgroup name='web'/><portgroup name='db'/></network>")
    net.create()
    dom = _start(daemon, "app1", f"<interface type='network'><mac address='{MAC}'/>"
                 f"<source network='{pool}' portgroup='web'/><model type='virtio'/>"
                 "<mtu size='1500'/><alias name='ua-eth0'/></interface>")
    nic = run(backend.inventory()).index().vms["app1"].nics[0]
    assert (nic.attach, nic.port_profile) == (AttachMode.MACVTAP_PASSTHROUGH, "web")

    result = run(backend.apply(NicUpdate("app1", nic.model_copy(update={"port_profile":
                                                                         "db"}))))

    assert result.applied, result.message
    update = next(s for s in result.steps if "update interface app1/eth0" in s)
    assert "config only" in update
    assert ("none are available" if full else "unable to change config on 'network'") \
        in update
    live, saved = _iface(dom, 0), _iface(dom, libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert live.find("source").get("portgroup") == "web"
    assert saved.find("source").get("portgroup") == "db"
    assert saved.find("virtualport/parameters").get("profileid") == "db"


def test_live_detach_waits_for_the_guest_and_says_so(host, run):
    daemon, backend, lower, _peer = host
    dom = _start(daemon, "web3", _direct(lower) + (
        "<interface type='ethernet'><mac address='52:54:00:fc:00:02'/><model type='virtio'/>"
        "<alias name='ua-eth1'/></interface>"))

    result = run(backend.apply(NicDetach("web3", "eth1")), timeout=30)

    # the firmware never answers the ACPI unplug: libvirt returns after its wait, the
    # definition has lost the interface and the running guest has not
    assert result.applied, result.message
    assert result.steps == [f"done: detach interface web3/eth1 [{steps.PENDING_UNPLUG}]"]
    assert "ua-eth1" in dom.XMLDesc(0)
    assert "ua-eth1" not in dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
