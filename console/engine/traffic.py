"""The traffic model: how a topology's `traffic` list becomes frames, deterministically.

Time advances in ticks of 1 ms (TICK_S). In each tick every flow sends the frames due in
that tick; flows take turns in one fixed order drawn from the seed (a permutation of the
file's flows), and each flow sends its frames of the tick back to back.

- `pps` flows run side by side for the whole run, from t = 0, with evenly spaced frames:
  a flow keeps a rate accumulator in millionths of a frame; each tick adds pps * 1000
  (pps / 1000 frames) and sends the whole frames it holds. The accumulator starts at a
  phase drawn from the seed, so flows with equal rates do not all fire in the same tick.
- `count` flows run one after another in file order, each at COUNT_FLOW_PPS (10 frames a
  tick), starting when the previous count flow has finished, or at `start_s` when given
  (a later flow without start_s follows it).
- Token buckets (QoS policing) refill per tick at rate_mbps (in milli-bytes: exact integer
  arithmetic), up to burst_kb, and start full. MAC entries age in ticks (vsm.mac_aging_s).
- Sizes: a VIF counts size + 14 bytes (policing sees the same), the underlay size + 50.

Every quantity is an integer, so the compiled and the reference planes agree bit for bit,
and the same file and seed give the same counters.
"""

from __future__ import annotations

import random

import numpy as np

from console.models.topology import Topology, TopologyIndex, VifRef

TICK_S = 0.001
"""Simulated seconds per tick: the unit of traffic scheduling, policing and MAC aging."""

TICKS_PER_S = 1000
COUNT_FLOW_PPS = 10_000
"""Rate at which `count` flows send (10 frames per tick)."""

MICRO = 1_000_000  # flow rates are kept in millionths of a frame per tick


def mac_to_int(mac: str) -> int:
    return int(mac.replace(":", "").replace("-", ""), 16)


def int_to_mac(value: int) -> str:
    h = f"{value:012x}"
    return ":".join(h[i:i + 2] for i in range(0, 12, 2))


def is_flood_mac(value: int) -> bool:
    """Broadcast and multicast MACs have the group bit (lowest bit of the first octet)."""
    return bool((value >> 40) & 1)


def compile_flows(topo: Topology, idx: TopologyIndex, vif_refs: list[VifRef],
                  seed: int) -> dict[str, np.ndarray]:
    """The traffic of the file as flow rows, in the per-tick order the seed draws.
    `vif_refs` are idx.vifs' values, in order: a VIF's position is that of its id among
    idx.vifs' keys (no id built again per VIF: 100,000 of them, 0.1 s)."""
    vif_pos = {vid: i for i, vid in enumerate(idx.vifs)} if topo.traffic else {}
    rng = random.Random(seed)
    rows = []
    cursor = 0  # next free tick for count flows without start_s
    for i, fl in enumerate(topo.traffic):
        v = vif_pos.get(fl.source, -1)
        src = mac_to_int(fl.src_mac) if fl.src_mac else (
            mac_to_int(vif_refs[v].nic.mac) if v >= 0 else 0)
        if fl.to == "broadcast":
            dst = 0xFFFF_FFFF_FFFF
        elif fl.to_vif:
            ref = idx.vifs.get(fl.to)
            dst = mac_to_int(ref.nic.mac) if ref is not None else 0
        else:
            dst = mac_to_int(fl.to)
        if fl.pps is not None:
            rate = round(fl.pps * 1000)  # pps / 1000 ticks, in millionths of a frame
            start, count, acc = 0, -1, rng.randrange(MICRO)
        else:
            rate = COUNT_FLOW_PPS * 1000
            per_tick = COUNT_FLOW_PPS // TICKS_PER_S
            start = round(fl.start_s * TICKS_PER_S) if fl.start_s is not None else cursor
            assert fl.count is not None  # TrafficFlow: exactly one of pps and count
            count, acc = fl.count, 0
            cursor = start + -(-fl.count // per_tick)
        rows.append((i, v, src, dst, int(is_flood_mac(dst)), fl.size, int(fl.ip), int(fl.df),
                     max(rate, 1), start, count, acc))
    order = list(range(len(rows)))
    rng.shuffle(order)
    rows = [rows[k] for k in order]
    cols = list(zip(*rows)) if rows else [()] * 12
    names = ["fl_index", "fl_vif", "fl_src", "fl_dst", "fl_flood", "fl_size", "fl_ip", "fl_df",
             "fl_rate", "fl_start", "fl_count", "fl_acc"]
    out = {}
    for name, col in zip(names, cols):
        dtype = np.uint64 if name in ("fl_src", "fl_dst") else np.int64
        out[name] = np.asarray(col, dtype=dtype)
    return out


