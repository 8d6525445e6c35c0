"""What a capture says in the fabric's terms: VTEPs, segments (VNIs), which VTEP each inner
MAC sits behind, the floods and their copies on the wire, and frame sizes against the MTU.

The rules applied are those of the design (reference/nexus1000v-kvm-vxlan.txt):
- On decapsulation a VEM learns (segment, inner source MAC) -> outer source IP; so does
  this summary, frame by frame, and a MAC that turns up behind another VTEP has moved.
- A flood frame (broadcast, multicast, unknown unicast) goes once to the segment's group
  in multicast mode, or as one unicast copy to each other VEM in unicast-only mode. The
  copies of one flood are the same inner frame from the same VTEP, back to back: copies
  are grouped that way, and the flood mode of a segment follows from where they went.
- A frame larger than any MTU in a capture was never on a wire as such: the capture was
  taken before segmentation offload (TSO/GSO, BIG TCP) or after receive coalescing
  (GRO). Such frames are reported as offloaded, not as frames an MTU would drop.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ..inventory import Vnic
from ..overlay import SEGMENT_ID_MAX, SEGMENT_ID_MIN, VXLAN_OVERHEAD, FloodMode
from .decode import DEFAULT_VXLAN_PORTS, ETH_ARP, ETH_IPV4, Frame, decode, is_group_mac
from .reader import LINKTYPE_ETHERNET, Problem, Record, open_capture

FORMAT = "fabric-console-capture/1"
DEFAULT_TRANSPORT_MTU = 1600  # the Underlay default: 1500 for the VMs plus VXLAN's 50
DEFAULT_VM_MTU = Vnic.model_fields["mtu"].default
ASSUMED_PREFIX = 24
"""A capture carries no prefix lengths; VTEP subnets are judged as /24, the netmask of
the Nexus 1000V configuration examples, and every report that uses it says so."""

COPY_WINDOW_S = 0.010
"""Head-end replication sends a flood's copies back to back (microseconds apart); the same
inner frame from the same VTEP within this window is another copy of the same flood."""


@dataclass
class VtepSeen:
    """An outer IP address that sent or received VXLAN frames."""

    ip: str
    macs: set[str] = field(default_factory=set)  # outer source MACs it sent from
    sent: int = 0
    received: int = 0


@dataclass
class MacSeen:
    """An inner source MAC of one segment, and the VTEP it was learned behind."""

    mac: str
    vtep: str
    first_record: int
    frames: int = 0
    ips: set[str] = field(default_factory=set)
    moved_from: list[str] = field(default_factory=list)
    # "source": learned on decapsulation, as a VEM learns. "destination": the MAC never
    # sent a frame in the capture, but known unicast went to it at this VTEP, so the
    # sender's L2 table had it there.
    learned: str = "source"


@dataclass
class Flood:
    """One flood frame and the copies of it seen on the wire."""

    record: int  # the first copy's record number
    vni: int
    vtep: str  # the VTEP that flooded it
    src: str  # inner source MAC
    dst: str  # inner destination MAC
    what: str  # "ARP request", "IPv4", ...
    size: int  # inner L3 length
    copies: list[str] = field(default_factory=list)  # outer destination IPs
    records: list[int] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.dst == "ff:ff:ff:ff:ff:ff":
            return "broadcast"
        return "multicast" if is_group_mac(self.dst) else "unknown-unicast"

    @property
    def via(self) -> FloodMode:
        if any(IPv4Address(ip).is_multicast for ip in self.copies):
            return FloodMode.MULTICAST
        return FloodMode.UNICAST_ONLY


@dataclass
class Segment:
    """A VNI as the capture shows it."""

    vni: int
    macs: dict[str, MacSeen] = field(default_factory=dict)
    floods: list[Flood] = field(default_factory=list)
    vteps: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    frames: int = 0
    bytes: int = 0

    @property
    def mode(self) -> FloodMode | None:
        """How its floods travel: to a group (multicast) or copied to VTEPs; None when the
        capture holds no flood of this segment."""
        if not self.floods:
            return None
        if any(f.via is FloodMode.MULTICAST for f in self.floods):
            return FloodMode.MULTICAST
        return FloodMode.UNICAST_ONLY

    @property
    def in_range(self) -> bool:
        return SEGMENT_ID_MIN <= self.vni <= SEGMENT_ID_MAX

    def expected_copies(self, flood: Flood) -> int:
        """Unicast-only: one copy per other VTEP with a MAC in the segment; multicast: 1."""
        if flood.via is FloodMode.MULTICAST:
            return 1
        return len({m.vtep for m in self.macs.values()} - {flood.vtep})


@dataclass
class FlowSeen:
    """Frames a VM sent with the same destination, L3 size, IP-ness and DF bit: what a
    topology file's `traffic` calls a flow. A flood's copies count once (the VM sent one
    frame); a frame captured before segmentation offload counts as the segments it became.
    """

    vni: int
    src: str
    dst: str
    size: int
    ip: bool
    df: bool
    first_ts: float
    first_record: int
    count: int = 0


@dataclass(frozen=True, slots=True)
class Sent:
    """A frame (or `count` equal segments of one offloaded frame) as a VM sent it: what a
    replay enters at the sender's vNIC. A flood's copies on the wire are one Sent."""

    ts: float
    vni: int | None  # None: captured without VXLAN (on a vNIC)
    src: str
    dst: str
    size: int  # L3 length
    ip: bool
    df: bool
    count: int = 1


@dataclass
class Oversize:
    record: int
    l3_length: int
    mtu: int
    why: str


@dataclass
class Sizes:
    """Frame sizes against the MTU each frame has to pass."""

    transport_mtu: int
    vm_mtu: int
    frames: int = 0
    fit: int = 0
    largest: int = 0
    largest_record: int = 0
    largest_carried: int = 0  # the largest VXLAN frame the transport carried (not offloaded)
    over_mtu: list[Oversize] = field(default_factory=list)
    offloaded: list[Oversize] = field(default_factory=list)
    fragments: int = 0


@dataclass
class CaptureSummary:
    source: str
    format: str
    vxlan_ports: frozenset[int]
    records: int = 0
    vxlan_frames: int = 0
    plain_frames: int = 0  # frames without VXLAN: a vNIC capture, or other traffic
    problems: list[Problem] = field(default_factory=list)
    vteps: dict[str, VtepSeen] = field(default_factory=dict)
    segments: dict[int, Segment] = field(default_factory=dict)
    plain_macs: dict[str, MacSeen] = field(default_factory=dict)  # source MACs, no VXLAN
    plain_floods: int = 0
    flows: dict[tuple[int, str, str, int, bool, bool], FlowSeen] = field(default_factory=dict)
    ports_seen: dict[int, int] = field(default_factory=dict)  # VXLAN UDP port -> frames
    first_ts: float | None = None
    last_ts: float | None = None
    sizes: Sizes = field(default_factory=lambda: Sizes(DEFAULT_TRANSPORT_MTU,
                                                       DEFAULT_VM_MTU))

    @property
    def vxlan_port_seen(self) -> int | None:
        """The UDP port most VXLAN frames went to."""
        if not self.ports_seen:
            return None
        return max(self.ports_seen, key=lambda p: (self.ports_seen[p], -p))

    def vtep_subnets(self) -> dict[str, list[str]]:
        """VTEP IPs by subnet, at the assumed prefix length."""
        out: dict[str, list[str]] = {}
        for ip in sorted(self.vteps, key=IPv4Address):
            if IPv4Address(ip).is_multicast:
                continue
            net = str(IPv4Network(f"{ip}/{ASSUMED_PREFIX}", strict=False))
            out.setdefault(net, []).append(ip)
        return out

    def to_json(self) -> dict[str, Any]:
        subnets = self.vtep_subnets()
        return {
            "format": FORMAT,
            "file": self.source,
            "capture_format": self.format,
            "vxlan_ports": sorted(self.vxlan_ports),
            "records": self.records,
            "vxlan_frames": self.vxlan_frames,
            "plain_frames": self.plain_frames,
            "duration_s": round((self.last_ts or 0) - (self.first_ts or 0), 6),
            "problems": [{"record": p.record, "message": p.message} for p in self.problems],
            "vteps": [{"ip": v.ip, "macs": sorted(v.macs), "sent": v.sent,
                       "received": v.received}
                      for v in sorted(self.vteps.values(), key=lambda v: IPv4Address(v.ip))],
            "vtep_subnets": {"assumed_prefix": ASSUMED_PREFIX, "subnets": subnets},
            "segments": [_segment_json(s) for _, s in sorted(self.segments.items())],
            "plain": {"macs": {m.mac: {"frames": m.frames, "ips": sorted(m.ips)}
                               for m in self.plain_macs.values()},
                      "floods": self.plain_floods},
            "sizes": {
                "transport_mtu": self.sizes.transport_mtu, "vm_mtu": self.sizes.vm_mtu,
                "frames": self.sizes.frames, "fit": self.sizes.fit,
                "largest": self.sizes.largest, "largest_record": self.sizes.largest_record,
                "largest_carried": self.sizes.largest_carried,
                "fragments": self.sizes.fragments,
                "over_mtu": [vars(o) for o in self.sizes.over_mtu],
                "offloaded": [vars(o) for o in self.sizes.offloaded],
            },
        }


def _segment_json(seg: Segment) -> dict[str, Any]:
    return {
        "vni": seg.vni,
        "in_range": seg.in_range,
        "mode": seg.mode.value if seg.mode else None,
        "groups": sorted(seg.groups),
        "frames": seg.frames,
        "bytes": seg.bytes,
        "vteps": sorted(seg.vteps, key=IPv4Address),
        "macs": [{"mac": m.mac, "vtep": m.vtep, "ips": sorted(m.ips), "frames": m.frames,
                  "moved_from": m.moved_from, "learned": m.learned}
                 for m in seg.macs.values()],
        "floods": [{"record": f.record, "kind": f.kind, "what": f.what, "src": f.src,
                    "dst": f.dst, "vtep": f.vtep, "via": f.via.value, "copies": f.copies,
                    "copy_records": f.records, "expected_copies": seg.expected_copies(f)}
                   for f in seg.floods],
    }


def describe(frame: Frame) -> str:
    """A few words for what a frame carries."""
    if frame.arp is not None:
        return {1: "ARP request", 2: "ARP reply"}.get(frame.arp.op, "ARP")
    if frame.icmp is not None:
        return {8: "ICMP echo request", 0: "ICMP echo reply"}.get(frame.icmp.type, "ICMP")
    if frame.tcp is not None:
        return "TCP"
    if frame.udp is not None:
        return "UDP"
    if frame.ethertype == ETH_IPV4:
        return "IPv4"
    if frame.ethertype == ETH_ARP:
        return "ARP"
    return f"ethertype 0x{frame.ethertype:04x}" if frame.ethertype else "802.3"


def offload_reason(frame: Frame) -> str | None:
    """Why an oversized frame was never on the wire as such, or None if it could have been."""
    ip = frame.ipv4
    inner = frame.innermost()
    if ip is not None and ip.length_was_zero:
        return "BIG TCP (IPv4 total length 0)"
    if ip is not None and ip.total_length > 65535:
        return "larger than any IPv4 packet"
    if inner.tcp is not None:
        return "TCP segmentation offload (TSO/GSO) or receive coalescing (GRO)"
    return None


class _Summarizer:
    def __init__(self, summary: CaptureSummary, keep_sent: bool = False):
        self.s = summary
        # open floods: (vni, src vtep, inner bytes) -> Flood, expired after COPY_WINDOW_S
        self.open: dict[tuple[int, str, bytes], tuple[float, Flood]] = {}
        self.order: deque[tuple[float, tuple[int, str, bytes], int]] = deque()
        self.destinations: dict[tuple[int, str], tuple[str, int]] = {}
        self.sent: list[Sent] | None = [] if keep_sent else None

    def add(self, rec: Record) -> None:
        s = self.s
        s.records = rec.number
        if s.first_ts is None:
            s.first_ts = rec.ts
        s.last_ts = rec.ts
        if rec.linktype != LINKTYPE_ETHERNET:
            s.problems.append(Problem(rec.number, f"link type {rec.linktype} is not Ethernet; "
                                                  "skipped"))
            return
        frame = decode(rec.data, rec.wire_len, s.vxlan_ports)
        if frame.error is not None:
            s.problems.append(Problem(rec.number, frame_problem(frame)))
        self._sizes(rec, frame)
        vx = frame.vxlan
        if vx is None or frame.ipv4 is None:
            if frame.src:
                self._plain(rec, frame)
            return
        if not vx.vni_valid:
            s.problems.append(Problem(rec.number, f"VXLAN flags 0x{vx.flags:02x} lack the I "
                                                  "flag: no valid VNI; not counted"))
            return
        s.vxlan_frames += 1
        if frame.udp is not None:
            s.ports_seen[frame.udp.dst_port] = s.ports_seen.get(frame.udp.dst_port, 0) + 1
        self._vxlan(rec, frame)

    def _plain(self, rec: Record, frame: Frame) -> None:
        s = self.s
        s.plain_frames += 1
        if frame.is_flood_dst:
            s.plain_floods += 1
        self._flow(rec, None, frame)
        if not is_group_mac(frame.src):
            seen = s.plain_macs.setdefault(frame.src, MacSeen(frame.src, "", rec.number))
            seen.frames += 1
            _note_ip(seen, frame)

    def _vxlan(self, rec: Record, frame: Frame) -> None:
        s = self.s
        ip = frame.ipv4
        vx = frame.vxlan
        assert ip is not None and vx is not None
        inner = vx.inner
        src = s.vteps.setdefault(ip.src, VtepSeen(ip.src))
        src.sent += 1
        src.macs.add(frame.src)
        seg = s.segments.setdefault(vx.vni, Segment(vx.vni))
        seg.frames += 1
        seg.bytes += inner.length
        seg.vteps.add(ip.src)
        if ip.is_multicast:
            seg.groups.add(ip.dst)
        else:
            s.vteps.setdefault(ip.dst, VtepSeen(ip.dst)).received += 1
            seg.vteps.add(ip.dst)
        if not inner.src:
            return
        # Learning, as the receiving VEM does on decapsulation (an all-zero source is no
        # station: a topology cannot hold it as a vNIC MAC).
        if not is_group_mac(inner.src) and inner.src != "00:00:00:00:00:00":
            seen = seg.macs.get(inner.src)
            if seen is None:
                seen = seg.macs[inner.src] = MacSeen(inner.src, ip.src, rec.number)
            elif seen.vtep != ip.src:
                seen.moved_from.append(seen.vtep)
                seen.vtep = ip.src
            seen.frames += 1
            _note_ip(seen, inner)
        self._copies(rec, frame)

    def _copies(self, rec: Record, frame: Frame) -> None:
        ip = frame.ipv4
        vx = frame.vxlan
        assert ip is not None and vx is not None
        self._expire(rec.ts)
        key = (vx.vni, ip.src, bytes(rec.data[vx.offset:]))
        held = self.open.get(key)
        if held is not None:
            if ip.dst not in held[1].copies:
                held[1].copies.append(ip.dst)
                held[1].records.append(rec.number)
                return
            # The same frame again to a VTEP that already had it: the next frame of a
            # burst of identical frames. The one held is complete.
            del self.open[key]
            self._close(held[1])
        inner = vx.inner
        flood = Flood(rec.number, vx.vni, ip.src, inner.src, inner.dst, describe(inner),
                      inner.l3_length, [ip.dst], [rec.number])
        self.open[key] = (rec.ts, flood)
        self.order.append((rec.ts, key, rec.number))
        self._flow(rec, vx.vni, inner)

    def _flow(self, rec: Record, vni: int | None, inner: Frame) -> None:
        """Count a frame a VM sent (vni None: a frame without VXLAN) into the flows, and
        into the frames to replay when they are kept."""
        if is_group_mac(inner.src) or inner.ethertype is None:
            return
        ip = inner.ipv4
        size = inner.l3_length
        mtu = self.s.sizes.vm_mtu
        pieces = [(size, 1)]
        if size > mtu and ip is not None and inner.tcp is not None:
            # Offloaded: the NIC (or GSO) cut it into MSS-sized segments, each with the
            # IP and TCP headers again; those are the frames the fabric carries.
            headers = size - inner.tcp.payload_length
            mss = max(1, mtu - headers)
            full, rest = divmod(inner.tcp.payload_length, mss)
            pieces = [(mtu, full)] + ([(headers + rest, 1)] if rest else [])
        for length, count in pieces:
            if count <= 0:
                continue
            key = (vni, inner.src, inner.dst, length, ip is not None,
                   bool(ip is not None and ip.df))
            if self.sent is not None:
                self.sent.append(Sent(rec.ts, *key, count))
            if vni is None:
                continue
            fkey = (vni, *key[1:])  # the same key, its VNI known to be there
            flow = self.s.flows.get(fkey)
            if flow is None:
                flow = self.s.flows[fkey] = FlowSeen(*fkey, rec.ts, rec.number)
            flow.count += count

    def _expire(self, now: float | None) -> None:
        while self.order and (now is None or now - self.order[0][0] > COPY_WINDOW_S):
            _, key, record = self.order.popleft()
            held = self.open.get(key)
            if held is None or held[1].record != record:
                continue  # closed already, and the key now holds a later frame
            del self.open[key]
            self._close(held[1])

    def _close(self, flood: Flood) -> None:
        """A frame whose copies are all in: a flood, or a known unicast."""
        # A unicast inner frame is a flood only if it was sent as one: to a group, or
        # copied to several VTEPs (an unknown unicast). One copy to one VTEP is a known
        # unicast: the sender had the MAC in its table, whether or not we saw it learn.
        if (is_group_mac(flood.dst) or len(flood.copies) > 1
                or flood.via is FloodMode.MULTICAST):
            self.s.segments[flood.vni].floods.append(flood)
        elif flood.dst:
            self.destinations.setdefault((flood.vni, flood.dst),
                                         (flood.copies[0], flood.record))

    def _sizes(self, rec: Record, frame: Frame) -> None:
        sz = self.s.sizes
        if frame.ethertype is None:
            return
        sz.frames += 1
        l3 = frame.l3_length
        if l3 > sz.largest:
            sz.largest, sz.largest_record = l3, rec.number
        if frame.ipv4 is not None and frame.ipv4.is_fragment:
            sz.fragments += 1
        mtu = sz.transport_mtu if frame.vxlan is not None else sz.vm_mtu
        reason = offload_reason(frame) if l3 > mtu else None
        if reason is not None:
            sz.offloaded.append(Oversize(rec.number, l3, mtu, reason))
            return
        if frame.vxlan is not None:
            sz.largest_carried = max(sz.largest_carried, l3)
        if l3 <= mtu:
            sz.fit += 1
            return
        ip = frame.innermost().ipv4
        if ip is None:
            why = "a non-IP frame: dropped"
        elif ip.df:
            why = "DF set: dropped, with a PMTU notification to the VM"
        else:
            why = "fragmented"
        if frame.vxlan is not None:
            why = f"inner {frame.vxlan.inner.l3_length} + {VXLAN_OVERHEAD}: {why}"
        sz.over_mtu.append(Oversize(rec.number, l3, mtu, why))

    def finish(self) -> None:
        self._expire(None)
        for (vni, mac), (vtep, record) in self.destinations.items():
            seg = self.s.segments[vni]
            if mac not in seg.macs:
                seg.macs[mac] = MacSeen(mac, vtep, record, learned="destination")
        for seg in self.s.segments.values():
            seg.floods.sort(key=lambda f: f.record)


def frame_problem(frame: Frame) -> str:
    """What is wrong with a frame whose decode stopped early (frame.error is set)."""
    cut = (f" (the capture kept {frame.captured} of {frame.length} bytes)"
           if frame.captured < frame.length else "")
    return f"{frame.error}{cut}"


def _note_ip(seen: MacSeen, frame: Frame) -> None:
    if frame.arp is not None and frame.arp.sender_mac == seen.mac:
        seen.ips.add(frame.arp.sender_ip)
    elif frame.ipv4 is not None and frame.ipv4.src != "0.0.0.0":
        seen.ips.add(frame.ipv4.src)


def summarize_file(path: str | os.PathLike[str],
                   vxlan_ports: frozenset[int] = DEFAULT_VXLAN_PORTS,
                   transport_mtu: int = DEFAULT_TRANSPORT_MTU,
                   vm_mtu: int = DEFAULT_VM_MTU) -> CaptureSummary:
    """Read and summarize a capture file; raises CaptureError only when it is unreadable.
    Problems (bad or truncated records, cut frames) are in `problems`, by record."""
    return _summarize_file(path, vxlan_ports, transport_mtu, vm_mtu, False)[0]


def sent_frames(path: str | os.PathLike[str],
                vxlan_ports: frozenset[int] = DEFAULT_VXLAN_PORTS,
                transport_mtu: int = DEFAULT_TRANSPORT_MTU,
                vm_mtu: int = DEFAULT_VM_MTU) -> tuple[CaptureSummary, list[Sent]]:
    """summarize_file(), and the frames the VMs sent in capture order: an uplink
    capture's decapsulated once per flood (not once per copy), a vNIC capture's as they
    are; offloaded TCP as the segments it became on the wire."""
    summary, sent = _summarize_file(path, vxlan_ports, transport_mtu, vm_mtu, True)
    return summary, sent or []


def _summarize_file(path: str | os.PathLike[str], vxlan_ports: frozenset[int],
                    transport_mtu: int, vm_mtu: int,
                    keep_sent: bool) -> tuple[CaptureSummary, list[Sent] | None]:
    with open_capture(path) as cap:
        summary = CaptureSummary(str(path), cap.format, frozenset(vxlan_ports),
                                 sizes=Sizes(transport_mtu, vm_mtu))
        work = _Summarizer(summary, keep_sent)
        for rec in cap:
            work.add(rec)
        work.finish()
        summary.problems = sorted([*cap.problems, *summary.problems], key=lambda p: p.record)
        summary.records = max(summary.records, cap.records_read + len(
            [p for p in cap.problems if p.record > cap.records_read]))
    return summary, work.sent
