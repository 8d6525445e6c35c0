"""libvirt XML for a topology: one domain XML per VM, one network XML per VF pool.

Built with xml.etree.ElementTree (never by joining strings), so names and profile ids are
escaped by the library. The libvirt backend applies changes with the same builders, so an
export and a live `apply` never disagree.

How each attach mode is written (reference/vm-fex-for-kvm.txt, three driver topologies):

- macvtap-private: `<interface type='direct'>`, `<source dev=PF mode='private'/>` and an
  802.1Qbh virtualport carrying the port profile as its profileid.
- macvtap-passthrough (one VF per vNIC): `<interface type='network'>` against the PF's
  passthrough pool network (`<forward mode='passthrough'><pf dev=PF/>`), in the portgroup of
  its port profile. libvirt hands each interface a free VF of the pool; a `direct` interface
  in passthrough mode on the PF itself would take the whole PF for one vNIC.
- hostdev (SR-IOV passthrough): `<interface type='hostdev' managed='yes'>` with the PCI
  address of the VF it holds (Derived.vf_of + vf_pci_address) when the PF's PCI address is
  known; otherwise `type='network'` against the PF's hostdev pool
  (`<forward mode='hostdev' managed='yes'>`). Hostdev interfaces have no model and no MTU.
- veth on a plain host (`switching: plain`, the hypervisor's own bridge): what libvirt
  itself uses, no virtualport. The port profile names the libvirt network (`type='network'`,
  `<source network=NAME>`); the names discovery makes up say where the vNIC was found:
  `lv-NAME` is the libvirt network NAME, `lv-bridge-NAME` the host bridge NAME
  (`type='bridge'`).
- veth (Nexus 1000V VEM): libvirt has no Nexus 1000V virtualport type; its
  `<virtualport type='openvswitch'>` carries a `profileid` (the port profile name, set on
  the switch port as external-ids:port-profile), which is how an OVS-based VEM learns the
  port profile. So: `<interface type='bridge'>` on the VEM bridge VEM_BRIDGE with that
  virtualport.

Every interface carries `<alias name='ua-NIC'/>` (a libvirt user alias) so that discovery
reads the vNIC's name back; names that are not valid alias text get no alias.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from console.models import AttachMode, Host, PortProfile, Switching, Topology, Vm, Vnic
from console.models.derived import Derived, vf_pci_address

_T = TypeVar("_T")

VEM_BRIDGE = "br-vem"
"""The VEM's switch bridge on each VEM host (an Open vSwitch bridge name)."""

LOCAL_PROFILE_PREFIX = "lv-"
"""Port profile names libvirt discovery makes up for interfaces that name none: `lv-NAME`
(libvirt network NAME, or the device of a macvtap), `lv-bridge-NAME` (host bridge NAME)."""
LOCAL_BRIDGE_PREFIX = LOCAL_PROFILE_PREFIX + "bridge-"

DEFAULT_MEMORY_MIB = 1024
QBH = "802.1Qbh"
_ALIAS_RE = re.compile(r"[A-Za-z0-9_-]+")  # matched whole (fullmatch)
_NIC_PATH_RE = re.compile(r"vms\[([0-9]+)\]\.nics\[([0-9]+)\]")
_ONE_PATH_RE = re.compile(r"(vms|hosts|port_profiles)\[([0-9]+)\]")


@dataclass(frozen=True)
class Pool:
    """One VF pool network: the VFs of one PF of one host, handed out by libvirt."""

    host: str
    pf: str
    mode: str  # "passthrough" (SR-IOV with MacVTap) or "hostdev" (SR-IOV passthrough)

    @property
    def name(self) -> str:
        suffix = "" if self.mode == "passthrough" else "-hostdev"
        return f"vmfex-{self.host}-{self.pf}{suffix}"


class LibvirtXmlError(ValueError):
    """A vNIC that cannot be written as libvirt XML (the message names it)."""


def alias_of(nic_name: str) -> str | None:
    """The libvirt user alias for a vNIC name, or None when the name cannot be one."""
    return f"ua-{nic_name}" if _ALIAS_RE.fullmatch(nic_name) else None


def nic_of_alias(alias: str | None) -> str | None:
    """The vNIC name a user alias carries ('ua-eth0' -> 'eth0')."""
    if alias and alias.startswith("ua-") and len(alias) > 3:
        return alias[3:]
    return None


def to_text(element: ET.Element) -> str:
    ET.indent(element, space="  ")
    return ET.tostring(element, encoding="unicode") + "\n"


# ----------------------------------------------------------------------------- pieces
def _qbh(parent: ET.Element, profile_id: str | None) -> None:
    if profile_id:
        vport = ET.SubElement(parent, "virtualport", type=QBH)
        ET.SubElement(vport, "parameters", profileid=profile_id)


def _pci_address(parent: ET.Element, pci: str) -> None:
    domain, bus, slot_fn = pci.split(":")
    slot, fn = slot_fn.split(".")
    ET.SubElement(parent, "address", type="pci", domain=f"0x{domain}", bus=f"0x{bus}",
                  slot=f"0x{slot}", function=f"0x{fn}")


def _pf_name(host: Host | None, vm: Vm, nic: Vnic) -> str:
    if nic.pf is not None:
        return nic.pf
    if host is not None and host.vic is not None and host.vic.pfs:
        return host.vic.pfs[0].name
    raise LibvirtXmlError(f"{vm.name}/{nic.name}: a {nic.attach.value} vNIC needs a PF: "
                          f"set its pf, or give host {vm.host} a VIC with pfs")


def _pool_pf(derived: Derived, host: Host | None, vm: Vm, nic: Vnic) -> str:
    """The PF whose pool a VF vNIC draws from: its own pf, else the one Derived chose."""
    if nic.pf is not None:
        return nic.pf
    for pool in derived.vf_pools.values():
        if pool.host == vm.host and f"{vm.name}/{nic.name}" in pool.holders:
            return pool.pf
    return _pf_name(host, vm, nic)


def profile_id(derived: Derived, nic: Vnic) -> str | None:
    """The port profile a vNIC's virtualport names (named or dynamic)."""
    profile = derived.profile_of(nic)
    if profile is not None:
        return profile.name
    return nic.port_profile


def interface_element(topo: Topology, vm: Vm, nic: Vnic,
                      derived: Derived | None = None) -> ET.Element:
    """The `<interface>` of one vNIC."""
    derived = derived or Derived(topo)
    host = derived.index.hosts.get(vm.host)
    pid = profile_id(derived, nic)
    attach = nic.attach
    if attach is AttachMode.MACVTAP_PRIVATE:
        iface = ET.Element("interface", type="direct")
        ET.SubElement(iface, "mac", address=nic.mac)
        ET.SubElement(iface, "source", dev=_pf_name(host, vm, nic), mode="private")
        _qbh(iface, pid)
    elif attach is AttachMode.MACVTAP_PASSTHROUGH:
        pool = Pool(vm.host, _pool_pf(derived, host, vm, nic), "passthrough")
        iface = _network_interface(nic, pool, pid)
    elif attach is AttachMode.HOSTDEV:
        address = hostdev_address(derived, host, vm, nic)
        if address is None:
            pool = Pool(vm.host, _pool_pf(derived, host, vm, nic), "hostdev")
            iface = _network_interface(nic, pool, pid)
        else:
            iface = ET.Element("interface", type="hostdev", managed="yes")
            ET.SubElement(iface, "mac", address=nic.mac)
            source = ET.SubElement(iface, "source")
            _pci_address(source, address)
            _qbh(iface, pid)
    elif host is not None and host.switching is Switching.PLAIN:
        iface = _local_interface(nic, pid)
    else:  # veth on a Nexus 1000V VEM
        iface = ET.Element("interface", type="bridge")
        ET.SubElement(iface, "mac", address=nic.mac)
        ET.SubElement(iface, "source", bridge=VEM_BRIDGE)
        if pid:
            vport = ET.SubElement(iface, "virtualport", type="openvswitch")
            ET.SubElement(vport, "parameters", profileid=pid)
    if attach is not AttachMode.HOSTDEV:
        ET.SubElement(iface, "model", type="virtio")
    if attach not in (AttachMode.HOSTDEV, AttachMode.MACVTAP_PRIVATE):
        # Not on type='direct': QEMU refuses <mtu> there ("setting MTU on interface type
        # direct is not supported yet"); that macvtap has its PF's MTU, the guest sets its
        # own. A passthrough pool's port takes it (tested on QEMU).
        ET.SubElement(iface, "mtu", size=str(nic.mtu))
    alias = alias_of(nic.name)
    if alias is not None:
        ET.SubElement(iface, "alias", name=alias)
    return iface


def _local_interface(nic: Vnic, pid: str | None) -> ET.Element:
    """A plain host's vNIC on its own bridge or libvirt network (no fabric, no virtualport)."""
    name = pid or "default"
    if name.startswith(LOCAL_BRIDGE_PREFIX) and len(name) > len(LOCAL_BRIDGE_PREFIX):
        iface = ET.Element("interface", type="bridge")
        ET.SubElement(iface, "mac", address=nic.mac)
        ET.SubElement(iface, "source", bridge=name.removeprefix(LOCAL_BRIDGE_PREFIX))
        return iface
    if name.startswith(LOCAL_PROFILE_PREFIX) and len(name) > len(LOCAL_PROFILE_PREFIX):
        name = name.removeprefix(LOCAL_PROFILE_PREFIX)
    iface = ET.Element("interface", type="network")
    ET.SubElement(iface, "mac", address=nic.mac)
    ET.SubElement(iface, "source", network=name)
    return iface


def _network_interface(nic: Vnic, pool: Pool, pid: str | None) -> ET.Element:
    iface = ET.Element("interface", type="network")
    ET.SubElement(iface, "mac", address=nic.mac)
    source = ET.SubElement(iface, "source", network=pool.name)
    if pid:
        source.set("portgroup", pid)
    # The same profileid as the portgroup's: libvirt merges the two, and the interface
    # then names its port profile on its own (what discovery reads back).
    _qbh(iface, pid)
    return iface


def hostdev_address(derived: Derived, host: Host | None, vm: Vm, nic: Vnic) -> str | None:
    """The PCI address of the VF a hostdev vNIC holds; None when it is not known (the PF
    has no PCI address in the file, or the pool has no VF left for it)."""
    held = derived.vf_of(f"{vm.name}/{nic.name}")
    if held is None or host is None or host.vic is None:
        return None
    pf_name, index = held
    for pf in host.vic.pfs:
        if pf.name == pf_name and pf.pci is not None:
            return vf_pci_address(pf.pci, index)
    return None


def domain_element(topo: Topology, vm: Vm, derived: Derived | None = None) -> ET.Element:
    """A complete, minimal `<domain>` holding the VM's vNICs."""
    derived = derived or Derived(topo)
    dom = ET.Element("domain", type="kvm")
    ET.SubElement(dom, "name").text = vm.name
    ET.SubElement(dom, "memory", unit="MiB").text = str(DEFAULT_MEMORY_MIB)
    ET.SubElement(dom, "vcpu").text = "1"
    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type", arch="x86_64").text = "hvm"
    devices = ET.SubElement(dom, "devices")
    for nic in vm.nics:
        devices.append(interface_element(topo, vm, nic, derived))
    return dom


# ----------------------------------------------------------------------------- pools
def pools(topo: Topology, derived: Derived | None = None) -> list[Pool]:
    """The pool networks the topology needs: a passthrough pool per PF of a VM-FEX host
    with a VIC, and a hostdev pool per PF with a hostdev vNIC whose VF address is not
    known."""
    derived = derived or Derived(topo)
    out: list[Pool] = []
    for host in topo.hosts:
        if host.vic is None:
            continue
        for pf in host.vic.pfs:
            out.append(Pool(host.name, pf.name, "passthrough"))
    for vm in topo.vms:
        vm_host = derived.index.hosts.get(vm.host)
        for nic in vm.nics:
            if nic.attach is AttachMode.HOSTDEV \
                    and hostdev_address(derived, vm_host, vm, nic) is None:
                pool = Pool(vm.host, _pool_pf(derived, vm_host, vm, nic), "hostdev")
                if pool not in out:
                    out.append(pool)
    return out


def pool_profiles(topo: Topology, host_name: str, derived: Derived) -> list[PortProfile]:
    """The VM-FEX port profiles a host may use: applied to its cluster, not VXLAN ones."""
    host = derived.index.hosts.get(host_name)
    cluster = host.cluster if host is not None else None
    return [p for p in topo.port_profiles
            if p.bridge_domain is None and (cluster is None or cluster in p.clients)]


def portgroup_element(profile: PortProfile) -> ET.Element:
    group = ET.Element("portgroup", name=profile.name)
    _qbh(group, profile.name)
    return group


def network_element(topo: Topology, pool: Pool, derived: Derived | None = None) -> ET.Element:
    """A pool network: the PF's VFs, one portgroup (802.1Qbh profileid) per port profile."""
    derived = derived or Derived(topo)
    net = ET.Element("network")
    ET.SubElement(net, "name").text = pool.name
    if pool.mode == "hostdev":
        forward = ET.SubElement(net, "forward", mode="hostdev", managed="yes")
    else:
        forward = ET.SubElement(net, "forward", mode="passthrough")
    ET.SubElement(forward, "pf", dev=pool.pf)
    for profile in pool_profiles(topo, pool.host, derived):
        net.append(portgroup_element(profile))
    return net


# ----------------------------------------------------------------------------- format API
def domain_file(vm: Vm) -> str:
    return f"domain-{vm.name}.xml"


def network_file(pool: Pool) -> str:
    return f"network-{pool.name}.xml"


def render(topology: Topology) -> dict[str, str]:
    """File name -> XML: one domain per VM (file order), then one network per pool."""
    derived = Derived(topology)
    out: dict[str, str] = {}
    for vm in topology.vms:
        out[domain_file(vm)] = to_text(domain_element(topology, vm, derived))
    for pool in pools(topology, derived):
        out[network_file(pool)] = to_text(network_element(topology, pool, derived))
    return out


def render_object(topology: Topology, path: str, derived: Derived | None = None) -> str:
    """The XML of one object: `vms[i]` (its domain), `vms[i].nics[j]` (its interface),
    `hosts[i]` (its pool networks) or `port_profiles[i]` (its portgroup). A caller that
    holds the topology's Derived passes it, so a preview does not build it again."""
    derived = derived or Derived(topology)
    m = _NIC_PATH_RE.fullmatch(path.strip())
    if m is not None:
        vm = _item(topology.vms, int(m.group(1)), path, "vms")
        nic = _item(vm.nics, int(m.group(2)), path, "nics")
        return to_text(interface_element(topology, vm, nic, derived))
    m = _ONE_PATH_RE.fullmatch(path.strip())
    if m is None:
        raise ValueError(f"{path}: libvirt XML exists for vms[i], vms[i].nics[j], hosts[i] "
                         "and port_profiles[i]")
    collection, i = m.group(1), int(m.group(2))
    if collection == "vms":
        return to_text(domain_element(topology, _item(topology.vms, i, path, "vms"), derived))
    if collection == "port_profiles":
        return to_text(portgroup_element(_item(topology.port_profiles, i, path,
                                               "port_profiles")))
    host = _item(topology.hosts, i, path, "hosts")
    mine = [p for p in pools(topology, derived) if p.host == host.name]
    if not mine:
        return ET.tostring(ET.Comment(f" {host.name} has no VF pool: no VIC with PFs "),
                           encoding="unicode") + "\n"
    return "".join(to_text(network_element(topology, p, derived)) for p in mine)


def _item(items: Sequence[_T], i: int, path: str, what: str) -> _T:
    if i >= len(items):
        raise ValueError(f"{path}: no such object (there are {len(items)} {what})")
    return items[i]
