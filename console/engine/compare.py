"""Running two topologies side by side: what `fabric-console compare` reports of the fabric.

Both files run on the same seed for the same simulated time. Two kinds of difference come
from the engine:

- counters: every `simulate --json` counter whose totals differ, keyed by its path with
  dots (`bridge_domains.blue.flood_copies`), most telling first (flood copies on the
  transport, MTU and unreachable drops, learned MACs, then the rest);
- flows: for each flow of the files' traffic, one of its frames is traced at the end of
  each run (console.engine.trace, the same state the counters describe); the destinations
  it reaches in one file and not in the other are the flows that stopped or started
  reaching them, with the drops of the trace that explains it.

Flows of A and B are paired by (from, to, src_mac), in file order; a flow only one file has
is reported as added or removed with what it reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.models.topology import Topology
from console.models.traffic import TrafficFlow

from .facade import Fabric
from .trace import Snapshot, Trace, TraceError, resolve_destination
from .traffic import mac_to_int

# Counter names, most telling first: what an administrator comparing two designs looks at
# (transport load, drops, table sizes) before the per-VIF totals that follow from them.
IMPORTANCE = (
    "flood_copies", "mtu_drops", "unreachable_drops", "learned_macs", "pmtu_notifications",
    "fragments", "flood_frames", "flood_copies_sent", "hairpin_frames", "flooded_frames",
    "switched_frames", "encap_packets", "decap_packets", "l2_entries", "igmp_joins",
    "igmp_leaves", "tx_drops", "rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
    "rx_drops",
)
SECTIONS = ("bridge_domains", "vems", "fabric_interconnects", "vifs")


def flatten(stats: dict[str, Any]) -> dict[str, int]:
    """The counters of a `simulate --json` object by dotted path."""
    out: dict[str, int] = {}
    for section in SECTIONS:
        for name, counters in stats.get(section, {}).items():
            for counter, value in counters.items():
                out[f"{section}.{name}.{counter}"] = value
    return out


def _rank(path: str) -> tuple[int, int, str]:
    section, _, rest = path.partition(".")
    counter = rest.rsplit(".", 1)[-1]
    rank = IMPORTANCE.index(counter) if counter in IMPORTANCE else len(IMPORTANCE)
    return rank, SECTIONS.index(section) if section in SECTIONS else len(SECTIONS), path


def counter_changes(before: dict[str, Any], after: dict[str, Any]
                    ) -> dict[str, list[int | None]]:
    """Every counter that differs, path -> [before, after] (None: the object is absent
    from that file, and its counter in the other is not 0), most telling first."""
    a, b = flatten(before), flatten(after)
    # an object only one file has is reported where its counters are not zero: a new
    # vNIC that receives nothing has not moved anything
    paths = [p for p in set(a) | set(b) if (a.get(p) or 0) != (b.get(p) or 0)]
    return {p: [a.get(p), b.get(p)] for p in sorted(paths, key=_rank)}


@dataclass
class FlowChange:
    """A flow whose destinations differ between A and B."""

    flow: str  # "from -> to"
    status: str  # "changed", "added" (only in B), "removed" (only in A)
    index_a: int | None  # position in A's traffic list
    index_b: int | None
    frame: str  # size and kind of the traced frame ("4000 bytes, not IP")
    stopped: list[str] = field(default_factory=list)  # reached in A, not in B
    started: list[str] = field(default_factory=list)  # reached in B, not in A
    before: Trace | None = None
    after: Trace | None = None

    @property
    def why(self) -> Trace | None:
        """The trace that explains the change: B's for what stopped, A's for what
        started (the reason it did not reach it before)."""
        return self.after if self.stopped else self.before

    def to_json(self) -> dict[str, Any]:
        why = self.why
        return {
            "flow": self.flow, "status": self.status, "traffic_a": self.index_a,
            "traffic_b": self.index_b, "frame": self.frame, "stopped": self.stopped,
            "started": self.started,
            "reasons": [d.to_json() for d in why.drops] if why is not None else [],
            "verdict_before": self.before.verdict() if self.before else None,
            "verdict_after": self.after.verdict() if self.after else None,
        }


@dataclass
class RunPair:
    before: dict[str, Any]  # simulate --json of A
    after: dict[str, Any]
    counters: dict[str, list[int | None]]
    flows: list[FlowChange]
    plane: str


def _fabric(topo: Topology, seed: int, duration: float) -> Fabric:
    try:
        fabric = Fabric(topo, seed=seed, plane="compiled")
    except ImportError:
        fabric = Fabric(topo, seed=seed, plane="reference")
    fabric.run_until(duration)
    return fabric


def flow_key(fl: TrafficFlow) -> tuple[str, str, str | None]:
    return fl.source, fl.to, fl.src_mac


def trace_flow(snap: Snapshot, fl: TrafficFlow) -> Trace | None:
    """One frame of the flow traced from a fabric's state (None when its vNIC or its
    destination is not in the topology)."""
    ref = snap.derived.index.vifs.get(fl.source)
    if ref is None:
        return None
    try:
        dst, targets = resolve_destination(snap.fabric.topology, fl.to, snap.derived)
    except TraceError:
        return None
    src = mac_to_int(fl.src_mac) if fl.src_mac else mac_to_int(ref.nic.mac)
    tr = snap.trace(fl.source, src, dst, fl.size, fl.ip, fl.df)
    tr.to = fl.to
    tr.target_vifs = targets
    return tr


def _frame(fl: TrafficFlow) -> str:
    kind = "IP, DF" if fl.df else "IP" if fl.ip else "not IP"
    return f"{fl.size} bytes, {kind}"


def reached(tr: Trace | None) -> list[str]:
    """The destinations a traced frame reached: the vNIC(s) it was sent to, or for a
    broadcast, multicast or unknown MAC every vNIC it was delivered to."""
    if tr is None:
        return []
    if tr.target_vifs:
        return [v for v in tr.target_vifs if v in tr.delivered]
    return list(dict.fromkeys(tr.delivered))


def compare_runs(a: Topology, b: Topology, *, duration: float = 10.0, seed: int = 0
                 ) -> RunPair:
    fa, fb = _fabric(a, seed, duration), _fabric(b, seed, duration)
    before, after = fa.sample().to_json(), fb.sample().to_json()
    sa, sb = Snapshot(fa), Snapshot(fb)
    flows: list[FlowChange] = []
    pending: dict[tuple[str, str, str | None], list[tuple[int, TrafficFlow]]] = {}
    for j, fl in enumerate(b.traffic):
        pending.setdefault(flow_key(fl), []).append((j, fl))
    for i, fl in enumerate(a.traffic):
        name = f"{fl.source} -> {fl.to}"
        partners = pending.get(flow_key(fl))
        ta = trace_flow(sa, fl)
        if not partners:
            if reached(ta):
                flows.append(FlowChange(name, "removed", i, None, _frame(fl),
                                        stopped=reached(ta), before=ta))
            continue
        j, other = partners.pop(0)
        tb = trace_flow(sb, other)
        was, now = reached(ta), reached(tb)
        stopped = [d for d in was if d not in now]
        started = [d for d in now if d not in was]
        if stopped or started:
            flows.append(FlowChange(name, "changed", i, j, _frame(other), stopped, started,
                                    ta, tb))
    for rest in pending.values():
        for j, fl in rest:
            tb = trace_flow(sb, fl)
            if reached(tb):
                flows.append(FlowChange(f"{fl.source} -> {fl.to}", "added", None, j,
                                        _frame(fl), started=reached(tb), after=tb))
    # what stopped working first, then what was added or removed
    order = {"changed": 0, "removed": 1, "added": 2}
    flows.sort(key=lambda c: (not c.stopped, order[c.status]))
    return RunPair(before, after, counter_changes(before, after), flows, fa.plane_name)
