"""libvirt XML (domains, networks, node devices) -> the topology model.

Pure functions on XML text, parsed with defusedxml (a host's XML is input we did not
write). The libvirt calls that fetch the text live in inventory.py.

Mapping, per domain interface:
- `type='direct'`: source mode passthrough -> macvtap-passthrough; private, vepa and
  bridge -> macvtap-private (MacVTap on the device itself, no VF of its own).
- `type='hostdev'`: hostdev; the PF is found from the VF's PCI address through the node
  devices (`phys_function`).
- `type='network'`: as the network's forward mode (passthrough/private/vepa/bridge as
  `direct`, hostdev as `hostdev`); the PF is the network's `<pf dev>`; the profile is the
  interface's 802.1Qbh profileid, else its portgroup's, else the default portgroup's.
- `type='bridge'` (or anything else): veth, a VEM port; the profile is an openvswitch
  virtualport's profileid.
An interface with no profile id at all (a plain NAT network, say) still appears, so its
counters do, with the port profile `lv-SOURCE` (the libvirt network or device it is on) or
`lv-bridge-BRIDGE` (a host bridge).

vNIC names: the user alias (`ua-eth0` -> `eth0`, what the export writes), else the target
device (`vnet3`, `macvtap0`), else `netN` by position. Counters are keyed the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from console.export.libvirt import LOCAL_BRIDGE_PREFIX, LOCAL_PROFILE_PREFIX, nic_of_alias
from console.models import (
    DEFAULT_CLUSTER,
    AttachMode,
    Cluster,
    FabricInterconnect,
    Host,
    Pf,
    PortProfile,
    Switching,
    Topology,
    Vic,
    Vm,
    VmState,
    Vnic,
    vic_family,
)

PSEUDO_PROFILE_PREFIX = LOCAL_PROFILE_PREFIX
"""Port profile names discovery makes up for interfaces that name none (`lv-SOURCE`,
`lv-bridge-BRIDGE`): the export writes a plain host's vNIC back onto that source."""

CISCO_VENDOR = 0x1137
# Cisco PCI device ids (pci.ids, vendor 1137): 0x0043 "VIC Ethernet NIC" is every VIC's
# Ethernet function (M81KR, P81E, 12xx, 13xx...), 0x0044 its dynamic vNIC, 0x0071 an
# SR-IOV VF. The card model is in the PCI subsystem id, which libvirt's node device XML
# does not carry, so the model comes from the VPD name or product text.
VIC_PF_IDS = frozenset({0x0043, 0x0044})
VIC_VF_ID = 0x0071
GENERIC_VIC = "VIC"
IMPLIED_FI = "fabric-interconnect"

_NAME_BAD = re.compile(r"[^A-Za-z0-9_.:-]")
_MODEL_TOKEN = re.compile(r"\b(M81KR|P81E|\d{4})\b", re.IGNORECASE)


def is_pseudo_profile(name: str | None) -> bool:
    """Is this a name discovery made up (no port profile on the host), not a profile id?"""
    return name is not None and name.startswith(PSEUDO_PROFILE_PREFIX)


def safe_name(text: str, fallback: str) -> str:
    """A model Name from libvirt text: bad characters become '-', at most 63."""
    name = _NAME_BAD.sub("-", text.strip())[:63].lstrip("-_.:")
    return name or fallback


def _xml(text: str) -> Element:
    root: Element = SafeET.fromstring(text)
    return root


def _int(text: str | None, default: int = 0) -> int:
    if not text:
        return default
    try:
        return int(text, 0)
    except ValueError:
        return default


def pci_of(address: Element) -> str:
    """`<address domain='0x0000' bus='0x0b' slot='0x00' function='0x1'/>` -> 0000:0b:00.1"""
    return (f"{_int(address.get('domain')):04x}:{_int(address.get('bus')):02x}:"
            f"{_int(address.get('slot')):02x}.{_int(address.get('function'))}")


# ----------------------------------------------------------------------------- node devices
@dataclass
class PciDevice:
    name: str  # node device name, pci_0000_0b_00_0
    pci: str
    vendor: int
    product: int
    product_text: str = ""
    vpd_name: str = ""
    vf_addresses: list[str] = field(default_factory=list)  # virt_functions
    max_vfs: int = 0
    pf_address: str | None = None  # phys_function
    netdev: str | None = None  # the net device on it (eth2)

    @property
    def is_cisco(self) -> bool:
        return self.vendor == CISCO_VENDOR

    @property
    def is_vf(self) -> bool:
        return self.pf_address is not None or (self.is_cisco and self.product == VIC_VF_ID)


@dataclass
class NodeDevices:
    by_pci: dict[str, PciDevice] = field(default_factory=dict)

    def pf_netdev_of_vf(self, vf_pci: str) -> str | None:
        vf = self.by_pci.get(vf_pci)
        if vf is None or vf.pf_address is None:
            return None
        pf = self.by_pci.get(vf.pf_address)
        return pf.netdev if pf is not None else None

    def pf_netdev_of_netdev(self, dev: str) -> str:
        """The PF's net device for a VF's net device; the device itself otherwise."""
        for d in self.by_pci.values():
            if d.netdev == dev and d.pf_address is not None:
                return self.pf_netdev_of_vf(d.pci) or dev
        return dev

    def cisco_pfs(self) -> list[PciDevice]:
        return [d for d in self.by_pci.values()
                if d.is_cisco and not d.is_vf and (d.product in VIC_PF_IDS or d.vf_addresses)]


def parse_node_devices(xmls: list[str]) -> NodeDevices:
    """PCI devices (with SR-IOV capabilities) and the net devices that sit on them."""
    out = NodeDevices()
    by_name: dict[str, PciDevice] = {}
    nets: list[tuple[str, str]] = []  # (parent node device, interface)
    for text in xmls:
        dev = _xml(text)
        name = dev.findtext("name", "")
        for cap in dev.findall("capability"):
            kind = cap.get("type")
            if kind == "pci":
                pci = (f"{_int(cap.findtext('domain')):04x}:{_int(cap.findtext('bus')):02x}:"
                       f"{_int(cap.findtext('slot')):02x}.{_int(cap.findtext('function'))}")
                vendor, product = cap.find("vendor"), cap.find("product")
                d = PciDevice(name, pci,
                              _int(vendor.get("id")) if vendor is not None else 0,
                              _int(product.get("id")) if product is not None else 0,
                              (product.text or "") if product is not None else "")
                for sub in cap.findall("capability"):
                    if sub.get("type") == "virt_functions":
                        d.vf_addresses = [pci_of(a) for a in sub.findall("address")]
                        d.max_vfs = _int(sub.get("maxCount"))
                    elif sub.get("type") == "phys_function":
                        a = sub.find("address")
                        d.pf_address = pci_of(a) if a is not None else None
                    elif sub.get("type") == "vpd":
                        d.vpd_name = sub.findtext("name", "") or ""
                by_name[name] = d
                out.by_pci[pci] = d
            elif kind == "net":
                nets.append((dev.findtext("parent", ""), cap.findtext("interface", "")))
    for parent, iface in nets:
        if parent in by_name and iface:
            by_name[parent].netdev = iface
    return out


def vic_model(devices: list[PciDevice]) -> str:
    """The VIC model named in a PF's VPD or product text (VIC-1280, M81KR...), or 'VIC'."""
    for d in devices:
        for text in (d.vpd_name, d.product_text):
            for token in _MODEL_TOKEN.findall(text or ""):
                family = vic_family(token)
                if family is not None:
                    return family
    return GENERIC_VIC


def vic_of(nodes: NodeDevices) -> Vic | None:
    """The host's Cisco VIC: its SR-IOV PFs (by net device name) and their VF counts."""
    pfs = nodes.cisco_pfs()
    if not pfs:
        return None
    pfs.sort(key=lambda d: d.pci)
    return Vic(model=vic_model(pfs),
               pfs=[Pf(name=safe_name(d.netdev or d.name, d.name),
                       vfs=min(len(d.vf_addresses) or d.max_vfs, 256), pci=d.pci)
                    for d in pfs])


# ----------------------------------------------------------------------------- networks
@dataclass
class PoolNetwork:
    name: str
    mode: str  # forward mode: passthrough, hostdev, private, vepa, bridge, nat, ...
    pf: str | None
    portgroups: dict[str, str | None]  # portgroup -> its 802.1Qbh profileid
    default_portgroup: str | None = None
    profile: str | None = None  # the network's own virtualport profileid


def _profile_id(parent: Element) -> str | None:
    vport = parent.find("virtualport")
    if vport is None:
        return None
    params = vport.find("parameters")
    return params.get("profileid") if params is not None else None


def parse_network(text: str) -> PoolNetwork:
    net = _xml(text)
    forward = net.find("forward")
    mode = forward.get("mode", "nat") if forward is not None else "none"
    pf = None
    if forward is not None:
        pf_el = forward.find("pf")
        if pf_el is not None:
            pf = pf_el.get("dev")
        else:
            first = forward.find("interface")
            pf = first.get("dev") if first is not None else forward.get("dev")
    groups: dict[str, str | None] = {}
    default = None
    for group in net.findall("portgroup"):
        gname = group.get("name", "")
        groups[gname] = _profile_id(group)
        if group.get("default") == "yes":
            default = gname
    return PoolNetwork(net.findtext("name", ""), mode, pf, groups, default, _profile_id(net))


# ----------------------------------------------------------------------------- domains
@dataclass
class NicFacts:
    vnic: Vnic
    target: str | None  # host-side device: what interface counters are read by
    kind: str  # libvirt interface type


@dataclass
class DomainFacts:
    vm: Vm
    nics: list[NicFacts]
    profiles: list[str]  # profile ids its interfaces use (for the port profile list)
    vem_profiles: list[str]  # openvswitch profile ids (VEM ports)


_DIRECT_MODES = {"passthrough": AttachMode.MACVTAP_PASSTHROUGH}


def parse_domain(text: str, host: str, running: bool, networks: dict[str, PoolNetwork],
                 nodes: NodeDevices) -> DomainFacts:
    dom = _xml(text)
    name = dom.findtext("name", "")
    nics: list[NicFacts] = []
    profiles: list[str] = []
    vem_profiles: list[str] = []
    used: set[str] = set()
    for i, iface in enumerate(dom.findall("./devices/interface")):
        kind = iface.get("type", "")
        source = iface.find("source")
        if kind == "direct" and source is not None and source.get("network"):
            # a running guest's XML shows a network interface as the device libvirt
            # gave it (type='direct', source network=... dev=... mode=...)
            kind = "network"
        target_el = iface.find("target")
        target = target_el.get("dev") if target_el is not None else None
        alias_el = iface.find("alias")
        alias = nic_of_alias(alias_el.get("name") if alias_el is not None else None)
        nic_name = safe_name(alias or target or f"net{i}", f"net{i}")
        if nic_name in used:
            nic_name = f"net{i}"
        used.add(nic_name)
        mac_el = iface.find("mac")
        mac = mac_el.get("address", "") if mac_el is not None else ""
        mtu_el = iface.find("mtu")
        mtu = _int(mtu_el.get("size") if mtu_el is not None else None, 1500)
        profile = _profile_id(iface)
        pf: str | None = None
        vem = False
        if kind == "direct" and source is not None:
            attach = _DIRECT_MODES.get(source.get("mode", "vepa"), AttachMode.MACVTAP_PRIVATE)
            pf = nodes.pf_netdev_of_netdev(source.get("dev", "")) or None
        elif kind == "hostdev":
            attach = AttachMode.HOSTDEV
            address = source.find("address") if source is not None else None
            if address is not None:
                pf = nodes.pf_netdev_of_vf(pci_of(address))
        elif kind == "network" and source is not None:
            net = networks.get(source.get("network", ""))
            mode = net.mode if net is not None else ""
            if mode == "hostdev":
                attach = AttachMode.HOSTDEV
            elif mode in ("passthrough", "private", "vepa", "bridge") and (
                    net is not None and net.pf is not None or profile):
                attach = _DIRECT_MODES.get(mode, AttachMode.MACVTAP_PRIVATE)
            else:
                attach = AttachMode.VETH
            if net is not None:
                pf = nodes.pf_netdev_of_netdev(net.pf) if net.pf else None
                if profile is None:
                    group = source.get("portgroup") or net.default_portgroup
                    profile = net.portgroups.get(group or "") or net.profile
            if profile is None and attach is not AttachMode.VETH:
                profile = source.get("portgroup")
            profile = profile or f"lv-{source.get('network', 'network')}"
        else:
            attach = AttachMode.VETH
            vem = iface.find("virtualport") is not None and profile is not None
            bridge = source.get("bridge") if source is not None else None
            if profile is None and bridge:
                profile = f"{LOCAL_BRIDGE_PREFIX}{bridge}"
            src = source.get("dev") if source is not None else None
            profile = profile or f"{PSEUDO_PROFILE_PREFIX}{src or kind or 'unknown'}"
        if profile is None:
            src = source.get("dev") if source is not None else None
            profile = f"lv-{src or kind}"
        profile = safe_name(profile, "lv-unknown")
        (vem_profiles if vem else profiles).append(profile)
        if pf is not None:
            pf = safe_name(pf, "pf")
        if attach is AttachMode.VETH:
            pf = None
        vnic = Vnic(name=nic_name, mac=mac or f"52:54:00:00:00:{i:02x}", port_profile=profile,
                    attach=attach, pf=pf, mtu=mtu)
        nics.append(NicFacts(vnic, target, kind))
    vm = Vm(name=safe_name(name, "vm"), host=host,
            state=VmState.RUNNING if running else VmState.SHUT_OFF,
            nics=[n.vnic for n in nics])
    return DomainFacts(vm, nics, profiles, vem_profiles)


# ----------------------------------------------------------------------------- the host
def host_topology(host_name: str, domains: list[DomainFacts], networks: list[PoolNetwork],
                  nodes: NodeDevices) -> Topology:
    """One host's inventory as a topology (cluster `default`, the VM-FEX placement).

    Who switches it (Switching): a VEM host has openvswitch ports carrying a port profile
    and no VM-FEX vNIC; a VM-FEX host has a Cisco VIC, or macvtap/hostdev vNICs that carry
    a port profile id (an 802.1Qbh association: a VIC the node devices do not show, a
    remote host without node device access); anything else is a plain host, its VMs on
    libvirt's own bridges and networks (`test:///default`), which the fabric rules leave
    alone."""
    vic = vic_of(nodes)
    vmfex_vnics = any(n.vnic.attach.is_vmfex and not is_pseudo_profile(n.vnic.port_profile)
                      for d in domains for n in d.nics)
    if vic is None and not vmfex_vnics and any(d.vem_profiles for d in domains):
        switching = Switching.VEM
    elif vic is not None or vmfex_vnics:
        switching = Switching.VMFEX
    else:
        switching = Switching.PLAIN
    # libvirt cannot see the fabric interconnect, but a VIC's uplinks end on one: a VM-FEX
    # host is shown on an implied FI (a topology file's own FIs replace it, see adopt).
    vmfex = switching is Switching.VMFEX
    host = Host(name=host_name, cluster=DEFAULT_CLUSTER, switching=switching, vic=vic,
                fabric_interconnect=IMPLIED_FI if vmfex else None)
    names: list[str] = []
    for net in networks:
        for pid in [*net.portgroups.values(), net.profile]:
            if pid and safe_name(pid, "") not in names:
                names.append(safe_name(pid, "lv-unknown"))
    for d in domains:
        for pid in [*d.profiles, *d.vem_profiles]:
            if pid not in names:
                names.append(pid)
    profiles = [PortProfile(name=n, clients=[DEFAULT_CLUSTER],
                            description="libvirt network without a port profile"
                            if n.startswith("lv-") else "")
                for n in names]
    return Topology(name=host_name, clusters=[Cluster(name=DEFAULT_CLUSTER)],
                    fabric_interconnects=[FabricInterconnect(name=IMPLIED_FI)] if vmfex else [],
                    port_profiles=profiles, hosts=[host], vms=[d.vm for d in domains])


def merge(topologies: list[Topology], name: str = "libvirt") -> Topology:
    """Several hosts' inventories as one topology (first definition of a name wins).
    Hosts are taken in name order (and their VMs with them), whatever order the
    connections came up in, so paths such as `vms[3]` stay the same from run to run."""
    out = Topology(name=name, clusters=[Cluster(name=DEFAULT_CLUSTER)])
    seen_profiles: set[str] = set()
    hosts: list[Host] = []
    vms: list[Vm] = []
    profiles: list[PortProfile] = []
    fis: list[FabricInterconnect] = []
    ordered = sorted(topologies, key=lambda t: t.hosts[0].name if t.hosts else "")
    for topo in ordered:
        fis.extend(f for f in topo.fabric_interconnects if f.name not in {x.name for x in fis})
        hosts.extend(topo.hosts)
        vms.extend(topo.vms)
        for p in topo.port_profiles:
            if p.name not in seen_profiles:
                seen_profiles.add(p.name)
                profiles.append(p)
    out.hosts, out.vms, out.port_profiles = hosts, vms, profiles
    out.fabric_interconnects = fis
    return out
