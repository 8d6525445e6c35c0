"""Replaying a capture through the emulated fabric, frame by frame, in timestamp order.

The frames come from console.models.capture.analysis.sent_frames: what the VMs sent (an
uplink capture decapsulated, each flood once however many copies it had on the wire; a
vNIC capture as captured; offloaded TCP as the segments it became). Each enters at a VIF:

- the VIF whose vNIC has the frame's source MAC (the VM that sent it), or
- with `at` (vm/nic), every frame whose source MAC is no other VIF's: a vNIC capture
  holds what the VM sent, forged source MACs included, which the VIF's MAC-forging policy
  then judges; frames another VIF of the topology sent still enter there.

A frame with nowhere to enter is counted by source MAC in Placement.unplaced, not lost
silently. Time: tick = whole milliseconds since the first frame (the traffic model's
tick); frames of one tick enter in capture order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from console.models.capture.analysis import Sent

from .facade import Fabric
from .traffic import TICKS_PER_S, mac_to_int


@dataclass
class Placement:
    """Where a replay's frames went in."""

    frames: int = 0  # frames the capture gave (segments of offloaded frames counted)
    entered: int = 0  # entered at a VIF of a running VM
    unplaced: dict[str, int] = field(default_factory=dict)  # source MAC -> frames
    stopped: int = 0  # at a VIF of a shut-off VM
    duration_s: float = 0.0  # from the first frame to the tick after the last


def replay(fabric: Fabric, sent: Sequence[Sent], at: str | None = None) -> Placement:
    """Enter the frames into `fabric`; raises KeyError when `at` names no VIF."""
    tables = fabric._tables  # the compiled VIF order the planes index by (same package)
    by_mac: dict[int, int] = {}
    for i, mac in enumerate(tables.vif_mac.tolist()):
        by_mac.setdefault(int(mac), i)
    at_index = -1
    if at is not None:
        if at not in tables.vif_ids:
            raise KeyError(at)
        at_index = tables.vif_ids.index(at)
    placement = Placement()
    if not sent:
        return placement
    n = len(sent)
    t0 = sent[0].ts
    ticks = np.empty(n, dtype=np.int64)
    vif = np.empty(n, dtype=np.int64)
    src = np.empty(n, dtype=np.uint64)
    dst = np.empty(n, dtype=np.uint64)
    size = np.empty(n, dtype=np.int64)
    ip = np.empty(n, dtype=np.int64)
    df = np.empty(n, dtype=np.int64)
    count = np.empty(n, dtype=np.int64)
    last_tick = 0
    for k, s in enumerate(sent):
        # Captures from several interfaces can be slightly out of order: never backwards.
        last_tick = max(last_tick, int((s.ts - t0) * TICKS_PER_S + 1e-9))
        ticks[k] = last_tick
        mac = mac_to_int(s.src)
        v = by_mac.get(mac, at_index)
        vif[k] = v
        if v < 0:
            placement.unplaced[s.src] = placement.unplaced.get(s.src, 0) + s.count
        src[k], dst[k] = mac, mac_to_int(s.dst)
        size[k], ip[k], df[k], count[k] = s.size, s.ip, s.df, s.count
    cols = [np.repeat(c, count) for c in (ticks, vif, src, dst, size, ip, df)]
    placement.frames = int(count.sum())
    placement.entered = fabric.inject(*cols)
    placed = int(count[vif >= 0].sum())
    placement.stopped = placed - placement.entered
    placement.duration_s = (last_tick + 1) / TICKS_PER_S
    return placement
