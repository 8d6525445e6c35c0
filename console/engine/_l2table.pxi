# The L2 tables of every VEM and fabric interconnect in ONE open-addressing hash table with
# linear probing, keyed (switch * nseg + segment, MAC): 24 bytes per slot, grown at 70%
# load, so at most ~69 and typically ~50 bytes per MAC entry. Entries are never deleted
# one by one (linear probing would need tombstones): an expired entry stays in place as a
# miss until the table grows, and the rehash drops it. Included by _dataplane.pyx; the
# policy (what a change invalidates, aging) stays in the plane.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

cdef enum:
    EMPTY = 0
    LOCAL = 1
    REMOTE = 2
    UPLINK = 3
    PEER = 4

ctypedef struct Entry:
    uint64_t mac
    uint32_t key     # switch * nseg + segment
    uint32_t last    # tick of the last frame that refreshed it
    int32_t port
    uint8_t kind     # EMPTY, LOCAL, REMOTE, UPLINK, PEER

ctypedef struct L2Table:
    Entry* tab
    uint64_t cap
    uint64_t mask
    uint64_t used


cdef inline uint64_t _hash(uint64_t mac, uint64_t key) noexcept nogil:
    cdef uint64_t h = (mac ^ (key << 48) ^ (key >> 16)) * <uint64_t>0x9E3779B97F4A7C15
    h ^= h >> 29
    h *= <uint64_t>0xBF58476D1CE4E5B9
    h ^= h >> 32
    return h


cdef int l2_alloc(L2Table* t, uint64_t cap) noexcept:
    """An empty table of `cap` slots (a power of two); -1 when out of memory."""
    cdef Entry* tab = <Entry*> calloc(cap, sizeof(Entry))
    if tab == NULL:
        return -1
    if t.tab != NULL:
        free(t.tab)
    t.tab, t.cap, t.mask, t.used = tab, cap, cap - 1, 0
    return 0


cdef inline Entry* l2_slot(L2Table* t, uint32_t key, uint64_t mac) noexcept:
    """The slot holding (key, mac), or the empty slot where it would go (kind EMPTY)."""
    cdef uint64_t i = _hash(mac, key) & t.mask
    cdef Entry* e
    while True:
        e = &t.tab[i]
        if e.kind == EMPTY or (e.mac == mac and e.key == key):
            return e
        i = (i + 1) & t.mask


cdef void l2_grow(L2Table* t, int64_t now, int64_t aging) noexcept:
    """Rehash the entries still valid at `now`, doubling when they fill over 40%. Moves
    entries: pointers into the old table are invalid afterwards."""
    cdef Entry* old = t.tab
    cdef uint64_t oldcap = t.cap, i, j, live = 0
    for i in range(oldcap):
        if old[i].kind != EMPTY and now - <int64_t>old[i].last < aging:
            live += 1
    cdef uint64_t cap = oldcap
    if live * 10 > cap * 4:
        cap *= 2
    cdef Entry* tab = <Entry*> calloc(cap, sizeof(Entry))
    if tab == NULL:
        return  # keep probing the full table; slower, never wrong
    t.tab, t.cap, t.mask, t.used = tab, cap, cap - 1, 0
    for i in range(oldcap):
        if old[i].kind != EMPTY and now - <int64_t>old[i].last < aging:
            j = _hash(old[i].mac, old[i].key) & t.mask
            while tab[j].kind != EMPTY:
                j = (j + 1) & t.mask
            tab[j] = old[i]
            t.used += 1
    free(old)
