"""Facts derived from a topology that the rules, the engine, the backends and the views
share: effective and dynamic port profiles, segment membership, designated VTEPs and the
paths between them, VF pools and live-migration verdicts. One Derived per snapshot of the
topology; it does not follow later edits (build a new one)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address
from typing import NamedTuple

from .base import Owner
from .inventory import Host, Switching, Vm, VmState, Vnic
from .openstack import NetworkType
from .overlay import BridgeDomain, FloodMode, Vtep
from .topology import Topology, TopologyIndex, VifRef
from .types import NAME_MAX
from .vmfex import AttachMode, PortProfile


class Segment(NamedTuple):
    """Where a VIF's frames are switched: a VXLAN bridge domain or a VLAN."""

    kind: str  # "vxlan" or "vlan"
    id: int  # segment id or VLAN id
    bridge_domain: str | None = None

    def __str__(self) -> str:
        return f"bridge-domain {self.bridge_domain}" if self.kind == "vxlan" else f"vlan {self.id}"


_HASH_CHARS = 8


def dynamic_profile_name(policy_profile: str, network: str) -> str:
    """The name of the dynamic port profile for a (policy profile, network) pair:
    `POLICY_NETWORK`, as the VSM names it.

    Both names are valid names (at most 63 characters), but the pair may not be: a longer
    one keeps its first characters and ends in `-` and 8 hex digits of a hash of the pair,
    so it is still a valid name (a derived object must never fail the validation its
    sources passed), stable across runs and distinct for distinct pairs."""
    name = f"{policy_profile}_{network}"
    if len(name) <= NAME_MAX:
        return name
    digest = hashlib.sha256(f"{policy_profile}\0{network}".encode()).hexdigest()
    return f"{name[:NAME_MAX - _HASH_CHARS - 1]}-{digest[:_HASH_CHARS]}"


@dataclass
class VfPool:
    """The VFs of one PF of one host and the VIFs that hold them."""

    host: str
    pf: str
    vfs: int
    netlink_limit: int
    holders: list[str] = field(default_factory=list)  # VIF ids, in VF order

    @property
    def usable(self) -> int:
        """VFs a VIF can take: the PF's VFs, capped by the host netlink limit."""
        return min(self.vfs, self.netlink_limit)

    @property
    def free(self) -> int:
        return self.usable - len(self.holders)


@dataclass(frozen=True)
class MigrationVerdict:
    allowed: bool
    reasons: tuple[str, ...] = ()


class Derived:
    """Derived facts of one topology snapshot, computed on first use."""

    def __init__(self, topo: Topology, index: TopologyIndex | None = None):
        self.topo = topo
        self.index = index or topo.index()

    # ------------------------------------------------------------- port profiles
    @cached_property
    def dynamic_profiles(self) -> dict[tuple[str, str], PortProfile]:
        """One dynamic port profile per unique (policy profile, network) pair in use,
        shared by every vNIC with that pair."""
        out: dict[tuple[str, str], PortProfile] = {}
        for vm in self.topo.vms:
            for nic in vm.nics:
                if nic.network is None or nic.policy_profile is None:
                    continue
                key = (nic.policy_profile, nic.network)
                if key in out:
                    continue
                profile = self._make_dynamic(*key)
                if profile is not None:
                    out[key] = profile
        return out

    @cached_property
    def _clusters(self) -> tuple[str, ...]:
        """Every host's cluster, once: a dynamic profile reaches them all (per profile,
        this was a walk over every host: 10,000 hosts x 4,000 profiles at scale)."""
        return tuple(sorted({h.cluster for h in self.topo.hosts})) or ("default",)

    def _make_dynamic(self, policy_name: str, network_name: str) -> PortProfile | None:
        policy = self.index.policy_profiles.get(policy_name)
        network = self.index.networks.get(network_name)
        if policy is None or network is None:
            return None
        vlans: list[int] = []
        if network.type is NetworkType.VLAN and network.vlan is not None:
            vlans = [network.vlan]
        elif network.type is NetworkType.VLAN_TRUNK:
            vlans = list(network.vlans)
        return PortProfile(
            name=dynamic_profile_name(policy_name, network_name),
            clients=list(self._clusters),
            vlans=vlans,
            bridge_domain=network.bridge_domain,
            qos=policy.qos,
            mac_forging=policy.mac_forging,
            owner=Owner.OPENSTACK,
            description=f"dynamic: policy {policy_name} on network {network_name}",
        )

    def profile_of(self, nic: Vnic) -> PortProfile | None:
        """The port profile a vNIC uses: named, or the dynamic one; None when dangling."""
        if nic.port_profile is not None:
            return self.index.port_profiles.get(nic.port_profile)
        if nic.policy_profile is not None and nic.network is not None:
            return self.dynamic_profiles.get((nic.policy_profile, nic.network))
        return None

    @cached_property
    def all_profiles(self) -> dict[str, PortProfile]:
        """Named port profiles and the dynamic ones, by name."""
        out = dict(self.index.port_profiles)
        for profile in self.dynamic_profiles.values():
            out.setdefault(profile.name, profile)
        return out

    @cached_property
    def vifs_by_profile(self) -> dict[str, list[VifRef]]:
        out: dict[str, list[VifRef]] = {}
        for vif in self.index.vifs.values():
            profile = self.profile_of(vif.nic)
            if profile is not None:
                out.setdefault(profile.name, []).append(vif)
        return out

    def vifs_using(self, profile_name: str) -> list[VifRef]:
        """The VIFs that use a port profile (a change to it applies to all of them)."""
        return list(self.vifs_by_profile.get(profile_name, []))

    # ------------------------------------------------------------------ segments
    def segment_of(self, nic: Vnic) -> Segment | None:
        """The segment a vNIC's frames are switched in, from its port profile."""
        profile = self.profile_of(nic)
        if profile is None:
            return None
        if profile.bridge_domain is not None:
            bd = self.index.bridge_domains.get(profile.bridge_domain)
            if bd is None:
                return None
            return Segment("vxlan", bd.segment_id, bd.name)
        vlan = profile.access_vlan
        return Segment("vlan", vlan) if vlan is not None else Segment("vlan", 1)

    @cached_property
    def segment_members(self) -> dict[str, list[str]]:
        """Bridge domain -> the VEMs (host names, file order) with at least one running VM
        in it: the VEMs that join its multicast group or receive its unicast floods."""
        out: dict[str, list[str]] = {bd.name: [] for bd in self.topo.bridge_domains}
        for host in self.topo.hosts:
            if host.switching is not Switching.VEM:
                continue
            for bd_name in self.segments_on(host.name):
                out.setdefault(bd_name, []).append(host.name)
        return out

    @cached_property
    def _segments_by_host(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for vm in self.topo.vms:
            if vm.state is not VmState.RUNNING:
                continue
            for nic in vm.nics:
                seg = self.segment_of(nic)
                if seg is not None and seg.bridge_domain is not None:
                    names = out.setdefault(vm.host, [])
                    if seg.bridge_domain not in names:
                        names.append(seg.bridge_domain)
        return out

    def segments_on(self, host: str) -> list[str]:
        """Bridge domains with at least one running VM on this host."""
        return list(self._segments_by_host.get(host, []))

    def designated_vtep(self, host: Host, bd: BridgeDomain) -> Vtep | None:
        """The one VTEP of a VEM that receives the flood traffic of a segment.

        An explicit `designated_vteps` entry wins; otherwise the segment id picks one of
        the VEM's VTEPs (segment id modulo VTEP count), spreading segments across VTEPs.
        """
        if not host.vteps:
            return None
        chosen = host.designated_vteps.get(bd.name)
        if chosen is not None:
            for vtep in host.vteps:
                if vtep.name == chosen:
                    return vtep
        return host.vteps[automatic_vtep_index(bd, len(host.vteps))]

    # -------------------------------------------------------------- reachability
    def vtep_path(self, bd: BridgeDomain, src: Host, dst: Host) -> VtepPath:
        """The path of bridge domain `bd`'s traffic from VEM `src` to VEM `dst`."""
        a, b = self.designated_vtep(src, bd), self.designated_vtep(dst, bd)
        if a is None:
            reach = Reach(False, f"{src.name} has no VTEP")
        elif b is None:
            reach = Reach(False, f"{dst.name} has no VTEP")
        else:
            reach = vtep_reach(a, b, self.topo.underlay.proxy_arp)
        return VtepPath(bd.name, src.name, a, dst.name, b, reach)

    def vtep_paths(self, host_name: str) -> list[VtepPath]:
        """Both directions between VEM `host_name` and every other member of each bridge
        domain it has a running VM in (bridge domains in file order, then members): what
        the VTEP editor shows, judged as `unreachable_paths` judges them."""
        me = self.index.hosts.get(host_name)
        if me is None or me.switching is not Switching.VEM:
            return []
        out: list[VtepPath] = []
        mine = set(self.segments_on(host_name))
        for bd in self.topo.bridge_domains:
            if bd.name not in mine:
                continue
            for other in self.segment_members.get(bd.name, []):
                if other == host_name:
                    continue
                peer = self.index.hosts[other]
                out.append(self.vtep_path(bd, me, peer))
                out.append(self.vtep_path(bd, peer, me))
        return out

    @cached_property
    def unreachable_paths(self) -> list[VtepPath]:
        """Every path between two members of a bridge domain whose designated VTEPs cannot
        reach each other (the rule vxlan.vtep-reachability), by bridge domain, sender and
        receiver in file order. Paths from or to a VEM without a VTEP are left out: the rule
        vxlan.vtep-missing names those.

        The same verdict as `vtep_paths`, computed without looking at every pair: a sender
        with a gateway (or any sender, with proxy ARP) reaches everyone, and a sender whose
        subnet holds every member's designated VTEP needs no pair checked."""
        proxy = self.topo.underlay.proxy_arp
        if proxy:
            return []
        out: list[VtepPath] = []
        for bd in self.topo.bridge_domains:
            names = self.segment_members.get(bd.name, [])
            if len(names) < 2:
                continue
            ends = [(n, v) for n in names
                    if (v := self.designated_vtep(self.index.hosts[n], bd)) is not None]
            # receivers' addresses masked to each prefix length a sender uses, counted
            in_net: dict[int, dict[int, int]] = {}
            for name, src in ends:
                if src.gateway is not None:
                    continue
                net = src.ip.network
                counts = in_net.get(net.prefixlen)
                if counts is None:
                    mask = int(net.netmask)
                    counts = in_net[net.prefixlen] = {}
                    for _, dst in ends:
                        key = int(dst.ip.ip) & mask
                        counts[key] = counts.get(key, 0) + 1
                if counts.get(int(net.network_address), 0) == len(ends):
                    continue
                for other, dst in ends:
                    if other != name:
                        reach = vtep_reach(src, dst, proxy)
                        if not reach.ok:
                            out.append(VtepPath(bd.name, name, src, other, dst, reach))
        return out

    # ------------------------------------------------------------------ VF pools
    @cached_property
    def vf_pools(self) -> dict[tuple[str, str], VfPool]:
        """(host, pf) -> the pool, with VFs handed out in file order. A VF vNIC without a
        `pf` takes the PF with the most free VFs."""
        limit = self.topo.ucs.netlink_vf_limit
        pools: dict[tuple[str, str], VfPool] = {}
        for host in self.topo.hosts:
            if host.vic is None:
                continue
            for pf in host.vic.pfs:
                pools[(host.name, pf.name)] = VfPool(host.name, pf.name, pf.vfs, limit)
        for vm in self.topo.vms:
            for nic in vm.nics:
                if not nic.attach.uses_vf:
                    continue
                pool = self._pool_for(pools, vm, nic)
                if pool is not None:
                    pool.holders.append(f"{vm.name}/{nic.name}")
        return pools

    @staticmethod
    def _pool_for(pools: dict[tuple[str, str], VfPool], vm: Vm, nic: Vnic) -> VfPool | None:
        if nic.pf is not None:
            return pools.get((vm.host, nic.pf))
        mine = [p for (h, _), p in pools.items() if h == vm.host]
        return max(mine, key=lambda p: p.free, default=None)

    def vf_of(self, vif_id: str) -> tuple[str, int] | None:
        """(pf, VF index) a VIF holds, or None (not a VF vNIC, or the pool is exhausted:
        VIFs past the pool's usable VFs get none)."""
        for pool in self.vf_pools.values():
            if vif_id in pool.holders:
                i = pool.holders.index(vif_id)
                return (pool.pf, i) if i < pool.usable else None
        return None

    # ----------------------------------------------------------------- migration
    def migration(self, vm_name: str, dest: str | None = None) -> MigrationVerdict:
        """Can this VM live-migrate (to `dest`, when given)? And if not, why not."""
        vm = self.index.vms.get(vm_name)
        if vm is None:
            return MigrationVerdict(False, (f"no VM named {vm_name}",))
        reasons: list[str] = []
        for nic in vm.nics:
            if not nic.attach.live_migration:
                reasons.append(f"{nic.name} is a hostdev (SR-IOV passthrough) vNIC: "
                               "live migration is not supported")
        src = self.index.hosts.get(vm.host)
        if dest is not None:
            dst = self.index.hosts.get(dest)
            if dst is None:
                reasons.append(f"no host named {dest}")
            elif dst.name == vm.host:
                reasons.append(f"{vm.name} already runs on {dest}")
            elif src is not None and dst.cluster != src.cluster:
                reasons.append(f"{dest} is in cluster {dst.cluster}, not {src.cluster}: live "
                               "migration stays inside the cluster")
            elif src is not None and Switching.PLAIN in (src.switching, dst.switching):
                # A plain host's VMs are on its own bridge: plain to plain keeps them
                # there; between a plain host and the fabric their vNICs change world.
                if src.switching is not dst.switching and vm.nics:
                    reasons.append(f"{vm.name} moves between a plain host and the fabric "
                                   f"({vm.host} is {src.switching.value}, {dest} is "
                                   f"{dst.switching.value}): its vNICs would need new "
                                   "attachments")
            elif dst is not None:
                needs = {n.attach.is_vmfex for n in vm.nics}
                if True in needs and dst.switching is not Switching.VMFEX:
                    reasons.append(f"{dest} has no VIC (VEM host): VM-FEX vNICs need one")
                if False in needs and dst.switching is not Switching.VEM:
                    reasons.append(f"{dest} runs no VEM: veth vNICs need one")
        return MigrationVerdict(not reasons, tuple(reasons))

    def migration_targets(self, vm_name: str) -> list[str]:
        """Hosts this VM can live-migrate to."""
        return [h.name for h in self.topo.hosts if self.migration(vm_name, h.name).allowed]


def flood_group(bd: BridgeDomain) -> IPv4Address | None:
    """The multicast group a bridge domain's floods go to: its `group` in multicast mode.

    Nothing assigns a group to a bridge domain that names none: the model keeps None, the
    rule vxlan.multicast-group reports it as an error, and the NX-OS export writes no
    `group` line. So an empty group field means no group (say so; show no example)."""
    if bd.mode is not FloodMode.MULTICAST:
        return None
    return bd.group


def automatic_vtep_index(bd: BridgeDomain, count: int) -> int:
    """Which of a VEM's `count` VTEPs is designated for `bd` when none is chosen: the
    segment id modulo the VTEP count, spreading segments across VTEPs."""
    return bd.segment_id % count


def uses_vf(nic: Vnic) -> bool:
    return nic.attach in (AttachMode.MACVTAP_PASSTHROUGH, AttachMode.HOSTDEV)


def vf_pci_address(pf_pci: str, index: int) -> str:
    """The PCI address of VF `index` of the PF at `pf_pci` ('0000:0b:00.0').

    SR-IOV places VF n at the PF's routing id + First VF Offset + n * VF Stride; Cisco VICs
    (like most NICs) use offset 1 and stride 1, so VF 0 of 0000:0b:00.0 is 0000:0b:00.1 and
    VF 7 is 0000:0b:01.0. Discovery reads the real addresses from the host; this is for
    planning a hostdev vNIC from a file."""
    domain, bus, slot_fn = pf_pci.split(":")
    slot, fn = slot_fn.split(".")
    rid = (int(bus, 16) << 8) | (int(slot, 16) << 3) | int(fn)
    rid += 1 + index
    if rid > 0xFFFF:
        raise ValueError(f"VF {index} of {pf_pci} falls outside the PCI bus range")
    return f"{domain}:{rid >> 8:02x}:{(rid >> 3) & 0x1F:02x}.{rid & 7}"


class Reach(NamedTuple):
    """Can one VTEP send to another, and how (or why not)."""

    ok: bool
    how: str


def vtep_reach(src: Vtep, dst: Vtep, proxy_arp: bool) -> Reach:
    """Can VTEP `src` send to VTEP `dst`?

    As the data plane judges an encapsulated copy (console/engine/reference.py, `reach`):
    `dst` is in the subnet of `src`, or `src` has the gateway of `transport ip address
    external`, or the underlay answers ARP upstream (proxy ARP). The VEM does not use the
    host routing table, so nothing else gets a copy across subnets."""
    if dst.ip.ip in src.ip.network:
        return Reach(True, f"same subnet {src.ip.network}")
    if src.gateway is not None:
        return Reach(True, f"through gateway {src.gateway}")
    if proxy_arp:
        return Reach(True, "through upstream proxy ARP")
    return Reach(False, "another subnet; no gateway, no proxy ARP")


@dataclass(frozen=True)
class VtepPath:
    """The VXLAN traffic of one bridge domain from one VEM to another: it leaves from the
    sender's designated VTEP for the segment and goes to the receiver's designated VTEP
    (unicast-only flood copies, and known unicast learned from the receiver's floods).
    `src` or `dst` is None when that VEM has no VTEP (rule vxlan.vtep-missing)."""

    bridge_domain: str
    src_host: str
    src: Vtep | None
    dst_host: str
    dst: Vtep | None
    reach: Reach
