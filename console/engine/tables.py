"""Compile a topology into the flat tables both data planes consume.

One piece of logic for both planes: this module decides who is connected where (from
console.models.derived), and the planes only walk these arrays frame by frame. Every table
is a numpy array indexed by small integers; names live in the `*_names` lists.

Switches: VEMs are switch ids 0..nvem-1 (hosts with `switching: vem`, file order), fabric
interconnects nvem..nvem+nfi-1. A plain host (`switching: plain`) has no switch here: its
VIFs are in no group, so what they send is refused at ingress and nothing reaches them
(its own bridge is not part of the fabric; see Switching.PLAIN). A *group* is one
(switch, segment) pair with its local ports: the VIFs of that switch in that segment, and
for a fabric interconnect also the VEM uplinks carrying the VLAN and the peer fabric
interconnects (reached over the upstream LAN). Time is counted in ticks of TICK_S seconds;
see console.engine.traffic for the traffic model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from console.models.derived import Derived
from console.models.inventory import Host, Switching, VmState
from console.models.overlay import VXLAN_OVERHEAD, FloodMode
from console.models.topology import Topology
from console.models.vmfex import MacForging

from .traffic import TICKS_PER_S, compile_flows, mac_to_int

# L2 entry kinds (0 is an empty hash slot in the compiled plane)
LOCAL, REMOTE, UPLINK, PEER = 1, 2, 3, 4

# Flood modes in bd_mode
MODE_MULTICAST, MODE_UNICAST = 0, 1

# The counter tables both planes keep (counters() -> {kind: rows x columns}): one column
# per counter of console.models.stats, by name. The gauges (learned_macs, l2_entries) and
# the IGMP counts are the facade's, not a plane's. The compiled plane's column constants
# (_dataplane.pyx) follow this order.
COUNTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "vif": ("tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "tx_drops", "rx_drops"),
    "vem": ("encap_packets", "decap_packets", "flood_copies_sent", "mtu_drops", "fragments",
            "pmtu_notifications", "unreachable_drops"),
    "fi": ("switched_frames", "hairpin_frames", "flooded_frames"),
    "bd": ("flood_frames", "flood_copies"),
}


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ints -> (ptr, values) in compressed-sparse-row form."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    if lists:
        ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = [v for x in lists for v in x]
    return ptr, np.asarray(flat, dtype=np.int64)


@dataclass
class Tables:
    """Everything a data plane needs, as flat arrays. Built by `compile_topology`."""

    # names (the keys that survive a recompile)
    vem_names: list[str]
    fi_names: list[str]
    host_names: list[str]
    vif_ids: list[str]
    bd_names: list[str]
    seg_keys: list[tuple[str, object]]  # ("vlan", id) or ("bd", name)
    vtep_keys: list[tuple[str, str]]  # (vem name, vtep name)
    vtep_ips: list[str]

    nvem: int
    nfi: int
    underlay_mtu: int
    multicast_ok: int
    proxy_arp: int
    aging_ticks: int

    vem_mtu: np.ndarray
    vem_host: np.ndarray
    seg_bd: np.ndarray  # bd index or -1 (a VLAN)

    vif_mac: np.ndarray  # uint64
    vif_host: np.ndarray
    vif_running: np.ndarray
    vif_group: np.ndarray  # -1: not connected (no profile, no segment, no switch)
    vif_deny: np.ndarray  # MAC forging deny
    vif_refill: np.ndarray  # policing: milli-bytes per tick; 0 = no policing
    vif_burst: np.ndarray  # milli-bytes
    vif_same_host: np.ndarray  # other VIFs of its group on its host (FI flood hairpins)

    grp_sw: np.ndarray
    grp_seg: np.ndarray
    grp_vtep: np.ndarray  # designated VTEP of a VEM group in a bridge domain, else -1
    grp_upfi: np.ndarray  # VEM VLAN group -> its FI's group for the VLAN, else -1
    grp_key: np.ndarray  # sorted sw * nseg + seg, with grp_key_group: group lookup
    grp_key_group: np.ndarray
    grp_vif_ptr: np.ndarray
    grp_vifs: np.ndarray
    grp_up_ptr: np.ndarray  # FI group -> VEM groups behind its uplinks
    grp_ups: np.ndarray
    grp_peer_ptr: np.ndarray  # FI group -> the other FIs' groups of the same VLAN
    grp_peers: np.ndarray

    bd_mode: np.ndarray
    bd_pmtu: np.ndarray  # min of underlay and every member VEM's uplink MTU
    bd_mem_ptr: np.ndarray  # bridge domain -> member VEM groups (replication list)
    bd_mems: np.ndarray
    bd_members: list[list[str]]  # member VEM names (IGMP membership)

    vtep_ip: np.ndarray  # uint32
    vtep_mask: np.ndarray  # uint32
    vtep_gw: np.ndarray
    vtep_vem: np.ndarray

    # flows, in the seeded per-tick order
    fl_index: np.ndarray  # position in topology.traffic
    fl_vif: np.ndarray
    fl_src: np.ndarray  # uint64
    fl_dst: np.ndarray  # uint64
    fl_flood: np.ndarray
    fl_size: np.ndarray
    fl_ip: np.ndarray
    fl_df: np.ndarray
    fl_rate: np.ndarray  # millionths of a frame per tick
    fl_start: np.ndarray  # first tick
    fl_count: np.ndarray  # frames left to send; -1 for pps flows
    fl_acc: np.ndarray  # rate accumulator (the seeded phase at tick 0)

    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def nseg(self) -> int:
        return len(self.seg_keys)

    def group_of(self, sw: int, seg: int) -> int:
        key = sw * self.nseg + seg
        i = int(np.searchsorted(self.grp_key, key))
        if i < len(self.grp_key) and self.grp_key[i] == key:
            return int(self.grp_key_group[i])
        return -1


def _dotted(ip: int) -> str:
    return f"{ip >> 24}.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}"


def _i64(values: Sequence[int] | Sequence[bool]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def compile_topology(topo: Topology, seed: int = 0) -> Tables:
    """The flat tables of one topology snapshot (a new call after every live change)."""
    d = Derived(topo)
    idx = d.index
    vems = [h for h in topo.hosts if h.switching is Switching.VEM]
    vem_of = {h.name: i for i, h in enumerate(vems)}
    fis = list(idx.fabric_interconnects.values())
    fi_of = {f.name: i for i, f in enumerate(fis)}
    nvem, nfi = len(vems), len(fis)
    hosts = list(idx.hosts.values())
    host_of = {h.name: i for i, h in enumerate(hosts)}
    underlay = topo.underlay.mtu

    def host_fi(host: Host) -> int:
        if host.fabric_interconnect in fi_of:
            return fi_of[host.fabric_interconnect]
        return 0 if fis else -1

    # segments: VLANs in first-seen order, then every bridge domain
    bds = list(idx.bridge_domains.values())
    bd_of = {b.name: i for i, b in enumerate(bds)}
    seg_keys: list[tuple[str, object]] = [("bd", b.name) for b in bds]
    seg_of: dict[tuple[str, object], int] = {k: i for i, k in enumerate(seg_keys)}

    def segment_index(key: tuple[str, object]) -> int:
        if key not in seg_of:
            seg_of[key] = len(seg_keys)
            seg_keys.append(key)
        return seg_of[key]

    # VIFs and their groups
    vif_refs = list(idx.vifs.values())
    groups: dict[tuple[int, int], int] = {}
    grp_sw: list[int] = []
    grp_seg: list[int] = []
    grp_vifs: list[list[int]] = []

    def group(sw: int, seg: int) -> int:
        g = groups.get((sw, seg))
        if g is None:
            g = groups[(sw, seg)] = len(grp_sw)
            grp_sw.append(sw)
            grp_seg.append(seg)
            grp_vifs.append([])
        return g

    vif_mac: list[int] = []
    vif_host: list[int] = []
    vif_running: list[int] = []
    vif_group: list[int] = []
    vif_deny: list[int] = []
    vif_refill: list[int] = []
    vif_burst: list[int] = []
    for ref in vif_refs:
        host = idx.hosts.get(ref.vm.host)
        profile = d.profile_of(ref.nic)
        segment = d.segment_of(ref.nic)
        running = ref.vm.state is VmState.RUNNING
        vif_mac.append(mac_to_int(ref.nic.mac))
        vif_host.append(host_of[host.name] if host is not None else -1)
        vif_running.append(int(running))
        deny = profile is not None and profile.mac_forging is MacForging.DENY
        qos = profile.qos if profile is not None else None
        vif_deny.append(int(deny))
        vif_refill.append(round(qos.rate_mbps * 125_000) if qos else 0)
        vif_burst.append(qos.burst_kb * 1024 * 1000 if qos else 0)
        g = -1
        if running and host is not None and segment is not None:
            if host.switching is Switching.VEM:
                key: tuple[str, object] = (("bd", segment.bridge_domain)
                                           if segment.kind == "vxlan" else ("vlan", segment.id))
                g = group(vem_of[host.name], segment_index(key))
            elif host.switching is Switching.VMFEX and segment.kind == "vlan" \
                    and host_fi(host) >= 0:
                g = group(nvem + host_fi(host), segment_index(("vlan", segment.id)))
        if g >= 0:
            grp_vifs[g].append(len(vif_group))
        vif_group.append(g)

    # VEM VLAN groups reach their FI through the host uplink; FI groups reach each other
    grp_upfi: list[int] = [-1] * len(grp_sw)
    for g in range(len(grp_sw)):
        sw, seg = grp_sw[g], grp_seg[g]
        if sw < nvem and seg_keys[seg][0] == "vlan":
            f = host_fi(vems[sw])
            if f >= 0:
                fg = group(nvem + f, seg)
                grp_upfi.extend([-1] * (len(grp_sw) - len(grp_upfi)))
                grp_upfi[g] = fg
    grp_upfi.extend([-1] * (len(grp_sw) - len(grp_upfi)))
    grp_ups: list[list[int]] = [[] for _ in grp_sw]
    for g, fg in enumerate(grp_upfi):
        if fg >= 0:
            grp_ups[fg].append(g)
    by_vlan: dict[int, list[int]] = {}
    for g in range(len(grp_sw)):
        if grp_sw[g] >= nvem:
            by_vlan.setdefault(grp_seg[g], []).append(g)
    grp_peers = [[p for p in by_vlan.get(grp_seg[g], []) if p != g] if grp_sw[g] >= nvem
                 else [] for g in range(len(grp_sw))]

    # VTEPs
    vtep_keys: list[tuple[str, str]] = []
    vtep_ips: list[str] = []
    vtep_ip: list[int] = []
    vtep_mask: list[int] = []
    vtep_gw: list[int] = []
    vtep_vem: list[int] = []
    vtep_of: dict[tuple[str, str], int] = {}
    for i, h in enumerate(vems):
        for vtep in h.vteps:
            ip = int(vtep.ip)  # IPv4Interface: the address; the prefix gives the mask
            vtep_of.setdefault((h.name, vtep.name), len(vtep_keys))
            vtep_keys.append((h.name, vtep.name))
            vtep_ips.append(_dotted(ip))
            vtep_ip.append(ip)
            vtep_mask.append((0xFFFF_FFFF << (32 - vtep.ip.network.prefixlen)) & 0xFFFF_FFFF
                             if vtep.ip.network.prefixlen else 0)
            vtep_gw.append(int(vtep.gateway is not None))
            vtep_vem.append(i)

    vem_mtu = [min(h.uplink_mtu or underlay, underlay) for h in vems]

    # bridge domains: members (IGMP membership, replication lists), designated VTEPs
    grp_vtep = [-1] * len(grp_sw)
    bd_members: list[list[str]] = []
    bd_mems: list[list[int]] = []
    bd_pmtu: list[int] = []
    for b in bds:
        names = [n for n in d.segment_members.get(b.name, []) if n in vem_of]
        seg = seg_of[("bd", b.name)]
        mems = []
        for name in names:
            g = group(vem_of[name], seg)
            vt = d.designated_vtep(idx.hosts[name], b)
            if vt is not None:
                grp_vtep.extend([-1] * (len(grp_sw) - len(grp_vtep)))
                grp_vtep[g] = vtep_of[(name, vt.name)]
            mems.append(g)
        bd_members.append(names)
        bd_mems.append(mems)
        bd_pmtu.append(min([underlay] + [vem_mtu[vem_of[name]] for name in names]))
    # groups created after the side lists were sized get defaults
    n = len(grp_sw)
    grp_vtep.extend([-1] * (n - len(grp_vtep)))
    grp_upfi.extend([-1] * (n - len(grp_upfi)))
    grp_ups.extend([[] for _ in range(n - len(grp_ups))])
    grp_peers.extend([[] for _ in range(n - len(grp_peers))])

    same_host = [0] * len(vif_group)
    for members in grp_vifs:
        per_host: dict[int, int] = {}
        for v in members:
            per_host[vif_host[v]] = per_host.get(vif_host[v], 0) + 1
        for v in members:
            same_host[v] = per_host[vif_host[v]] - 1

    nseg = len(seg_keys)
    keys = np.asarray([grp_sw[g] * nseg + grp_seg[g] for g in range(n)], dtype=np.int64)
    order = np.argsort(keys, kind="stable")

    # flows
    # Any values: the flow columns go to Tables by keyword (**flows), next to `extra`.
    flows: dict[str, Any] = compile_flows(topo, idx, vif_refs, seed)

    gv_ptr, gv = _csr(grp_vifs)
    gu_ptr, gu = _csr(grp_ups)
    gp_ptr, gp = _csr(grp_peers)
    bm_ptr, bm = _csr(bd_mems)
    return Tables(
        vem_names=[h.name for h in vems], fi_names=[f.name for f in fis],
        host_names=[h.name for h in hosts], vif_ids=[r.id for r in vif_refs],
        bd_names=[b.name for b in bds], seg_keys=seg_keys, vtep_keys=vtep_keys,
        vtep_ips=vtep_ips, nvem=nvem, nfi=nfi, underlay_mtu=underlay,
        multicast_ok=int(topo.underlay.multicast), proxy_arp=int(topo.underlay.proxy_arp),
        aging_ticks=topo.vsm.mac_aging_s * TICKS_PER_S,
        vem_mtu=_i64(vem_mtu), vem_host=_i64([host_of[h.name] for h in vems]),
        seg_bd=_i64([bd_of[str(k[1])] if k[0] == "bd" else -1 for k in seg_keys]),
        vif_mac=np.asarray(vif_mac, dtype=np.uint64), vif_host=_i64(vif_host),
        vif_running=_i64(vif_running), vif_group=_i64(vif_group), vif_deny=_i64(vif_deny),
        vif_refill=_i64(vif_refill), vif_burst=_i64(vif_burst), vif_same_host=_i64(same_host),
        grp_sw=_i64(grp_sw), grp_seg=_i64(grp_seg), grp_vtep=_i64(grp_vtep),
        grp_upfi=_i64(grp_upfi), grp_key=keys[order], grp_key_group=order.astype(np.int64),
        grp_vif_ptr=gv_ptr, grp_vifs=gv, grp_up_ptr=gu_ptr, grp_ups=gu,
        grp_peer_ptr=gp_ptr, grp_peers=gp,
        bd_mode=_i64([MODE_MULTICAST if b.mode is FloodMode.MULTICAST else MODE_UNICAST
                      for b in bds]),
        bd_pmtu=_i64(bd_pmtu), bd_mem_ptr=bm_ptr, bd_mems=bm, bd_members=bd_members,
        vtep_ip=np.asarray(vtep_ip, dtype=np.uint32),
        vtep_mask=np.asarray(vtep_mask, dtype=np.uint32), vtep_gw=_i64(vtep_gw),
        vtep_vem=_i64(vtep_vem),
        **flows,
    )


OVERHEAD = VXLAN_OVERHEAD
