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
from console.models.topology import Topology, VifRef
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


class _Switches:
    """What every table builder shares while one topology compiles: the switch, host and
    segment numbering, and the (switch, segment) groups, created on first use."""

    def __init__(self, topo: Topology):
        self.topo = topo
        self.d = Derived(topo)
        self.idx = self.d.index
        self.vems = [h for h in topo.hosts if h.switching is Switching.VEM]
        self.vem_of = {h.name: i for i, h in enumerate(self.vems)}
        self.fis = list(self.idx.fabric_interconnects.values())
        self.fi_of = {f.name: i for i, f in enumerate(self.fis)}
        self.nvem, self.nfi = len(self.vems), len(self.fis)
        self.hosts = list(self.idx.hosts.values())
        self.host_of = {h.name: i for i, h in enumerate(self.hosts)}
        self.underlay = topo.underlay.mtu
        # segments: VLANs in first-seen order, then every bridge domain
        self.bds = list(self.idx.bridge_domains.values())
        self.bd_of = {b.name: i for i, b in enumerate(self.bds)}
        self.seg_keys: list[tuple[str, object]] = [("bd", b.name) for b in self.bds]
        self.seg_of: dict[tuple[str, object], int] = {k: i for i, k in enumerate(self.seg_keys)}
        self.groups: dict[tuple[int, int], int] = {}
        self.grp_sw: list[int] = []
        self.grp_seg: list[int] = []
        self.grp_vifs: list[list[int]] = []

    def host_fi(self, host: Host) -> int:
        if host.fabric_interconnect in self.fi_of:
            return self.fi_of[host.fabric_interconnect]
        return 0 if self.fis else -1

    def segment_index(self, key: tuple[str, object]) -> int:
        if key not in self.seg_of:
            self.seg_of[key] = len(self.seg_keys)
            self.seg_keys.append(key)
        return self.seg_of[key]

    def group(self, sw: int, seg: int) -> int:
        g = self.groups.get((sw, seg))
        if g is None:
            g = self.groups[(sw, seg)] = len(self.grp_sw)
            self.grp_sw.append(sw)
            self.grp_seg.append(seg)
            self.grp_vifs.append([])
        return g


@dataclass
class _VifTable:
    mac: list[int] = field(default_factory=list)
    host: list[int] = field(default_factory=list)
    running: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    deny: list[int] = field(default_factory=list)
    refill: list[int] = field(default_factory=list)
    burst: list[int] = field(default_factory=list)


def _vif_table(sw: _Switches, vif_refs: list[VifRef]) -> _VifTable:
    """VIFs and their groups (creating the groups the VIFs are in)."""
    d, idx, vif = sw.d, sw.idx, _VifTable()
    for ref in vif_refs:
        host = idx.hosts.get(ref.vm.host)
        profile = d.profile_of(ref.nic)
        segment = d.segment_of(ref.nic)
        running = ref.vm.state is VmState.RUNNING
        vif.mac.append(mac_to_int(ref.nic.mac))
        vif.host.append(sw.host_of[host.name] if host is not None else -1)
        vif.running.append(int(running))
        deny = profile is not None and profile.mac_forging is MacForging.DENY
        qos = profile.qos if profile is not None else None
        vif.deny.append(int(deny))
        vif.refill.append(round(qos.rate_mbps * 125_000) if qos else 0)
        vif.burst.append(qos.burst_kb * 1024 * 1000 if qos else 0)
        g = -1
        if running and host is not None and segment is not None:
            if host.switching is Switching.VEM:
                key: tuple[str, object] = (("bd", segment.bridge_domain)
                                           if segment.kind == "vxlan" else ("vlan", segment.id))
                g = sw.group(sw.vem_of[host.name], sw.segment_index(key))
            elif host.switching is Switching.VMFEX and segment.kind == "vlan" \
                    and sw.host_fi(host) >= 0:
                g = sw.group(sw.nvem + sw.host_fi(host), sw.segment_index(("vlan", segment.id)))
        if g >= 0:
            sw.grp_vifs[g].append(len(vif.group))
        vif.group.append(g)
    return vif


def _uplink_tables(sw: _Switches) -> tuple[list[int], list[list[int]], list[list[int]]]:
    """VEM VLAN groups reach their FI through the host uplink (grp_upfi, and per FI group
    the VEM groups behind it, grp_ups); FI groups reach each other (grp_peers). Creates
    the FI groups the uplinks need."""
    nvem, grp_sw, grp_seg = sw.nvem, sw.grp_sw, sw.grp_seg
    grp_upfi: list[int] = [-1] * len(grp_sw)
    for g in range(len(grp_sw)):
        s, seg = grp_sw[g], grp_seg[g]
        if s < nvem and sw.seg_keys[seg][0] == "vlan":
            f = sw.host_fi(sw.vems[s])
            if f >= 0:
                fg = sw.group(nvem + f, seg)
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
    return grp_upfi, grp_ups, grp_peers


@dataclass
class _VtepTable:
    keys: list[tuple[str, str]] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    ip: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    gw: list[int] = field(default_factory=list)
    vem: list[int] = field(default_factory=list)
    of: dict[tuple[str, str], int] = field(default_factory=dict)


def _vtep_table(sw: _Switches) -> _VtepTable:
    vt = _VtepTable()
    for i, h in enumerate(sw.vems):
        for vtep in h.vteps:
            ip = int(vtep.ip)  # IPv4Interface: the address; the prefix gives the mask
            vt.of.setdefault((h.name, vtep.name), len(vt.keys))
            vt.keys.append((h.name, vtep.name))
            vt.ips.append(_dotted(ip))
            vt.ip.append(ip)
            vt.mask.append((0xFFFF_FFFF << (32 - vtep.ip.network.prefixlen)) & 0xFFFF_FFFF
                           if vtep.ip.network.prefixlen else 0)
            vt.gw.append(int(vtep.gateway is not None))
            vt.vem.append(i)
    return vt


@dataclass
class _BridgeDomainTable:
    grp_vtep: list[int]
    members: list[list[str]]
    mems: list[list[int]]
    pmtu: list[int]


def _bridge_domain_table(sw: _Switches, vtep_of: dict[tuple[str, str], int],
                         vem_mtu: list[int]) -> _BridgeDomainTable:
    """Bridge domains: members (IGMP membership, replication lists), designated VTEPs.
    Creates the member groups of VEMs that have no VIF in the segment."""
    d, idx = sw.d, sw.idx
    bd = _BridgeDomainTable([-1] * len(sw.grp_sw), [], [], [])
    for b in sw.bds:
        names = [n for n in d.segment_members.get(b.name, []) if n in sw.vem_of]
        seg = sw.seg_of[("bd", b.name)]
        mems = []
        for name in names:
            g = sw.group(sw.vem_of[name], seg)
            vt = d.designated_vtep(idx.hosts[name], b)
            if vt is not None:
                bd.grp_vtep.extend([-1] * (len(sw.grp_sw) - len(bd.grp_vtep)))
                bd.grp_vtep[g] = vtep_of[(name, vt.name)]
            mems.append(g)
        bd.members.append(names)
        bd.mems.append(mems)
        bd.pmtu.append(min([sw.underlay] + [vem_mtu[sw.vem_of[name]] for name in names]))
    return bd


def _same_host(grp_vifs: list[list[int]], vif_host: list[int], nvif: int) -> list[int]:
    """Per VIF, the other VIFs of its group on its host (FI flood hairpins)."""
    same_host = [0] * nvif
    for members in grp_vifs:
        per_host: dict[int, int] = {}
        for v in members:
            per_host[vif_host[v]] = per_host.get(vif_host[v], 0) + 1
        for v in members:
            same_host[v] = per_host[vif_host[v]] - 1
    return same_host


def compile_topology(topo: Topology, seed: int = 0) -> Tables:
    """The flat tables of one topology snapshot (a new call after every live change).

    One builder per table, in an order that matters: each may create (switch, segment)
    groups, so the group-indexed side tables are padded once every group exists."""
    sw = _Switches(topo)
    vif_refs = list(sw.idx.vifs.values())
    vif = _vif_table(sw, vif_refs)
    grp_upfi, grp_ups, grp_peers = _uplink_tables(sw)
    vtep = _vtep_table(sw)
    vem_mtu = [min(h.uplink_mtu or sw.underlay, sw.underlay) for h in sw.vems]
    bd = _bridge_domain_table(sw, vtep.of, vem_mtu)
    # groups created after the side lists were sized get defaults
    grp_sw, grp_seg = sw.grp_sw, sw.grp_seg
    n = len(grp_sw)
    grp_vtep = bd.grp_vtep
    grp_vtep.extend([-1] * (n - len(grp_vtep)))
    grp_upfi.extend([-1] * (n - len(grp_upfi)))
    grp_ups.extend([[] for _ in range(n - len(grp_ups))])
    grp_peers.extend([[] for _ in range(n - len(grp_peers))])
    same_host = _same_host(sw.grp_vifs, vif.host, len(vif.group))

    seg_keys = sw.seg_keys
    nseg = len(seg_keys)
    keys = np.asarray([grp_sw[g] * nseg + grp_seg[g] for g in range(n)], dtype=np.int64)
    order = np.argsort(keys, kind="stable")

    # flows; Any values: the flow columns go to Tables by keyword (**flows), next to `extra`
    flows: dict[str, Any] = compile_flows(topo, sw.idx, vif_refs, seed)

    gv_ptr, gv = _csr(sw.grp_vifs)
    gu_ptr, gu = _csr(grp_ups)
    gp_ptr, gp = _csr(grp_peers)
    bm_ptr, bm = _csr(bd.mems)
    return Tables(
        vem_names=[h.name for h in sw.vems], fi_names=[f.name for f in sw.fis],
        host_names=[h.name for h in sw.hosts], vif_ids=[r.id for r in vif_refs],
        bd_names=[b.name for b in sw.bds], seg_keys=seg_keys, vtep_keys=vtep.keys,
        vtep_ips=vtep.ips, nvem=sw.nvem, nfi=sw.nfi, underlay_mtu=sw.underlay,
        multicast_ok=int(topo.underlay.multicast), proxy_arp=int(topo.underlay.proxy_arp),
        aging_ticks=topo.vsm.mac_aging_s * TICKS_PER_S,
        vem_mtu=_i64(vem_mtu), vem_host=_i64([sw.host_of[h.name] for h in sw.vems]),
        seg_bd=_i64([sw.bd_of[str(k[1])] if k[0] == "bd" else -1 for k in seg_keys]),
        vif_mac=np.asarray(vif.mac, dtype=np.uint64), vif_host=_i64(vif.host),
        vif_running=_i64(vif.running), vif_group=_i64(vif.group), vif_deny=_i64(vif.deny),
        vif_refill=_i64(vif.refill), vif_burst=_i64(vif.burst), vif_same_host=_i64(same_host),
        grp_sw=_i64(grp_sw), grp_seg=_i64(grp_seg), grp_vtep=_i64(grp_vtep),
        grp_upfi=_i64(grp_upfi), grp_key=keys[order], grp_key_group=order.astype(np.int64),
        grp_vif_ptr=gv_ptr, grp_vifs=gv, grp_up_ptr=gu_ptr, grp_ups=gu,
        grp_peer_ptr=gp_ptr, grp_peers=gp,
        bd_mode=_i64([MODE_MULTICAST if b.mode is FloodMode.MULTICAST else MODE_UNICAST
                      for b in sw.bds]),
        bd_pmtu=_i64(bd.pmtu), bd_mem_ptr=bm_ptr, bd_mems=bm, bd_members=bd.members,
        vtep_ip=np.asarray(vtep.ip, dtype=np.uint32),
        vtep_mask=np.asarray(vtep.mask, dtype=np.uint32), vtep_gw=_i64(vtep.gw),
        vtep_vem=_i64(vtep.vem),
        **flows,
    )


OVERHEAD = VXLAN_OVERHEAD
