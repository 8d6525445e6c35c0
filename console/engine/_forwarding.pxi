# How one frame is switched, after ingress and policing (CompiledPlane.forward): the
# VEM's local switching, VXLAN encapsulation and flood replication, decapsulation, and the
# fabric interconnect. Module-level functions over the plane's tables, so the plane's
# class stays about state; each counter increment goes through p.add, which records it
# for the flow cache. Included by _dataplane.pyx after the CompiledPlane class.


cdef inline void deliver(CompiledPlane p, int64_t v) noexcept:
    p.add(&p.vif_c[v * VIF_COLS + RX_P], 1)
    p.add(&p.vif_c[v * VIF_COLS + RX_B], p.size + ETHERNET_HEADER)


cdef inline void local_flood(CompiledPlane p, int64_t g, int64_t skip) noexcept:
    """Deliver to every VIF of group g but `skip` (the sender, a member of g, or -1)."""
    p.add(&p.grp_rx[g * FLOOD_RX_COLS + FRAMES], 1)
    p.add(&p.grp_rx[g * FLOOD_RX_COLS + BYTES], p.size + ETHERNET_HEADER)
    if skip >= 0:
        p.add(&p.vif_excl[skip * FLOOD_RX_COLS + FRAMES], 1)
        p.add(&p.vif_excl[skip * FLOOD_RX_COLS + BYTES], p.size + ETHERNET_HEADER)


cdef void vem_local(CompiledPlane p, int64_t g, int64_t v) noexcept:
    cdef int64_t sw = p.grp_sw[g], seg = p.grp_seg[g], b
    cdef Entry* e
    p.learn(sw, seg, p.src, LOCAL, v)
    if not p.flood:
        e = p.lookup(sw, seg, p.dst)
        if e != NULL:
            if e.kind == LOCAL:
                if e.port != v:
                    deliver(p, e.port)
            elif e.kind == REMOTE:
                encap_unicast(p, g, e.port)
            else:
                vem_to_fi(p, g)
            return
    local_flood(p, g, v)
    b = p.seg_bd[seg]
    if b >= 0:
        p.add(&p.bd_c[b * BD_COLS + FLOOD_FRAMES], 1)
        replicate(p, g, b)
    else:
        vem_to_fi(p, g)


cdef void vem_to_fi(CompiledPlane p, int64_t g) noexcept:
    cdef int64_t fg = p.grp_upfi[g], sw
    if fg >= 0:
        sw = p.grp_sw[g]
        fi_in(p, fg, UPLINK, sw, p.vem_host[sw], 0)


cdef void vem_from_uplink(CompiledPlane p, int64_t g) noexcept:
    cdef int64_t sw = p.grp_sw[g], seg = p.grp_seg[g]
    cdef Entry* e
    p.learn(sw, seg, p.src, UPLINK, 0)
    if not p.flood:
        e = p.lookup(sw, seg, p.dst)
        if e != NULL:
            if e.kind == LOCAL:
                deliver(p, e.port)
            return
    local_flood(p, g, -1)


cdef inline bint reach(CompiledPlane p, int64_t a, int64_t b) noexcept:
    return p.proxy_arp or p.vtep_gw[a] or \
        ((p.vtep_ip[a] ^ p.vtep_ip[b]) & p.vtep_mask[a]) == 0


cdef inline bint mtu_ok(CompiledPlane p, int64_t sw, int64_t pmtu) noexcept:
    cdef int64_t n
    cdef int64_t* c
    if p.size + OVERHEAD <= pmtu:
        return True
    c = &p.vem_c[sw * VEM_COLS]
    if p.ip and not p.df:
        n = _fragments(p.size, pmtu)
        if n:
            p.add(&c[FRAGS], n)
            return True
    elif p.ip:
        p.add(&c[PMTU], 1)
    p.add(&c[MTU_DROPS], 1)
    return False


cdef void replicate(CompiledPlane p, int64_t g, int64_t b) noexcept:
    cdef int64_t sw = p.grp_sw[g], vt = p.grp_vtep[g], k, mg, w, dv, pm
    cdef int64_t* c = &p.vem_c[sw * VEM_COLS]
    cdef int64_t lo = p.bd_mem_ptr[b], hi = p.bd_mem_ptr[b + 1]
    if vt < 0:
        p.add(&c[UNREACH], 1)
        return
    if p.bd_mode[b] == MODE_MULTICAST:
        if not p.multicast_ok:
            p.add(&c[UNREACH], 1)
            return
        pm = min(p.vem_mtu[sw], p.bd_pmtu[b])
        if not mtu_ok(p, sw, pm):
            return
        p.add(&c[ENCAP], 1)
        p.add(&c[FCOPIES], 1)
        p.add(&p.bd_c[b * BD_COLS + FLOOD_COPIES], 1)
        for k in range(lo, hi):
            mg = p.bd_mems[k]
            if p.grp_sw[mg] != sw:
                decap(p, p.grp_sw[mg], mg, vt, 1, -1)
        return
    for k in range(lo, hi):
        mg = p.bd_mems[k]
        w = p.grp_sw[mg]
        if w == sw:
            continue
        dv = p.grp_vtep[mg]
        if dv < 0 or not reach(p, vt, dv):
            p.add(&c[UNREACH], 1)
            continue
        pm = min(min(p.vem_mtu[sw], p.vem_mtu[w]), p.underlay)
        if not mtu_ok(p, sw, pm):
            continue
        p.add(&c[ENCAP], 1)
        p.add(&c[FCOPIES], 1)
        p.add(&p.bd_c[b * BD_COLS + FLOOD_COPIES], 1)
        decap(p, w, mg, vt, 1, -1)


cdef void encap_unicast(CompiledPlane p, int64_t g, int64_t dv) noexcept:
    cdef int64_t sw = p.grp_sw[g], seg = p.grp_seg[g], vt = p.grp_vtep[g], w, pm
    cdef int64_t* c = &p.vem_c[sw * VEM_COLS]
    if vt < 0 or not reach(p, vt, dv):
        p.add(&c[UNREACH], 1)
        return
    w = p.vtep_vem[dv]
    pm = min(min(p.vem_mtu[sw], p.vem_mtu[w]), p.underlay)
    if not mtu_ok(p, sw, pm):
        return
    p.add(&c[ENCAP], 1)
    decap(p, w, p.group_of(w, seg), vt, 0, seg)


cdef void decap(CompiledPlane p, int64_t w, int64_t rg, int64_t src_vtep, bint flood,
                int64_t seg) noexcept:
    cdef Entry* e
    p.add(&p.vem_c[w * VEM_COLS + DECAP], 1)
    if rg >= 0:
        seg = p.grp_seg[rg]
    p.learn(w, seg, p.src, REMOTE, src_vtep)
    if rg < 0:
        return
    if not flood and not p.flood:
        e = p.lookup(w, seg, p.dst)
        if e != NULL:
            if e.kind == LOCAL:
                deliver(p, e.port)
            return
    local_flood(p, rg, -1)


cdef void fi_in(CompiledPlane p, int64_t fg, int64_t in_kind, int64_t in_port, int64_t src_host,
                bint from_peer) noexcept:
    cdef int64_t fi = p.grp_sw[fg], seg = p.grp_seg[fg], k, u, vg, pg
    cdef int64_t* c = &p.fi_c[(fi - p.nvem) * FI_COLS]
    cdef Entry* e
    cdef int64_t kind, port
    p.add(&c[SWITCHED], 1)
    p.learn(fi, seg, p.src, in_kind, in_port)
    if not p.flood:
        e = p.lookup(fi, seg, p.dst)
        if e != NULL:
            kind = e.kind
            port = e.port
            if kind == in_kind and port == in_port:
                return
            if kind == LOCAL:
                deliver(p, port)
                if p.vif_host[port] == src_host:
                    p.add(&c[HAIRPIN], 1)
            elif kind == UPLINK:
                vg = p.group_of(port, seg)
                if vg >= 0:
                    vem_from_uplink(p, vg)
            elif kind == PEER and not from_peer:
                pg = p.group_of(p.nvem + port, seg)
                if pg >= 0:
                    fi_in(p, pg, PEER, fi - p.nvem, src_host, 1)
            return
    p.add(&c[FLOODED], 1)
    if in_kind == LOCAL:
        local_flood(p, fg, in_port)
        p.add(&c[HAIRPIN], p.vif_same_host[in_port])
    else:
        # from an uplink or a peer: the sender's host has no VIF on this FI's group
        local_flood(p, fg, -1)
    for k in range(p.grp_up_ptr[fg], p.grp_up_ptr[fg + 1]):
        vg = p.grp_ups[k]
        if in_kind == UPLINK and p.grp_sw[vg] == in_port:
            continue
        vem_from_uplink(p, vg)
    if not from_peer:
        for k in range(p.grp_peer_ptr[fg], p.grp_peer_ptr[fg + 1]):
            fi_in(p, p.grp_peers[k], PEER, fi - p.nvem, src_host, 1)
