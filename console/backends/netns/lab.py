"""A lab: the namespaces, links and devices of one topology, built and changed by
comparing the plan that is built with the plan wanted (plan.py), over netlink (pyroute2).

Everything a lab makes lives inside namespaces it created, so rolling back a failed build,
closing, or cleaning up after a crash is removing those namespaces."""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
from collections import defaultdict
from ipaddress import IPv4Address
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from console.models.overlay import FloodMode
from console.models.traffic import ETHERNET_HEADER

from . import rawnl
from .nsctl import Namespaces, ignore_exists, run_in
from .plan import (
    ROUTER,
    TRANSPORT_BRIDGE,
    UNDERLAY,
    UPLINK,
    LabPlan,
    SegmentOnHost,
    VemUplink,
    VifWire,
    fi_role,
    host_role,
    vm_role,
)
from .state import LabState, new_lab_id
from .tcfilter import add_src_mac_filter

VXLAN_DEV_MTU = 65485  # the most a vxlan device takes: oversized frames reach the tunnel,
# which fragments them or answers DF packets with a PMTU notice, instead of the bridge
# dropping them unseen.
NTF_MASTER = 0x04
NTF_SELF = 0x02
NUD_NOARP = 0x40
ZERO_MAC = "00:00:00:00:00:00"
COUNTED = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped",
           "tx_errors", "tx_carrier_errors")


class Lab:
    """One running lab. Not thread-safe by itself: callers hold `lock`."""

    def __init__(self, source: str = ""):
        self.state = LabState(new_lab_id(), source=source)
        self.ns = Namespaces(self.state)
        self.plan = LabPlan()
        self.lock = threading.RLock()
        self.steps: list[str] = []
        self.host_ports: dict[str, str] = {}  # host -> its port name on the transport
        # Counters of devices that were removed (a VIF moved, a segment left) stay in the
        # totals: every counter is monotonic for the life of the lab.
        self.retired: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.igmp: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # bd -> joins, leaves
        self._sockets: dict[str, socket.socket] = {}
        self._vif_ids: dict[str, int] = {}
        self._wanted: LabPlan | None = None
        self.retired_qdisc_drops: dict[str, int] = defaultdict(int)

    @property
    def bd_names(self) -> list[str]:
        return list(self.plan.bridge_domains)

    @property
    def lab_id(self) -> str:
        return self.state.lab_id

    def role_ns(self, role: str) -> str:
        return self.ns.name(role)

    def _step(self, text: str) -> None:
        self.steps.append(text)

    # ------------------------------------------------------------------ lifecycle
    def build(self, plan: LabPlan) -> None:
        """Build from nothing; on any failure remove everything built so far."""
        try:
            self.reconcile(plan)
        except BaseException:
            self.teardown()
            raise

    def teardown(self) -> None:
        with self.lock:
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()
            self.ns.remove_all()
            self.plan = LabPlan()

    # ------------------------------------------------------------------ netlink helpers
    def _ipr(self, role: str) -> Any:  # pyroute2's IPRoute (untyped)
        return self.ns.ipr(self.role_ns(role))

    def _index(self, role: str, ifname: str) -> int | None:
        # One RTM_GETLINK by name, not a dump of every link (the transport has one port
        # per host: a dump per lookup made large labs quadratic to build).
        try:
            index: int = self._ipr(role).link("get", ifname=ifname)[0]["index"]
            return index
        except NetlinkError as exc:
            if exc.code == errno.ENODEV:
                return None
            raise

    def link_stats(self, role: str, ifname: str) -> dict[str, int]:
        """Counters of one interface ({} when it does not exist), from /proc/net/dev."""
        name = self.role_ns(role)
        if name not in self.ns:
            return {}
        return parse_proc_dev(self.ns.read_proc(name, "dev")).get(ifname, {})

    def _retire(self, key: str, role: str, ifname: str) -> None:
        stats = self.link_stats(role, ifname)
        for name in COUNTED:
            self.retired[key][name] += stats.get(name, 0)

    def _ensure_ns(self, role: str, sysctls: dict[str, str] | None = None) -> None:
        if self.role_ns(role) not in self.ns:
            self.ns.create(role, sysctls)
            self._step(f"namespace {self.role_ns(role)}")

    def _ensure_bridge(self, role: str, name: str, mtu: int | None = None,
                       snooping: bool = False) -> int:
        ipr = self._ipr(role)
        index = self._index(role, name)
        if index is None:
            ipr.link("add", ifname=name, kind="bridge", br_mcast_snooping=int(snooping),
                     br_stp_state=0, br_forward_delay=0)
            index = self._index(role, name)
            self._step(f"bridge {name} in {self.role_ns(role)}")
        assert index is not None  # found, or just added
        if mtu is not None:
            ipr.link("set", index=index, mtu=mtu)
        ipr.link("set", index=index, state="up")
        return index

    def _veth(self, role: str, ifname: str, peer_role: str, peer: str, mtu: int,
              mac: str | None = None) -> tuple[int, int]:
        ipr = self._ipr(role)
        spec = {"ifname": peer, "net_ns_fd": self.role_ns(peer_role), "mtu": mtu}
        kwargs = {"address": mac} if mac else {}
        ipr.link("add", ifname=ifname, kind="veth", mtu=mtu, peer=spec, **kwargs)
        index = self._index(role, ifname)
        peer_index = self._index(peer_role, peer)
        assert index is not None and peer_index is not None
        ipr.link("set", index=index, state="up")
        self._ipr(peer_role).link("set", index=peer_index, state="up")
        return index, peer_index

    # ------------------------------------------------------------------ reconcile
    def reconcile(self, new: LabPlan) -> list[str]:
        """Make the built lab match `new`; returns the steps taken."""
        with self.lock:
            self.steps = []
            old = self.plan
            self._wanted = new
            self._ensure_underlay(new)
            if old.router != new.router:
                if ROUTER in old.roles:
                    self.ns.remove(self.role_ns(ROUTER))
                    self._step("router removed")
                if new.router is not None:
                    self._build_router(new)
            for host, uplink in new.vem_uplinks.items():
                if old.vem_uplinks.get(host) != uplink:
                    self._build_uplink(uplink)
            for role in old.roles:
                if role not in new.roles and role not in (UNDERLAY, ROUTER):
                    self._remove_role(role, old)
            for host in new.other_hosts:
                self._ensure_ns(host_role(host))
            for fi in new.fis:
                self._ensure_ns(fi_role(fi))
            for vm in new.vms:
                self._ensure_ns(vm_role(vm))
            for vif, wire in old.vifs.items():
                wanted = new.vifs.get(vif)
                if (wanted is None or not wire.same_link(wanted)) \
                        and self.role_ns(vm_role(wire.vm)) in self.ns:
                    self._remove_vif(wire)
            for key, seg in old.segments.items():
                if new.segments.get(key) != seg:
                    self._remove_segment(seg, leaving=key not in new.segments, plan=new)
            for key, seg in new.segments.items():
                if old.segments.get(key) != seg:
                    self._build_segment(seg, joining=key not in old.segments)
            for key, remotes in new.flood_remotes.items():
                rebuilt = old.segments.get(key) != new.segments.get(key)
                if rebuilt or old.flood_remotes.get(key) != remotes:
                    self._set_flood_list(new.segments[key], remotes, fresh=rebuilt)
            for vif, wire in new.vifs.items():
                before = old.vifs.get(vif)
                if before is None or not before.same_link(wire) or \
                        self._index(wire.switch_role, self.peer_name(vif)) is None:
                    self._build_vif(wire)
                elif before != wire:
                    self._configure_vif(wire, moved=before.bridge != wire.bridge)
                    self._step(f"{vif}: now on {wire.bridge}"
                               + (f", policed at {wire.rate_mbps} Mb/s" if wire.rate_mbps
                                  else "")
                               + (", MAC forging denied" if wire.forging_deny else ""))
            self.plan = new
            return list(self.steps)

    def _remove_role(self, role: str, old: LabPlan) -> None:
        for wire in old.vifs.values():
            if vm_role(wire.vm) == role or wire.switch_role == role:
                self._retire(wire.vif, vm_role(wire.vm), wire.ifname)
                self._drop_socket(wire.vif)
        for seg in old.segments.values():
            if host_role(seg.host) == role:
                self._retire(f"vem:{seg.host}", role, seg.ifnames[1])
        self.ns.remove(self.role_ns(role))
        self._step(f"namespace {self.role_ns(role)} removed")

    # ------------------------------------------------------------------ underlay
    def _ensure_underlay(self, plan: LabPlan) -> None:
        self._ensure_ns(UNDERLAY)
        mtus = [u.mtu for u in plan.vem_uplinks.values()] or [1500]
        # Snooping on: group traffic goes only to the VTEPs that joined, as on a real
        # IGMP-snooping transport switch.
        self._ensure_bridge(UNDERLAY, TRANSPORT_BRIDGE, max(mtus), snooping=True)

    def _attach_to_transport(self, port: str) -> None:
        ipr = self._ipr(UNDERLAY)
        ipr.link("set", index=self._index(UNDERLAY, port),
                 master=self._index(UNDERLAY, TRANSPORT_BRIDGE))

    def _build_router(self, plan: LabPlan) -> None:
        router = plan.router
        assert router is not None
        proxy = "1" if router.proxy_arp else "0"
        self._ensure_ns(ROUTER, {"net.ipv4.ip_forward": "1",
                                 "net.ipv4.conf.all.send_redirects": "0",
                                 "net.ipv4.conf.default.send_redirects": "0",
                                 "net.ipv4.conf.default.proxy_arp": proxy,
                                 "net.ipv4.conf.default.proxy_arp_pvlan": proxy})
        mtu = max([u.mtu for u in plan.vem_uplinks.values()] or [1500])
        index, _ = self._veth(ROUTER, "rt0", UNDERLAY, "rt", mtu)
        self._attach_to_transport("rt")
        ipr = self._ipr(ROUTER)
        for address in router.addresses:
            ipr.addr("add", index=index, address=str(address.ip),
                     prefixlen=address.network.prefixlen)
        covered = {a.network for a in router.addresses}
        for subnet in router.subnets:
            if subnet not in covered:
                ipr.route("add", dst=str(subnet), oif=index, scope=253)
        self._step(f"router between {', '.join(map(str, router.subnets))}"
                   + (" with proxy ARP" if router.proxy_arp else ""))

    def _build_uplink(self, uplink: VemUplink) -> None:
        role = host_role(uplink.host)
        self._ensure_ns(role, {"net.ipv4.conf.all.rp_filter": "0",
                               "net.ipv4.conf.default.rp_filter": "0"})
        ipr = self._ipr(role)
        existing = self._index(role, UPLINK)
        if existing is not None:
            ipr.link("del", index=existing)
        port = self.host_ports.setdefault(uplink.host, f"h{len(self.host_ports)}")
        index, _ = self._veth(role, UPLINK, UNDERLAY, port, uplink.mtu)
        self._attach_to_transport(port)
        for address in uplink.addresses:
            ipr.addr("add", index=index, address=str(address.ip),
                     prefixlen=address.network.prefixlen)
        # Flood groups and floods leave by the uplink.
        ignore_exists(lambda: ipr.route("add", dst="224.0.0.0/4", oif=index, scope=253))
        if uplink.gateway is not None and uplink.addresses:
            try:
                ipr.route("add", dst="0.0.0.0/0", gateway=str(uplink.gateway), oif=index)
            except NetlinkError as exc:
                self._step(f"{uplink.host}: gateway {uplink.gateway} not reachable ({exc})")
        elif uplink.onlink_default and uplink.addresses:
            ipr.route("add", dst="0.0.0.0/0", oif=index, scope=253)
        self._step(f"{uplink.host}: uplink MTU {uplink.mtu}, VTEPs "
                   + (", ".join(map(str, uplink.addresses)) or "none"))

    # ------------------------------------------------------------------ segments
    def _build_segment(self, seg: SegmentOnHost, joining: bool) -> None:
        role = host_role(seg.host)
        bridge, vxlan = seg.ifnames
        bridge_index = self._ensure_bridge(role, bridge)
        if seg.local is None:
            self._step(f"{seg.host}: no VTEP, {seg.bridge_domain} stays local")
            return
        ipr = self._ipr(role)
        spec = {"vxlan_id": seg.segment_id, "vxlan_port": seg.port,
                "vxlan_local": str(seg.local), "vxlan_learning": 1, "vxlan_ttl": 64,
                "vxlan_df": 2}  # DF inherited from the inner IPv4 header
        uplink = self._index(role, UPLINK)
        uplink_mtu = self.plan_uplink_mtu(seg.host)
        if seg.mode is FloodMode.MULTICAST and seg.group is not None:
            # The kernel wants the uplink for a group, and then caps the vxlan MTU at the
            # uplink's minus 50: create it while the uplink is briefly jumbo, so oversized
            # frames still reach the tunnel (fragments, PMTU notices) as in unicast mode.
            spec["vxlan_group"] = str(seg.group)
            spec["vxlan_link"] = uplink
            ipr.link("set", index=uplink, mtu=65535)
        try:
            ipr.link("add", ifname=vxlan, kind="vxlan", mtu=VXLAN_DEV_MTU, **spec)
        finally:
            if uplink is not None and uplink_mtu is not None:
                ipr.link("set", index=uplink, mtu=uplink_mtu)
        index = self._index(role, vxlan)
        ipr.link("set", index=index, master=bridge_index)
        ipr.link("set", index=index, state="up")  # multicast mode: the IGMP join
        if joining and seg.mode is FloodMode.MULTICAST:
            self.igmp[seg.bridge_domain][0] += 1
        self._step(f"{seg.host}: {seg.bridge_domain} (segment {seg.segment_id}, "
                   f"{seg.mode.value}, VTEP {seg.local})")

    def plan_uplink_mtu(self, host: str) -> int | None:
        uplink = self._wanted.vem_uplinks.get(host) if self._wanted else None
        return uplink.mtu if uplink is not None else None

    def _remove_segment(self, seg: SegmentOnHost, leaving: bool, plan: LabPlan) -> None:
        role = host_role(seg.host)
        if self.role_ns(role) not in self.ns:
            return
        bridge, vxlan = seg.ifnames
        index = self._index(role, vxlan)
        if index is not None:
            self._retire(f"vem:{seg.host}", role, vxlan)
            self._ipr(role).link("del", index=index)  # multicast mode: the IGMP leave
            if leaving and seg.mode is FloodMode.MULTICAST:
                self.igmp[seg.bridge_domain][1] += 1
        still_used = any(w.switch_role == role and w.bridge == bridge
                         for w in plan.vifs.values())
        bridge_index = self._index(role, bridge)
        if bridge_index is not None and not still_used:
            self._ipr(role).link("del", index=bridge_index)
        self._step(f"{seg.host}: left {seg.bridge_domain}")

    def _set_flood_list(self, seg: SegmentOnHost, remotes: tuple[IPv4Address, ...],
                        fresh: bool = False) -> None:
        """Head-end replication: one all-zero FDB entry per remote designated VTEP."""
        role = host_role(seg.host)
        index = self._index(role, seg.ifnames[1])
        if index is None:
            return
        ipr = self._ipr(role)
        for entry in [] if fresh else ipr.fdb("dump", ifindex=index):
            if entry.get("NDA_LLADDR") == ZERO_MAC and entry.get("ifindex") == index:
                ipr.fdb("del", ifindex=index, lladdr=ZERO_MAC, dst=entry.get("NDA_DST"))
        rawnl.fdb_append(self.ns.raw_socket(self.role_ns(role)), index, ZERO_MAC,
                         [str(ip) for ip in remotes])
        self._step(f"{seg.host}: {seg.bridge_domain} floods to "
                   + (", ".join(map(str, remotes)) or "no other VEM"))

    # ------------------------------------------------------------------ VIFs
    def peer_name(self, vif: str) -> str:
        return f"p{self._vif_ids.setdefault(vif, len(self._vif_ids))}"

    def _build_vif(self, wire: VifWire) -> None:
        vm = vm_role(wire.vm)
        if self._index(vm, wire.ifname) is not None:
            self._remove_vif(wire)
        self._veth(vm, wire.ifname, wire.switch_role, self.peer_name(wire.vif), wire.mtu,
                   mac=wire.mac)
        self._configure_vif(wire, moved=True, fresh=True)
        self._step(f"{wire.vif}: link to {wire.bridge} in {self.role_ns(wire.switch_role)}")

    def _configure_vif(self, wire: VifWire, moved: bool, fresh: bool = False) -> None:
        """Bridge, MAC forging and policer of a VIF; `fresh`: a new link with none yet."""
        role = wire.switch_role
        ipr = self._ipr(role)
        peer = self._index(role, self.peer_name(wire.vif))
        if moved:
            ipr.link("set", index=peer, master=self._ensure_bridge(role, wire.bridge))
        # MAC forging deny: a locked bridge port forwards only frames whose source MAC has
        # a static entry on that port (the VIF's own MAC).
        if wire.forging_deny or not fresh:
            ipr.brport("set", index=peer, locked=int(wire.forging_deny), learning=1)
        if not fresh:
            with contextlib.suppress(NetlinkError):
                ipr.fdb("del", ifindex=peer, lladdr=wire.mac, flags=NTF_MASTER)
        if wire.forging_deny:
            ipr.fdb("add", ifindex=peer, lladdr=wire.mac, flags=NTF_MASTER, state=NUD_NOARP)
        if wire.rate_mbps is not None or wire.forging_deny or not fresh:
            self._set_policer(wire)

    def qdisc_drops(self, wire: VifWire) -> int:
        if wire.rate_mbps is None and not wire.forging_deny:
            return 0  # no qdisc of ours: nothing polices this VIF
        vm = vm_role(wire.vm)
        index = self._index(vm, wire.ifname)
        if index is None:
            return 0
        drops = 0
        for qdisc in self._ipr(vm).get_qdiscs(index=index):
            if qdisc["parent"] != 0xFFFFFFFF:
                continue  # the root qdisc's counters include its children's
            stats = qdisc.get_attr("TCA_STATS2")
            queue = stats.get_attr("TCA_STATS_QUEUE") if stats is not None else None
            drops += queue["drops"] if queue is not None else 0
        return drops

    def _set_policer(self, wire: VifWire) -> None:
        """The VIF's ingress checks, on the VM end of its veth (the last point before the
        switch; this kernel has no tc police action to put them on the switch end):
        - QoS rate limit: a token bucket (tbf) with a one-frame queue, so excess frames are
          dropped and counted, not delayed, as a policer does;
        - MAC forging deny: an htb whose u32 filter passes the VIF's own source MAC and
          leaves every other frame to a class with an empty queue (dropped, counted).
        The drops show in the root qdisc's statistics: the VIF's tx_drops."""
        vm = vm_role(wire.vm)
        ipr = self._ipr(vm)
        index = self._index(vm, wire.ifname)
        assert index is not None  # the VIF's veth exists (added before its policer)
        self.retired_qdisc_drops[wire.vif] += self.qdisc_drops(wire)
        with contextlib.suppress(NetlinkError):
            ipr.tc("del", index=index, handle=0x10000)
        rate = f"{int(wire.rate_mbps * 1000)}kbit" if wire.rate_mbps else None
        bucket = {"burst": wire.burst_kb * 1024, "limit": wire.mtu + ETHERNET_HEADER}
        if not wire.forging_deny:
            if rate is not None:
                ipr.tc("add", "tbf", index=index, handle=0x10000, rate=rate, **bucket)
            return
        ipr.tc("add", "htb", index=index, handle=0x10000, default=0x20)
        for minor in (0x10, 0x20):
            ipr.tc("add-class", "htb", index=index, handle=0x10000 | minor, parent=0x10000,
                   rate="100gbit", ceil="100gbit")
        ipr.tc("add", "pfifo", index=index, handle=0x200000, parent=0x10020, limit=0)
        if rate is not None:
            ipr.tc("add", "tbf", index=index, handle=0x100000, parent=0x10010, rate=rate,
                   **bucket)
        run_in(self.role_ns(vm),
               lambda: add_src_mac_filter(index, 0x10000, 0x10010, wire.mac))

    def _remove_vif(self, wire: VifWire) -> None:
        vm = vm_role(wire.vm)
        index = self._index(vm, wire.ifname)
        if index is None:
            return
        self._retire(wire.vif, vm, wire.ifname)
        peer = self.link_stats(wire.switch_role, self.peer_name(wire.vif))
        self.retired[wire.vif]["peer_tx_dropped"] += peer.get("tx_dropped", 0)
        self.retired_qdisc_drops[wire.vif] += self.qdisc_drops(wire)
        if wire.switch_role.startswith("fi-"):
            self._retire(wire.switch_role.replace("fi-", "fi:", 1), wire.switch_role,
                         self.peer_name(wire.vif))
        self._drop_socket(wire.vif)
        self._ipr(vm).link("del", index=index)
        self._step(f"{wire.vif}: link removed")

    # ------------------------------------------------------------------ traffic sockets
    def socket_for(self, vif: str) -> socket.socket | None:
        """An AF_PACKET socket opened inside the VM's namespace, bound to the VIF."""
        with self.lock:
            sock = self._sockets.get(vif)
            if sock is not None:
                return sock
            wire = self.plan.vifs.get(vif)
            if wire is None:
                return None
            def opener() -> socket.socket:
                return _bound_socket(wire.ifname)
            sock = run_in(self.role_ns(vm_role(wire.vm)), opener)
            self._sockets[vif] = sock
            return sock

    def _drop_socket(self, vif: str) -> None:
        sock = self._sockets.pop(vif, None)
        if sock is not None:
            sock.close()


def _bound_socket(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.bind((ifname, 0))
    sock.setblocking(True)
    return sock


_PROC_DEV_FIELDS = ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_fifo",
                    "rx_frame", "rx_compressed", "multicast", "tx_bytes", "tx_packets",
                    "tx_errors", "tx_dropped", "tx_fifo", "collisions", "tx_carrier_errors",
                    "tx_compressed")


def parse_proc_dev(text: str) -> dict[str, dict[str, int]]:
    """/proc/net/dev -> {ifname: counters} (64-bit totals, same names as rtnl stats64)."""
    out: dict[str, dict[str, int]] = {}
    for line in text.splitlines()[2:]:
        name, _, values = line.partition(":")
        out[name.strip()] = dict(zip(_PROC_DEV_FIELDS, map(int, values.split()), strict=False))
    return out
