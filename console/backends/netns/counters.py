"""Counters read from the kernel and mapped to console.models.stats.CounterSample, so every
view works on a lab as on the emulated fabric.

Where each counter comes from:
- vifs: the VM end of the VIF's veth (tx/rx packets and bytes); tx_drops = frames the
  VIF's ingress checks dropped (QoS token bucket, MAC forging filter: qdisc drops);
  rx_drops = the switch end's tx_dropped (a frame the veth could not hand to the VM, e.g.
  larger than the VM's MTU).
- vems: encap/decap = the vxlan devices' tx/rx packets; unreachable_drops = their
  tx_carrier_errors (no route to the remote VTEP) and tx_dropped (no destination: a
  multicast segment on an underlay without multicast); fragments and mtu_drops = the host's
  IPv4 FragCreates and FragFails (/proc/net/snmp of the VEM's namespace); l2_entries = the
  learned entries in the VEM's segment bridges.
- bridge_domains: learned_macs = learned (not static) unicast entries with a remote `dst` in
  every vxlan FDB of the segment; igmp_joins/leaves = the lab's own joins and leaves (the
  vxlan device coming up or going away), which is when the kernel sends the IGMP reports.
- fabric_interconnects: switched_frames = frames the FI's ports took in from VIFs.
"""

from __future__ import annotations

import time
from collections import defaultdict

from console.models.stats import (
    CounterSample,
    FiCounters,
    FloodCounters,
    VemCounters,
    VifCounters,
)

from . import rawnl
from .lab import NTF_SELF, ZERO_MAC, Lab
from .plan import fi_role, host_role, vm_role

NUD_PERMANENT = 0x80
NUD_NOARP = 0x40

NOT_FROM_KERNEL: dict[str, tuple[str, ...]] = {
    "vifs": (),
    "bridge_domains": ("flood_frames", "flood_copies"),
    "vems": ("flood_copies_sent", "pmtu_notifications"),
    "fabric_interconnects": ("hairpin_frames", "flooded_frames"),
}
"""Counters the kernel does not give (left at 0), and why:
- flood_frames, flood_copies, flood_copies_sent: a vxlan device counts every packet it
  encapsulates, flooded or not; nothing tells a flood copy from a known-unicast one.
- pmtu_notifications: the ICMP a vxlan device returns for a bridged DF packet is injected
  on the device's receive path and counted by no MIB.
- hairpin_frames, flooded_frames: a Linux bridge keeps no per-port forwarding counters.
"""


def _snmp_ip(lab: Lab, namespace: str) -> dict[str, int]:
    text = lab.ns.read_proc(namespace, "snmp")
    lines = [line.split() for line in text.splitlines() if line.startswith("Ip:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:]), strict=False))




def read_sample(lab: Lab) -> CounterSample:
    with lab.lock:
        plan = lab.plan
        sample = CounterSample(timestamp=time.time())
        for vif in [*plan.vifs, *plan.idle_vifs]:
            counters = VifCounters()
            retired = lab.retired.get(vif, {})
            counters.tx_packets = retired.get("tx_packets", 0)
            counters.tx_bytes = retired.get("tx_bytes", 0)
            counters.rx_packets = retired.get("rx_packets", 0)
            counters.rx_bytes = retired.get("rx_bytes", 0)
            counters.rx_drops = retired.get("peer_tx_dropped", 0)
            counters.tx_drops = lab.retired_qdisc_drops.get(vif, 0)
            wire = plan.vifs.get(vif)
            if wire is not None:
                stats = lab.link_stats(vm_role(wire.vm), wire.ifname)
                counters.tx_packets += stats.get("tx_packets", 0)
                counters.tx_bytes += stats.get("tx_bytes", 0)
                counters.rx_packets += stats.get("rx_packets", 0)
                counters.rx_bytes += stats.get("rx_bytes", 0)
                peer = lab.link_stats(wire.switch_role, lab.peer_name(vif))
                # The VM end's own rx_dropped counts frames the guest's stack had no use
                # for (an unknown EtherType): delivered, so not a VIF drop.
                counters.rx_drops += peer.get("tx_dropped", 0)
                counters.tx_drops += lab.qdisc_drops(wire)
            sample.vifs[vif] = counters

        for bd in lab.bd_names:
            joins, leaves = lab.igmp.get(bd, (0, 0))
            sample.bridge_domains[bd] = FloodCounters(igmp_joins=joins, igmp_leaves=leaves)
        learned: dict[str, int] = defaultdict(int)
        for host in plan.vem_uplinks:
            role = host_role(host)
            vem = VemCounters()
            retired = lab.retired.get(f"vem:{host}", {})
            vem.encap_packets = retired.get("tx_packets", 0)
            vem.decap_packets = retired.get("rx_packets", 0)
            vem.unreachable_drops = retired.get("tx_carrier_errors", 0) + \
                retired.get("tx_dropped", 0)
            segments = {seg.ifnames[1]: seg for (h, _), seg in plan.segments.items()
                        if h == host}
            bridges = {seg.ifnames[0] for seg in segments.values()}
            sock = lab.ns.raw_socket(lab.role_ns(role))
            by_index = rawnl.link_names(sock)
            for vxlan in segments:
                stats = lab.link_stats(role, vxlan)
                vem.encap_packets += stats.get("tx_packets", 0)
                vem.decap_packets += stats.get("rx_packets", 0)
                # No route to the remote VTEP, or (tx_dropped) no destination at all: a
                # multicast segment on an underlay without multicast.
                vem.unreachable_drops += stats.get("tx_carrier_errors", 0) + \
                    stats.get("tx_dropped", 0)
            for entry in rawnl.bridge_fdb(sock):
                mac = entry.mac or ZERO_MAC
                if mac == ZERO_MAC or int(mac[:2], 16) & 1:
                    continue
                if entry.state & (NUD_PERMANENT | NUD_NOARP):
                    continue
                dev = by_index.get(entry.ifindex)
                master = by_index.get(entry.master) if entry.master is not None else None
                if dev in segments and entry.flags & NTF_SELF and entry.dst:
                    learned[segments[dev].bridge_domain] += 1
                elif master in bridges:
                    vem.l2_entries += 1
            ip = _snmp_ip(lab, lab.role_ns(role))
            vem.fragments = ip.get("FragCreates", 0)
            vem.mtu_drops = ip.get("FragFails", 0)
            sample.vems[host] = vem
        for bd, count in learned.items():
            sample.bridge_domains.setdefault(bd, FloodCounters()).learned_macs = count

        for fi in plan.fis:
            fi_counters = FiCounters(switched_frames=lab.retired.get(f"fi:{fi}", {})
                                     .get("rx_packets", 0))
            for vif, wire in plan.vifs.items():
                if wire.switch_role == fi_role(fi):
                    stats = lab.link_stats(wire.switch_role, lab.peer_name(vif))
                    fi_counters.switched_frames += stats.get("rx_packets", 0)
            sample.fabric_interconnects[fi] = fi_counters
        return sample
