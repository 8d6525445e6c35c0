# The flow cache: what a frame of a flow did, recorded once and replayed for the frames
# that follow, as a switch's fast path does (Open vSwitch's megaflow cache, VPP's flow
# tables). A frame's effects are counter increments and L2 refreshes; both are deferred:
# a replay only counts the frame (`pending`) and notes its tick (`last`). The counters get
# pending x delta when they are read (fc_materialize), the learned entries get `last` when
# an L2 entry's age is read (fc_flush). Replays are exact because the plane invalidates a
# recording whenever anything it depended on may have changed (see _dataplane.pyx).
# Included by _dataplane.pyx, after _l2table.pxi.

from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, realloc

ctypedef struct Effect:
    int64_t* counter
    int64_t delta

ctypedef struct FlowCache:
    uint64_t gen      # the plane's generation the recording is valid for; 0: none
    int64_t until     # ... and the first tick it is no longer valid (an L2 hit ages out)
    int64_t pending   # replayed frames whose effects are not yet in the counters
    int64_t last      # tick of the latest replay
    Effect* effects
    Entry** learned   # the entries the frame refreshes (its source MAC, switch by switch)
    int32_t neffects
    int32_t nlearned
    int32_t dirty     # replayed since the learned entries were last refreshed

ctypedef struct Recording:
    Effect* effects
    Entry** learned
    int32_t neffects, capeffects, nlearned, caplearned
    int32_t on, overflow
    int64_t until

cdef enum:
    RECORD_LIMIT = 1 << 16  # effects of one frame; beyond it the flow is not cached


cdef inline void rec_effect(Recording* r, int64_t* counter, int64_t delta) noexcept:
    cdef Effect* grown
    if r.neffects == r.capeffects:
        if r.capeffects >= RECORD_LIMIT:
            r.overflow = 1
            return
        grown = <Effect*> realloc(r.effects, 2 * r.capeffects * sizeof(Effect))
        if grown == NULL:
            r.overflow = 1
            return
        r.effects, r.capeffects = grown, 2 * r.capeffects
    r.effects[r.neffects].counter = counter
    r.effects[r.neffects].delta = delta
    r.neffects += 1


cdef inline void rec_learned(Recording* r, Entry* e) noexcept:
    cdef Entry** grown
    if r.nlearned == r.caplearned:
        if r.caplearned >= RECORD_LIMIT:
            r.overflow = 1
            return
        grown = <Entry**> realloc(r.learned, 2 * r.caplearned * sizeof(Entry*))
        if grown == NULL:
            r.overflow = 1
            return
        r.learned, r.caplearned = grown, 2 * r.caplearned
    r.learned[r.nlearned] = e
    r.nlearned += 1


cdef int fc_store(FlowCache* fc, Recording* r, uint64_t gen) noexcept:
    """Keep the recording as fc's (its own copy); -1 when out of memory (fc left empty)."""
    cdef Effect* eff = <Effect*> realloc(fc.effects, max(r.neffects, 1) * sizeof(Effect))
    if eff == NULL:
        fc.gen = 0
        return -1
    fc.effects = eff
    cdef Entry** learned = <Entry**> realloc(fc.learned, max(r.nlearned, 1) * sizeof(Entry*))
    if learned == NULL:
        fc.gen = 0
        return -1
    fc.learned = learned
    cdef int32_t i
    for i in range(r.neffects):
        fc.effects[i] = r.effects[i]
    for i in range(r.nlearned):
        fc.learned[i] = r.learned[i]
    fc.neffects, fc.nlearned = r.neffects, r.nlearned
    fc.gen, fc.until, fc.pending, fc.dirty = gen, r.until, 0, 0
    return 0


cdef inline void fc_materialize(FlowCache* fc) noexcept:
    """Add the replayed frames' effects to the counters."""
    cdef int32_t i
    cdef int64_t k = fc.pending
    if k == 0:
        return
    for i in range(fc.neffects):
        fc.effects[i].counter[0] += fc.effects[i].delta * k
    fc.pending = 0


cdef inline void fc_flush(FlowCache* fc) noexcept:
    """Refresh the learned entries to the tick of the latest replay (their pointers are
    valid: the plane flushes every dirty recording before the table moves entries)."""
    cdef int32_t i
    cdef Entry* e
    if not fc.dirty:
        return
    for i in range(fc.nlearned):
        e = fc.learned[i]
        if <int64_t>e.last < fc.last:
            e.last = <uint32_t>fc.last
    fc.dirty = 0


cdef void fc_free(FlowCache* fc) noexcept:
    free(fc.effects)
    free(fc.learned)
    fc.effects, fc.learned, fc.neffects, fc.nlearned, fc.gen = NULL, NULL, 0, 0, 0
