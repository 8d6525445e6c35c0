# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled data plane: the reference plane's semantics (console/engine/reference.py),
frame by frame, in C.

It walks the same Tables (console.engine.tables) through raw pointers into their numpy
arrays (kept alive by this object), and keeps every VEM and fabric interconnect L2 table
in ONE open-addressing hash table with linear probing, keyed (switch * nseg + segment,
MAC): 24 bytes per slot, grown at 70% load, so at most ~69 and typically ~50 bytes per
MAC entry. Expired entries stay in place as misses until the table grows (a rehash drops
them). No Python object is created per frame.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

cimport cython

import numpy as np

from .tables import MODE_MULTICAST as _MODE_MULTICAST
from .tables import OVERHEAD as _OVERHEAD

cdef enum:
    EMPTY = 0
    LOCAL = 1
    REMOTE = 2
    UPLINK = 3
    PEER = 4

cdef enum:
    TX_P = 0
    TX_B = 1
    RX_P = 2
    RX_B = 3
    TX_D = 4
    RX_D = 5

cdef enum:
    ENCAP = 0
    DECAP = 1
    FCOPIES = 2
    MTU_DROPS = 3
    FRAGS = 4
    PMTU = 5
    UNREACH = 6

cdef enum:
    SWITCHED = 0
    HAIRPIN = 1
    FLOODED = 2

cdef int64_t OVERHEAD = _OVERHEAD
cdef int64_t MODE_MULTICAST = _MODE_MULTICAST
cdef int64_t MICRO = 1000000

ctypedef struct Entry:
    uint64_t mac
    uint32_t key     # switch * nseg + segment
    uint32_t last    # tick of the last frame that refreshed it
    int32_t port
    uint8_t kind     # EMPTY, LOCAL, REMOTE, UPLINK, PEER


cdef inline uint64_t _hash(uint64_t mac, uint64_t key) noexcept nogil:
    cdef uint64_t h = (mac ^ (key << 48) ^ (key >> 16)) * <uint64_t>0x9E3779B97F4A7C15
    h ^= h >> 29
    h *= <uint64_t>0xBF58476D1CE4E5B9
    h ^= h >> 32
    return h


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
    cdef Entry *tab
    cdef uint64_t cap, mask, used
    cdef int64_t now
    # the frame being processed
    cdef uint64_t src, dst
    cdef int64_t size, ip, df, flood

    def __cinit__(self):
        self.tab = NULL

    def __dealloc__(self):
        if self.tab != NULL:
            free(self.tab)

    def __init__(self, t):
        self.t = t
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
        self.a_vif_c = np.zeros((self.nvif, 6), dtype=np.int64)
        self.a_vem_c = np.zeros((len(t.vem_names), 7), dtype=np.int64)
        self.a_fi_c = np.zeros((len(t.fi_names), 3), dtype=np.int64)
        self.a_bd_c = np.zeros((len(t.bd_names), 2), dtype=np.int64)
        self.vif_c = self._i(self.a_vif_c)
        self.a_grp_rx = np.zeros((self.ngroups, 2), dtype=np.int64)
        self.a_vif_excl = np.zeros((self.nvif, 2), dtype=np.int64)
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
        if self.tab != NULL:
            free(self.tab)
        self.tab = <Entry*> calloc(cap, sizeof(Entry))
        if self.tab == NULL:
            raise MemoryError("cannot allocate the L2 table")
        self.cap = cap
        self.mask = cap - 1
        self.used = 0

    # ------------------------------------------------------------------ state
    def counters(self):
        # A flood adds to its group's counter once instead of to each VIF (O(1) per flood
        # however many VIFs the group has); resolve per VIF here.
        vif = self.a_vif_c[:self.nvif].copy()
        g = np.asarray(self.t.vif_group, dtype=np.int64)
        member = g >= 0
        if member.any():
            vif[member, RX_P] += self.a_grp_rx[g[member], 0]
            vif[member, RX_B] += self.a_grp_rx[g[member], 1]
        vif[:, RX_P] -= self.a_vif_excl[:self.nvif, 0]
        vif[:, RX_B] -= self.a_vif_excl[:self.nvif, 1]
        return {"vif": vif, "vem": self.a_vem_c.copy(),
                "fi": self.a_fi_c.copy(), "bd": self.a_bd_c.copy()}

    def l2_snapshot(self):
        """The L2 entries as arrays (expired entries included; callers filter by age)."""
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
        for i in range(self.cap):
            e = &self.tab[i]
            if e.kind != EMPTY and now - <int64_t>e.last < self.aging:
                per_sw[e.key // self.nseg] += 1
                if e.kind == REMOTE:
                    per_seg[e.key % self.nseg] += 1
        return a_sw[:nsw], a_seg[:len(self.t.seg_keys)]

    cdef bytes _table_bytes(self):
        return (<char*> self.tab)[:self.cap * sizeof(Entry)]

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
        return int(self.cap * sizeof(Entry))

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
        cdef uint64_t i = _hash(mac, key) & self.mask
        cdef Entry* e
        while True:
            e = &self.tab[i]
            if e.kind == EMPTY:
                break
            if e.mac == mac and e.key == key:
                e.kind = <uint8_t>kind
                e.port = <int32_t>port
                e.last = <uint32_t>self.now
                return
            i = (i + 1) & self.mask
        e.mac = mac
        e.key = key
        e.kind = <uint8_t>kind
        e.port = <int32_t>port
        e.last = <uint32_t>self.now
        self.used += 1
        if self.used * 10 > self.cap * 7:
            self._grow()

    cdef void _grow(self) noexcept:
        cdef Entry* old = self.tab
        cdef uint64_t oldcap = self.cap, i, j, live = 0
        for i in range(oldcap):
            if old[i].kind != EMPTY and self.now - <int64_t>old[i].last < self.aging:
                live += 1
        cdef uint64_t cap = oldcap
        if live * 10 > cap * 4:
            cap *= 2
        cdef Entry* tab = <Entry*> calloc(cap, sizeof(Entry))
        if tab == NULL:
            return  # keep probing the full table; slower, never wrong
        self.tab, self.cap, self.mask, self.used = tab, cap, cap - 1, 0
        for i in range(oldcap):
            if old[i].kind != EMPTY and self.now - <int64_t>old[i].last < self.aging:
                j = _hash(old[i].mac, old[i].key) & self.mask
                while tab[j].kind != EMPTY:
                    j = (j + 1) & self.mask
                tab[j] = old[i]
                self.used += 1
        free(old)

    cdef inline Entry* lookup(self, int64_t sw, int64_t seg, uint64_t mac) noexcept:
        cdef uint32_t key = <uint32_t>(sw * self.nseg + seg)
        cdef uint64_t i = _hash(mac, key) & self.mask
        cdef Entry* e
        while True:
            e = &self.tab[i]
            if e.kind == EMPTY:
                return NULL
            if e.mac == mac and e.key == key:
                if self.now - <int64_t>e.last >= self.aging:
                    return NULL
                return e
            i = (i + 1) & self.mask

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
    cdef inline void deliver(self, int64_t v) noexcept:
        self.vif_c[v * 6 + RX_P] += 1
        self.vif_c[v * 6 + RX_B] += self.size + 14

    cdef void frame(self, int64_t f) noexcept:
        cdef int64_t v = self.fl_vif[f], g, wire, refill, burst, elapsed, cost
        if v < 0 or not self.vif_running[v]:
            return
        cdef int64_t* c = &self.vif_c[v * 6]
        g = self.vif_group[v]
        self.src = self.fl_src[f]
        self.dst = self.fl_dst[f]
        self.size = self.fl_size[f]
        self.ip = self.fl_ip[f]
        self.df = self.fl_df[f]
        self.flood = self.fl_flood[f]
        wire = self.size + 14
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
        c[TX_P] += 1
        c[TX_B] += wire
        if self.grp_sw[g] < self.nvem:
            self.vem_local(g, v)
        else:
            self.fi_in(g, LOCAL, v, self.vif_host[v], 0)

    cdef inline void local_flood(self, int64_t g, int64_t skip) noexcept:
        """Deliver to every VIF of group g but `skip` (the sender, a member of g, or -1)."""
        self.grp_rx[g * 2] += 1
        self.grp_rx[g * 2 + 1] += self.size + 14
        if skip >= 0:
            self.vif_excl[skip * 2] += 1
            self.vif_excl[skip * 2 + 1] += self.size + 14

    cdef void vem_local(self, int64_t g, int64_t v) noexcept:
        cdef int64_t sw = self.grp_sw[g], seg = self.grp_seg[g], b
        cdef Entry* e
        self.learn(sw, seg, self.src, LOCAL, v)
        if not self.flood:
            e = self.lookup(sw, seg, self.dst)
            if e != NULL:
                if e.kind == LOCAL:
                    if e.port != v:
                        self.deliver(e.port)
                elif e.kind == REMOTE:
                    self.encap_unicast(g, e.port)
                else:
                    self.vem_to_fi(g)
                return
        self.local_flood(g, v)
        b = self.seg_bd[seg]
        if b >= 0:
            self.bd_c[b * 2] += 1
            self.replicate(g, b)
        else:
            self.vem_to_fi(g)

    cdef void vem_to_fi(self, int64_t g) noexcept:
        cdef int64_t fg = self.grp_upfi[g], sw
        if fg >= 0:
            sw = self.grp_sw[g]
            self.fi_in(fg, UPLINK, sw, self.vem_host[sw], 0)

    cdef void vem_from_uplink(self, int64_t g) noexcept:
        cdef int64_t sw = self.grp_sw[g], seg = self.grp_seg[g]
        cdef Entry* e
        self.learn(sw, seg, self.src, UPLINK, 0)
        if not self.flood:
            e = self.lookup(sw, seg, self.dst)
            if e != NULL:
                if e.kind == LOCAL:
                    self.deliver(e.port)
                return
        self.local_flood(g, -1)

    cdef inline bint reach(self, int64_t a, int64_t b) noexcept:
        return self.proxy_arp or self.vtep_gw[a] or \
            ((self.vtep_ip[a] ^ self.vtep_ip[b]) & self.vtep_mask[a]) == 0

    cdef inline bint mtu_ok(self, int64_t sw, int64_t pmtu) noexcept:
        cdef int64_t n
        cdef int64_t* c
        if self.size + OVERHEAD <= pmtu:
            return True
        c = &self.vem_c[sw * 7]
        if self.ip and not self.df:
            n = _fragments(self.size, pmtu)
            if n:
                c[FRAGS] += n
                return True
        elif self.ip:
            c[PMTU] += 1
        c[MTU_DROPS] += 1
        return False

    cdef void replicate(self, int64_t g, int64_t b) noexcept:
        cdef int64_t sw = self.grp_sw[g], vt = self.grp_vtep[g], k, mg, w, dv, pm
        cdef int64_t* c = &self.vem_c[sw * 7]
        cdef int64_t lo = self.bd_mem_ptr[b], hi = self.bd_mem_ptr[b + 1]
        if vt < 0:
            c[UNREACH] += 1
            return
        if self.bd_mode[b] == MODE_MULTICAST:
            if not self.multicast_ok:
                c[UNREACH] += 1
                return
            pm = min(self.vem_mtu[sw], self.bd_pmtu[b])
            if not self.mtu_ok(sw, pm):
                return
            c[ENCAP] += 1
            c[FCOPIES] += 1
            self.bd_c[b * 2 + 1] += 1
            for k in range(lo, hi):
                mg = self.bd_mems[k]
                if self.grp_sw[mg] != sw:
                    self.decap(self.grp_sw[mg], mg, vt, 1, -1)
            return
        for k in range(lo, hi):
            mg = self.bd_mems[k]
            w = self.grp_sw[mg]
            if w == sw:
                continue
            dv = self.grp_vtep[mg]
            if dv < 0 or not self.reach(vt, dv):
                c[UNREACH] += 1
                continue
            pm = min(min(self.vem_mtu[sw], self.vem_mtu[w]), self.underlay)
            if not self.mtu_ok(sw, pm):
                continue
            c[ENCAP] += 1
            c[FCOPIES] += 1
            self.bd_c[b * 2 + 1] += 1
            self.decap(w, mg, vt, 1, -1)

    cdef void encap_unicast(self, int64_t g, int64_t dv) noexcept:
        cdef int64_t sw = self.grp_sw[g], seg = self.grp_seg[g], vt = self.grp_vtep[g], w, pm
        cdef int64_t* c = &self.vem_c[sw * 7]
        if vt < 0 or not self.reach(vt, dv):
            c[UNREACH] += 1
            return
        w = self.vtep_vem[dv]
        pm = min(min(self.vem_mtu[sw], self.vem_mtu[w]), self.underlay)
        if not self.mtu_ok(sw, pm):
            return
        c[ENCAP] += 1
        self.decap(w, self.group_of(w, seg), vt, 0, seg)

    cdef void decap(self, int64_t w, int64_t rg, int64_t src_vtep, bint flood,
                    int64_t seg) noexcept:
        cdef Entry* e
        self.vem_c[w * 7 + DECAP] += 1
        if rg >= 0:
            seg = self.grp_seg[rg]
        self.learn(w, seg, self.src, REMOTE, src_vtep)
        if rg < 0:
            return
        if not flood and not self.flood:
            e = self.lookup(w, seg, self.dst)
            if e != NULL:
                if e.kind == LOCAL:
                    self.deliver(e.port)
                return
        self.local_flood(rg, -1)

    cdef void fi_in(self, int64_t fg, int64_t in_kind, int64_t in_port, int64_t src_host,
                    bint from_peer) noexcept:
        cdef int64_t fi = self.grp_sw[fg], seg = self.grp_seg[fg], k, u, vg, pg
        cdef int64_t* c = &self.fi_c[(fi - self.nvem) * 3]
        cdef Entry* e
        cdef int64_t kind, port
        c[SWITCHED] += 1
        self.learn(fi, seg, self.src, in_kind, in_port)
        if not self.flood:
            e = self.lookup(fi, seg, self.dst)
            if e != NULL:
                kind = e.kind
                port = e.port
                if kind == in_kind and port == in_port:
                    return
                if kind == LOCAL:
                    self.deliver(port)
                    if self.vif_host[port] == src_host:
                        c[HAIRPIN] += 1
                elif kind == UPLINK:
                    vg = self.group_of(port, seg)
                    if vg >= 0:
                        self.vem_from_uplink(vg)
                elif kind == PEER and not from_peer:
                    pg = self.group_of(self.nvem + port, seg)
                    if pg >= 0:
                        self.fi_in(pg, PEER, fi - self.nvem, src_host, 1)
                return
        c[FLOODED] += 1
        if in_kind == LOCAL:
            self.local_flood(fg, in_port)
            c[HAIRPIN] += self.vif_same_host[in_port]
        else:
            # from an uplink or a peer: the sender's host has no VIF on this FI's group
            self.local_flood(fg, -1)
        for k in range(self.grp_up_ptr[fg], self.grp_up_ptr[fg + 1]):
            vg = self.grp_ups[k]
            if in_kind == UPLINK and self.grp_sw[vg] == in_port:
                continue
            self.vem_from_uplink(vg)
        if not from_peer:
            for k in range(self.grp_peer_ptr[fg], self.grp_peer_ptr[fg + 1]):
                self.fi_in(self.grp_peers[k], PEER, fi - self.nvem, src_host, 1)
