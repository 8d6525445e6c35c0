"""Carry a running fabric's state across a recompile (a live change).

Indices change between two compiles; names do not. Counters are kept as totals by name
(so they stay monotonic, and a VIF that comes back continues where it was). L2 entries,
token buckets and flow progress are remapped with index maps built from names; an entry
whose switch, segment, VIF or VTEP is gone, or whose VIF moved to another switch or
segment (a migration), is dropped: the fabric re-learns from the next frame.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from console.models.traffic import TrafficFlow

from .tables import COUNTER_COLUMNS, LOCAL, PEER, REMOTE, UPLINK, Tables


def add(base: list[int] | None, row: np.ndarray) -> list[int]:
    vals = [int(x) for x in row]
    return vals if base is None else [a + b for a, b in zip(base, vals)]


@dataclass
class Totals:
    """Counters of the planes that ran before the current one, by name."""

    vifs: dict[str, list[int]] = field(default_factory=dict)
    vems: dict[str, list[int]] = field(default_factory=dict)
    fis: dict[str, list[int]] = field(default_factory=dict)
    bds: dict[str, list[int]] = field(default_factory=dict)
    igmp_counts: dict[str, list[int]] = field(default_factory=dict)

    def igmp(self, bd: str) -> list[int]:
        """[joins, leaves] of a bridge domain."""
        return self.igmp_counts.setdefault(bd, [0, 0])

    def aligned(self, t: Tables) -> dict[str, np.ndarray]:
        """The totals as arrays in the row order of `t` (zeros for names never seen)."""
        out = {}
        for names, key, table in ((t.vif_ids, "vif", self.vifs),
                                  (t.vem_names, "vem", self.vems),
                                  (t.fi_names, "fi", self.fis),
                                  (t.bd_names, "bd", self.bds)):
            arr = np.zeros((len(names), len(COUNTER_COLUMNS[key])), dtype=np.int64)
            for i, name in enumerate(names):
                row = table.get(name)
                if row is not None:
                    arr[i] = row
            out[key] = arr
        return out

    def absorb(self, t: Tables, counters: dict[str, np.ndarray]) -> None:
        for names, key, table in ((t.vif_ids, "vif", self.vifs), (t.vem_names, "vem", self.vems),
                                  (t.fi_names, "fi", self.fis), (t.bd_names, "bd", self.bds)):
            for i, name in enumerate(names):
                table[name] = add(table.get(name), counters[key][i])


def _index_map(old: Sequence[Hashable], new: Sequence[Hashable]) -> np.ndarray:
    """old index -> new index (or -1), by name; one extra slot maps -1 to -1."""
    pos = {k: i for i, k in enumerate(new)}
    return np.asarray([pos.get(k, -1) for k in old] + [-1], dtype=np.int64)


def remap_state(old: Tables, new: Tables, s: dict[str, np.ndarray],
                old_flows: list[TrafficFlow], new_flows: list[TrafficFlow],
                now_tick: int) -> dict[str, np.ndarray]:
    """The exported state of a plane on `old`, expressed in the indices of `new`."""
    sw_names_old = [("vem", n) for n in old.vem_names] + [("fi", n) for n in old.fi_names]
    sw_names_new = [("vem", n) for n in new.vem_names] + [("fi", n) for n in new.fi_names]
    sw_map = _index_map(sw_names_old, sw_names_new)
    seg_map = _index_map(old.seg_keys, new.seg_keys)
    vif_map = _index_map(old.vif_ids, new.vif_ids)
    vtep_map = _index_map(old.vtep_keys, new.vtep_keys)
    vem_map = _index_map(old.vem_names, new.vem_names)
    fi_map = _index_map(old.fi_names, new.fi_names)

    sw = sw_map[s["l2_sw"]]
    seg = seg_map[s["l2_seg"]]
    kind = s["l2_kind"]
    port = s["l2_port"].copy()
    ok = (sw >= 0) & (seg >= 0)
    loc = kind == LOCAL
    port[loc] = vif_map[port[loc]]
    rem = kind == REMOTE
    port[rem] = vtep_map[port[rem]]
    up_fi = (kind == UPLINK) & (s["l2_sw"] >= old.nvem)  # at an FI: which VEM is behind
    port[up_fi] = vem_map[port[up_fi]]
    peer = kind == PEER
    port[peer] = fi_map[port[peer]]
    ok &= port >= 0
    # a LOCAL entry stays only while its VIF is still on that switch, in that segment
    check = np.flatnonzero(loc & ok)
    if len(check):
        g = new.vif_group[port[check]]
        gc = np.clip(g, 0, None)
        same = (g >= 0) & (new.grp_sw[gc] == sw[check]) & (new.grp_seg[gc] == seg[check]) \
            if len(new.grp_sw) else np.zeros(len(check), dtype=bool)
        ok[check[~same]] = False
    out = {
        "l2_sw": sw[ok], "l2_seg": seg[ok], "l2_mac": s["l2_mac"][ok], "l2_kind": kind[ok],
        "l2_port": port[ok], "l2_last": s["l2_last"][ok],
    }
    # token buckets by VIF id; a VIF new to policing starts with a full bucket
    tokens = new.vif_burst.copy()
    tok_tick = np.full(len(new.vif_ids), now_tick, dtype=np.int64)
    back = _index_map(new.vif_ids, old.vif_ids)[:-1]
    had = back >= 0
    if had.any():
        prev = s["tokens"][back[had]]
        tokens[had] = np.minimum(prev, new.vif_burst[had])
        tok_tick[had] = s["tok_tick"][back[had]]
        tokens[had & (old.vif_burst[np.clip(back, 0, None)] == 0)] = \
            new.vif_burst[had & (old.vif_burst[np.clip(back, 0, None)] == 0)]
    out["tokens"], out["tok_tick"] = tokens, tok_tick
    # flow progress, by flow object (apply_to_model drops the flows of removed vNICs)
    old_pos = {id(f): i for i, f in enumerate(old_flows)}
    row_of_old = {int(fi): r for r, fi in enumerate(old.fl_index)}
    fl_count, fl_acc = new.fl_count.copy(), new.fl_acc.copy()
    for r, fi in enumerate(new.fl_index.tolist()):
        i = old_pos.get(id(new_flows[fi]))
        if i is not None and i in row_of_old:
            fl_count[r] = s["fl_count"][row_of_old[i]]
            fl_acc[r] = s["fl_acc"][row_of_old[i]]
    out["fl_count"], out["fl_acc"] = fl_count, fl_acc
    return out
