# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled fast path of a replay: walk a classic pcap file's bytes straight into the
columns Fabric.inject takes, with the decode of console.models.capture (pure Python, the
specification this follows and is tested against, frame for frame):

- an uplink capture is decapsulated (VXLAN to one of the given UDP ports, I flag set);
  each flood counts once: a copy is the same inner bytes from the same VTEP in the same
  VNI to another destination within COPY_WINDOW_NS of the first (analysis.py's grouping;
  here a direct-mapped table of recent frames keyed by a hash of those three);
- a frame without VXLAN is taken as its VM sent it;
- TCP larger than the VM MTU (offloaded) becomes the MSS-sized segments it was on the wire:
  a full-size row with its count and a remainder row.

Frames whose source MAC is a group address, or that end before their Ethernet header, are
not rows (as in analysis.py). Record-level damage (a header or record cut short, an
absurd length) stops the walk with a problem naming the record, as the reader does.
No Python object is made per frame.
"""

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

import numpy as np

cdef int64_t COPY_WINDOW_NS = 10_000_000
cdef uint64_t RECENT = 65536  # slots of the copy table (a power of two)
cdef int64_t MAX_RECORD = 16 * 1024 * 1024

ctypedef struct Recent:
    uint64_t key
    int64_t ts
    uint32_t first_dst


cdef inline uint32_t rd32(const uint8_t* p, bint swap) noexcept nogil:
    cdef uint32_t v = p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | \
        (<uint32_t>p[3] << 24)
    if swap:
        v = ((v >> 24) & 0xFF) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24)
    return v


cdef inline uint32_t be16(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0] << 8) | p[1]


cdef inline uint64_t mac48(const uint8_t* p) noexcept nogil:
    return ((<uint64_t>p[0] << 40) | (<uint64_t>p[1] << 32) | (<uint64_t>p[2] << 24) |
            (<uint64_t>p[3] << 16) | (<uint64_t>p[4] << 8) | p[5])


cdef inline uint64_t mix(uint64_t h) noexcept nogil:
    h ^= h >> 33
    h *= <uint64_t>0xFF51AFD7ED558CCD
    h ^= h >> 33
    h *= <uint64_t>0xC4CEB9FE1A85EC53
    h ^= h >> 33
    return h


cdef uint64_t hash_bytes(const uint8_t* p, int64_t n, uint64_t seed) noexcept nogil:
    """FNV-1a over 8-byte words, finished by a 64-bit mixer: only equality of recent
    frames is asked of it."""
    cdef uint64_t h = seed ^ <uint64_t>0xCBF29CE484222325
    cdef uint64_t w
    cdef int64_t i = 0, k
    while i + 8 <= n:
        w = 0
        for k in range(8):
            w |= <uint64_t>p[i + k] << (8 * k)
        h = (h ^ w) * <uint64_t>0x100000001B3
        i += 8
    while i < n:
        h = (h ^ p[i]) * <uint64_t>0x100000001B3
        i += 1
    return mix(h ^ <uint64_t>n)


ctypedef struct L3:
    int64_t size   # the L3 length an MTU limits
    int64_t ip     # IPv4 header complete
    int64_t df
    int64_t tcp_payload  # -1: no TCP header


cdef L3 l3_of(const uint8_t* f, int64_t n, int64_t off, uint32_t etype,
              int64_t wire) noexcept nogil:
    """The frame's L3 facts, as decode.py's Frame.l3_length, .ipv4 and .tcp give them."""
    cdef L3 r
    cdef int64_t ihl, total, l4, doff
    cdef uint32_t frag
    r.size = wire - off
    if r.size < 0:
        r.size = 0
    r.ip = 0
    r.df = 0
    r.tcp_payload = -1
    if etype != 0x0800 or n < off + 20 or (f[off] >> 4) != 4:
        return r
    ihl = (f[off] & 0x0F) * 4
    if ihl < 20 or n < off + ihl:
        return r
    total = be16(f + off + 2)
    if total == 0:
        total = wire - off  # BIG TCP: the length is the rest of the frame
    frag = be16(f + off + 6)
    r.size = total
    r.ip = 1
    r.df = (frag & 0x4000) != 0
    if f[off + 9] == 6 and (frag & 0x1FFF) == 0 and total >= ihl:
        l4 = off + ihl
        if n >= l4 + 20:
            doff = (f[l4 + 12] >> 4) * 4
            r.tcp_payload = total - ihl - doff
            if r.tcp_payload < 0:
                r.tcp_payload = 0
    return r


cdef bint suspect(const uint8_t* f, int64_t n) noexcept nogil:
    """Might decode.py stop early in this Ethernet frame (not looking into VXLAN)? A
    superset of its error cases: the caller has the few flagged records decoded in Python
    for the exact message, so a false alarm costs a decode, never a wrong report."""
    cdef int64_t fo = 14, ihl, total, l4
    cdef uint32_t etype, frag, proto
    if n < 14:
        return 1
    etype = be16(f + 12)
    while etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
        if n < fo + 4:
            return 1
        etype = be16(f + fo + 2)
        fo += 4
    if etype == 0x0806:
        return n < fo + 28
    if etype != 0x0800:
        return 0
    if n < fo + 20 or (f[fo] >> 4) != 4:
        return 1
    ihl = (f[fo] & 0x0F) * 4
    total = be16(f + fo + 2)
    if ihl < 20 or n < fo + ihl or (total != 0 and total < ihl):
        return 1
    frag = be16(f + fo + 6)
    if frag & 0x1FFF:
        return 0
    l4 = fo + ihl
    proto = f[fo + 9]
    if proto == 17:
        return n < l4 + 16  # UDP, and a VXLAN header if it is one
    if proto == 6:
        return n < l4 + 20
    if proto == 1:
        return n < l4 + 8
    return 0


cdef class Walker:
    """Walks one classic pcap buffer in chunks of rows (see walk())."""

    cdef const uint8_t[::1] buf
    cdef int64_t off, record, t0, last_tick, vm_mtu, last_suspect
    cdef bint swap, nano, done
    cdef readonly int64_t linktype
    cdef uint16_t ports[16]
    cdef int nports
    cdef Recent* recent
    cdef readonly list problems
    cdef readonly list suspects  # (record, offset of its bytes, caplen, wire length)
    cdef readonly int64_t records  # records walked so far (whole ones)

    def __cinit__(self):
        self.recent = NULL

    def __dealloc__(self):
        free(self.recent)

    def __init__(self, const uint8_t[::1] buf, ports, int64_t vm_mtu):
        cdef uint32_t magic
        self.buf = buf
        self.problems = []
        self.suspects = []
        self.vm_mtu = vm_mtu
        self.t0 = -1
        self.last_tick = 0
        self.nports = 0
        for p in sorted(set(ports))[:16]:
            self.ports[self.nports] = <uint16_t>p
            self.nports += 1
        self.recent = <Recent*> calloc(RECENT, sizeof(Recent))
        if self.recent == NULL:
            raise MemoryError("cannot allocate the copy table")
        if buf.shape[0] < 24:
            raise ValueError(f"file header cut short ({buf.shape[0]} of 24 bytes)")
        magic = rd32(&buf[0], 0)
        if magic == 0xA1B2C3D4 or magic == 0xA1B23C4D:
            self.swap = 0
        elif magic == 0xD4C3B2A1 or magic == 0x4D3CB2A1:
            self.swap = 1
        else:
            raise ValueError("not a classic pcap file")
        self.nano = magic == 0xA1B23C4D or magic == 0x4D3CB2A1
        self.linktype = rd32(&buf[20], self.swap) & 0x0FFFFFFF
        self.off = 24

    cdef inline bint is_vxlan_port(self, uint32_t port) noexcept nogil:
        cdef int i
        for i in range(self.nports):
            if self.ports[i] == port:
                return 1
        return 0

    def walk(self, int64_t max_rows):
        """The next rows, at most max_rows (plus one for a split segment): a dict of
        columns tick, src, dst, size, ip, df, count; empty columns at the end."""
        cdef int64_t cap = max_rows + 2
        a_tick = np.empty(cap, dtype=np.int64)
        a_src = np.empty(cap, dtype=np.uint64)
        a_dst = np.empty(cap, dtype=np.uint64)
        a_size = np.empty(cap, dtype=np.int64)
        a_ip = np.empty(cap, dtype=np.int64)
        a_df = np.empty(cap, dtype=np.int64)
        a_count = np.empty(cap, dtype=np.int64)
        cdef int64_t[::1] tick = a_tick, size = a_size, ip = a_ip, df = a_df, count = a_count
        cdef uint64_t[::1] src = a_src, dst = a_dst
        cdef int64_t rows = 0, n = self.buf.shape[0], caplen, wire, ts, t, etype_off
        cdef int64_t o, fo, ihl, total, l4, udp_len, inner_len, ip_payload, vx, mss, headers
        cdef int64_t full, rest
        cdef uint32_t etype, frag, dport, vtep, odst
        cdef uint64_t key, slot
        cdef const uint8_t* f
        cdef const uint8_t* inner
        cdef int64_t in_n, in_wire
        cdef L3 l3
        cdef bint big
        cdef Recent* r
        while rows < max_rows and not self.done:
            o = self.off
            if o >= n:
                self.done = 1
                break
            if o + 16 > n:
                self.problems.append((self.record + 1, f"record header cut short: {n - o} "
                                      "of 16 bytes at the end of the file"))
                self.done = 1
                break
            caplen = rd32(&self.buf[o + 8], self.swap)
            wire = rd32(&self.buf[o + 12], self.swap)
            if caplen > MAX_RECORD:
                self.problems.append((self.record + 1, f"bad record header: captured length "
                                      f"{caplen} is not plausible; {n - o - 16} bytes after "
                                      "it left unread"))
                self.done = 1
                break
            if o + 16 + caplen > n:
                self.problems.append((self.record + 1, f"truncated: the header says {caplen} "
                                      f"bytes, the file has {n - o - 16} left"))
                self.done = 1
                break
            self.record += 1
            self.records = self.record
            self.off = o + 16 + caplen
            if wire < caplen:
                wire = caplen
            ts = <int64_t>rd32(&self.buf[o], self.swap) * 1_000_000_000
            if self.nano:
                ts += rd32(&self.buf[o + 4], self.swap)
            else:
                ts += <int64_t>rd32(&self.buf[o + 4], self.swap) * 1000
            if self.linktype != 1:
                continue
            f = &self.buf[o + 16]
            if suspect(f, caplen) or caplen < wire:
                self.suspects.append((self.record, o + 16, caplen, wire))
                self.last_suspect = self.record
            if caplen < 14:
                continue
            # Outer Ethernet and its tags
            fo = 12
            etype = be16(f + fo)
            fo += 2
            while etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
                if caplen < fo + 4:
                    break
                etype = be16(f + fo + 2)
                fo += 4
            if etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
                continue  # a tag cut short: no ethertype (decode.py: no frame row)
            inner = NULL
            if etype == 0x0800 and caplen >= fo + 20 and (f[fo] >> 4) == 4:
                ihl = (f[fo] & 0x0F) * 4
                total = be16(f + fo + 2)
                big = total == 0
                if big:
                    total = wire - fo
                frag = be16(f + fo + 6)
                if (ihl >= 20 and caplen >= fo + ihl and total >= ihl and f[fo + 9] == 17
                        and (frag & 0x1FFF) == 0 and caplen >= fo + ihl + 8):
                    l4 = fo + ihl
                    dport = be16(f + l4 + 2)
                    if self.is_vxlan_port(dport) and caplen >= l4 + 16:
                        if not (f[l4 + 8] & 0x08):
                            continue  # no valid VNI: not counted (analysis.py)
                        ip_payload = total - ihl
                        udp_len = ip_payload if big else be16(f + l4 + 4)
                        inner_len = (udp_len if udp_len < ip_payload else ip_payload) - 16
                        if inner_len < 0:
                            inner_len = 0
                        vx = l4 + 16
                        inner = f + vx
                        in_n = caplen - vx
                        in_wire = inner_len
                        vtep = rd32(f + fo + 12, 0)
                        odst = rd32(f + fo + 16, 0)
            if inner != NULL:
                if suspect(inner, in_n) and self.last_suspect != self.record:
                    self.suspects.append((self.record, o + 16, caplen, wire))
                    self.last_suspect = self.record
                if in_n < 14:
                    continue
                # A copy of a flood already taken? (analysis.py's grouping)
                key = hash_bytes(inner, in_n, (<uint64_t>vtep << 24) ^
                                 ((<uint64_t>f[vx - 4] << 16) | (<uint64_t>f[vx - 3] << 8) |
                                  f[vx - 2]))
                r = &self.recent[key & (RECENT - 1)]
                if r.key == key and ts - r.ts <= COPY_WINDOW_NS and r.first_dst != odst:
                    continue
                r.key = key
                r.ts = ts
                r.first_dst = odst
                f = inner
                caplen = in_n
                wire = in_wire
                fo = 12
                etype = be16(f + fo)
                fo += 2
                while etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
                    if caplen < fo + 4:
                        break
                    etype = be16(f + fo + 2)
                    fo += 4
                if etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
                    continue
            if etype < 0x0600 or (f[6] & 1):
                continue  # 802.3 length field, or a group source MAC: not a VM's frame
            # Time starts at the first frame a VM sent; a record out of order never
            # moves it backwards (replay.py's rule).
            if self.t0 < 0:
                self.t0 = ts
            t = (ts - self.t0) // 1_000_000
            if t > self.last_tick:
                self.last_tick = t
            l3 = l3_of(f, caplen, fo, etype, wire)
            src[rows] = mac48(f + 6)
            dst[rows] = mac48(f)
            tick[rows] = self.last_tick
            ip[rows] = l3.ip
            df[rows] = l3.df
            if l3.size > self.vm_mtu and l3.ip and l3.tcp_payload >= 0:
                headers = l3.size - l3.tcp_payload
                mss = self.vm_mtu - headers
                if mss < 1:
                    mss = 1
                full = l3.tcp_payload // mss
                rest = l3.tcp_payload - full * mss
                if full > 0:
                    size[rows] = self.vm_mtu
                    count[rows] = full
                    rows += 1
                if rest > 0:
                    tick[rows] = self.last_tick
                    src[rows] = mac48(f + 6)
                    dst[rows] = mac48(f)
                    ip[rows] = 1
                    df[rows] = l3.df
                    size[rows] = headers + rest
                    count[rows] = 1
                    rows += 1
                continue
            size[rows] = l3.size
            count[rows] = 1
            rows += 1
        return {"tick": a_tick[:rows], "src": a_src[:rows], "dst": a_dst[:rows],
                "size": a_size[:rows], "ip": a_ip[:rows], "df": a_df[:rows],
                "count": a_count[:rows]}

    @property
    def done(self) -> bool:
        return bool(self.done)

    @property
    def last(self) -> int:
        """The tick of the latest record walked."""
        return self.last_tick
