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
from operator import attrgetter
from typing import Any

import numpy as np

from console.models.derived import Derived, Segment
from console.models.inventory import Host, Switching, VmState, Vnic
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
# the IGMP counts are the facade's, not a plane's. This is the one declaration of the
# layout: the reference plane reads it by name; the compiled plane's C constants
# (_dataplane.pyx) are checked against it when it loads, and console.engine.sampling
# checks it against the dataclasses.
COUNTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "vif": ("tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "tx_drops", "rx_drops"),
    "vem": ("encap_packets", "decap_packets", "flood_copies_sent", "mtu_drops", "fragments",
            "pmtu_notifications", "unreachable_drops"),
    "fi": ("switched_frames", "hairpin_frames", "flooded_frames"),
    "bd": ("flood_frames", "flood_copies"),
}


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
    _row_index: dict[str, dict[str, int]] = field(default_factory=dict, repr=False,
                                                  compare=False)

    @property
    def nseg(self) -> int:
        return len(self.seg_keys)

    def row_names(self, kind: str) -> list[str]:
        """The names of the rows of a counter table (COUNTER_COLUMNS' kinds)."""
        return {"vif": self.vif_ids, "vem": self.vem_names, "fi": self.fi_names,
                "bd": self.bd_names}[kind]

    def row_index(self, kind: str) -> dict[str, int]:
        """name -> row of a counter table; built once per compile, shared by every sample.
        A repeated name (a file that does not validate) keeps its last row."""
        index = self._row_index.get(kind)
        if index is None:
            index = self._row_index[kind] = {n: i for i, n in enumerate(self.row_names(kind))}
        return index

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


def _first_seen(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys numbered in the order of their first occurrence: (the distinct keys in
    that order, each position's number)."""
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq), dtype=np.int64)
    return uniq[order], rank[inverse.reshape(-1)]


_GROUP_KEY = 1 << 32  # a group's key in _Switches.groups: switch * _GROUP_KEY + segment


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
        self.groups: dict[int, int] = {}
        self.grp_sw: list[int] = []
        self.grp_seg: list[int] = []

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
        key = sw * _GROUP_KEY + seg
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = len(self.grp_sw)
            self.grp_sw.append(sw)
            self.grp_seg.append(seg)
        return g

    def add_groups(self, sw: np.ndarray, seg: np.ndarray) -> None:
        """Create groups in bulk, in the given order (none of them may exist yet)."""
        start = len(self.grp_sw)
        self.groups.update(zip((sw * _GROUP_KEY + seg).tolist(),
                               range(start, start + len(sw))))
        self.grp_sw.extend(sw.tolist())
        self.grp_seg.extend(seg.tolist())


@dataclass
class _VifTable:
    mac: np.ndarray
    host: np.ndarray
    running: np.ndarray
    group: np.ndarray
    deny: np.ndarray
    refill: np.ndarray
    burst: np.ndarray


# What a vNIC's port profile decides for the data plane: (segment, deny, refill, burst).
_ProfileFacts = tuple[Segment | None, int, int, int]


def _profile_facts(d: Derived, nic: Vnic) -> _ProfileFacts:
    profile = d.profile_of(nic)
    deny = profile is not None and profile.mac_forging is MacForging.DENY
    qos = profile.qos if profile is not None else None
    return (d.segment_of(nic), int(deny), round(qos.rate_mbps * 125_000) if qos else 0,
            qos.burst_kb * 1024 * 1000 if qos else 0)


def _macs(macs: list[str]) -> np.ndarray:
    """MAC strings -> uint64, all at once (one at a time when any is not 12 hex digits)."""
    digits = "".join(macs).replace(":", "").replace("-", "")
    if len(digits) == 12 * len(macs):
        try:
            raw = np.frombuffer(bytes.fromhex(digits), dtype=np.uint8).reshape(-1, 6)
        except ValueError:
            pass
        else:
            out = np.zeros(len(macs), dtype=np.uint64)
            for k in range(6):
                out = (out << np.uint64(8)) | raw[:, k].astype(np.uint64)
            return out
    return np.asarray([mac_to_int(m) for m in macs], dtype=np.uint64)


def _vif_table(sw: _Switches, vif_refs: list[VifRef]) -> _VifTable:
    """VIFs and their groups (creating the groups and the VLAN segments the VIFs are in,
    in VIF order)."""
    d, idx = sw.d, sw.idx
    # The vNICs' fields are only collected (attrgetter: no Python code per vNIC); the rest
    # is per profile choice (a few hundred: every vNIC naming the same profile, or the
    # same policy and network, gets the same segment, MAC forging and policing), per
    # host, or numpy over all VIFs.
    nics = list(map(attrgetter("nic"), vif_refs))
    vms = list(map(attrgetter("vm"), vif_refs))
    choice_of: dict[tuple[str | None, str | None, str | None], int] = {}
    choices = [choice_of.setdefault(named, len(choice_of)) for named in
               map(attrgetter("port_profile", "policy_profile", "network"), nics)]
    first = np.unique(np.asarray(choices, dtype=np.int64), return_index=True)[1]
    first_nic = [nics[i] for i in first.tolist()]  # choices are numbered as first seen
    host_names = list(map(attrgetter("host"), vms))
    host_of: dict[str, int] = {}
    for name in set(host_names):
        host = idx.hosts.get(name)
        host_of[name] = sw.host_of[host.name] if host is not None else -1
    hosts = list(map(host_of.__getitem__, host_names))
    running_state = VmState.RUNNING
    running = [state is running_state for state in map(attrgetter("state"), vms)]
    macs = list(map(attrgetter("mac"), nics))

    # per choice: the facts, and the segment key at a VEM and at a fabric interconnect
    facts = [_profile_facts(d, nic) for nic in first_nic]
    seg_key_ids: dict[tuple[str, object], int] = {}
    seg_keys: list[tuple[str, object]] = []

    def key_id(key: tuple[str, object]) -> int:
        if key not in seg_key_ids:
            seg_key_ids[key] = len(seg_keys)
            seg_keys.append(key)
        return seg_key_ids[key]

    at_vem = np.full(len(facts) + 1, -1, dtype=np.int64)  # one extra slot for "no VIF"
    at_fi = np.full(len(facts) + 1, -1, dtype=np.int64)
    for c, (segment, *_rest) in enumerate(facts):
        if segment is None:
            continue
        at_vem[c] = key_id(("bd", segment.bridge_domain) if segment.kind == "vxlan"
                           else ("vlan", segment.id))
        if segment.kind == "vlan":
            at_fi[c] = key_id(("vlan", segment.id))
    # per host: the switch its VIFs are on (-1: none) and whether that is a VEM
    host_sw = np.full(len(sw.hosts) + 1, -1, dtype=np.int64)  # slot -1: an unknown host
    host_vem = np.zeros(len(sw.hosts) + 1, dtype=bool)
    for i, host in enumerate(sw.hosts):
        if host.switching is Switching.VEM:
            host_sw[i], host_vem[i] = sw.vem_of[host.name], True
        elif host.switching is Switching.VMFEX and sw.host_fi(host) >= 0:
            host_sw[i] = sw.nvem + sw.host_fi(host)

    n = len(vif_refs)
    choice = np.asarray(choices, dtype=np.int64)
    host_i = np.asarray(hosts, dtype=np.int64)
    run = np.asarray(running, dtype=bool)
    vif_sw = np.where(run, host_sw[host_i], -1)
    key = np.where(host_vem[host_i], at_vem[choice], at_fi[choice])
    placed = np.flatnonzero((vif_sw >= 0) & (key >= 0))
    group = np.full(n, -1, dtype=np.int64)
    if len(placed):
        # VLAN segments are numbered as the VIFs first meet them, groups likewise
        seg_of_key = np.empty(len(seg_keys), dtype=np.int64)
        new_keys, _ = _first_seen(key[placed])
        for k in new_keys.tolist():
            seg_of_key[k] = sw.segment_index(seg_keys[k])
        seg = seg_of_key[key[placed]]
        gkeys, rank = _first_seen(vif_sw[placed] * _GROUP_KEY + seg)
        sw.add_groups(gkeys // _GROUP_KEY, gkeys % _GROUP_KEY)
        group[placed] = rank
    deny = np.asarray([f[1] for f in facts] + [0], dtype=np.int64)
    refill = np.asarray([f[2] for f in facts] + [0], dtype=np.int64)
    burst = np.asarray([f[3] for f in facts] + [0], dtype=np.int64)
    return _VifTable(mac=_macs(macs), host=host_i, running=run.astype(np.int64), group=group,
                     deny=deny[choice], refill=refill[choice], burst=burst[choice])


@dataclass
class _UplinkTable:
    upfi: list[int]  # per group: its FI's group for the VLAN, else -1
    ups: dict[int, list[int]]  # FI group -> VEM groups behind its uplinks (only non-empty)
    peers: dict[int, list[int]]  # FI group -> the other FIs' groups of its VLAN


def _uplink_tables(sw: _Switches) -> _UplinkTable:
    """VEM VLAN groups reach their FI through the host uplink (grp_upfi, and per FI group
    the VEM groups behind it, grp_ups); FI groups reach each other (grp_peers). Creates
    the FI groups the uplinks need."""
    nvem, grp_sw, grp_seg = sw.nvem, sw.grp_sw, sw.grp_seg
    vlan_seg = [k[0] == "vlan" for k in sw.seg_keys]
    vem_fi = [sw.host_fi(h) for h in sw.vems]
    up = _UplinkTable([], {}, {})
    for g in range(len(grp_sw)):  # the groups that exist now: FI groups made here have none
        s, seg = grp_sw[g], grp_seg[g]
        if s < nvem and vlan_seg[seg] and vem_fi[s] >= 0:
            fg = sw.group(nvem + vem_fi[s], seg)
            up.upfi.extend([-1] * (g - len(up.upfi)))
            up.upfi.append(fg)
            up.ups.setdefault(fg, []).append(g)
    up.upfi.extend([-1] * (len(grp_sw) - len(up.upfi)))
    by_vlan: dict[int, list[int]] = {}
    fi_groups = [g for g in range(len(grp_sw)) if grp_sw[g] >= nvem]
    for g in fi_groups:
        by_vlan.setdefault(grp_seg[g], []).append(g)
    for g in fi_groups:
        up.peers[g] = [p for p in by_vlan[grp_seg[g]] if p != g]
    return up


@dataclass
class _VtepTable:
    keys: list[tuple[str, str]] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    ip: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    gw: list[int] = field(default_factory=list)
    vem: list[int] = field(default_factory=list)
    of: dict[tuple[str, str], int] = field(default_factory=dict)
    # per VEM: its first row and VTEP count, and whether the automatic choice applies
    # (no designated_vteps, and its (VEM, VTEP) names lead to its own rows)
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    count: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    simple: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def _vtep_table(sw: _Switches) -> _VtepTable:
    vt = _VtepTable()
    start, count, simple = [], [], []
    for i, h in enumerate(sw.vems):
        start.append(len(vt.keys))
        count.append(len(h.vteps))
        own = not h.designated_vteps
        for vtep in h.vteps:
            iface = vtep.ip  # IPv4Interface: the address; the prefix gives the mask
            ip = int(iface)
            prefix = iface.network.prefixlen
            key = (h.name, vtep.name)
            own = vt.of.setdefault(key, len(vt.keys)) == len(vt.keys) and own
            vt.keys.append(key)
            vt.ips.append(_dotted(ip))
            vt.ip.append(ip)
            vt.mask.append((0xFFFF_FFFF << (32 - prefix)) & 0xFFFF_FFFF if prefix else 0)
            vt.gw.append(int(vtep.gateway is not None))
            vt.vem.append(i)
        simple.append(own)
    vt.start, vt.count = _i64(start), _i64(count)
    vt.simple = np.asarray(simple, dtype=bool)
    return vt


@dataclass
class _Members:
    """The member VEM groups of every bridge domain, sorted by bridge domain, then VEM."""

    bd: np.ndarray
    vem: np.ndarray
    group: np.ndarray
    ptr: np.ndarray  # bridge domain b's rows: ptr[b]:ptr[b + 1]


def segment_members(sw: _Switches) -> _Members:
    """Every bridge domain's member VEMs (file order): those with a running VIF in it,
    that is those with a group in its segment once the VIFs are placed.

    Derived.segment_members answers the same from the model; here it is read off the
    groups (no second pass over every vNIC), and tests check both agree."""
    grp_sw, grp_seg = _i64(sw.grp_sw), _i64(sw.grp_seg)
    seg_bd = np.full(len(sw.seg_keys), -1, dtype=np.int64)
    for i, k in enumerate(sw.seg_keys):
        if k[0] == "bd":
            seg_bd[i] = sw.bd_of[str(k[1])]
    pick = np.flatnonzero(grp_sw < sw.nvem)
    pick = pick[seg_bd[grp_seg[pick]] >= 0]
    bd, vem = seg_bd[grp_seg[pick]], grp_sw[pick]
    order = np.lexsort((vem, bd))
    ptr = np.zeros(len(sw.bds) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.bincount(bd, minlength=len(sw.bds)))
    return _Members(bd[order], vem[order], pick[order], ptr)


@dataclass
class _BridgeDomainTable:
    grp_vtep: np.ndarray  # per group: the designated VTEP of a member group, else -1
    members: list[list[str]]
    mem_ptr: np.ndarray
    mems: np.ndarray
    pmtu: np.ndarray


def _bridge_domain_table(sw: _Switches, vtep: _VtepTable,
                         vem_mtu: np.ndarray) -> _BridgeDomainTable:
    """Bridge domains: members (IGMP membership, replication lists), designated VTEPs."""
    m = segment_members(sw)
    grp_vtep = np.full(len(sw.grp_sw), -1, dtype=np.int64)
    # Derived.designated_vtep's automatic choice (segment id modulo the VTEP count), for
    # every VEM whose VTEP rows are simple; Derived chooses for the others
    seg_id = _i64([b.segment_id for b in sw.bds])
    nvtep = vtep.count[m.vem]
    auto = vtep.simple[m.vem] & (nvtep > 0)
    rows = np.flatnonzero(auto)
    grp_vtep[m.group[rows]] = vtep.start[m.vem[rows]] + seg_id[m.bd[rows]] % nvtep[rows]
    for r in np.flatnonzero(~auto).tolist():
        host, b = sw.vems[int(m.vem[r])], sw.bds[int(m.bd[r])]
        chosen = sw.d.designated_vtep(host, b)
        if chosen is not None:
            grp_vtep[m.group[r]] = vtep.of[(host.name, chosen.name)]
    vem_names = [h.name for h in sw.vems]
    names = [vem_names[s] for s in m.vem.tolist()]
    ptr = m.ptr.tolist()
    pmtu = np.full(len(sw.bds), sw.underlay, dtype=np.int64)
    np.minimum.at(pmtu, m.bd, vem_mtu[m.vem])
    return _BridgeDomainTable(grp_vtep, [names[a:b] for a, b in zip(ptr, ptr[1:])], m.ptr,
                              m.group, pmtu)


def _same_host(vif_group: np.ndarray, vif_host: np.ndarray) -> np.ndarray:
    """Per VIF, the other VIFs of its group on its host (FI flood hairpins)."""
    out = np.zeros(len(vif_group), dtype=np.int64)
    member = np.flatnonzero(vif_group >= 0)
    if len(member):
        key = vif_group[member] * (int(vif_host.max()) + 2) + (vif_host[member] + 1)
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        out[member] = counts[inverse] - 1
    return out


def _sparse_csr(n: int, lists: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Row -> list of ints, for the few rows that have any -> (ptr, values) over n rows."""
    sizes = np.zeros(n + 1, dtype=np.int64)
    rows = sorted(lists)
    for r in rows:
        sizes[r + 1] = len(lists[r])
    return np.cumsum(sizes), np.asarray([v for r in rows for v in lists[r]], dtype=np.int64)


def compile_topology(topo: Topology, seed: int = 0) -> Tables:
    """The flat tables of one topology snapshot (a new call after every live change).

    One builder per table, in an order that matters: each may create (switch, segment)
    groups, so the group-indexed side tables are padded once every group exists."""
    sw = _Switches(topo)
    vif_refs = list(sw.idx.vifs.values())
    vif = _vif_table(sw, vif_refs)
    up = _uplink_tables(sw)
    vtep = _vtep_table(sw)
    vem_mtu = _i64([min(h.uplink_mtu or sw.underlay, sw.underlay) for h in sw.vems])
    bd = _bridge_domain_table(sw, vtep, vem_mtu)
    # every group exists now: the group-indexed side tables are sized to them
    grp_sw, grp_seg = _i64(sw.grp_sw), _i64(sw.grp_seg)
    n = len(grp_sw)
    grp_upfi = _i64(up.upfi + [-1] * (n - len(up.upfi)))

    seg_keys = sw.seg_keys
    keys = grp_sw * len(seg_keys) + grp_seg
    order = np.argsort(keys, kind="stable")

    # flows; Any values: the flow columns go to Tables by keyword (**flows), next to `extra`
    flows: dict[str, Any] = compile_flows(topo, sw.idx, vif_refs, seed)

    # each group's VIFs, in VIF order
    member = np.flatnonzero(vif.group >= 0)
    gv = member[np.argsort(vif.group[member], kind="stable")]
    gv_ptr = np.zeros(n + 1, dtype=np.int64)
    gv_ptr[1:] = np.cumsum(np.bincount(vif.group[member], minlength=n))
    gu_ptr, gu = _sparse_csr(n, up.ups)
    gp_ptr, gp = _sparse_csr(n, up.peers)
    return Tables(
        vem_names=[h.name for h in sw.vems], fi_names=[f.name for f in sw.fis],
        host_names=[h.name for h in sw.hosts], vif_ids=list(sw.idx.vifs),
        bd_names=[b.name for b in sw.bds], seg_keys=seg_keys, vtep_keys=vtep.keys,
        vtep_ips=vtep.ips, nvem=sw.nvem, nfi=sw.nfi, underlay_mtu=sw.underlay,
        multicast_ok=int(topo.underlay.multicast), proxy_arp=int(topo.underlay.proxy_arp),
        aging_ticks=topo.vsm.mac_aging_s * TICKS_PER_S,
        vem_mtu=vem_mtu, vem_host=_i64([sw.host_of[h.name] for h in sw.vems]),
        seg_bd=_i64([sw.bd_of[str(k[1])] if k[0] == "bd" else -1 for k in seg_keys]),
        vif_mac=vif.mac, vif_host=vif.host, vif_running=vif.running, vif_group=vif.group,
        vif_deny=vif.deny, vif_refill=vif.refill, vif_burst=vif.burst,
        vif_same_host=_same_host(vif.group, vif.host),
        grp_sw=grp_sw, grp_seg=grp_seg, grp_vtep=bd.grp_vtep,
        grp_upfi=grp_upfi, grp_key=keys[order], grp_key_group=order.astype(np.int64),
        grp_vif_ptr=gv_ptr, grp_vifs=gv, grp_up_ptr=gu_ptr, grp_ups=gu,
        grp_peer_ptr=gp_ptr, grp_peers=gp,
        bd_mode=_i64([MODE_MULTICAST if b.mode is FloodMode.MULTICAST else MODE_UNICAST
                      for b in sw.bds]),
        bd_pmtu=bd.pmtu, bd_mem_ptr=bd.mem_ptr, bd_mems=bd.mems, bd_members=bd.members,
        vtep_ip=np.asarray(vtep.ip, dtype=np.uint32),
        vtep_mask=np.asarray(vtep.mask, dtype=np.uint32), vtep_gw=_i64(vtep.gw),
        vtep_vem=_i64(vtep.vem),
        **flows,
    )


OVERHEAD = VXLAN_OVERHEAD
