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

import mmap
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from console.models.capture.analysis import Sent, frame_problem
from console.models.capture.decode import decode
from console.models.capture.reader import LINKTYPE_ETHERNET, Problem

from .facade import Fabric
from .traffic import TICKS_PER_S, int_to_mac, mac_to_int


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
        # Whole microseconds first: float seconds since the epoch are off by up to 0.24
        # us, enough to put a frame stamped on a millisecond boundary in the tick before.
        micros = round((s.ts - t0) * 1_000_000)
        last_tick = max(last_tick, micros * TICKS_PER_S // 1_000_000)
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


def replay_pcap(fabric: Fabric, path: str | os.PathLike[str], vxlan_ports: frozenset[int],
                vm_mtu: int, at: str | None = None,
                chunk: int = 1 << 20) -> tuple[Placement, list[Problem]] | None:
    """The compiled fast path of replay() for a classic pcap file of Ethernet frames: the
    file's bytes are walked in C (_pcapwalk) straight into Fabric.inject's columns, a chunk
    at a time, no Python object per frame. The same frames, counters and problems as
    sent_frames() + replay(); None when it does not apply (the extension is not built, or
    the file is pcapng, another link type, or unreadable): use those then.

    Raises KeyError when `at` names no VIF."""
    try:
        from ._pcapwalk import Walker
    except ImportError:
        return None
    tables = fabric._tables  # the compiled VIF order the planes index by (same package)
    at_index = -1
    if at is not None:
        if at not in tables.vif_ids:
            raise KeyError(at)
        at_index = tables.vif_ids.index(at)
    # MAC -> first VIF with it (replay()'s rule), as sorted arrays for searchsorted
    order = np.argsort(tables.vif_mac, kind="stable")
    macs, first = np.unique(tables.vif_mac[order], return_index=True)
    vif_of = order[first].astype(np.int64)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the map
    except OSError:
        return None
    with fh:
        try:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):
            return None  # empty, or not a regular file
        try:
            result = _walk(fabric, mm, Walker, vxlan_ports, vm_mtu, macs, vif_of, at_index,
                           chunk)
        finally:
            mm.close()
    return result


def _walk(fabric: Fabric, mm: mmap.mmap, walker_type: Any, vxlan_ports: frozenset[int],
          vm_mtu: int, macs: np.ndarray, vif_of: np.ndarray, at_index: int,
          chunk: int) -> tuple[Placement, list[Problem]] | None:
    try:
        walker = walker_type(memoryview(mm), sorted(vxlan_ports), vm_mtu)
    except ValueError:
        return None
    if walker.linktype != LINKTYPE_ETHERNET:
        del walker
        return None
    placement = Placement()
    unplaced = []
    any_rows = False
    while True:
        cols = walker.walk(chunk)
        src = cols["src"]
        if len(src) == 0:
            break
        any_rows = True
        count = cols["count"]
        pos = np.minimum(np.searchsorted(macs, src), max(len(macs) - 1, 0))
        found = (macs[pos] == src) if len(macs) else np.zeros(len(src), dtype=bool)
        vif = np.where(found, vif_of[pos] if len(macs) else -1, at_index).astype(np.int64)
        missing = vif < 0
        if missing.any():
            unplaced.append((src[missing], count[missing]))
        if (count != 1).any():
            cols = {k: np.repeat(v, count) for k, v in cols.items()}
            vif = np.repeat(vif, count)
        placement.frames += int(count.sum())
        placed = int(count[~missing].sum())
        entered = fabric.inject(cols["tick"], vif, cols["src"], cols["dst"], cols["size"],
                                cols["ip"], cols["df"])
        placement.entered += entered
        placement.stopped += placed - entered
    if any_rows:
        placement.duration_s = (walker.last + 1) / TICKS_PER_S
    for srcs, counts in unplaced:
        for mac, n in zip(srcs.tolist(), counts.tolist()):
            text = int_to_mac(mac)
            placement.unplaced[text] = placement.unplaced.get(text, 0) + n
    problems = [Problem(record, message) for record, message in walker.problems]
    for record, offset, caplen, wire in walker.suspects:
        frame = decode(bytes(mm[offset:offset + caplen]), wire, vxlan_ports)
        if frame.error is not None:
            problems.append(Problem(record, frame_problem(frame)))
    del walker  # releases its view of the map before the map closes
    problems.sort(key=lambda p: p.record)
    return placement, problems
