"""The reference data plane: the fabric's semantics in plain Python, frame by frame.

It is the executable specification the compiled plane (console/engine/_dataplane.pyx) is
tested against: both consume the same Tables (console.engine.tables) and must give the same
counters for every topology and traffic. Written for clarity, not speed.

Tracing: set `plane.tracer` to an object with `on(event: str, **fields)` and every
switching decision is reported to it as it is taken (console.engine.trace turns the events
into the steps of `fabric-console trace`). The default, None, changes no result.

L2 tables are one dict keyed (switch, segment, MAC) -> [kind, port, last_seen_tick]. An
entry is valid while now - last_seen < aging_ticks; an expired entry is a miss.

Choices the design left open, made here once for both planes:
- Every switch learns source MACs: a VEM from its local vEths (LOCAL), on decapsulation
  (REMOTE: the sender's VTEP) and from its uplink (UPLINK); a fabric interconnect from its
  VIFs, VEM uplinks and peer FIs. No static entries: a VM that never sends is unknown, and
  frames to it are flooded (unknown unicast), as on a learning switch. The traffic model
  sends no ARP, so a one-way flow to a silent VM floods for the whole run.
- Ingress: a VIF without a usable profile/segment drops at ingress (tx_drops); MAC forging
  (flow src_mac != the vNIC's MAC under deny) is checked before policing, so forged frames
  cost no tokens. Flows of shut-off or missing VMs send nothing.
- A VEM sends its encapsulated traffic for a segment from its designated VTEP for that
  segment (Derived.designated_vtep), which is also where other VEMs send it floods.
  Reachability of a copy is judged from the sending VTEP: same subnet, underlay.proxy_arp,
  or a gateway on the sending VTEP. Multicast needs underlay.multicast (else the copy is
  an unreachable drop); a VEM without a VTEP cannot encapsulate (unreachable drop).
- A decapsulated frame is never encapsulated again (split horizon): known local -> that
  VIF, unknown -> every local VIF of the segment. A VEM that has no VM left in the segment
  still decapsulates and learns (a migrated VM's old VEM), then delivers to nobody.
- Each fabric interconnect switches the VIFs pinned to it (host.fabric_interconnect, or
  the first FI) and the VEM uplinks of its hosts; FIs reach each other over the upstream
  LAN (PEER ports) but never forward a frame from a peer to another peer. hairpin_frames:
  frames the FI delivers back to a VIF on the host they came from.
- VLAN segments on a VEM (vEths with a VLAN profile) switch locally and use the host
  uplink to the FI for floods and for MACs learned behind it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from console.models.traffic import ETHERNET_HEADER

from .tables import (
    COUNTER_COLUMNS,
    LOCAL,
    MODE_MULTICAST,
    OVERHEAD,
    PEER,
    REMOTE,
    UPLINK,
    Tables,
)
from .traffic import MICRO


class Tracer(Protocol):
    """What `ReferencePlane.tracer` is told: every switching decision, as it is taken."""

    def on(self, event: str, **fields: Any) -> None: ...

# counter columns, by name (tables.COUNTER_COLUMNS is the layout)
TX_P, TX_B, RX_P, RX_B, TX_D, RX_D = (COUNTER_COLUMNS["vif"].index(n) for n in (
    "tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "tx_drops", "rx_drops"))
ENCAP, DECAP, FCOPIES, MTU_DROPS, FRAGS, PMTU, UNREACH = (COUNTER_COLUMNS["vem"].index(n) for n in (
    "encap_packets", "decap_packets", "flood_copies_sent", "mtu_drops", "fragments",
    "pmtu_notifications", "unreachable_drops"))
SWITCHED, HAIRPIN, FLOODED = (COUNTER_COLUMNS["fi"].index(n) for n in (
    "switched_frames", "hairpin_frames", "flooded_frames"))
FLOOD_FRAMES, FLOOD_COPIES = (COUNTER_COLUMNS["bd"].index(n) for n in (
    "flood_frames", "flood_copies"))
WIDTH = {kind: len(columns) for kind, columns in COUNTER_COLUMNS.items()}


def fragments(size: int, pmtu: int) -> int:
    """IP fragments the VM sends for an L3 packet of `size` on a path of `pmtu` (each
    fragment plus the 50 bytes must fit; fragment data is a multiple of 8); 0 when even
    the smallest fragment does not fit."""
    per = ((pmtu - OVERHEAD - 20) // 8) * 8
    if per <= 0:
        return 0
    return -(-(size - 20) // per)


class ReferencePlane:
    """Pure-Python data plane over Tables."""

    # The Tables columns this plane reads, as plain lists (set in __init__ from _COLUMNS).
    vem_mtu: list[int]
    seg_bd: list[int]
    vif_mac: list[int]
    vif_host: list[int]
    vif_running: list[int]
    vif_group: list[int]
    vif_deny: list[int]
    vif_refill: list[int]
    vif_burst: list[int]
    grp_sw: list[int]
    grp_seg: list[int]
    grp_vtep: list[int]
    grp_upfi: list[int]
    grp_vif_ptr: list[int]
    grp_vifs: list[int]
    grp_up_ptr: list[int]
    grp_ups: list[int]
    grp_peer_ptr: list[int]
    grp_peers: list[int]
    bd_mode: list[int]
    bd_pmtu: list[int]
    bd_mem_ptr: list[int]
    bd_mems: list[int]
    vtep_ip: list[int]
    vtep_mask: list[int]
    vtep_gw: list[int]
    vtep_vem: list[int]
    fl_vif: list[int]
    fl_src: list[int]
    fl_dst: list[int]
    fl_flood: list[int]
    fl_size: list[int]
    fl_ip: list[int]
    fl_df: list[int]
    fl_rate: list[int]
    fl_start: list[int]

    def __init__(self, t: Tables):
        self.t = t
        tl = {name: getattr(t, name).tolist() for name in (
            "vem_mtu", "seg_bd", "vif_mac", "vif_host", "vif_running", "vif_group",
            "vif_deny", "vif_refill", "vif_burst", "grp_sw", "grp_seg", "grp_vtep",
            "grp_upfi", "grp_vif_ptr", "grp_vifs", "grp_up_ptr", "grp_ups", "grp_peer_ptr",
            "grp_peers", "bd_mode", "bd_pmtu", "bd_mem_ptr", "bd_mems", "vtep_ip",
            "vtep_mask", "vtep_gw", "vtep_vem", "fl_vif", "fl_src", "fl_dst", "fl_flood",
            "fl_size", "fl_ip", "fl_df", "fl_rate", "fl_start")}
        self.__dict__.update(tl)
        self.fl_count = t.fl_count.tolist()
        self.fl_acc = t.fl_acc.tolist()
        self.vif_c = [[0] * WIDTH["vif"] for _ in t.vif_ids]
        self.vem_c = [[0] * WIDTH["vem"] for _ in t.vem_names]
        self.fi_c = [[0] * WIDTH["fi"] for _ in t.fi_names]
        self.bd_c = [[0] * WIDTH["bd"] for _ in t.bd_names]
        self.tokens = list(self.vif_burst)
        self.tok_tick = [0] * len(t.vif_ids)
        self.l2: dict[tuple[int, int, int], list[int]] = {}
        self.nvem = t.nvem
        self.aging = t.aging_ticks
        self.underlay = t.underlay_mtu
        self.now = 0
        # Told every decision while a traced frame is switched (console.engine.trace);
        # None, the default, costs one test per decision and changes nothing.
        self.tracer: Tracer | None = None
        # the frame being processed
        self.src = self.dst = self.size = self.ip = self.df = self.flood = 0

    # ------------------------------------------------------------------ state
    def counters(self) -> dict[str, np.ndarray]:
        def arr(rows: list[list[int]], width: int) -> np.ndarray:
            return np.asarray(rows, dtype=np.int64).reshape(len(rows), width)
        return {"vif": arr(self.vif_c, WIDTH["vif"]), "vem": arr(self.vem_c, WIDTH["vem"]),
                "fi": arr(self.fi_c, WIDTH["fi"]), "bd": arr(self.bd_c, WIDTH["bd"])}

    def export_state(self) -> dict[str, np.ndarray]:
        items = list(self.l2.items())
        return {
            "l2_sw": np.asarray([k[0] for k, _ in items], dtype=np.int64),
            "l2_seg": np.asarray([k[1] for k, _ in items], dtype=np.int64),
            "l2_mac": np.asarray([k[2] for k, _ in items], dtype=np.uint64),
            "l2_kind": np.asarray([v[0] for _, v in items], dtype=np.int64),
            "l2_port": np.asarray([v[1] for _, v in items], dtype=np.int64),
            "l2_last": np.asarray([v[2] for _, v in items], dtype=np.int64),
            "tokens": np.asarray(self.tokens, dtype=np.int64),
            "tok_tick": np.asarray(self.tok_tick, dtype=np.int64),
            "fl_count": np.asarray(self.fl_count, dtype=np.int64),
            "fl_acc": np.asarray(self.fl_acc, dtype=np.int64),
        }

    l2_snapshot = export_state

    def l2_gauges(self, now: int) -> tuple[np.ndarray, np.ndarray]:
        """Valid L2 entries per switch, and remote ones per segment, at tick `now`."""
        per_sw = np.zeros(self.t.nvem + self.t.nfi, dtype=np.int64)
        per_seg = np.zeros(self.t.nseg, dtype=np.int64)
        for (sw, seg, _), (kind, _, last) in self.l2.items():
            if now - last < self.aging:
                per_sw[sw] += 1
                if kind == REMOTE:
                    per_seg[seg] += 1
        return per_sw, per_seg

    def import_state(self, s: dict[str, np.ndarray]) -> None:
        self.l2 = {}
        for sw, seg, mac, kind, port, last in zip(
                s["l2_sw"].tolist(), s["l2_seg"].tolist(), s["l2_mac"].tolist(),
                s["l2_kind"].tolist(), s["l2_port"].tolist(), s["l2_last"].tolist()):
            self.l2[(sw, seg, mac)] = [kind, port, last]
        self.tokens = s["tokens"].tolist()
        self.tok_tick = s["tok_tick"].tolist()
        self.fl_count = s["fl_count"].tolist()
        self.fl_acc = s["fl_acc"].tolist()

    def forget(self, sw: int, seg: int, mac: int) -> None:
        self.l2.pop((sw, seg, mac), None)

    # ------------------------------------------------------------------ time
    def run_ticks(self, t0: int, t1: int) -> int:
        """Carry the traffic of ticks t0..t1-1; returns the frames the VMs offered."""
        offered = 0
        nflows = len(self.fl_vif)
        for tick in range(t0, t1):
            self.now = tick
            for f in range(nflows):
                if tick < self.fl_start[f]:
                    continue
                left = self.fl_count[f]
                if left == 0:
                    continue
                acc = self.fl_acc[f] + self.fl_rate[f]
                n, self.fl_acc[f] = divmod(acc, MICRO)
                if left > 0:
                    n = min(n, left)
                    self.fl_count[f] = left - n
                offered += n
                for _ in range(n):
                    self.frame(f)
        return offered

    # ------------------------------------------------------------------ L2
    def learn(self, sw: int, seg: int, mac: int, kind: int, port: int) -> None:
        if self.tracer is not None:
            self.tracer.on("learn", sw=sw, seg=seg, mac=mac, kind=kind, port=port,
                           before=self.l2.get((sw, seg, mac)))
        self.l2[(sw, seg, mac)] = [kind, port, self.now]

    def lookup(self, sw: int, seg: int, mac: int) -> list[int] | None:
        e = self.l2.get((sw, seg, mac))
        if e is None or self.now - e[2] >= self.aging:
            if self.tracer is not None:
                self.tracer.on("lookup", sw=sw, seg=seg, mac=mac, entry=None, stale=e)
            return None
        if self.tracer is not None:
            self.tracer.on("lookup", sw=sw, seg=seg, mac=mac, entry=e, stale=None)
        return e

    # ------------------------------------------------------------------ frames
    def deliver(self, v: int) -> None:
        if self.tracer is not None:
            self.tracer.on("deliver", vif=v)
        c = self.vif_c[v]
        c[RX_P] += 1
        c[RX_B] += self.size + ETHERNET_HEADER

    def frame(self, f: int) -> None:
        v = self.fl_vif[f]
        if v < 0 or not self.vif_running[v]:
            return  # a flow from a missing or stopped VM sends nothing
        c = self.vif_c[v]
        g = self.vif_group[v]
        self.src, self.dst = self.fl_src[f], self.fl_dst[f]
        self.size, self.ip, self.df = self.fl_size[f], self.fl_ip[f], self.fl_df[f]
        self.flood = self.fl_flood[f]
        wire = self.size + ETHERNET_HEADER
        if g < 0 or (self.vif_deny[v] and self.src != self.vif_mac[v]):
            c[TX_D] += 1
            return
        refill = self.vif_refill[v]
        if refill:
            burst = self.vif_burst[v]
            elapsed = self.now - self.tok_tick[v]
            if elapsed > 0:
                self.tokens[v] = min(burst, self.tokens[v] + elapsed * refill)
                self.tok_tick[v] = self.now
            if self.tokens[v] < wire * 1000:
                c[TX_D] += 1
                return
            self.tokens[v] -= wire * 1000
        c[TX_P] += 1
        c[TX_B] += wire
        if self.grp_sw[g] < self.nvem:
            self.vem_local(g, v)
        else:
            self.fi_in(g, LOCAL, v, self.vif_host[v], False)

    def inject(self, tick: np.ndarray, vif: np.ndarray, src: np.ndarray, dst: np.ndarray,
               size: np.ndarray, ip: np.ndarray, df: np.ndarray) -> int:
        """Frames from a capture (console.engine.replay): frame i enters at VIF vif[i] at
        tick tick[i], with its own MACs, L3 size, IP and DF bit; ingress, policing and
        switching as for a flow's frame. Returns the frames offered."""
        offered = 0
        for t, v, s, d, n, i, f in zip(tick.tolist(), vif.tolist(), src.tolist(),
                                       dst.tolist(), size.tolist(), ip.tolist(), df.tolist()):
            if v < 0 or v >= len(self.vif_running) or not self.vif_running[v]:
                if self.tracer is not None:
                    self.tracer.on("not-running", vif=v)
                continue
            self.now = t
            offered += 1
            self.ingress(v, s, d, n, i, f, (d >> 40) & 1)
        return offered

    def ingress(self, v: int, src: int, dst: int, size: int, ip: int, df: int,
                flood: int) -> None:
        """frame()'s work for one frame given by value rather than by flow."""
        c = self.vif_c[v]
        g = self.vif_group[v]
        self.src, self.dst, self.size, self.ip, self.df, self.flood = \
            src, dst, size, ip, df, flood
        wire = size + ETHERNET_HEADER
        if g < 0 or (self.vif_deny[v] and src != self.vif_mac[v]):
            if self.tracer is not None:
                self.tracer.on("refused", vif=v, group=g, src=src)
            c[TX_D] += 1
            return
        refill = self.vif_refill[v]
        if refill:
            burst = self.vif_burst[v]
            elapsed = self.now - self.tok_tick[v]
            if elapsed > 0:
                self.tokens[v] = min(burst, self.tokens[v] + elapsed * refill)
                self.tok_tick[v] = self.now
            if self.tokens[v] < wire * 1000:
                if self.tracer is not None:
                    self.tracer.on("policed", vif=v, tokens=self.tokens[v], cost=wire * 1000)
                c[TX_D] += 1
                return
            self.tokens[v] -= wire * 1000
        if self.tracer is not None:
            self.tracer.on("accepted", vif=v, group=g,
                           tokens=self.tokens[v] if refill else None, cost=wire * 1000)
        c[TX_P] += 1
        c[TX_B] += wire
        if self.grp_sw[g] < self.nvem:
            self.vem_local(g, v)
        else:
            self.fi_in(g, LOCAL, v, self.vif_host[v], False)

    def local_flood(self, g: int, skip: int) -> None:
        if self.tracer is not None:
            self.tracer.on("local-flood", group=g, skip=skip)
        for k in range(self.grp_vif_ptr[g], self.grp_vif_ptr[g + 1]):
            u = self.grp_vifs[k]
            if u != skip:
                self.deliver(u)

    # VEM -----------------------------------------------------------------
    def vem_local(self, g: int, v: int) -> None:
        sw, seg = self.grp_sw[g], self.grp_seg[g]
        self.learn(sw, seg, self.src, LOCAL, v)
        if not self.flood:
            e = self.lookup(sw, seg, self.dst)
            if e is not None:
                kind, port = e[0], e[1]
                if kind == LOCAL:
                    if port != v:
                        self.deliver(port)
                    elif self.tracer is not None:
                        self.tracer.on("filtered", sw=sw, vif=v)
                elif kind == REMOTE:
                    self.encap_unicast(g, port)
                else:
                    self.vem_to_fi(g)
                return
        self.local_flood(g, v)
        b = self.seg_bd[seg]
        if b >= 0:
            if self.tracer is not None:
                self.tracer.on("bd-flood", group=g, bd=b)
            self.bd_c[b][FLOOD_FRAMES] += 1
            self.replicate(g, b)
        else:
            self.vem_to_fi(g)

    def vem_to_fi(self, g: int) -> None:
        fg = self.grp_upfi[g]
        if self.tracer is not None:
            self.tracer.on("vem-to-fi", group=g, fi_group=fg)
        if fg >= 0:
            sw = self.grp_sw[g]
            self.fi_in(fg, UPLINK, sw, self.t.vem_host[sw], False)

    def vem_from_uplink(self, g: int) -> None:
        sw, seg = self.grp_sw[g], self.grp_seg[g]
        if self.tracer is not None:
            self.tracer.on("from-uplink", group=g)
        self.learn(sw, seg, self.src, UPLINK, 0)
        if not self.flood:
            e = self.lookup(sw, seg, self.dst)
            if e is not None:
                if e[0] == LOCAL:
                    self.deliver(e[1])
                elif self.tracer is not None:
                    self.tracer.on("not-back-up", sw=sw)
                return  # never back out of the uplink
        self.local_flood(g, -1)

    def reach(self, a: int, b: int) -> bool:
        """Can VTEP a send to VTEP b: same subnet, upstream proxy ARP, or a's gateway."""
        ok = bool(self.t.proxy_arp or self.vtep_gw[a]
                  or ((self.vtep_ip[a] ^ self.vtep_ip[b]) & self.vtep_mask[a]) == 0)
        if self.tracer is not None:
            self.tracer.on("reach", src_vtep=a, dst_vtep=b, ok=ok)
        return ok

    def mtu_ok(self, sw: int, pmtu: int) -> bool:
        """Path MTU check of one encapsulated copy at the sending VEM."""
        if self.size + OVERHEAD <= pmtu:
            if self.tracer is not None:
                self.tracer.on("mtu", sw=sw, pmtu=pmtu, fragments=0, ok=True)
            return True
        c = self.vem_c[sw]
        if self.ip and not self.df:
            n = fragments(self.size, pmtu)
            if n:
                if self.tracer is not None:
                    self.tracer.on("mtu", sw=sw, pmtu=pmtu, fragments=n, ok=True)
                c[FRAGS] += n
                return True
        elif self.ip:
            c[PMTU] += 1
        if self.tracer is not None:
            self.tracer.on("mtu", sw=sw, pmtu=pmtu, fragments=0, ok=False)
        c[MTU_DROPS] += 1
        return False

    def replicate(self, g: int, b: int) -> None:
        sw = self.grp_sw[g]
        c = self.vem_c[sw]
        vt = self.grp_vtep[g]
        if vt < 0:
            if self.tracer is not None:
                self.tracer.on("no-vtep", sw=sw, bd=b)
            c[UNREACH] += 1
            return
        lo, hi = self.bd_mem_ptr[b], self.bd_mem_ptr[b + 1]
        if self.bd_mode[b] == MODE_MULTICAST:
            if self.tracer is not None:
                self.tracer.on("multicast", group=g, bd=b, vtep=vt)
            if not self.t.multicast_ok:
                c[UNREACH] += 1
                return
            if not self.mtu_ok(sw, min(self.vem_mtu[sw], self.bd_pmtu[b])):
                return
            c[ENCAP] += 1
            c[FCOPIES] += 1
            self.bd_c[b][FLOOD_COPIES] += 1
            for k in range(lo, hi):
                mg = self.bd_mems[k]
                if self.grp_sw[mg] != sw:
                    self.decap(self.grp_sw[mg], mg, vt, True)
            return
        for k in range(lo, hi):
            mg = self.bd_mems[k]
            w = self.grp_sw[mg]
            if w == sw:
                continue
            dv = self.grp_vtep[mg]
            if self.tracer is not None:
                self.tracer.on("unicast-copy", group=g, bd=b, member=mg, vtep=vt, dst_vtep=dv)
            if dv < 0 or not self.reach(vt, dv):
                c[UNREACH] += 1
                continue
            if not self.mtu_ok(sw, min(self.vem_mtu[sw], self.vem_mtu[w], self.underlay)):
                continue
            c[ENCAP] += 1
            c[FCOPIES] += 1
            self.bd_c[b][FLOOD_COPIES] += 1
            self.decap(w, mg, vt, True)

    def encap_unicast(self, g: int, dv: int) -> None:
        sw, seg = self.grp_sw[g], self.grp_seg[g]
        c = self.vem_c[sw]
        vt = self.grp_vtep[g]
        if self.tracer is not None:
            self.tracer.on("encap", group=g, vtep=vt, dst_vtep=dv)
        if vt < 0 or not self.reach(vt, dv):
            c[UNREACH] += 1
            return
        w = self.vtep_vem[dv]
        if not self.mtu_ok(sw, min(self.vem_mtu[sw], self.vem_mtu[w], self.underlay)):
            return
        c[ENCAP] += 1
        self.decap(w, self.t.group_of(w, seg), vt, False, seg)

    def decap(self, w: int, rg: int, src_vtep: int, flood: bool, seg: int = -1) -> None:
        self.vem_c[w][DECAP] += 1
        if rg >= 0:
            seg = self.grp_seg[rg]
        if self.tracer is not None:
            self.tracer.on("decap", sw=w, group=rg, seg=seg, src_vtep=src_vtep)
        self.learn(w, seg, self.src, REMOTE, src_vtep)
        if rg < 0:
            return
        if not flood and not self.flood:
            e = self.lookup(w, seg, self.dst)
            if e is not None:
                if e[0] == LOCAL:
                    self.deliver(e[1])
                elif self.tracer is not None:
                    self.tracer.on("split-horizon", sw=w)
                return  # split horizon: never re-encapsulated
        self.local_flood(rg, -1)

    # fabric interconnect --------------------------------------------------
    def fi_in(self, fg: int, in_kind: int, in_port: int, src_host: int, from_peer: bool) -> None:
        fi, seg = self.grp_sw[fg], self.grp_seg[fg]
        c = self.fi_c[fi - self.nvem]
        if self.tracer is not None:
            self.tracer.on("fi-in", group=fg, in_kind=in_kind, in_port=in_port,
                           from_peer=from_peer)
        c[SWITCHED] += 1
        self.learn(fi, seg, self.src, in_kind, in_port)
        if not self.flood:
            e = self.lookup(fi, seg, self.dst)
            if e is not None:
                kind, port = e[0], e[1]
                if kind == in_kind and port == in_port:
                    if self.tracer is not None:
                        self.tracer.on("filtered", sw=fi, vif=-1)
                    return  # the destination is behind the ingress port: filtered
                if kind == LOCAL:
                    self.deliver(port)
                    if self.vif_host[port] == src_host:
                        if self.tracer is not None:
                            self.tracer.on("hairpin", sw=fi, vif=port)
                        c[HAIRPIN] += 1
                elif kind == UPLINK:
                    vg = self.t.group_of(port, seg)
                    if vg >= 0:
                        self.vem_from_uplink(vg)
                    elif self.tracer is not None:
                        self.tracer.on("no-group", sw=port, seg=seg)
                elif kind == PEER and not from_peer:
                    pg = self.t.group_of(self.nvem + port, seg)
                    if pg >= 0:
                        self.fi_in(pg, PEER, fi - self.nvem, src_host, True)
                    elif self.tracer is not None:
                        self.tracer.on("no-group", sw=self.nvem + port, seg=seg)
                elif self.tracer is not None:
                    self.tracer.on("peer-to-peer", sw=fi, peer=port)
                return
        if self.tracer is not None:
            self.tracer.on("fi-flood", group=fg, in_kind=in_kind, in_port=in_port,
                           from_peer=from_peer)
        c[FLOODED] += 1
        for k in range(self.grp_vif_ptr[fg], self.grp_vif_ptr[fg + 1]):
            u = self.grp_vifs[k]
            if in_kind == LOCAL and u == in_port:
                continue
            self.deliver(u)
            if self.vif_host[u] == src_host:
                if self.tracer is not None:
                    self.tracer.on("hairpin", sw=fi, vif=u)
                c[HAIRPIN] += 1
        for k in range(self.grp_up_ptr[fg], self.grp_up_ptr[fg + 1]):
            vg = self.grp_ups[k]
            if in_kind == UPLINK and self.grp_sw[vg] == in_port:
                continue
            self.vem_from_uplink(vg)
        if not from_peer:
            for k in range(self.grp_peer_ptr[fg], self.grp_peer_ptr[fg + 1]):
                self.fi_in(self.grp_peers[k], PEER, fi - self.nvem, src_host, True)
