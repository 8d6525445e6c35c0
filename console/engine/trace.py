"""Tracing one frame through the emulated fabric: `fabric-console trace`.

The rules are not written here: the frame is switched by the reference data plane
(console.engine.reference, the executable specification) with a tracer attached, and every
decision the plane takes is reported to `_Tracer.on` as it is taken. This module only puts
names and numbers on those decisions (which profile, which VTEP, which link limits the path
MTU) and collects the verdict: the vNICs the frame was delivered to and the drops, each
with a stable reason id.

The state the frame meets is the file's own traffic run for `at` simulated seconds (L2
tables, token buckets), on the compiled plane when it is built: its state is the
reference plane's bit for bit (tests/engine), and it gets there much faster. The traced
frame then enters a reference plane holding a copy of that state, so tracing never changes
the fabric it looks at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from console.models.derived import Derived, vtep_reach
from console.models.inventory import Switching
from console.models.overlay import Vtep
from console.models.topology import Topology, VifRef

from .facade import Fabric
from .reference import ReferencePlane
from .tables import LOCAL, MODE_MULTICAST, OVERHEAD, PEER, REMOTE, UPLINK, Tables
from .traffic import TICKS_PER_S, int_to_mac, is_flood_mac, mac_to_int

BROADCAST_MAC = 0xFFFF_FFFF_FFFF

# Stable reason ids of drops (trace --json `drops[].reason`); the text says the rest.
REASONS: dict[str, str] = {
    "vm-not-running": "the VM is not running: it sends nothing",
    "not-connected": "the vNIC is not connected to the fabric: refused at ingress",
    "mac-forging": "forged source MAC under mac_forging: deny: refused at ingress",
    "policed": "the port profile's policer had too few tokens: refused at ingress",
    "filtered": "the destination is behind the port the frame came in on",
    "no-vtep": "the sending VEM has no VTEP: it cannot encapsulate",
    "no-multicast": "the underlay carries no multicast (underlay.multicast: false)",
    "no-designated-vtep": "the member VEM has no VTEP to receive its copy",
    "unreachable-vtep": "the destination VTEP is in another subnet, with no gateway on the "
                        "sending VTEP and no proxy ARP",
    "mtu-df": "too big for the path MTU with DF set: dropped, PMTU notification to the VM",
    "mtu-non-ip": "too big for the path MTU and not IP: dropped after encapsulation",
    "mtu-no-room": "the path MTU leaves no room for a fragment",
    "no-local-port": "the receiving VEM has no VM left in the segment",
    "split-horizon": "a decapsulated frame is never encapsulated again",
    "uplink-split-horizon": "a frame from the uplink never goes back out of it",
    "no-fabric-interconnect": "the VLAN has no fabric interconnect behind the VEM's uplink",
    "no-segment": "the switch the L2 entry points to no longer carries the segment",
    "peer-to-peer": "a fabric interconnect never forwards a frame from a peer to a peer",
}


_MAC_RE = re.compile(r"[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}")


def parse_mac(text: str) -> int | None:
    """A MAC written aa:bb:cc:dd:ee:ff (or with dashes) as an int; None if it is not one."""
    return mac_to_int(text) if _MAC_RE.fullmatch(text) else None


class TraceError(ValueError):
    """FROM or TO names nothing in the topology (the message names it)."""


@dataclass(frozen=True)
class Step:
    where: str
    kind: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class Drop:
    where: str
    reason: str  # a key of REASONS
    text: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason, "text": self.text}


@dataclass
class Trace:
    """One traced frame: what happened, step by step, and the verdict."""

    source: str  # vm/nic
    to: str  # as asked: vm/nic, a MAC, or broadcast
    src_mac: str
    dst_mac: str
    size: int
    ip: bool
    df: bool
    at_s: float
    steps: list[Step] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)  # vm/nic, in delivery order
    target_vifs: list[str] = field(default_factory=list)  # the vNICs TO names

    @property
    def reached(self) -> bool:
        """Did the frame get where it was sent: the vNIC(s) TO names, or for broadcast and
        multicast every copy (delivered somewhere, nothing dropped)."""
        if self.target_vifs:
            return any(v in self.delivered for v in self.target_vifs)
        if is_flood_mac(mac_to_int(self.dst_mac)):
            return bool(self.delivered) and not self.drops
        return bool(self.delivered)

    def verdict(self) -> str:
        parts = []
        if self.delivered:
            parts.append("delivered to " + ", ".join(self.delivered))
        for d in self.drops:
            parts.append(f"dropped at {d.where} [{d.reason}]")
        if not parts:
            parts.append("delivered to nobody (no other port in the segment)")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source, "to": self.to, "src_mac": self.src_mac,
            "dst_mac": self.dst_mac, "size": self.size, "ip": self.ip, "df": self.df,
            "at_s": self.at_s, "reached": self.reached,
            "delivered": list(self.delivered),
            "drops": [d.to_json() for d in self.drops],
            "steps": [s.to_json() for s in self.steps],
            "verdict": self.verdict(),
        }


# ---------------------------------------------------------------------- entry points
def resolve_destination(topology: Topology, to: str, derived: Derived | None = None
                        ) -> tuple[int, list[str]]:
    """TO as a MAC (int) and the vNICs it names; raises TraceError when it names nothing."""
    if to == "broadcast":
        return BROADCAST_MAC, []
    idx = (derived or Derived(topology)).index
    if "/" in to:
        ref = idx.vifs.get(to)
        if ref is None:
            raise TraceError(f"{to}: no such vNIC in the topology (write vm/nic)")
        return mac_to_int(ref.nic.mac), [to]
    mac = parse_mac(to)
    if mac is None:
        raise TraceError(f"{to}: not a vNIC (vm/nic), a MAC address or broadcast")
    owners = [r.id for r in idx.vifs.values() if mac_to_int(r.nic.mac) == mac]
    return mac, owners


def trace(topology: Topology, source: str, to: str, *, size: int = 64, ip: bool = False,
          df: bool = False, at: float = 0.0, seed: int = 0, src_mac: str | None = None,
          plane: str = "compiled") -> Trace:
    """Trace one frame from `source` (vm/nic) to `to` after the file's traffic has run for
    `at` simulated seconds. Raises TraceError when FROM or TO names nothing."""
    idx = Derived(topology).index
    if idx.vifs.get(source) is None:
        raise TraceError(f"{source}: no such vNIC in the topology (write vm/nic)")
    dst, targets = resolve_destination(topology, to)
    try:
        fabric = Fabric(topology, seed=seed, plane=plane)
    except ImportError:
        fabric = Fabric(topology, seed=seed, plane="reference")
    fabric.run_until(at)
    if src_mac is not None and parse_mac(src_mac) is None:
        raise TraceError(f"{src_mac}: not a MAC address")
    src = mac_to_int(src_mac) if src_mac else mac_to_int(idx.vifs[source].nic.mac)
    out = trace_in(fabric, source, src, dst, size, ip, df)
    out.to = to
    out.target_vifs = targets
    return out


def trace_in(fabric: Fabric, source: str, src: int, dst: int, size: int, ip: bool,
             df: bool) -> Trace:
    """Trace one frame entering at VIF `source` in the fabric's current state, as the
    next frame of the tick carried next. The fabric itself is left as it was."""
    return Snapshot(fabric).trace(source, src, dst, size, ip, df)


class Snapshot:
    """A fabric's state at one instant, from which any number of frames are traced: each
    meets that same state (the fabric itself is never changed)."""

    def __init__(self, fabric: Fabric):
        self.fabric = fabric
        self.tables = fabric._tables  # the compiled tables and plane: same package, read only
        self.state = fabric._plane.export_state()
        self.tick = fabric._tick
        self.derived = Derived(fabric.topology)
        self.plane = ReferencePlane(self.tables)

    def trace(self, source: str, src: int, dst: int, size: int, ip: bool, df: bool) -> Trace:
        ref = self.plane
        ref.import_state(self.state)
        result = Trace(source, int_to_mac(dst), int_to_mac(src), int_to_mac(dst), size, ip,
                       df, self.tick / TICKS_PER_S)
        ref.tracer = _Tracer(self.fabric.topology, self.derived, self.tables, ref, result,
                             dst)
        v = self.tables.vif_ids.index(source)
        try:
            ref.inject(*(np.asarray([x], dtype=dt) for x, dt in (
                (self.tick, np.int64), (v, np.int64), (src, np.uint64), (dst, np.uint64),
                (size, np.int64), (int(ip), np.int64), (int(df), np.int64))))
        finally:
            ref.tracer = None
        return result


def _bytes(milli: int) -> str:
    return f"{milli // 1000:,}"


# ---------------------------------------------------------------------- the tracer
class _Tracer:
    """Receives the reference plane's decisions (`on(event, **fields)`) for one frame."""

    def __init__(self, topology: Topology, derived: Derived, t: Tables,
                 plane: ReferencePlane, out: Trace, dst: int):
        self.topo = topology
        self.d = derived
        self.t = t
        self.plane = plane
        self.out = out
        self.dst = dst
        self.flood = is_flood_mac(dst)
        self.path: list[tuple[str, int]] = []  # candidate links of the copy being sent
        self.nobody: int | None = None  # a VEM that decapsulated with no VM in the segment
        self.handlers: dict[str, Callable[..., None]] = {
            name[4:].replace("_", "-"): getattr(self, name)
            for name in dir(self) if name.startswith("_ev_")}

    def on(self, event: str, **f: Any) -> None:
        self.handlers[event](**f)

    # names -------------------------------------------------------------
    def sw(self, sw: int) -> str:
        t = self.t
        return t.vem_names[sw] if sw < t.nvem else t.fi_names[sw - t.nvem]

    def seg(self, seg: int) -> str:
        kind, key = self.t.seg_keys[seg]
        if kind == "bd":
            bd = self.d.index.bridge_domains[str(key)]
            return f"bridge domain {key} (segment {bd.segment_id})"
        return f"VLAN {key}"

    def vif(self, v: int) -> str:
        return self.t.vif_ids[v]

    def host_of(self, v: int) -> str:
        h = int(self.t.vif_host[v])
        return self.t.host_names[h] if h >= 0 else "?"

    def vtep(self, i: int) -> str:
        vem, name = self.t.vtep_keys[i]
        return f"{vem}/{name} {self.t.vtep_ips[i]}"

    def vtep_model(self, i: int) -> Vtep:
        vem, name = self.t.vtep_keys[i]
        return next(v for v in self.d.index.hosts[vem].vteps if v.name == name)

    def ref(self, v: int) -> VifRef:
        return self.d.index.vifs[self.t.vif_ids[v]]

    def age(self, last: int) -> str:
        return f"{(self.plane.now - last) / TICKS_PER_S:g} s"

    def port(self, sw: int, kind: int, port: int) -> str:
        if kind == LOCAL:
            return f"VIF {self.vif(port)}" if sw >= self.t.nvem else f"vEth {self.vif(port)}"
        if kind == REMOTE:
            return f"VTEP {self.vtep(port)}"
        if kind == UPLINK:
            return f"the uplink of {self.sw(port)}" if sw >= self.t.nvem else "the uplink"
        if kind == PEER:
            return f"peer {self.t.fi_names[port]} (upstream LAN)"
        return "?"

    def step(self, where: str, kind: str, text: str) -> None:
        self.out.steps.append(Step(where, kind, text))

    def drop(self, where: str, reason: str, text: str) -> None:
        self.out.drops.append(Drop(where, reason, text))
        self.step(where, "drop", f"DROP [{reason}] {text}")

    # ingress -------------------------------------------------------------
    def _profile_text(self, v: int) -> str:
        ref = self.ref(v)
        profile = self.d.profile_of(ref.nic)
        if profile is None:
            return "no port profile"
        seg = self.d.segment_of(ref.nic)
        if seg is None:
            where = "no segment"
        elif seg.kind == "vxlan":
            where = f"bridge domain {seg.bridge_domain} (segment {seg.id})"
        else:
            where = f"VLAN {seg.id}"
        if ref.nic.port_profile is None:
            return (f"dynamic port profile {profile.name} (policy {ref.nic.policy_profile} on "
                    f"network {ref.nic.network}), {where}")
        return f"port profile {profile.name}, {where}"

    def _forging_text(self, v: int, src: int) -> str:
        own = int(self.t.vif_mac[v])
        if not self.t.vif_deny[v]:
            return "MAC forging allowed"
        if src == own:
            return f"MAC forging deny: source {int_to_mac(src)} is the vNIC's own"
        return (f"MAC forging deny: source {int_to_mac(src)} is not the vNIC's "
                f"{int_to_mac(own)}")

    def _policer_text(self, v: int) -> str:
        profile = self.d.profile_of(self.ref(v).nic)
        qos = profile.qos if profile is not None else None
        if qos is None:
            return "no policer"
        return f"policer {qos.rate_mbps:g} Mbit/s, burst {qos.burst_kb} KB"

    def _ev_not_running(self, vif: int) -> None:
        ref = self.ref(vif)
        self.drop(self.out.source, "vm-not-running",
                  f"{ref.vm.name} is {ref.vm.state.value}: it sends nothing")

    def _ev_refused(self, vif: int, group: int, src: int) -> None:
        where = self.vif(vif)
        if group >= 0:
            self.step(where, "ingress", f"on {self.host_of(vif)}: {self._profile_text(vif)}")
            self.drop(where, "mac-forging", self._forging_text(vif, src) +
                      ": refused at ingress (tx_drops)")
            return
        ref = self.ref(vif)
        host = self.d.index.hosts.get(ref.vm.host)
        seg = self.d.segment_of(ref.nic)
        if self.d.profile_of(ref.nic) is None or seg is None:
            why = "its port profile does not resolve to a segment"
        elif host is None:
            why = f"its host {ref.vm.host} does not exist"
        elif host.switching is Switching.VMFEX and seg.kind == "vxlan":
            why = f"{host.name} is a VM-FEX host and {seg} is a VXLAN segment (needs a VEM)"
        elif host.switching is Switching.VMFEX:
            why = f"{host.name} has no fabric interconnect"
        elif host.switching is Switching.VEM:
            why = f"{host.name}'s VEM does not carry {seg}"
        else:
            why = f"{host.name} switches with its own bridge ({host.switching.value}), " \
                  "outside the fabric"
        self.drop(where, "not-connected", f"{why}: refused at ingress (tx_drops)")

    def _ev_policed(self, vif: int, tokens: int, cost: int) -> None:
        where = self.vif(vif)
        self.step(where, "ingress", f"on {self.host_of(vif)}: {self._profile_text(vif)}; "
                  f"{self._forging_text(vif, int(self.t.vif_mac[vif]))}")
        self.drop(where, "policed", f"{self._policer_text(vif)}: the frame needs "
                  f"{_bytes(cost)} bytes of tokens, {_bytes(tokens)} left: refused at "
                  "ingress (tx_drops)")

    def _ev_accepted(self, vif: int, group: int, tokens: int | None, cost: int) -> None:
        where = self.vif(vif)
        police = self._policer_text(vif)
        if tokens is not None:
            police += f": {_bytes(cost)} bytes taken, {_bytes(tokens)} bytes of tokens left"
        self.step(where, "ingress", f"on {self.host_of(vif)}: {self._profile_text(vif)}; "
                  f"{self._forging_text(vif, self.plane.src)}; {police}")

    # L2 ------------------------------------------------------------------
    def _ev_learn(self, sw: int, seg: int, mac: int, kind: int, port: int,
                  before: list[int] | None) -> None:
        if before is None:
            how = "new entry"
        elif before[0] == kind and before[1] == port:
            how = "refreshed"
        else:
            how = f"moved from {self.port(sw, before[0], before[1])}"
        self.step(self.sw(sw), "learn", f"learns {int_to_mac(mac)} in {self.seg(seg)} on "
                  f"{self.port(sw, kind, port)} ({how})")
        if self.nobody == sw:
            self.nobody = None
            self.drop(self.sw(sw), "no-local-port",
                      f"{self.sw(sw)} has no running VM in {self.seg(seg)}: delivers to nobody")

    def _ev_lookup(self, sw: int, seg: int, mac: int, entry: list[int] | None,
                   stale: list[int] | None) -> None:
        head = f"L2 lookup {int_to_mac(mac)} in {self.seg(seg)}: "
        if entry is not None:
            text = f"hit, {self.port(sw, entry[0], entry[1])}, age {self.age(entry[2])}"
        elif stale is not None:
            text = (f"miss: the entry ({self.port(sw, stale[0], stale[1])}) aged out, last "
                    f"seen {self.age(stale[2])} ago, MAC aging "
                    f"{self.plane.aging / TICKS_PER_S:g} s: unknown unicast, flooded")
        else:
            text = "miss (unknown unicast): flooded"
        self.step(self.sw(sw), "lookup", head + text)

    def _ev_deliver(self, vif: int) -> None:
        self.out.delivered.append(self.vif(vif))
        self.step(self.host_of(vif), "deliver", f"delivered to {self.vif(vif)}")

    def _ev_filtered(self, sw: int, vif: int) -> None:
        if vif >= 0:
            self.drop(self.sw(sw), "filtered", f"the destination is {self.vif(vif)} itself: "
                      "not forwarded")
        else:
            self.drop(self.sw(sw), "filtered", "the destination is behind the port the frame "
                      "came in on: not forwarded")

    def _ev_local_flood(self, group: int, skip: int) -> None:
        t = self.t
        ports = [self.vif(int(u)) for u in
                 t.grp_vifs[t.grp_vif_ptr[group]:t.grp_vif_ptr[group + 1]] if u != skip]
        why = "broadcast/multicast" if self.flood else "unknown unicast"
        where = self.sw(int(t.grp_sw[group]))
        seg = self.seg(int(t.grp_seg[group]))
        if ports:
            self.step(where, "flood", f"{why}: local flood in {seg} to {', '.join(ports)}")
        else:
            self.step(where, "flood", f"{why}: no other local port in {seg}")

    # VEM and VXLAN -------------------------------------------------------
    def _ev_bd_flood(self, group: int, bd: int) -> None:
        mode = "multicast" if self.t.bd_mode[bd] == MODE_MULTICAST else "unicast-only"
        self.step(self.sw(int(self.t.grp_sw[group])), "flood",
                  f"flood mode of {self.t.bd_names[bd]}: {mode}")

    def _uplinks(self, *vems: int) -> list[tuple[str, int]]:
        """The uplinks a copy crosses, as the host sets them (a host without uplink_mtu
        has the transport's, so it is not a link of its own here)."""
        out = []
        for sw in vems:
            host = self.d.index.hosts[self.t.vem_names[sw]]
            if host.uplink_mtu is not None:
                out.append((f"uplink of {host.name}", int(host.uplink_mtu)))
        return out

    def _transport(self) -> tuple[str, int]:
        return "transport", int(self.t.underlay_mtu)

    def _ev_multicast(self, group: int, bd: int, vtep: int) -> None:
        t = self.t
        sw = int(t.grp_sw[group])
        name = t.bd_names[bd]
        bdm = self.d.index.bridge_domains[name]
        joined = t.bd_members[bd]
        group_ip = bdm.group if bdm.group is not None else "(none configured)"
        others = [m for m in joined if m != t.vem_names[sw]]
        self.step(self.sw(sw), "flood",
                  f"one copy from VTEP {self.vtep(vtep)} to group {group_ip}, joined by "
                  f"{', '.join(joined) if joined else 'no VEM'} (copies reach "
                  f"{', '.join(others) if others else 'no other VEM'})")
        if not t.multicast_ok:
            self.drop(self.sw(sw), "no-multicast", "the underlay carries no multicast "
                      "(underlay.multicast: false): the copy is an unreachable drop")
            return
        self.path = [self._transport(),
                     *self._uplinks(sw, *(t.vem_names.index(m) for m in others))]

    def _ev_unicast_copy(self, group: int, bd: int, member: int, vtep: int,
                         dst_vtep: int) -> None:
        t = self.t
        sw, w = int(t.grp_sw[group]), int(t.grp_sw[member])
        if dst_vtep < 0:
            self.drop(self.sw(sw), "no-designated-vtep",
                      f"unicast-only copy for {self.sw(w)}: it has no VTEP (unreachable drop)")
            return
        self.step(self.sw(sw), "flood",
                  f"unicast-only copy for member {self.sw(w)}: from VTEP {self.vtep(vtep)} "
                  f"to its designated VTEP {self.vtep(dst_vtep)}")
        self.path = [self._transport(), *self._uplinks(sw, w)]

    def _ev_no_vtep(self, sw: int, bd: int) -> None:
        self.drop(self.sw(sw), "no-vtep", f"{self.sw(sw)} has no VTEP for "
                  f"{self.t.bd_names[bd]}: the flood copies are unreachable drops")

    def _ev_encap(self, group: int, vtep: int, dst_vtep: int) -> None:
        t = self.t
        sw = int(t.grp_sw[group])
        w = int(t.vtep_vem[dst_vtep])
        if vtep < 0:
            self.drop(self.sw(sw), "no-vtep", f"{self.sw(sw)} has no VTEP: cannot "
                      f"encapsulate toward {self.vtep(dst_vtep)} (unreachable drop)")
            return
        self.step(self.sw(sw), "encap",
                  f"known unicast: encapsulate in {self.seg(int(t.grp_seg[group]))} from "
                  f"VTEP {self.vtep(vtep)} to VTEP {self.vtep(dst_vtep)} ({self.sw(w)})")
        self.path = [self._transport(), *self._uplinks(sw, w)]

    def _ev_reach(self, src_vtep: int, dst_vtep: int, ok: bool) -> None:
        how = vtep_reach(self.vtep_model(src_vtep), self.vtep_model(dst_vtep),
                         bool(self.t.proxy_arp)).how
        where = self.t.vtep_keys[src_vtep][0]
        a, b = self.t.vtep_ips[src_vtep], self.t.vtep_ips[dst_vtep]
        if ok:
            self.step(where, "reach", f"VTEP {a} reaches {b}: {how}")
        else:
            self.drop(where, "unreachable-vtep", f"VTEP {a} cannot reach {b}: {how} "
                      "(unreachable drop)")

    def _ev_mtu(self, sw: int, pmtu: int, fragments: int, ok: bool) -> None:
        size = self.plane.size
        wire = size + OVERHEAD
        # the path is the transport and the uplinks of the VEMs the copy crosses; the first
        # link as small as the path MTU (the transport first) is the one that limits it
        limit = [name for name, mtu in self.path if mtu == pmtu]
        links = ", ".join(f"{name} {mtu}" for name, mtu in self.path)
        lim = f"path MTU {pmtu} ({links}; limited by {limit[0] if limit else '?'})"
        where = self.sw(sw)
        if wire <= pmtu:
            rel = "=" if wire == pmtu else "<"
            self.step(where, "mtu", f"MTU: {size} + {OVERHEAD} = {wire} {rel} {lim}: fits")
        elif ok:
            self.step(where, "mtu", f"MTU: {size} + {OVERHEAD} = {wire} > {lim}: IP without "
                      f"DF, the VM sends {fragments} fragments")
        elif self.plane.ip and self.plane.df:
            self.drop(where, "mtu-df", f"{size} + {OVERHEAD} = {wire} > {lim}: DF set, "
                      f"dropped; PMTU notification to {self.out.source} (MTU "
                      f"{pmtu - OVERHEAD})")
        elif self.plane.ip:
            self.drop(where, "mtu-no-room", f"{size} + {OVERHEAD} = {wire} > {lim}: no room "
                      "for a fragment, dropped")
        else:
            self.drop(where, "mtu-non-ip", f"{size} + {OVERHEAD} = {wire} > {lim}: not IP, "
                      "dropped after encapsulation")

    def _ev_decap(self, sw: int, group: int, seg: int, src_vtep: int) -> None:
        self.step(self.sw(sw), "decap", f"decapsulates the copy from VTEP "
                  f"{self.vtep(src_vtep)} in {self.seg(seg)}")
        if group < 0:
            self.nobody = sw

    def _ev_split_horizon(self, sw: int) -> None:
        self.drop(self.sw(sw), "split-horizon", "the entry is not a local port; a "
                  "decapsulated frame is never encapsulated again")

    def _ev_vem_to_fi(self, group: int, fi_group: int) -> None:
        t = self.t
        sw = int(t.grp_sw[group])
        seg = self.seg(int(t.grp_seg[group]))
        if fi_group < 0:
            self.drop(self.sw(sw), "no-fabric-interconnect",
                      f"{seg} on {self.sw(sw)} has no fabric interconnect behind its uplink")
            return
        self.step(self.sw(sw), "uplink", f"{seg}: up the uplink to "
                  f"{self.sw(int(t.grp_sw[fi_group]))}")

    def _ev_from_uplink(self, group: int) -> None:
        t = self.t
        self.step(self.sw(int(t.grp_sw[group])), "uplink",
                  f"from the uplink in {self.seg(int(t.grp_seg[group]))}")

    def _ev_not_back_up(self, sw: int) -> None:
        self.drop(self.sw(sw), "uplink-split-horizon", "the entry is not a local port; a "
                  "frame from the uplink never goes back out of it")

    # fabric interconnect -------------------------------------------------
    def _ev_fi_in(self, group: int, in_kind: int, in_port: int, from_peer: bool) -> None:
        t = self.t
        fi = int(t.grp_sw[group])
        seg = self.seg(int(t.grp_seg[group]))
        if in_kind == LOCAL:
            text = (f"VM-FEX: VIF {self.vif(in_port)} on {self.host_of(in_port)} to "
                    f"{self.sw(fi)} (no switching in the host), {seg}")
        elif in_kind == UPLINK:
            text = f"from the uplink of {self.sw(in_port)}, {seg}"
        else:
            text = f"from peer {t.fi_names[in_port]} over the upstream LAN, {seg}"
        self.step(self.sw(fi), "fi", text)

    def _ev_hairpin(self, sw: int, vif: int) -> None:
        self.step(self.sw(sw), "hairpin", f"hairpin: {self.vif(vif)} is on "
                  f"{self.host_of(vif)}, the host the frame came from: back down the same "
                  "adapter")

    def _ev_fi_flood(self, group: int, in_kind: int, in_port: int, from_peer: bool) -> None:
        t = self.t
        fi = int(t.grp_sw[group])
        vifs = [self.vif(int(u)) for u in
                t.grp_vifs[t.grp_vif_ptr[group]:t.grp_vif_ptr[group + 1]]
                if not (in_kind == LOCAL and u == in_port)]
        ups = [self.sw(int(t.grp_sw[g])) for g in
               t.grp_ups[t.grp_up_ptr[group]:t.grp_up_ptr[group + 1]]
               if not (in_kind == UPLINK and t.grp_sw[g] == in_port)]
        peers = [] if from_peer else [
            self.sw(int(t.grp_sw[g])) for g in
            t.grp_peers[t.grp_peer_ptr[group]:t.grp_peer_ptr[group + 1]]]
        members = [f"VIFs {', '.join(vifs)}" if vifs else "no other VIF"]
        if ups:
            members.append(f"uplinks of {', '.join(ups)}")
        if peers:
            members.append(f"peers {', '.join(peers)}")
        why = "broadcast/multicast" if self.flood else "unknown unicast"
        self.step(self.sw(fi), "flood", f"{why}: FI flood in "
                  f"{self.seg(int(t.grp_seg[group]))} to {'; '.join(members)}")

    def _ev_no_group(self, sw: int, seg: int) -> None:
        self.drop(self.sw(sw), "no-segment", f"{self.sw(sw)} no longer carries "
                  f"{self.seg(seg)}: delivers nothing")

    def _ev_peer_to_peer(self, sw: int, peer: int) -> None:
        self.drop(self.sw(sw), "peer-to-peer", f"the destination is behind peer "
                  f"{self.t.fi_names[peer]}; a frame from a peer never goes to a peer")


def reason_text(reason: str) -> str:
    return REASONS.get(reason, reason)


__all__ = ["REASONS", "Drop", "Snapshot", "Step", "Trace", "TraceError", "parse_mac",
           "reason_text", "resolve_destination", "trace", "trace_in"]
