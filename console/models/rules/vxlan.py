"""Nexus 1000V VXLAN rules: VTEPs, segment ids, flood modes, reachability, MTU, and the
segmentation feature.

Source: the Cisco Nexus 1000V for KVM VXLAN Configuration Guide.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from ..derived import VtepPath
from ..inventory import Host, Switching
from ..overlay import (
    MAX_VTEPS_PER_VEM,
    SEGMENT_ID_MAX,
    SEGMENT_ID_MIN,
    VXLAN_OVERHEAD,
    FloodMode,
)
from .registry import ERROR, N1KV_DOC, WARNING, Context, Yield, rule

MULTICAST_NET = IPv4Network("224.0.0.0/4")


@rule("vxlan.vtep-count", ERROR, "A VEM has at most 4 VTEPs",
      f"{N1KV_DOC}, section VXLAN Tunnel Endpoints: "
      "'You can have a maximum of four VTEPs in a single VEM'")
def vtep_count(ctx: Context) -> Yield:
    for i, host in ctx.vem_hosts():
        for k in range(MAX_VTEPS_PER_VEM, len(host.vteps)):
            yield (f"hosts[{i}].vteps[{k}]",
                   f"VEM {host.name} has {len(host.vteps)} VTEPs; a VEM has at most "
                   f"{MAX_VTEPS_PER_VEM} (VTEP {host.vteps[k].name} is one too many)")


@rule("vxlan.vtep-missing", ERROR, "A VEM with VXLAN ports has at least one VTEP",
      f"{N1KV_DOC}, section VXLAN Tunnel Endpoints: "
      "'Each VEM requires at least one IP/MAC address pair to terminate VXLAN "
      "packets'")
def vtep_missing(ctx: Context) -> Yield:
    for i, host in ctx.vem_hosts():
        if host.vteps:
            continue
        users = [at for at in ctx.nics_by_host.get(host.name, []) if ctx.is_vxlan(at.nic)]
        if users:
            yield (f"hosts[{i}].vteps",
                   f"VEM {host.name} has no VTEP but {users[0].label} uses a VXLAN port "
                   "profile; add a VTEP (an IPv4 address) to carry its segments")


@rule("vxlan.segment-id-range", ERROR, "A segment id is 4096 to 16,000,000",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'24-bit VXLAN ID' (Nexus 1000V accepts 4096 to 16,000,000)")
def segment_id_range(ctx: Context) -> Yield:
    for i, bd in enumerate(ctx.topo.bridge_domains):
        if not SEGMENT_ID_MIN <= bd.segment_id <= SEGMENT_ID_MAX:
            yield (f"bridge_domains[{i}].segment_id",
                   f"bridge domain {bd.name} has segment id {bd.segment_id}; Nexus 1000V "
                   f"accepts {SEGMENT_ID_MIN} to {SEGMENT_ID_MAX:,}")


@rule("vxlan.multicast-group", ERROR,
      "A multicast-mode bridge domain has a group address in 224.0.0.0/4",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'Each multicast mode VXLAN has an assigned multicast group IP address'")
def multicast_group(ctx: Context) -> Yield:
    for i, bd in enumerate(ctx.topo.bridge_domains):
        if bd.mode is not FloodMode.MULTICAST:
            continue
        if bd.group is None:
            yield (f"bridge_domains[{i}].group",
                   f"bridge domain {bd.name} is in multicast mode but has no group address; "
                   "set group (224.0.0.0/4, e.g. 239.1.1.1) or use mode unicast-only")
        elif bd.group not in MULTICAST_NET:
            yield (f"bridge_domains[{i}].group",
                   f"bridge domain {bd.name} has group {bd.group}, which is not a multicast "
                   "address (224.0.0.0/4)")


@rule("vxlan.unicast-group", ERROR, "A unicast-only bridge domain has no multicast group",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'unicast-only mode ... without the multicast mode requirement on the "
      "physical infrastructure'")
def unicast_group(ctx: Context) -> Yield:
    for i, bd in enumerate(ctx.topo.bridge_domains):
        if bd.mode is FloodMode.UNICAST_ONLY and bd.group is not None:
            yield (f"bridge_domains[{i}].group",
                   f"bridge domain {bd.name} is unicast-only but names group {bd.group}; "
                   "unicast-only floods by head-end replication: remove the group")


@rule("vxlan.underlay-multicast", ERROR, "Multicast mode needs a multicast-capable underlay",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'A VXLAN uses an IP multicast network to send broadcast, multicast, and "
      "unknown unicast flood frames'")
def underlay_multicast(ctx: Context) -> Yield:
    if ctx.topo.underlay.multicast:
        return
    for i, bd in enumerate(ctx.topo.bridge_domains):
        if bd.mode is FloodMode.MULTICAST:
            yield (f"bridge_domains[{i}].mode",
                   f"bridge domain {bd.name} floods by multicast but the underlay carries no "
                   "multicast (underlay.multicast: false); use mode unicast-only")


@rule("vxlan.vtep-gateway", ERROR, "A VTEP's gateway lies in the VTEP's subnet",
      f"{N1KV_DOC}, section VXLAN Tunnel Endpoints: "
      "'transport ip address external netmask 255.255.255.0 gateway 1.2.3.4'")
def vtep_gateway(ctx: Context) -> Yield:
    for i, host in ctx.vem_hosts():
        for k, vtep in enumerate(host.vteps):
            if vtep.gateway is not None and vtep.gateway not in vtep.ip.network:
                yield (f"hosts[{i}].vteps[{k}].gateway",
                       f"VTEP {vtep.name} of VEM {host.name} ({vtep.ip}) has gateway "
                       f"{vtep.gateway}, outside its subnet {vtep.ip.network}")


def _effective_mtu(ctx: Context, host: Host) -> int:
    """What a VEM's uplink carries: its uplink MTU (default the underlay's), capped by the
    underlay's."""
    underlay = ctx.topo.underlay.mtu
    return min(host.uplink_mtu or underlay, underlay)


@rule("vxlan.vtep-reachability", ERROR,
      "VTEPs in different subnets reach each other only by proxy ARP or a VTEP gateway",
      f"{N1KV_DOC}, section VXLAN Tunnel Endpoints: "
      "'the VEM does not use the Linux host routing table. Instead, it can use "
      "either Proxy Address Resolution Protocol (ARP) or a default gateway'")
def vtep_reachability(ctx: Context) -> Yield:
    # A segment's traffic leaves from the sender's designated VTEP for it and goes to the
    # receiver's designated VTEP, so only designated VTEPs are judged; one finding per
    # sending VTEP, naming the bridge domains it carries and the VEMs it misses.
    # Derived.unreachable_paths is the verdict the VTEP editor's table shows.
    by_sender: dict[tuple[str, str], list[VtepPath]] = {}
    for path in ctx.derived.unreachable_paths:
        assert path.src is not None  # unreachable_paths leaves out VEMs without a VTEP
        by_sender.setdefault((path.src_host, path.src.name), []).append(path)
    for (host_name, vtep_name), paths in by_sender.items():
        i = ctx.host_pos[host_name]
        host = ctx.index.hosts[host_name]
        k, vtep = next((k, v) for k, v in enumerate(host.vteps) if v.name == vtep_name)
        bds = list(dict.fromkeys(p.bridge_domain for p in paths))
        peers = list(dict.fromkeys(f"VEM {p.dst_host} ({p.dst.ip.ip if p.dst else '?'})"
                                   for p in paths))
        shown = " or ".join(peers[:3]) + (f" or {len(peers) - 3} more" if len(peers) > 3
                                          else "")
        yield (f"hosts[{i}].vteps[{k}]",
               f"VTEP {vtep.name} of VEM {host.name} ({vtep.ip}), the designated VTEP of "
               f"bridge domain{'s' if len(bds) > 1 else ''} {', '.join(bds)}, cannot reach "
               f"the designated VTEP of {shown} in another subnet: the VEM does not use the "
               f"host routing table; set a gateway on VTEP {vtep.name} or enable proxy ARP "
               "upstream (underlay.proxy_arp)")


@rule("vxlan.transport-mtu", ERROR, "The transport MTU is at least the VM MTU + 50",
      f"{N1KV_DOC}, section Fragmentation: "
      "'must be configured to carry 50 bytes more than what the VM VNICs are "
      "configured to send'")
def transport_mtu(ctx: Context) -> Yield:
    members = ctx.derived.segment_members
    mtu_of = {h.name: _effective_mtu(ctx, h) for _, h in reversed(list(ctx.vem_hosts()))}
    # Per segment, the two smallest effective MTUs: the worst path from any member is the
    # smaller of its own and the smallest among the others.
    lows: dict[str, list[tuple[int, str]]] = {}
    for bd, names in members.items():
        ranked = sorted((mtu_of[n], n) for n in names)
        lows[bd] = ranked[:2]
    for at in ctx.nics:
        host = at.host
        if host is None or host.switching is not Switching.VEM:
            continue
        seg = ctx.derived.segment_of(at.nic)
        if seg is None or seg.bridge_domain is None:
            continue
        others = [x for x in lows.get(seg.bridge_domain, []) if x[1] != host.name]
        if not others:
            continue
        own = mtu_of.get(host.name, ctx.topo.underlay.mtu)
        path_mtu, limiter = min((own, host.name), others[0])
        if at.nic.mtu + VXLAN_OVERHEAD > path_mtu:
            uplink = ctx.index.hosts[limiter].uplink_mtu
            if uplink is not None and uplink <= ctx.topo.underlay.mtu:
                where = f"the uplink of {limiter} carries {path_mtu} (uplink_mtu)"
            else:
                where = f"the underlay carries {path_mtu} (underlay.mtu)"
            yield (f"{at.path}.mtu",
                   f"{at.label} sends up to {at.nic.mtu}-byte packets in bridge domain "
                   f"{seg.bridge_domain}; VXLAN adds {VXLAN_OVERHEAD} bytes but {where}; "
                   f"raise the transport MTU to at least {at.nic.mtu + VXLAN_OVERHEAD} or "
                   f"lower the VM MTU to {path_mtu - VXLAN_OVERHEAD}")


@rule("vxlan.segmentation-in-use", ERROR,
      "The segmentation feature stays on while any port uses a VXLAN port profile",
      f"{N1KV_DOC}, section VXLAN Feature Disabled: "
      "'do not use the no feature segmentation command if there are any ports "
      "associated with a VXLAN port profile'")
def segmentation_in_use(ctx: Context) -> Yield:
    if ctx.topo.vsm.segmentation:
        return
    ports = [at.vif for at in ctx.nics if ctx.is_vxlan(at.nic)]
    if ports:
        shown = ", ".join(ports[:5]) + (" ..." if len(ports) > 5 else "")
        yield ("vsm.segmentation",
               f"the segmentation feature is off but {len(ports)} ports use a VXLAN port "
               f"profile ({shown}); remove those associations first")


@rule("vxlan.segmentation-bridge-domains", ERROR,
      "With the segmentation feature off there are no bridge domains",
      f"{N1KV_DOC}, section VXLAN Feature Disabled: "
      "'You can use the no feature segmentation command to remove all the VXLAN "
      "bridge domain configurations'")
def segmentation_bridge_domains(ctx: Context) -> Yield:
    if ctx.topo.vsm.segmentation or not ctx.topo.bridge_domains:
        return
    names = ", ".join(bd.name for bd in ctx.topo.bridge_domains[:5])
    yield ("vsm.segmentation",
           f"the segmentation feature is off but {len(ctx.topo.bridge_domains)} bridge domains "
           f"are defined ({names}); turning it off removes every bridge domain")


@rule("vxlan.vteps-on-vmfex", WARNING, "Only VEM hosts have VTEPs",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'Each VEM is assigned at least one IP address'")
def vteps_on_vmfex(ctx: Context) -> Yield:
    for i, host in enumerate(ctx.topo.hosts):
        if host.vteps and host.switching is not Switching.VEM:
            kind = "a VM-FEX" if host.switching is Switching.VMFEX else "a plain"
            yield (f"hosts[{i}].vteps",
                   f"host {host.name} is {kind} host but lists VTEPs; only VEM hosts "
                   "(switching: vem) terminate VXLAN, so they are ignored")
