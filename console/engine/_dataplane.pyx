# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled data plane: the reference plane's semantics (console/engine/reference.py),
frame by frame, in C.

It walks the same Tables (console.engine.tables) through raw pointers into their numpy
arrays (kept alive by this object), and keeps every VEM and fabric interconnect L2 table
in one hash table (_l2table.pxi). No Python object is created per frame.

Fast path (_flowcache.pxi): after policing, a frame whose flow has a valid recording only
counts itself; otherwise it takes the slow path, which records what it does. A recording
is kept only when its frame changed no forwarding state (the plane's generation `gen` did
not move), so the next frame of the flow would do exactly the same, and it stays valid
while `gen` stays: every L2 insertion, change of an entry's port or kind, re-learning of an
expired entry and table growth moves `gen`. Time: a recording ends when an L2 entry it hit
would expire, and when its flow has been silent for the aging time (its own source entries
may have expired and must be learned again, which moves `gen`). Static tables (profiles,
reachability, MTU) never change within a plane: a live change compiles a new plane.
`flow_cache=False` runs every frame through the slow path (tests and benchmarks compare).
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc

cimport cython

import numpy as np

from console.models.traffic import ETHERNET_HEADER as _ETHERNET_HEADER

from .tables import COUNTER_COLUMNS as _COUNTER_COLUMNS
from .tables import MODE_MULTICAST as _MODE_MULTICAST
from .tables import OVERHEAD as _OVERHEAD

include "_l2table.pxi"
include "_flowcache.pxi"

# Counter columns: tables.COUNTER_COLUMNS is the one declaration of the layout (the
# reference plane and the facade read it by name). C needs constants, so they are spelled
# out here and checked against it when this module is imported (_check_layout below): a
# build whose columns disagree refuses to load.
cdef enum:
    TX_P = 0
    TX_B = 1
    RX_P = 2
    RX_B = 3
    TX_D = 4
    RX_D = 5
    VIF_COLS = 6

cdef enum:
    ENCAP = 0
    DECAP = 1
    FCOPIES = 2
    MTU_DROPS = 3
    FRAGS = 4
    PMTU = 5
    UNREACH = 6
    VEM_COLS = 7

cdef enum:
    SWITCHED = 0
    HAIRPIN = 1
    FLOODED = 2
    FI_COLS = 3

cdef enum:
    FLOOD_FRAMES = 0
    FLOOD_COPIES = 1
    BD_COLS = 2

# floods delivered to a whole group (grp_rx) and a sender's own share of them (vif_excl)
cdef enum:
    FRAMES = 0
    BYTES = 1
    FLOOD_RX_COLS = 2

COUNTER_LAYOUT = {
    "vif": {"tx_packets": TX_P, "tx_bytes": TX_B, "rx_packets": RX_P, "rx_bytes": RX_B,
            "tx_drops": TX_D, "rx_drops": RX_D},
    "vem": {"encap_packets": ENCAP, "decap_packets": DECAP, "flood_copies_sent": FCOPIES,
            "mtu_drops": MTU_DROPS, "fragments": FRAGS, "pmtu_notifications": PMTU,
            "unreachable_drops": UNREACH},
    "fi": {"switched_frames": SWITCHED, "hairpin_frames": HAIRPIN, "flooded_frames": FLOODED},
    "bd": {"flood_frames": FLOOD_FRAMES, "flood_copies": FLOOD_COPIES},
}
"""This plane's counter columns: kind -> {counter name: column}."""
COUNTER_WIDTHS = {"vif": VIF_COLS, "vem": VEM_COLS, "fi": FI_COLS, "bd": BD_COLS}


def _check_layout():
    for kind, columns in _COUNTER_COLUMNS.items():
        mine = COUNTER_LAYOUT.get(kind, {})
        if (tuple(sorted(mine, key=mine.get)) != tuple(columns)
                or COUNTER_WIDTHS.get(kind) != len(columns)):
            raise ImportError(f"the compiled plane's {kind} counter columns {mine} do not "
                              f"match console.engine.tables.COUNTER_COLUMNS {columns}: "
                              "update _dataplane.pyx and rebuild")
    if set(COUNTER_LAYOUT) != set(_COUNTER_COLUMNS):
        raise ImportError("the compiled plane's counter kinds do not match COUNTER_COLUMNS")


_check_layout()

cdef int64_t OVERHEAD = _OVERHEAD
cdef int64_t ETHERNET_HEADER = _ETHERNET_HEADER  # a VIF counts L3 size + this
cdef int64_t MODE_MULTICAST = _MODE_MULTICAST
cdef int64_t MICRO = 1000000
cdef int64_t NEVER = <int64_t>0x7FFFFFFFFFFFFFFF


cdef inline int64_t _fragments(int64_t size, int64_t pmtu) noexcept nogil:
    cdef int64_t per = ((pmtu - OVERHEAD - 20) // 8) * 8
    if per <= 0:
        return 0
    return (size - 20 + per - 1) // per


cdef int64_t* _p(object arr):
    cdef int64_t[::1] mv = arr.reshape(-1)
    return &mv[0]


cdef void* _raw(object arr):
    """The data pointer of a non-empty contiguous array (kept alive by the caller)."""
    cdef const unsigned char[::1] mv = arr.view(np.uint8).reshape(-1)
    return <void*> &mv[0]


@cython.final
cdef class CompiledPlane:
    cdef object t
    cdef list keep  # the arrays our pointers point into
    # tables
    cdef int64_t nvem, nseg, nflows, nvif, aging, underlay, multicast_ok, proxy_arp
    cdef int64_t *vem_mtu
    cdef int64_t *vem_host
    cdef int64_t *seg_bd
    cdef uint64_t *vif_mac
    cdef int64_t *vif_host
    cdef int64_t *vif_running
    cdef int64_t *vif_group
    cdef int64_t *vif_deny
    cdef int64_t *vif_refill
    cdef int64_t *vif_burst
    cdef int64_t *vif_same_host
    cdef int64_t *grp_sw
    cdef int64_t *grp_seg
    cdef int64_t *grp_vtep
    cdef int64_t *grp_upfi
    cdef int64_t ngroups
    cdef object a_gh_key, a_gh_val
    cdef int64_t *gh_key  # (switch * nseg + segment) -> group: open addressing, -1 empty
    cdef int64_t *gh_val
    cdef uint64_t gh_mask
    cdef int64_t *grp_vif_ptr
    cdef int64_t *grp_vifs
    cdef int64_t *grp_up_ptr
    cdef int64_t *grp_ups
    cdef int64_t *grp_peer_ptr
    cdef int64_t *grp_peers
    cdef int64_t *bd_mode
    cdef int64_t *bd_pmtu
    cdef int64_t *bd_mem_ptr
    cdef int64_t *bd_mems
    cdef uint32_t *vtep_ip
    cdef uint32_t *vtep_mask
    cdef int64_t *vtep_gw
    cdef int64_t *vtep_vem
    cdef int64_t *fl_vif
    cdef uint64_t *fl_src
    cdef uint64_t *fl_dst
    cdef int64_t *fl_flood
    cdef int64_t *fl_size
    cdef int64_t *fl_ip
    cdef int64_t *fl_df
    cdef int64_t *fl_rate
    cdef int64_t *fl_start
    cdef int64_t *fl_count
    cdef int64_t *fl_acc
    # state
    cdef object a_vif_c, a_vem_c, a_fi_c, a_bd_c, a_tokens, a_tok_tick, a_fl_count, a_fl_acc
    cdef int64_t *vif_c
    cdef object a_grp_rx, a_vif_excl
    cdef int64_t *grp_rx  # floods delivered to every VIF of a group: [frames, bytes]
    cdef int64_t *vif_excl  # ... minus those a VIF sent itself: [frames, bytes]
    cdef int64_t *vem_c
    cdef int64_t *fi_c
    cdef int64_t *bd_c
    cdef int64_t *tokens
    cdef int64_t *tok_tick
    cdef L2Table l2
    cdef uint64_t gen  # forwarding state generation (see the module docstring)
    cdef FlowCache* fc
    cdef Recording rec
    cdef int32_t* dirty  # flows replayed since their learned entries were refreshed
    cdef int64_t ndirty
    cdef bint use_cache
    cdef readonly int64_t slow_frames  # frames that took the slow path (benchmarks print it)
    cdef int64_t now
    # the frame being processed
    cdef uint64_t src, dst
    cdef int64_t size, ip, df, flood

    def __cinit__(self):
        self.l2.tab = NULL
        self.fc = NULL
        self.dirty = NULL
        self.rec.effects = NULL
        self.rec.learned = NULL

    def __dealloc__(self):
        cdef int64_t f
        free(self.l2.tab)
        if self.fc != NULL:
            for f in range(self.nflows):
                fc_free(&self.fc[f])
            free(self.fc)
        free(self.dirty)
        free(self.rec.effects)
        free(self.rec.learned)

    def __init__(self, t, flow_cache=True):
        self.t = t
        self.use_cache = bool(flow_cache)
        self.gen = 1
        self.keep = []
        self.nvem = t.nvem
        self.nseg = max(t.nseg, 1)
        self.nflows = len(t.fl_vif)
        self.nvif = len(t.vif_ids)
        self.aging = t.aging_ticks
        self.underlay = t.underlay_mtu
        self.multicast_ok = t.multicast_ok
        self.proxy_arp = t.proxy_arp
        self.ngroups = len(t.grp_sw)
        self.vem_mtu = self._i(t.vem_mtu)
        self.vem_host = self._i(t.vem_host)
        self.seg_bd = self._i(t.seg_bd)
        self.vif_mac = <uint64_t*> self._u(t.vif_mac, np.uint64)
        self.vif_host = self._i(t.vif_host)
        self.vif_running = self._i(t.vif_running)
        self.vif_group = self._i(t.vif_group)
        self.vif_deny = self._i(t.vif_deny)
        self.vif_refill = self._i(t.vif_refill)
        self.vif_burst = self._i(t.vif_burst)
        self.vif_same_host = self._i(t.vif_same_host)
        self.grp_sw = self._i(t.grp_sw)
        self.grp_seg = self._i(t.grp_seg)
        self.grp_vtep = self._i(t.grp_vtep)
        self.grp_upfi = self._i(t.grp_upfi)
        self.grp_vif_ptr = self._i(t.grp_vif_ptr)
        self._build_group_hash(t)
        self.grp_vifs = self._i(t.grp_vifs)
        self.grp_up_ptr = self._i(t.grp_up_ptr)
        self.grp_ups = self._i(t.grp_ups)
        self.grp_peer_ptr = self._i(t.grp_peer_ptr)
        self.grp_peers = self._i(t.grp_peers)
        self.bd_mode = self._i(t.bd_mode)
        self.bd_pmtu = self._i(t.bd_pmtu)
        self.bd_mem_ptr = self._i(t.bd_mem_ptr)
        self.bd_mems = self._i(t.bd_mems)
        self.vtep_ip = <uint32_t*> self._u(t.vtep_ip, np.uint32)
        self.vtep_mask = <uint32_t*> self._u(t.vtep_mask, np.uint32)
        self.vtep_gw = self._i(t.vtep_gw)
        self.vtep_vem = self._i(t.vtep_vem)
        self.fl_vif = self._i(t.fl_vif)
        self.fl_src = <uint64_t*> self._u(t.fl_src, np.uint64)
        self.fl_dst = <uint64_t*> self._u(t.fl_dst, np.uint64)
        self.fl_flood = self._i(t.fl_flood)
        self.fl_size = self._i(t.fl_size)
        self.fl_ip = self._i(t.fl_ip)
        self.fl_df = self._i(t.fl_df)
        self.fl_rate = self._i(t.fl_rate)
        self.fl_start = self._i(t.fl_start)
        self.a_vif_c = np.zeros((self.nvif, VIF_COLS), dtype=np.int64)
        self.a_vem_c = np.zeros((len(t.vem_names), VEM_COLS), dtype=np.int64)
        self.a_fi_c = np.zeros((len(t.fi_names), FI_COLS), dtype=np.int64)
        self.a_bd_c = np.zeros((len(t.bd_names), BD_COLS), dtype=np.int64)
        self.vif_c = self._i(self.a_vif_c)
        self.a_grp_rx = np.zeros((self.ngroups, FLOOD_RX_COLS), dtype=np.int64)
        self.a_vif_excl = np.zeros((self.nvif, FLOOD_RX_COLS), dtype=np.int64)
        self.grp_rx = self._i(self.a_grp_rx)
        self.vif_excl = self._i(self.a_vif_excl)
        self.vem_c = self._i(self.a_vem_c)
        self.fi_c = self._i(self.a_fi_c)
        self.bd_c = self._i(self.a_bd_c)
        self._set_progress(np.ascontiguousarray(t.vif_burst, dtype=np.int64).copy(),
                           np.zeros(self.nvif, dtype=np.int64),
                           np.ascontiguousarray(t.fl_count, dtype=np.int64).copy(),
                           np.ascontiguousarray(t.fl_acc, dtype=np.int64).copy())
        self._alloc(1024)
        self.fc = <FlowCache*> calloc(max(self.nflows, 1), sizeof(FlowCache))
        self.dirty = <int32_t*> malloc(max(self.nflows, 1) * sizeof(int32_t))
        self.rec.capeffects, self.rec.caplearned = 256, 64
        self.rec.effects = <Effect*> malloc(self.rec.capeffects * sizeof(Effect))
        self.rec.learned = <Entry**> malloc(self.rec.caplearned * sizeof(Entry*))
        if (self.fc == NULL or self.dirty == NULL or self.rec.effects == NULL
                or self.rec.learned == NULL):
            raise MemoryError("cannot allocate the flow cache")

    cdef int64_t* _i(self, arr):
        a = np.ascontiguousarray(arr, dtype=np.int64)
        if a.size == 0:
            a = np.zeros(1, dtype=np.int64)
        self.keep.append(a)
        return _p(a)

    cdef void* _u(self, arr, dtype):
        a = np.ascontiguousarray(arr, dtype=dtype)
        if a.size == 0:
            a = np.zeros(1, dtype=dtype)
        self.keep.append(a)
        return _raw(a)

    cdef _build_group_hash(self, t):
        cdef uint64_t cap = 16, j
        cdef int64_t i, key
        while cap < <uint64_t>(2 * self.ngroups + 2):
            cap *= 2
        self.a_gh_key = np.full(cap, -1, dtype=np.int64)
        self.a_gh_val = np.full(cap, -1, dtype=np.int64)
        self.gh_key = _p(self.a_gh_key)
        self.gh_val = _p(self.a_gh_val)
        self.gh_mask = cap - 1
        keys, groups = t.grp_key.tolist(), t.grp_key_group.tolist()
        for i in range(len(keys)):
            key = keys[i]
            j = _hash(<uint64_t>key, 0) & self.gh_mask
            while self.gh_key[j] != -1:
                j = (j + 1) & self.gh_mask
            self.gh_key[j] = key
            self.gh_val[j] = groups[i]

    cdef _set_progress(self, tokens, tok_tick, fl_count, fl_acc):
        for name, a in (("tokens", tokens), ("tok_tick", tok_tick), ("fl_count", fl_count),
                        ("fl_acc", fl_acc)):
            if a.size == 0:
                a = np.zeros(1, dtype=np.int64)
            if name == "tokens":
                self.a_tokens = a
                self.tokens = _p(a)
            elif name == "tok_tick":
                self.a_tok_tick = a
                self.tok_tick = _p(a)
            elif name == "fl_count":
                self.a_fl_count = a
                self.fl_count = _p(a)
            else:
                self.a_fl_acc = a
                self.fl_acc = _p(a)

    cdef _alloc(self, uint64_t cap):
        if l2_alloc(&self.l2, cap) != 0:
            raise MemoryError("cannot allocate the L2 table")
        self.gen += 1

    # ------------------------------------------------------------------ flow cache
    cdef void flush_dirty(self) noexcept:
        """Write the deferred L2 refreshes of every replayed flow (before an entry's age is
        read or entries move)."""
        cdef int64_t i
        for i in range(self.ndirty):
            fc_flush(&self.fc[self.dirty[i]])
        self.ndirty = 0

    cdef void materialize(self) noexcept:
        cdef int64_t f
        for f in range(self.nflows):
            fc_materialize(&self.fc[f])

    cdef inline void add(self, int64_t* counter, int64_t delta) noexcept:
        counter[0] += delta
        if self.rec.on:
            rec_effect(&self.rec, counter, delta)

    # ------------------------------------------------------------------ state
    def counters(self):
        # A flood adds to its group's counter once instead of to each VIF (O(1) per flood
        # however many VIFs the group has); resolve per VIF here.
        self.materialize()
        vif = self.a_vif_c[:self.nvif].copy()
        g = np.asarray(self.t.vif_group, dtype=np.int64)
        member = g >= 0
        if member.any():
            vif[member, RX_P] += self.a_grp_rx[g[member], FRAMES]
            vif[member, RX_B] += self.a_grp_rx[g[member], BYTES]
        vif[:, RX_P] -= self.a_vif_excl[:self.nvif, FRAMES]
        vif[:, RX_B] -= self.a_vif_excl[:self.nvif, BYTES]
        return {"vif": vif, "vem": self.a_vem_c.copy(),
                "fi": self.a_fi_c.copy(), "bd": self.a_bd_c.copy()}

    def l2_snapshot(self):
        """The L2 entries as arrays (expired entries included; callers filter by age)."""
        self.flush_dirty()
        arr = np.frombuffer(self._table_bytes(), dtype=np.dtype(
            [("mac", "<u8"), ("key", "<u4"), ("last", "<u4"), ("port", "<i4"),
             ("kind", "u1")], align=True))
        live = arr[arr["kind"] != EMPTY]
        key = live["key"].astype(np.int64)
        return {"l2_sw": key // self.nseg, "l2_seg": key % self.nseg,
                "l2_mac": live["mac"].astype(np.uint64), "l2_kind": live["kind"].astype(np.int64),
                "l2_port": live["port"].astype(np.int64), "l2_last": live["last"].astype(np.int64)}

    def l2_gauges(self, int64_t now):
        """Valid L2 entries per switch, and remote ones per segment, at tick `now`."""
        nsw = self.nvem + len(self.t.fi_names)
        a_sw = np.zeros(max(nsw, 1), dtype=np.int64)
        a_seg = np.zeros(self.nseg, dtype=np.int64)
        cdef int64_t* per_sw = _p(a_sw)
        cdef int64_t* per_seg = _p(a_seg)
        cdef uint64_t i
        cdef Entry* e
        self.flush_dirty()
        for i in range(self.l2.cap):
            e = &self.l2.tab[i]
            if e.kind != EMPTY and now - <int64_t>e.last < self.aging:
                per_sw[e.key // self.nseg] += 1
                if e.kind == REMOTE:
                    per_seg[e.key % self.nseg] += 1
        return a_sw[:nsw], a_seg[:len(self.t.seg_keys)]

    cdef bytes _table_bytes(self):
        return (<char*> self.l2.tab)[:self.l2.cap * sizeof(Entry)]

    def export_state(self):
        out = self.l2_snapshot()
        out["tokens"] = self.a_tokens[:self.nvif].copy()
        out["tok_tick"] = self.a_tok_tick[:self.nvif].copy()
        out["fl_count"] = self.a_fl_count[:self.nflows].copy()
        out["fl_acc"] = self.a_fl_acc[:self.nflows].copy()
        return out

    def import_state(self, s):
        cdef int64_t i, n = len(s["l2_mac"])
        cdef uint64_t cap = 1024
        while cap * 7 < <uint64_t>n * 10 + 10:
            cap *= 2
        self._alloc(cap)
        sw, seg, mac = s["l2_sw"].tolist(), s["l2_seg"].tolist(), s["l2_mac"].tolist()
        kind, port, last = s["l2_kind"].tolist(), s["l2_port"].tolist(), s["l2_last"].tolist()
        for i in range(n):
            self.now = last[i]
            self.learn(sw[i], seg[i], mac[i], kind[i], port[i])
        self.now = 0
        self._set_progress(np.ascontiguousarray(s["tokens"], dtype=np.int64).copy(),
                           np.ascontiguousarray(s["tok_tick"], dtype=np.int64).copy(),
                           np.ascontiguousarray(s["fl_count"], dtype=np.int64).copy(),
                           np.ascontiguousarray(s["fl_acc"], dtype=np.int64).copy())

    def table_bytes(self):
        """Bytes the L2 hash table occupies."""
        return int(self.l2.cap * sizeof(Entry))

    def learn_bulk(self, sw, seg, macs, int64_t now):
        """Install remote entries (the scale benchmark fills tables this way)."""
        cdef int64_t i
        cdef uint64_t[::1] m = np.ascontiguousarray(macs, dtype=np.uint64)
        cdef int64_t[::1] s = np.ascontiguousarray(sw, dtype=np.int64)
        cdef int64_t[::1] g = np.ascontiguousarray(seg, dtype=np.int64)
        self.now = now
        for i in range(m.shape[0]):
            self.learn(s[i], g[i], m[i], REMOTE, 0)

    # ------------------------------------------------------------------ L2
    cdef inline void learn(self, int64_t sw, int64_t seg, uint64_t mac, int64_t kind,
                           int64_t port) noexcept:
        cdef uint32_t key = <uint32_t>(sw * self.nseg + seg)
        cdef Entry* e = l2_slot(&self.l2, key, mac)
        if e.kind == EMPTY:
            e.mac = mac
            e.key = key
            self.l2.used += 1
            self.gen += 1
        elif (e.kind != kind or e.port != port
                or self.now - <int64_t>e.last >= self.aging):
            # a move, or an expired entry coming back: lookups cached as misses or as
            # the old port are stale (an entry only looking expired, its refresh still
            # deferred, costs a re-recording, nothing else)
            self.gen += 1
        e.kind = <uint8_t>kind
        e.port = <int32_t>port
        e.last = <uint32_t>self.now
        if self.rec.on:
            rec_learned(&self.rec, e)
        if self.l2.used * 10 > self.l2.cap * 7:
            self.flush_dirty()  # ages are read and entries move
            l2_grow(&self.l2, self.now, self.aging)
            self.gen += 1

    cdef inline Entry* lookup(self, int64_t sw, int64_t seg, uint64_t mac) noexcept:
        cdef uint32_t key = <uint32_t>(sw * self.nseg + seg)
        cdef Entry* e = l2_slot(&self.l2, key, mac)
        if e.kind == EMPTY:
            return NULL
        if self.now - <int64_t>e.last >= self.aging:
            if self.ndirty == 0:
                return NULL
            self.flush_dirty()  # a replayed flow may have refreshed it since
            if self.now - <int64_t>e.last >= self.aging:
                return NULL
        if self.rec.on and <int64_t>e.last + self.aging < self.rec.until:
            self.rec.until = <int64_t>e.last + self.aging
        return e

    cdef inline int64_t group_of(self, int64_t sw, int64_t seg) noexcept:
        cdef int64_t key = sw * self.nseg + seg
        cdef uint64_t j = _hash(<uint64_t>key, 0) & self.gh_mask
        while self.gh_key[j] != -1:
            if self.gh_key[j] == key:
                return self.gh_val[j]
            j = (j + 1) & self.gh_mask
        return -1

    # ------------------------------------------------------------------ time
    def run_ticks(self, int64_t t0, int64_t t1):
        """Carry the traffic of ticks t0..t1-1; returns the frames the VMs offered."""
        cdef int64_t tick, f, n, left, acc, k, offered = 0
        for tick in range(t0, t1):
            self.now = tick
            for f in range(self.nflows):
                if tick < self.fl_start[f]:
                    continue
                left = self.fl_count[f]
                if left == 0:
                    continue
                acc = self.fl_acc[f] + self.fl_rate[f]
                if acc < MICRO:  # most ticks of a slow flow: no frame, no division
                    self.fl_acc[f] = acc
                    continue
                n = acc // MICRO
                self.fl_acc[f] = acc - n * MICRO
                if left > 0:
                    if n > left:
                        n = left
                    self.fl_count[f] = left - n
                offered += n
                for k in range(n):
                    self.frame(f)
        return offered

    # ------------------------------------------------------------------ frames

    cdef void frame(self, int64_t f) noexcept:
        cdef int64_t v = self.fl_vif[f], g, wire, refill, burst, elapsed, cost
        cdef FlowCache* fc
        if v < 0 or not self.vif_running[v]:
            return
        cdef int64_t* c = &self.vif_c[v * VIF_COLS]
        g = self.vif_group[v]
        self.src = self.fl_src[f]
        wire = self.fl_size[f] + ETHERNET_HEADER
        if g < 0 or (self.vif_deny[v] and self.src != self.vif_mac[v]):
            c[TX_D] += 1
            return
        refill = self.vif_refill[v]
        if refill:
            burst = self.vif_burst[v]
            elapsed = self.now - self.tok_tick[v]
            if elapsed > 0:
                if elapsed >= burst // refill + 1:
                    self.tokens[v] = burst
                else:
                    self.tokens[v] = min(burst, self.tokens[v] + elapsed * refill)
                self.tok_tick[v] = self.now
            cost = wire * 1000
            if self.tokens[v] < cost:
                c[TX_D] += 1
                return
            self.tokens[v] -= cost
        if not self.use_cache:
            self.slow_frames += 1
            self.forward(f, v, g, c, wire)
            return
        fc = &self.fc[f]
        if fc.gen == self.gen and self.now < fc.until and self.now - fc.last < self.aging:
            fc.pending += 1  # the fast path
            fc.last = self.now
            if not fc.dirty:
                fc.dirty = 1
                self.dirty[self.ndirty] = <int32_t>f
                self.ndirty += 1
            return
        self.slow_frames += 1
        fc_materialize(fc)
        if fc.dirty:
            self.flush_dirty()
        fc.gen = 0
        cdef uint64_t gen = self.gen
        self.rec.on, self.rec.overflow = 1, 0
        self.rec.neffects, self.rec.nlearned, self.rec.until = 0, 0, NEVER
        self.forward(f, v, g, c, wire)
        self.rec.on = 0
        if self.gen == gen and not self.rec.overflow:
            fc_store(fc, &self.rec, gen)
            fc.last = self.now

    # ------------------------------------------------------------------ replay
    def inject(self, int64_t[::1] tick, int64_t[::1] vif, uint64_t[::1] src,
               uint64_t[::1] dst, int64_t[::1] size, int64_t[::1] ip, int64_t[::1] df):
        """Frames from a capture (console.engine.replay): frame i enters at VIF vif[i] at
        tick tick[i] (non-decreasing, at or after the last tick carried), with its own
        MACs, L3 size, IP and DF bit. Ingress, policing and switching are those of a flow's
        frame; the flow cache is not used (a captured frame belongs to no flow). Returns
        the frames offered (those at a VIF of a running VM)."""
        cdef Py_ssize_t i, n = tick.shape[0]
        cdef int64_t offered = 0
        for i in range(n):
            if self.inject_one(tick[i], vif[i], src[i], dst[i], size[i], ip[i], df[i]):
                offered += 1
        return offered

    cdef bint inject_one(self, int64_t tick, int64_t v, uint64_t src, uint64_t dst,
                         int64_t size, int64_t ip, int64_t df) noexcept:
        cdef int64_t g, wire, refill, burst, elapsed, cost
        if v < 0 or v >= self.nvif or not self.vif_running[v]:
            return 0
        self.now = tick
        cdef int64_t* c = &self.vif_c[v * VIF_COLS]
        g = self.vif_group[v]
        wire = size + ETHERNET_HEADER
        if g < 0 or (self.vif_deny[v] and src != self.vif_mac[v]):
            c[TX_D] += 1
            return 1
        refill = self.vif_refill[v]
        if refill:
            burst = self.vif_burst[v]
            elapsed = self.now - self.tok_tick[v]
            if elapsed > 0:
                if elapsed >= burst // refill + 1:
                    self.tokens[v] = burst
                else:
                    self.tokens[v] = min(burst, self.tokens[v] + elapsed * refill)
                self.tok_tick[v] = self.now
            cost = wire * 1000
            if self.tokens[v] < cost:
                c[TX_D] += 1
                return 1
            self.tokens[v] -= cost
        self.src, self.dst, self.size, self.ip, self.df = src, dst, size, ip, df
        self.flood = (dst >> 40) & 1
        self.slow_frames += 1
        c[TX_P] += 1
        c[TX_B] += wire
        if self.grp_sw[g] < self.nvem:
            vem_local(self, g, v)
        else:
            fi_in(self, g, LOCAL, v, self.vif_host[v], 0)
        return 1

    cdef void forward(self, int64_t f, int64_t v, int64_t g, int64_t* c, int64_t wire) noexcept:
        """The slow path: switch one frame that passed ingress and policing."""
        self.dst = self.fl_dst[f]
        self.size = self.fl_size[f]
        self.ip = self.fl_ip[f]
        self.df = self.fl_df[f]
        self.flood = self.fl_flood[f]
        self.add(&c[TX_P], 1)
        self.add(&c[TX_B], wire)
        if self.grp_sw[g] < self.nvem:
            vem_local(self, g, v)
        else:
            fi_in(self, g, LOCAL, v, self.vif_host[v], 0)


include "_forwarding.pxi"
