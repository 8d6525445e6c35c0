"""Planning a fabric for its traffic: what `fabric-console plan` reports.

Four answers, each computed from the topology and its `traffic:` list:

- MTU plan: for every pair of VEMs that exchange VXLAN traffic, the smallest transport MTU
  that carries every flow between them whole (largest size + 50), the path MTU now and the
  link that limits it (named as `trace` names it: the transport first, then the uplinks),
  and the VMs that would have to lower their MTU to fit the path as it is.
- Flood cost per bridge domain: transport copies/s and bytes/s of its floods under
  multicast (one copy to the group) and under unicast-only (one copy per other member
  VEM), and from how many member VEMs multicast sends fewer copies.
- Designated VTEP load: flood copies/s each VTEP receives, and a designation that spreads
  them over a VEM's VTEPs (largest bridge domain first onto the least loaded VTEP).
- VTEP reachability: every VTEP against every other, judged by `vtep_reach` (the verdict
  of the rules and of the VTEP editor), and the designated paths `Derived.vtep_paths` lists.

Sweeps run variants of the topology (`underlay.mtu=1550,1600`, a bridge domain's mode, the
VEM count) as independent simulations on any concurrent.futures Executor: a process pool
here, a dask.distributed Client's executor on a cluster. `run_variant` is a top-level
function of picklable arguments so that either can ship it.

Steady state is assumed for the analytic answers: a flow to a vNIC is known unicast (the
VEMs have learned its MAC); broadcast, multicast and MACs no vNIC owns are floods. A `count`
flow is spread over the planning duration (count / duration frames per second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field
from typing import Any

from console.models.derived import Derived, vtep_reach
from console.models.inventory import Host, Switching
from console.models.overlay import FloodMode
from console.models.topology import Topology
from console.models.traffic import TrafficFlow

from .tables import OVERHEAD

TRANSPORT = "transport"


# ---------------------------------------------------------------------- flows on VXLAN
@dataclass(frozen=True)
class VxlanFlow:
    """One flow of the traffic list as the transport sees it."""

    index: int  # position in traffic:
    flow: TrafficFlow
    bridge_domain: str
    src_host: str
    dst_hosts: tuple[str, ...]  # the VEMs that get a copy (other members for a flood)
    flood: bool
    rate: float  # frames per second


def _rate(fl: TrafficFlow, duration: float) -> float:
    if fl.pps is not None:
        return float(fl.pps)
    return (fl.count or 0) / duration if duration > 0 else 0.0


def vxlan_flows(topo: Topology, derived: Derived, duration: float) -> list[VxlanFlow]:
    """The flows that cross the VXLAN transport, with the VEMs their copies reach."""
    idx = derived.index
    owners = {v.nic.mac.lower(): v.id for v in idx.vifs.values()}
    out: list[VxlanFlow] = []
    for i, fl in enumerate(topo.traffic):
        ref = idx.vifs.get(fl.source)
        if ref is None:
            continue
        host = idx.hosts.get(ref.vm.host)
        seg = derived.segment_of(ref.nic)
        if host is None or host.switching is not Switching.VEM or seg is None \
                or seg.bridge_domain is None:
            continue
        bd = seg.bridge_domain
        members = derived.segment_members.get(bd, [])
        target = fl.to if fl.to_vif else owners.get((fl.to_mac or "").lower())
        dst_ref = idx.vifs.get(target) if target else None
        if dst_ref is not None:
            dseg = derived.segment_of(dst_ref.nic)
            if dseg is None or dseg.bridge_domain != bd or dst_ref.vm.host == host.name \
                    or dst_ref.vm.host not in members:
                continue  # switched locally, or never reaches it over VXLAN
            out.append(VxlanFlow(i, fl, bd, host.name, (dst_ref.vm.host,), False,
                                 _rate(fl, duration)))
        else:  # broadcast, multicast, or a MAC nobody owns: flooded for as long as it runs
            others = tuple(m for m in members if m != host.name)
            out.append(VxlanFlow(i, fl, bd, host.name, others, True, _rate(fl, duration)))
    return out


def _links(topo: Topology, derived: Derived, hosts: Iterable[str]) -> list[tuple[str, int]]:
    """The links a copy crosses: the transport, then the uplinks the hosts set (a host
    without uplink_mtu uses the transport's), as the trace lists them."""
    out = [(TRANSPORT, int(topo.underlay.mtu))]
    for name in dict.fromkeys(hosts):
        host = derived.index.hosts[name]
        if host.uplink_mtu is not None:
            out.append((f"uplink of {name}", int(host.uplink_mtu)))
    return out


def _flow_path(topo: Topology, derived: Derived, f: VxlanFlow, dst: str
               ) -> list[tuple[str, int]]:
    mode = derived.index.bridge_domains[f.bridge_domain].mode
    if f.flood and mode is FloodMode.MULTICAST:
        # one copy to the group: its path MTU is the smallest of the sender and every
        # member's uplink (console/engine/facade.py, "Multicast")
        return _links(topo, derived, [f.src_host, *f.dst_hosts])
    return _links(topo, derived, [f.src_host, dst])


# ---------------------------------------------------------------------- MTU plan
@dataclass
class LowerMtu:
    vif: str  # vm/nic
    mtu: int  # the vNIC's MTU now
    largest: int  # the largest frame it sends on this pair
    to: int  # the MTU that fits the path as it is


@dataclass
class MtuPair:
    vems: tuple[str, str]
    bridge_domains: list[str]
    flows: list[int]  # traffic indices
    largest: int  # the largest L3 size between the two
    required: int  # smallest transport MTU that carries every flow whole: largest + 50
    path_mtu: int  # the path MTU now
    limited_by: str  # the first link as small as path_mtu
    links: list[tuple[str, int]]
    grow: list[str]  # links smaller than `required`
    dropped: list[int]  # flows dropped now (DF, or not IP)
    fragmented: list[int]  # flows fragmented now (IP without DF)
    lower: list[LowerMtu] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return self.required <= self.path_mtu


def mtu_plan(topo: Topology, duration: float = 10.0, derived: Derived | None = None
             ) -> list[MtuPair]:
    """One row per unordered pair of VEMs that exchange VXLAN traffic, in host file order."""
    d = derived or Derived(topo)
    order = {h.name: i for i, h in enumerate(topo.hosts)}
    pairs: dict[tuple[str, str], list[tuple[VxlanFlow, list[tuple[str, int]]]]] = {}
    for f in vxlan_flows(topo, d, duration):
        for dst in f.dst_hosts:
            key = (f.src_host, dst) if order[f.src_host] < order[dst] else (dst, f.src_host)
            pairs.setdefault(key, []).append((f, _flow_path(topo, d, f, dst)))
    out: list[MtuPair] = []
    for key in sorted(pairs, key=lambda k: (order[k[0]], order[k[1]])):
        rows = pairs[key]
        # every link any of the pair's copies crosses, smallest first at equal names
        links: dict[str, int] = {}
        for _, path in rows:
            for name, mtu in path:
                links[name] = mtu
        path_mtu = min(links.values())
        limited_by = next(n for n, m in links.items() if m == path_mtu)
        largest = max(f.flow.size for f, _ in rows)
        required = largest + OVERHEAD
        dropped: list[int] = []
        fragmented: list[int] = []
        senders: dict[str, int] = {}
        for f, path in rows:
            pmtu = min(m for _, m in path)
            if f.flow.size + OVERHEAD > pmtu:
                (fragmented if f.flow.ip and not f.flow.df else dropped).append(f.index)
                senders[f.flow.source] = max(senders.get(f.flow.source, 0), f.flow.size)
        dropped, fragmented = sorted(set(dropped)), sorted(set(fragmented))  # one per flow
        fit = path_mtu - OVERHEAD
        lower = []
        for vif, size in senders.items():
            nic = d.index.vifs[vif].nic
            lower.append(LowerMtu(vif, int(nic.mtu), size, fit))
        out.append(MtuPair(
            key, sorted({f.bridge_domain for f, _ in rows},
                        key=[b.name for b in topo.bridge_domains].index),
            sorted({f.index for f, _ in rows}), largest, required, path_mtu, limited_by,
            list(links.items()), [n for n, m in links.items() if m < required],
            dropped, fragmented, lower))
    return out


# ---------------------------------------------------------------------- flood cost
@dataclass
class FloodCost:
    bridge_domain: str
    mode: str  # as configured
    members: int  # member VEMs (running VMs in the segment)
    floods_per_s: float  # floods originated by VMs on member VEMs
    bytes_per_flood: float  # average transport bytes of one copy (size + 50)
    multicast_copies: float  # transport copies/s, multicast mode
    unicast_copies: float  # transport copies/s, unicast-only mode
    multicast_bytes: float
    unicast_bytes: float
    multicast_wins_from: int  # member VEMs from which multicast sends fewer copies

    def copies_at(self, members: int) -> tuple[float, float]:
        """(multicast, unicast-only) copies/s with `members` member VEMs, every member
        flooding what the members flood now on average."""
        per_member = self.floods_per_s / self.members if self.members else 0.0
        floods = per_member * members
        return floods if members > 1 else 0.0, floods * max(members - 1, 0)


def flood_cost(topo: Topology, duration: float = 10.0, derived: Derived | None = None
               ) -> list[FloodCost]:
    """Per bridge domain (file order). A multicast flood is one copy to the group when any
    other VEM is a member; a unicast-only flood is one copy per other member VEM. So with N
    members unicast-only sends N - 1 copies per flood and multicast 1: they tie at 2
    members and multicast sends fewer from 3."""
    d = derived or Derived(topo)
    flows = vxlan_flows(topo, d, duration)
    out = []
    for bd in topo.bridge_domains:
        members = d.segment_members.get(bd.name, [])
        n = len(members)
        floods = [f for f in flows if f.flood and f.bridge_domain == bd.name]
        rate = sum(f.rate for f in floods)
        wire = sum(f.rate * (f.flow.size + OVERHEAD) for f in floods)
        per = wire / rate if rate else 0.0
        mc = rate if n > 1 else 0.0
        uc = rate * max(n - 1, 0)
        out.append(FloodCost(bd.name, bd.mode.value, n, rate, per, mc, uc, mc * per,
                             uc * per, 3))
    return out


# ---------------------------------------------------------------------- VTEP load
@dataclass
class VtepLoad:
    vem: str
    vtep: str
    ip: str
    copies_per_s: float  # flood copies/s it receives with the designation as it is
    bridge_domains: list[str]  # the segments it is designated for (with VMs on the VEM)
    proposed_per_s: float
    proposed: list[str]


def _received(topo: Topology, d: Derived, duration: float) -> dict[tuple[str, str], float]:
    """(VEM, bridge domain) -> flood copies/s the VEM's designated VTEP receives."""
    out: dict[tuple[str, str], float] = {}
    for f in vxlan_flows(topo, d, duration):
        if f.flood:
            for dst in f.dst_hosts:
                out[(dst, f.bridge_domain)] = out.get((dst, f.bridge_domain), 0.0) + f.rate
    return out


def spread(host: Host, loads: dict[str, float], current: dict[str, str]) -> dict[str, str]:
    """Bridge domain -> VTEP name: the largest load first onto the least loaded VTEP
    (longest processing time first); ties keep the current VTEP so that a balanced VEM is
    left as it is."""
    names = [v.name for v in host.vteps]
    total = dict.fromkeys(names, 0.0)
    out: dict[str, str] = {}
    for bd in sorted(loads, key=lambda b: -loads[b]):
        least = min(total.values())
        pick = current[bd] if total[current[bd]] == least else \
            next(n for n in names if total[n] == least)
        out[bd] = pick
        total[pick] += loads[bd]
    return out


def vtep_load(topo: Topology, duration: float = 10.0, derived: Derived | None = None
              ) -> tuple[list[VtepLoad], dict[str, dict[str, str]]]:
    """The load of every VTEP of every VEM, now and with a designation that spreads it, and
    that designation as `designated_vteps` entries (host -> {bridge domain: VTEP}) for the
    VEMs where it differs from the current one."""
    d = derived or Derived(topo)
    received = _received(topo, d, duration)
    rows: list[VtepLoad] = []
    changes: dict[str, dict[str, str]] = {}
    for host in topo.hosts:
        if host.switching is not Switching.VEM or not host.vteps:
            continue
        bds = [d.index.bridge_domains[b] for b in d.segments_on(host.name)]
        current = {bd.name: v.name for bd in bds
                   if (v := d.designated_vtep(host, bd)) is not None}
        loads = {bd.name: received.get((host.name, bd.name), 0.0) for bd in bds}
        proposal = spread(host, loads, current)
        if proposal != current:
            changes[host.name] = {b: proposal[b] for b in current if proposal[b] != current[b]}
        for v in host.vteps:
            mine = [b for b in current if current[b] == v.name]
            new = [b for b in proposal if proposal[b] == v.name]
            rows.append(VtepLoad(host.name, v.name, str(v.ip.ip),
                                 sum(loads[b] for b in mine), mine,
                                 sum(loads[b] for b in new), new))
    return rows, changes


# ---------------------------------------------------------------------- reachability
REACH_KINDS = ("same subnet", "proxy ARP", "gateway", "unreachable")


def reach_kind(ok: bool, how: str) -> str:
    """The class of a `vtep_reach` verdict (its `how` names the way it took)."""
    if not ok:
        return "unreachable"
    if how.startswith("same subnet"):
        return "same subnet"
    if "gateway" in how:
        return "gateway"
    return "proxy ARP"


@dataclass
class ReachMatrix:
    vteps: list[str]  # "vem/vtep ip"
    cells: list[list[str]]  # [sender][receiver]: a REACH_KINDS entry, "" on the diagonal
    paths: list[tuple[str, str, str, str, str]]  # (bd, from, to, kind, how) as vtep_paths


def reach_matrix(topo: Topology, derived: Derived | None = None) -> ReachMatrix:
    d = derived or Derived(topo)
    proxy = topo.underlay.proxy_arp
    ends = [(h, v) for h in topo.hosts if h.switching is Switching.VEM for v in h.vteps]
    names = [f"{h.name}/{v.name} {v.ip.ip}" for h, v in ends]
    cells = []
    for (_, a) in ends:
        row = []
        for (_, b) in ends:
            r = vtep_reach(a, b, proxy)
            row.append("" if a is b else reach_kind(r.ok, r.how))
        cells.append(row)
    paths = []
    seen: set[tuple[str, str, str]] = set()
    for h in topo.hosts:
        for p in d.vtep_paths(h.name):
            if (p.bridge_domain, p.src_host, p.dst_host) in seen:
                continue
            seen.add((p.bridge_domain, p.src_host, p.dst_host))
            src = f"{p.src_host}/{p.src.name}" if p.src else p.src_host
            dst = f"{p.dst_host}/{p.dst.name}" if p.dst else p.dst_host
            paths.append((p.bridge_domain, src, dst, reach_kind(*p.reach), p.reach.how))
    return ReachMatrix(names, cells, paths)


# ---------------------------------------------------------------------- sweeps
class SweepError(ValueError):
    """A --sweep that names nothing in the topology, or a value it cannot take."""


VEMS_KEY = "vems"


def parse_sweep(text: str) -> tuple[str, list[Any]]:
    """`KEY=V1,V2,...` as the key and typed values (YAML scalars: 1600, true, multicast)."""
    import yaml

    key, sep, values = text.partition("=")
    if not sep or not key or not values:
        raise SweepError(f"{text!r}: write KEY=V1,V2,... (e.g. underlay.mtu=1550,1600)")
    return key.strip(), [yaml.safe_load(v.strip()) for v in values.split(",") if v.strip()]


def _set(data: Any, path: list[str], value: Any, key: str) -> None:
    """Set `value` at a dotted path of a topology's data; a list is indexed by its items'
    names (`bridge_domains.tenant-a.mode`, `hosts.vem1.uplink_mtu`)."""
    head, rest = path[0], path[1:]
    if isinstance(data, list):
        item = next((x for x in data if isinstance(x, dict) and x.get("name") == head), None)
        if item is None:
            raise SweepError(f"{key}: no item named {head}")
        if rest:
            _set(item, rest, value, key)
        else:
            raise SweepError(f"{key}: names an object, not a setting")
        return
    if not isinstance(data, dict):
        raise SweepError(f"{key}: {head} is not inside a mapping")
    if rest:
        if head not in data or data[head] is None:
            raise SweepError(f"{key}: no {head} here")
        _set(data[head], rest, value, key)
    else:
        data[head] = value


def scale_vems(data: dict[str, Any], count: int) -> None:
    """The fabric with `count` VEM hosts: the last VEMs (with their VMs and the flows from
    them) are removed, or the last VEM is cloned with its VMs, VTEPs in the next addresses
    and its VMs' flows repeated for each clone."""
    import copy
    from ipaddress import IPv4Interface

    hosts = data.get("hosts", [])
    vems = [h for h in hosts if h.get("switching") == "vem"]
    if count < 1 or not vems:
        raise SweepError(f"{VEMS_KEY}: needs at least one VEM host, and a count of 1 or more")
    vms = data.get("vms", [])
    traffic = data.get("traffic", [])
    if count < len(vems):
        gone = {h["name"] for h in vems[count:]}
        gone_vms = {v["name"] for v in vms if v["host"] in gone}
        data["hosts"] = [h for h in hosts if h["name"] not in gone]
        data["vms"] = [v for v in vms if v["name"] not in gone_vms]
        data["traffic"] = [t for t in traffic if t["from"].split("/")[0] not in gone_vms
                           and t["to"].split("/")[0] not in gone_vms]
        return
    last = vems[-1]
    used = {str(IPv4Interface(v["ip"]).ip) for h in hosts for v in h.get("vteps", [])}
    macs = {n["mac"].lower() for v in vms for n in v.get("nics", [])}
    mine = [v for v in vms if v["host"] == last["name"]]
    for k in range(len(vems), count):
        clone = copy.deepcopy(last)
        clone["name"] = f"{last['name']}-{k + 1}"
        for vtep in clone.get("vteps", []):
            addr = IPv4Interface(vtep["ip"])
            nxt = addr.ip + 1
            while str(nxt) in used or nxt not in addr.network:
                nxt = nxt + 1 if nxt in addr.network else addr.network.network_address + 1
            used.add(str(nxt))
            vtep["ip"] = f"{nxt}/{addr.network.prefixlen}"
        data["hosts"].append(clone)
        names = {}
        for vm in mine:
            new = copy.deepcopy(vm)
            new["name"] = f"{vm['name']}-{k + 1}"
            names[vm["name"]] = new["name"]
            new["host"] = clone["name"]
            for nic in new.get("nics", []):
                mac = int(nic["mac"].replace(":", ""), 16)
                while f"{mac:012x}" in {m.replace(':', '') for m in macs}:
                    mac += 1
                text = ":".join(f"{mac:012x}"[i:i + 2] for i in range(0, 12, 2))
                macs.add(text)
                nic["mac"] = text
                nic.pop("ip", None)
            data["vms"].append(new)
        for t in list(traffic):
            vm = t["from"].split("/")[0]
            if vm in names:
                new_t = dict(t, **{"from": names[vm] + "/" + t["from"].split("/", 1)[1]})
                data.setdefault("traffic", []).append(new_t)


def variant(topo: Topology, key: str, value: Any) -> Topology:
    """The topology with one setting changed (validated as a file would be)."""
    import yaml

    from console.models.topofile import TopologyFileError, loads

    data = topo.model_dump(mode="json", by_alias=True, exclude_none=True)
    if key == VEMS_KEY:
        if not isinstance(value, int) or isinstance(value, bool):
            raise SweepError(f"{VEMS_KEY}: {value!r} is not a number of VEM hosts")
        scale_vems(data, value)
    else:
        _set(data, key.split("."), value, key)
    try:
        return loads(yaml.safe_dump(data, sort_keys=False).encode(),
                     source=f"{key}={value}")
    except TopologyFileError as exc:
        raise SweepError(f"{key}={value}: {exc.problems[0] if exc.problems else exc}") \
            from None


SWEEP_COUNTERS = ("mtu_drops", "fragments", "pmtu_notifications", "unreachable_drops",
                  "flood_copies_sent", "encap_packets")


def run_variant(topo: Topology, key: str, value: Any, duration: float, seed: int
                ) -> dict[str, Any]:
    """One sweep row: the variant simulated for `duration` seconds, its VEM totals summed,
    and the frames delivered to VMs. Runs in a worker process or on a Dask worker."""
    from .facade import Fabric

    var = variant(topo, key, value)
    try:
        fabric = Fabric(var, seed=seed, plane="compiled")
    except ImportError:
        fabric = Fabric(var, seed=seed, plane="reference")
    fabric.run_until(duration)
    stats = fabric.sample().to_json()
    row: dict[str, Any] = {"key": key, "value": value}
    for c in SWEEP_COUNTERS:
        row[c] = sum(int(v.get(c, 0)) for v in stats.get("vems", {}).values())
    row["delivered"] = sum(int(v.get("rx_packets", 0)) for v in stats.get("vifs", {}).values())
    row["tx_drops"] = sum(int(v.get("tx_drops", 0)) for v in stats.get("vifs", {}).values())
    return row


def sweep(topo: Topology, key: str, values: list[Any], executor: Executor, *,
          duration: float = 10.0, seed: int = 0,
          progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """Every value of the sweep simulated on `executor`; rows in the order of `values`.
    Each variant is validated here first, so a bad value fails before any work is sent."""
    for v in values:
        variant(topo, key, v)
    futures: dict[Future[dict[str, Any]], int] = {
        executor.submit(run_variant, topo, key, v, duration, seed): i
        for i, v in enumerate(values)}
    rows: list[dict[str, Any] | None] = [None] * len(values)
    if progress:
        progress(0, len(values))
    for done, fut in enumerate(as_completed(futures), 1):
        rows[futures[fut]] = fut.result()
        if progress:
            progress(done, len(values))
    return [r for r in rows if r is not None]


__all__ = ["FloodCost", "LowerMtu", "MtuPair", "REACH_KINDS", "ReachMatrix", "SweepError",
           "VtepLoad", "VxlanFlow", "flood_cost", "mtu_plan", "parse_sweep", "reach_kind",
           "reach_matrix", "run_variant", "spread", "sweep", "variant", "vtep_load",
           "vxlan_flows"]
