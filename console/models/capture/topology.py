"""A starting topology from a capture: what a VXLAN uplink capture proves about the fabric.

One VEM per VTEP IP, one bridge domain per VNI (its flood mode from how its floods
travelled), one VM per inner MAC behind the VTEP it was learned at, and the capture's
traffic as flows. Nothing is corrected: a VNI that Nexus 1000V would refuse stays as
captured, so `validate` reports it. What the capture cannot say is chosen plainly and
listed in `notes` (the caller prints them), never hidden in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface

from ..inventory import DEFAULT_CLUSTER, Cluster, Host, Switching, Vm, Vnic
from ..overlay import BridgeDomain, FloodMode, Vtep
from ..topology import Topology
from ..traffic import BROADCAST, TrafficFlow
from ..vmfex import AttachMode, PortProfile
from .analysis import ASSUMED_PREFIX, CaptureSummary
from .decode import VXLAN_PORT_LINUX

_NAME_BAD = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass
class Derived:
    topology: Topology
    notes: list[str] = field(default_factory=list)


def vem_name(ip: str) -> str:
    return "vem-" + ip.replace(".", "-")


def vm_name(mac: str) -> str:
    return "vm-" + mac.replace(":", "")


def bd_name(vni: int) -> str:
    return f"vni-{vni}"


def _topology_name(source: str) -> str:
    stem = re.sub(r"\.(pcapng|pcap|cap)$", "", source.rsplit("/", 1)[-1])
    name = _NAME_BAD.sub("-", stem).lstrip("-_.:") or "capture"
    return name[:63]


def to_topology(summary: CaptureSummary, udp_port: int | None = None) -> Derived:
    """The fabric-console/1 topology a capture describes; raises ValueError when the
    capture holds no VXLAN frame to build it from."""
    if not summary.segments:
        ports = ", ".join(str(p) for p in sorted(summary.vxlan_ports))
        raise ValueError(f"no VXLAN frames (UDP {ports}): a topology needs a capture of a "
                         "VEM uplink; give --udp-port if the transport used another port")
    notes: list[str] = []
    topo = Topology(name=_topology_name(summary.source))
    topo.clusters = [Cluster(name=DEFAULT_CLUSTER)]

    # Underlay: the port the frames used, an MTU the capture's frames fit, multicast only
    # when some segment floods to a group.
    topo.underlay.udp_port = udp_port or summary.vxlan_port_seen or VXLAN_PORT_LINUX
    topo.underlay.mtu = summary.sizes.transport_mtu
    largest = summary.sizes.largest_carried
    if largest > topo.underlay.mtu:
        # Those frames crossed the transport, so it carried them: its MTU is at least that.
        topo.underlay.mtu = largest
        notes.append(f"underlay.mtu {largest}: the largest frame that crossed the transport "
                     "(offloaded frames are not counted)")
    modes = {seg.vni: seg.mode for seg in summary.segments.values()}
    topo.underlay.multicast = FloodMode.MULTICAST in modes.values()
    subnets = summary.vtep_subnets()
    if len(subnets) > 1:
        # VTEPs in different subnets reached each other in the capture; the VEM does not
        # use the host routing table and the capture names no gateway, so it is proxy ARP.
        topo.underlay.proxy_arp = True
        notes.append(f"underlay.proxy_arp true: VTEPs in {len(subnets)} different "
                     f"/{ASSUMED_PREFIX} subnets reached each other and no gateway is known")

    bds = []
    profiles = []
    for vni, seg in sorted(summary.segments.items()):
        mode = seg.mode
        if mode is None:
            mode = FloodMode.UNICAST_ONLY
            notes.append(f"{bd_name(vni)}: no flood in the capture; unicast-only assumed "
                         "(it needs no multicast group)")
        group = (IPv4Address(min(seg.groups, key=IPv4Address))
                 if mode is FloodMode.MULTICAST else None)
        bds.append(BridgeDomain(name=bd_name(vni), segment_id=vni, mode=mode,
                                group=group))
        profiles.append(PortProfile(name=bd_name(vni), clients=[DEFAULT_CLUSTER],
                                    bridge_domain=bd_name(vni)))
    topo.bridge_domains = bds
    topo.port_profiles = profiles

    # One VEM per VTEP that has a VM behind it or took part in a segment.
    vtep_ips = sorted({ip for seg in summary.segments.values() for ip in seg.vteps
                       if not IPv4Address(ip).is_multicast}, key=IPv4Address)
    topo.hosts = [Host(name=vem_name(ip), cluster=DEFAULT_CLUSTER, switching=Switching.VEM,
                       vteps=[Vtep(name="vtep0",
                                   ip=IPv4Interface(f"{ip}/{ASSUMED_PREFIX}"))])
                  for ip in vtep_ips]
    notes.append(f"VTEP addresses written as /{ASSUMED_PREFIX}: a capture carries no "
                 "prefix lengths")

    # One VM per inner MAC, a vNIC per segment it was seen in, on the VEM it sits behind.
    vms: dict[str, Vm] = {}
    vifs: dict[tuple[int, str], str] = {}
    for vni, seg in sorted(summary.segments.items()):
        for mac, seen in seg.macs.items():
            vm = vms.get(mac)
            if vm is None:
                vm = vms[mac] = Vm(name=vm_name(mac), host=vem_name(seen.vtep))
            elif vm.host != vem_name(seen.vtep):
                notes.append(f"{mac} is behind {seen.vtep} in VNI {vni} but on "
                             f"{vm.host} elsewhere; its VM stays on {vm.host}")
            if seen.moved_from:
                notes.append(f"{mac} moved in VNI {vni}: from {', '.join(seen.moved_from)} "
                             f"to {seen.vtep} (placed where it was last)")
            nic = f"eth{len(vm.nics)}"
            ip = IPv4Address(min(seen.ips, key=IPv4Address)) if len(seen.ips) == 1 else None
            vm.nics = [*vm.nics, Vnic(name=nic, mac=mac, port_profile=bd_name(vni),
                                      attach=AttachMode.VETH, ip=ip)]
            vifs[(vni, mac)] = f"{vm.name}/{nic}"
    topo.vms = list(vms.values())

    # The traffic: one flow per (sender, destination, size, IP, DF), in capture order.
    start = summary.first_ts or 0.0
    flows = []
    for flow in sorted(summary.flows.values(), key=lambda f: (f.first_record, -f.size)):
        source = vifs.get((flow.vni, flow.src))
        if source is None:
            continue
        if flow.dst == "ff:ff:ff:ff:ff:ff":
            to = BROADCAST
        else:
            to = vifs.get((flow.vni, flow.dst), flow.dst)
        flows.append(TrafficFlow.model_validate({
            "from": source, "to": to, "count": flow.count, "size": max(28, flow.size),
            # flows start on a 1 ms tick (TrafficFlow.start_s)
            "ip": flow.ip, "df": flow.df, "start_s": round(flow.first_ts - start, 3)}))
    topo.traffic = flows
    return Derived(topo, notes)
