"""The emulated fabric: what backends and the `simulate` command drive.

Contract (the emulated backend calls exactly this, from ONE worker thread; not thread-safe):

    fabric = Fabric(topology, seed=0, plane="compiled")   # or plane="reference"
                                    # (flow_cache=False: compiled, every frame slow path)
    fabric.now                      simulated seconds since start
    fabric.run_until(t)             advance simulated time to t, carrying the traffic
    fabric.step(dt)                 run_until(now + dt)
    fabric.sample()                 CounterSample: monotonic totals, timestamp = now
    fabric.apply(change)            ChangeResult: a live change, guarded by the rules
    fabric.l2_table(bridge_domain)  [L2Entry(mac, vem, vtep_ip, age_s, local)]
    fabric.vteps(bridge_domain)     [VtepInfo(vem, vtep, ip, designated, member)]
    fabric.topology                 the model the fabric runs now (changes update it)
    fabric.offered                  frames the VMs offered so far (benchmarks count these)
    fabric.inject(tick, vif, ...)   enter frames given one by one (a capture's replay)
    fabric.plane_name               "compiled" or "reference"

`plane="compiled"` raises ImportError when the Cython extension is not built (the emulated
backend then falls back to the reference plane). Simulated time only moves forward and in
whole ticks of 1 ms: run_until(t) carries every tick that ends at or before t.

Counters (CounterSample, DESIGN.md `simulate --json`): a VIF's rx counts every frame
delivered to its port, floods and unknown unicast included; rx_drops stays 0 (no receive
queues are modelled). fragments counts IP fragments produced (n per oversized packet
without DF, each fragment + 50 bytes fitting the path MTU); the packet itself is counted
once in encap/decap/rx. A flood copy dropped at the sender (unreachable VTEP, MTU) is not
counted in flood_copies. Multicast: one copy per flood, checked against the group's path
MTU (the smallest uplink of the sender and every member VEM, and the underlay).

The topology is compiled once into flat tables (console.engine.tables) that both planes
consume; after a live change it is compiled again and the running state (L2 tables, token
buckets, flow progress, counters) is carried over by name (console.engine.carry). The
traffic model is described in console.engine.traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from console.models.changes import Change, ChangeResult
from console.models.overlay import FloodMode
from console.models.payloads import L2Entry as L2Entry  # `as`: console.engine names
from console.models.payloads import VtepInfo as VtepInfo  # the rows it returns too
from console.models.payloads import vtep_roles
from console.models.pipeline import plan_change
from console.models.stats import (
    CounterSample,
)
from console.models.topology import Topology

from . import carry
from .sampling import counter_sample
from .tables import REMOTE, Tables, compile_topology
from .traffic import TICKS_PER_S, int_to_mac

PLANES = ("compiled", "reference")


class Plane(Protocol):
    """What the facade asks of a data plane: the compiled one (_dataplane.pyx) and the
    reference one (reference.py) both offer exactly this."""

    def run_ticks(self, t0: int, t1: int) -> int: ...
    def inject(self, tick: np.ndarray, vif: np.ndarray, src: np.ndarray, dst: np.ndarray,
               size: np.ndarray, ip: np.ndarray, df: np.ndarray) -> int: ...
    def counters(self) -> dict[str, np.ndarray]: ...
    def l2_gauges(self, now: int) -> tuple[np.ndarray, np.ndarray]: ...
    def l2_snapshot(self) -> dict[str, np.ndarray]: ...
    def export_state(self) -> dict[str, np.ndarray]: ...
    def import_state(self, s: dict[str, np.ndarray]) -> None: ...


def _make_plane(plane: str, tables: Tables, flow_cache: bool = True) -> Plane:
    if plane == "compiled":
        from ._dataplane import CompiledPlane  # ImportError when not built

        compiled: Plane = CompiledPlane(tables, flow_cache)
        return compiled
    if plane == "reference":
        from .reference import ReferencePlane

        return ReferencePlane(tables)
    raise ValueError(f"plane is one of {', '.join(PLANES)}, not {plane!r}")


class Fabric:
    """An emulated VM-FEX and VXLAN fabric running one topology. See the module docstring."""

    def __init__(self, topology: Topology, *, seed: int = 0, plane: str = "compiled",
                 flow_cache: bool = True):
        self.topology = topology
        self.flow_cache = flow_cache  # compiled plane: replay recorded frames (_flowcache.pxi)
        self.seed = seed
        self.plane_name = plane
        self.now = 0.0
        self._tick = 0  # ticks carried so far
        self.offered = 0  # frames the VMs offered (before policing)
        self._tables = compile_topology(topology, seed)
        self._plane = _make_plane(plane, self._tables, flow_cache)
        self._base = carry.Totals()
        self._base_cache: dict[str, np.ndarray] | None = None
        for name, members, mode in self._memberships(self._tables):
            if mode is FloodMode.MULTICAST:
                self._base.igmp(name)[0] += len(members)

    # ------------------------------------------------------------------ time
    def run_until(self, t: float) -> None:
        """Advance simulated time to t (never backwards). Traffic is carried in whole ticks
        of 1 ms: every tick that ends at or before t."""
        if t <= self.now:
            return
        target = math.floor(t * TICKS_PER_S + 1e-9)
        if target > self._tick:
            self.offered += self._plane.run_ticks(self._tick, target)
            self._tick = target
        self.now = float(t)

    def step(self, dt: float) -> None:
        self.run_until(self.now + dt)

    def inject(self, tick: np.ndarray, vif: np.ndarray, src: np.ndarray, dst: np.ndarray,
               size: np.ndarray, ip: np.ndarray, df: np.ndarray) -> int:
        """Enter frames one by one (a capture's: console.engine.replay): frame i at VIF
        index vif[i] (into the compiled tables' VIFs) at tick tick[i], ticks non-decreasing
        and not before the tick carried next. The file's own flows keep running: ticks
        before each frame's are carried first. Returns the frames offered."""
        n = len(tick)
        if n == 0:
            return 0
        if int(tick[0]) < self._tick:
            raise ValueError(f"frames at tick {int(tick[0])} are in the past (now tick "
                             f"{self._tick})")
        cols = [np.ascontiguousarray(a, dtype=dt) for a, dt in (
            (tick, np.int64), (vif, np.int64), (src, np.uint64), (dst, np.uint64),
            (size, np.int64), (ip, np.int64), (df, np.int64))]
        offered = 0
        if len(self._tables.fl_vif) == 0:
            offered = self._plane.inject(*cols)
        else:  # interleave with the flows, tick by tick
            ticks = cols[0]
            starts = np.flatnonzero(np.r_[True, ticks[1:] != ticks[:-1]])
            ends = np.r_[starts[1:], n]
            for a, b in zip(starts.tolist(), ends.tolist()):
                self.run_until(int(ticks[a]) / TICKS_PER_S)
                offered += self._plane.inject(*(c[a:b] for c in cols))
        self.offered += offered
        last = int(cols[0][-1])
        if last > self._tick:
            # Only without flows: the ticks before `last` had nothing else to carry.
            self._tick = last
            self.now = max(self.now, last / TICKS_PER_S)
        return offered

    # ------------------------------------------------------------------ counters
    def sample(self) -> CounterSample:
        """Every counter now, as columns (engine.sampling): no object per VIF."""
        return counter_sample(self._tables, self._plane, self._base_arrays(),
                              self._base.igmp_counts, self._tick, self.now)

    def _base_arrays(self) -> dict[str, np.ndarray]:
        """Totals of earlier planes aligned with the current tables (built once per
        recompile)."""
        if self._base_cache is None:
            self._base_cache = self._base.aligned(self._tables)
        return self._base_cache

    # ------------------------------------------------------------------ views
    def l2_table(self, bridge_domain: str) -> list[L2Entry]:
        """The entries of every VEM's L2 table in one bridge domain, VEM by VEM."""
        t = self._tables
        if ("bd", bridge_domain) not in t.seg_keys:
            return []
        seg = t.seg_keys.index(("bd", bridge_domain))
        st = self._plane.l2_snapshot()
        age = self._tick - st["l2_last"]
        keep = (st["l2_seg"] == seg) & (st["l2_sw"] < t.nvem) & (age < t.aging_ticks)
        rows = sorted(zip(st["l2_sw"][keep].tolist(), st["l2_mac"][keep].tolist(),
                          st["l2_kind"][keep].tolist(), st["l2_port"][keep].tolist(),
                          age[keep].tolist()))
        return [L2Entry(int_to_mac(mac), t.vem_names[sw],
                        t.vtep_ips[port] if kind == REMOTE else None,
                        max(a, 0) / TICKS_PER_S, kind != REMOTE)
                for sw, mac, kind, port, a in rows]

    def vteps(self, bridge_domain: str) -> list[VtepInfo]:
        """Every VTEP of every VEM, with its role in this bridge domain."""
        return vtep_roles(self.topology, bridge_domain)

    # ------------------------------------------------------------------ changes
    def apply(self, change: Change) -> ChangeResult:
        """Judge a live change with the rules (console.models.pipeline); when allowed,
        run the changed topology at once (state carried over, IGMP joins and leaves
        counted). The fabric takes the new topology only once it is compiled: a change
        that fails leaves the topology, and the running fabric, as they were."""
        planned = plan_change(self.topology, change)
        if planned.after is None:
            return planned.refused()
        after = planned.after
        old_tables, old_flows = self._tables, list(self.topology.traffic)
        old_state = self._plane.export_state()
        new_tables = compile_topology(after, self.seed)
        new_plane = _make_plane(self.plane_name, new_tables, self.flow_cache)
        new_plane.import_state(carry.remap_state(old_tables, new_tables, old_state, old_flows,
                                                 list(after.traffic), self._tick))
        self._base.absorb(old_tables, self._plane.counters())
        steps = self._count_igmp(old_tables, new_tables)
        self.topology, self._tables, self._plane = after, new_tables, new_plane
        self._base_cache = None
        return ChangeResult(change, True, "applied", steps=["recompiled the fabric", *steps])

    @staticmethod
    def _memberships(t: Tables) -> Iterator[tuple[str, list[str], FloodMode]]:
        for i, name in enumerate(t.bd_names):
            mode = FloodMode.MULTICAST if t.bd_mode[i] == 0 else FloodMode.UNICAST_ONLY
            yield name, t.bd_members[i], mode

    def _count_igmp(self, old: Tables, new: Tables) -> list[str]:
        """IGMP joins and leaves: a VEM joins a multicast segment's group with its first VM
        in the segment and leaves with its last."""
        def joined(t: Tables) -> dict[str, set[str]]:
            return {n: set(m) for n, m, mode in self._memberships(t)
                    if mode is FloodMode.MULTICAST}
        before, after = joined(old), joined(new)
        steps = []
        for bd in sorted(set(before) | set(after)):
            was, now = before.get(bd, set()), after.get(bd, set())
            for vem in sorted(now - was):
                self._base.igmp(bd)[0] += 1
                steps.append(f"{vem} joins the group of {bd}")
            for vem in sorted(was - now):
                self._base.igmp(bd)[1] += 1
                steps.append(f"{vem} leaves the group of {bd}")
        return steps
