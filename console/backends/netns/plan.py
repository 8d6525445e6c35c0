"""What a lab should look like for a topology: pure data, computed from console.models
(Derived supplies segment membership, designated VTEPs and effective port profiles), and
compared piece by piece with what is built, so a live change touches only what it must."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from console.models.derived import Derived
from console.models.inventory import Switching, VmState
from console.models.overlay import FloodMode
from console.models.topology import Topology
from console.models.vmfex import MacForging

UNDERLAY = "underlay"
ROUTER = "router"
TRANSPORT_BRIDGE = "transport"
UPLINK = "up0"
DEFAULT_FI = "fi"
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def host_role(host: str) -> str:
    return f"h-{host}"


def vm_role(vm: str) -> str:
    return f"v-{vm}"


def fi_role(fi: str) -> str:
    return f"fi-{fi}"


def fallback_group(segment_id: int) -> IPv4Address:
    """A group for a multicast bridge domain that names none (the validation rules report
    the omission; the lab still has to put the floods somewhere)."""
    return IPv4Address(f"239.{(segment_id >> 16) & 255}.{(segment_id >> 8) & 255}."
                       f"{segment_id & 255}")


@dataclass(frozen=True)
class VifWire:
    """One VIF: a veth from the VM's namespace to its switch (the VEM's segment bridge,
    or the FI's VLAN bridge)."""

    vif: str
    vm: str
    ifname: str  # inside the VM namespace
    mac: str
    mtu: int
    switch_role: str  # namespace of the switch end
    bridge: str  # bridge the switch end is a port of
    rate_mbps: float | None = None
    burst_kb: int = 64
    forging_deny: bool = False
    bridge_domain: str | None = None

    def same_link(self, other: VifWire) -> bool:
        """Can `other` be reached by editing this veth in place (no new link)?"""
        return (self.vm, self.ifname, self.mac, self.mtu, self.switch_role) == \
            (other.vm, other.ifname, other.mac, other.mtu, other.switch_role)


@dataclass(frozen=True)
class VemUplink:
    """A VEM host's transport side: its VTEP addresses and how it reaches other subnets."""

    host: str
    mtu: int
    addresses: tuple[IPv4Interface, ...]
    gateway: IPv4Address | None
    onlink_default: bool  # proxy ARP upstream: ARP for every address on the uplink


@dataclass(frozen=True)
class SegmentOnHost:
    """A bridge domain on a VEM: a bridge and a vxlan device, present while the VEM has a
    running VM in it (bringing it up is the IGMP join, removing it the leave)."""

    host: str
    bridge_domain: str
    segment_id: int
    mode: FloodMode
    group: IPv4Address | None
    local: IPv4Address | None
    port: int

    @property
    def ifnames(self) -> tuple[str, str]:
        return f"bd{self.segment_id}", f"vx{self.segment_id}"


@dataclass(frozen=True)
class RouterPlan:
    """The router between VTEP subnets: the gateways VTEPs name, and proxy ARP."""

    addresses: tuple[IPv4Interface, ...]
    subnets: tuple[IPv4Network, ...]
    proxy_arp: bool


@dataclass
class LabPlan:
    vem_uplinks: dict[str, VemUplink] = field(default_factory=dict)
    other_hosts: list[str] = field(default_factory=list)
    fis: list[str] = field(default_factory=list)
    vms: list[str] = field(default_factory=list)
    vifs: dict[str, VifWire] = field(default_factory=dict)
    idle_vifs: list[str] = field(default_factory=list)  # VIFs of shut-off VMs
    segments: dict[tuple[str, str], SegmentOnHost] = field(default_factory=dict)
    flood_remotes: dict[tuple[str, str], tuple[IPv4Address, ...]] = field(default_factory=dict)
    router: RouterPlan | None = None
    bridge_domains: list[str] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        out = [UNDERLAY]
        if self.router is not None:
            out.append(ROUTER)
        out += [host_role(h) for h in [*self.vem_uplinks, *self.other_hosts]]
        out += [fi_role(f) for f in self.fis]
        out += [vm_role(v) for v in self.vms]
        return out


def vm_ifname(nic_name: str, taken: set[str], position: int) -> str:
    name = nic_name if _IFNAME_RE.match(nic_name) and nic_name != "lo" else f"n{position}"
    while name in taken:
        position += 1
        name = f"n{position}"
    taken.add(name)
    return name


def plan_lab(topo: Topology) -> LabPlan:
    derived = Derived(topo)
    index = derived.index
    plan = LabPlan()
    fis = [fi.name for fi in topo.fabric_interconnects]
    plan.fis = fis or ([DEFAULT_FI] if any(h.switching is Switching.VMFEX
                                           for h in topo.hosts) else [])
    underlay = topo.underlay
    plan.bridge_domains = [bd.name for bd in topo.bridge_domains]

    for host in topo.hosts:
        if host.switching is not Switching.VEM:
            plan.other_hosts.append(host.name)
            continue
        gateway = next((v.gateway for v in host.vteps if v.gateway is not None), None)
        plan.vem_uplinks[host.name] = VemUplink(
            host.name, host.uplink_mtu or underlay.mtu, tuple(v.ip for v in host.vteps),
            gateway, gateway is None and underlay.proxy_arp)

    for vm in topo.vms:
        plan.vms.append(vm.name)
        vm_host = index.hosts.get(vm.host)
        taken: set[str] = set()
        for position, nic in enumerate(vm.nics):
            vif = f"{vm.name}/{nic.name}"
            ifname = vm_ifname(nic.name, taken, position)
            if vm_host is None or vm.state is not VmState.RUNNING:
                plan.idle_vifs.append(vif)
                continue
            if vm_host.switching is Switching.PLAIN:  # off the fabric, as in engine/tables.py
                plan.idle_vifs.append(vif)
                continue
            profile = derived.profile_of(nic)
            segment = derived.segment_of(nic)
            if vm_host.switching is Switching.VEM:
                role = host_role(vm_host.name)
            else:
                role = fi_role(vm_host.fabric_interconnect or plan.fis[0])
            if segment is None:
                bridge = "vl1"
            elif segment.kind == "vxlan":
                bridge = f"bd{segment.id}"
            else:
                bridge = f"vl{segment.id}"
            qos = profile.qos if profile is not None else None
            plan.vifs[vif] = VifWire(
                vif, vm.name, ifname, nic.mac, nic.mtu, role, bridge,
                rate_mbps=qos.rate_mbps if qos else None,
                burst_kb=qos.burst_kb if qos else 64,
                forging_deny=profile is not None and profile.mac_forging == MacForging.DENY,
                bridge_domain=segment.bridge_domain if segment is not None else None)

    for bd_name, members in derived.segment_members.items():
        bd = index.bridge_domains.get(bd_name)
        if bd is None:
            continue
        designated = {}
        for member in members:
            vtep = derived.designated_vtep(index.hosts[member], bd)
            designated[member] = vtep.ip.ip if vtep is not None else None
        for member in members:
            group = None
            if bd.mode is FloodMode.MULTICAST and underlay.multicast:
                # Without underlay multicast the device has no group and no replication
                # list: the kernel drops (and counts) every flood, as the fabric would.
                group = bd.group or fallback_group(bd.segment_id)
            plan.segments[(member, bd_name)] = SegmentOnHost(
                member, bd_name, bd.segment_id, bd.mode, group, designated[member],
                underlay.udp_port)
            if bd.mode is FloodMode.UNICAST_ONLY:
                plan.flood_remotes[(member, bd_name)] = tuple(
                    ip for other, ip in designated.items() if other != member and ip is not None)

    subnets = {a.network for u in plan.vem_uplinks.values() for a in u.addresses}
    if len(subnets) > 1:
        gateways = {}
        for host in topo.hosts:
            for vtep in host.vteps if host.switching is Switching.VEM else []:
                if vtep.gateway is not None and vtep.gateway in vtep.ip.network:
                    gateways[vtep.gateway] = IPv4Interface(
                        f"{vtep.gateway}/{vtep.ip.network.prefixlen}")
        plan.router = RouterPlan(tuple(sorted(gateways.values())), tuple(sorted(subnets)),
                                 underlay.proxy_arp)
    return plan
