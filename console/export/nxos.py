"""Nexus 1000V for KVM: the VSM configuration an administrator would type.

Follows the KVM release's CLI: `feature segmentation`, `bridge-domain` with `segment id`
and `group` or `segment mode unicast-only`, vethernet port profiles with `switchport
access bridge-domain` or a VLAN, made available to OpenStack with `publish port-profile`
(the KVM counterpart of VMware's `vmware port-group`). VTEPs are created on the host, so
their per-interface command (`transport ip address external netmask .. gateway ..`) is
written as an instruction, not as configuration. Where NX-OS has no exact equivalent of a
console setting (MAC forging deny) the nearest real feature is used and a comment says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from console.models import (
    BridgeDomain,
    FloodMode,
    Host,
    MacForging,
    Owner,
    PolicyProfile,
    PortProfile,
    Qos,
    Switching,
    Topology,
)
from console.models.derived import Derived

from .common import (
    Section,
    check_path,
    cli_text,
    join_sections,
    one_line,
    parse_path,
    qos_key,
    qos_policy_names,
    rate_text,
    removed_note,
    section_for,
    vlan_ranges,
)

FILE_NAME = "nexus1000v-vsm.cfg"
VTEP_PROFILE = "fc-vtep"
DEFAULT_UDP_PORT = 8472
OPENSTACK_NOTE = ("! owned by OpenStack: edits made on the VSM are lost at the next "
                  "OpenStack synchronization")
OBJECTS = ("bridge_domains", "port_profiles", "policy_profiles", "dynamic_profiles", "hosts")


def render(topology: Topology) -> dict[str, str]:
    """The VSM configuration of the whole topology, as one file."""
    return {FILE_NAME: join_sections(_header(topology), _sections(topology))}


def render_object(topology: Topology, path: str, derived: Derived | None = None) -> str:
    """The configuration of one object (`bridge_domains[1]`, `port_profiles[0]`,
    `policy_profiles[0]`, `dynamic_profiles[0]`, `hosts[2]`). A caller that holds the
    topology's Derived passes it, so a preview does not build it again."""
    derived = derived or Derived(topology)
    collection, i = _check(topology, path, derived)
    if collection == "hosts" and topology.hosts[i].switching is Switching.PLAIN:
        host = topology.hosts[i]
        return (f"! host {host.name} is a plain host: its VMs are on its own bridge or "
                "libvirt networks, not on a VEM; nothing to configure on the VSM\n")
    if collection == "hosts" and topology.hosts[i].switching is not Switching.VEM:
        host = topology.hosts[i]
        return (f"! host {host.name} is a VM-FEX host: its VIFs are switched by the fabric "
                "interconnect, not by a VEM; see the UCS Manager export\n")
    return section_for(_sections(topology, derived), path)


# ----------------------------------------------------------------------------- sections
def _check(topo: Topology, path: str, derived: Derived) -> tuple[str, int]:
    if path.startswith("dynamic_profiles["):
        # dynamic profiles are not a list of the file: check against the derived ones
        _, i = parse_path(path)
        if i >= len(derived.dynamic_profiles):
            raise ValueError(f"{path}: no such object (the topology has "
                             f"{len(derived.dynamic_profiles)} dynamic port profiles)")
        return "dynamic_profiles", i
    return check_path(topo, path, OBJECTS)


def _header(topo: Topology) -> list[str]:
    return [
        f"! Fabric Console export of topology {one_line(topo.name, 128)!r}",
        "! Cisco Nexus 1000V for KVM: VSM configuration, to enter in configuration mode",
    ]


def _sections(topo: Topology, derived: Derived | None = None) -> list[Section]:
    derived = derived or Derived(topo)
    dynamic = list(derived.dynamic_profiles.values())
    segmentation = topo.vsm.segmentation
    qos_names = qos_policy_names(
        [p.qos for p in topo.port_profiles] + [p.qos for p in topo.policy_profiles]
        + [p.qos for p in dynamic],
        "fc-qos-",
    )
    out = [_feature_section(topo)]
    out += [_qos_section(qos, qos_names) for qos in _distinct_qos(topo, dynamic)]
    for i, bd in enumerate(topo.bridge_domains):
        out.append(Section(f"bridge_domains[{i}]", tuple(_bridge_domain(bd, segmentation))))
    out += _uplink_sections(topo)
    if any(h.switching is Switching.VEM and h.vteps for h in topo.hosts):
        out.append(_vtep_profile_section())
    for i, profile in enumerate(topo.port_profiles):
        lines = [OPENSTACK_NOTE] if profile.owner is Owner.OPENSTACK else []
        users = derived.vifs_using(profile.name)
        if users and all(vif.nic.attach.is_vmfex for vif in users):
            lines.append("! used by VM-FEX VIFs only (switched by the fabric interconnect): "
                         "see the UCS Manager export")
        lines += _port_profile(profile, qos_names, segmentation)
        out.append(Section(f"port_profiles[{i}]", tuple(lines)))
    for i, policy in enumerate(topo.policy_profiles):
        out.append(Section(f"policy_profiles[{i}]", tuple(_policy_profile(policy, qos_names))))
    for i, profile in enumerate(dynamic):
        lines = [
            "! dynamic port profile, owned by OpenStack: the VSM creates it for the first VM",
            "! deployed with this policy profile on this network; do not edit it here",
        ]
        lines += _port_profile(profile, qos_names, segmentation)
        out.append(Section(f"dynamic_profiles[{i}]", tuple(lines)))
    for i, host in enumerate(topo.hosts):
        if host.switching is Switching.VEM:
            out.append(Section(f"hosts[{i}]", tuple(_vem(host, topo, derived))))
    return out


def _feature_section(topo: Topology) -> Section:
    if topo.vsm.segmentation:
        lines = ["feature segmentation"]
    else:
        lines = ["! segmentation is off: no VXLAN bridge domains on this VSM",
                 "no feature segmentation"]
    if topo.underlay.udp_port != DEFAULT_UDP_PORT:
        lines.append(f"! VXLAN UDP port {topo.underlay.udp_port} (the VEM default is "
                     f"{DEFAULT_UDP_PORT}): allow it through every firewall between VTEPs")
    return Section(None, tuple(lines))


# ---------------------------------------------------------------------------------- QoS
def _distinct_qos(topo: Topology, dynamic: Iterable[PortProfile]) -> list[Qos]:
    seen: dict[tuple[float, int], Qos] = {}
    holders: list[PortProfile | PolicyProfile] = [*topo.port_profiles, *topo.policy_profiles,
                                                  *dynamic]
    for holder in holders:
        if holder.qos is not None:
            seen.setdefault(qos_key(holder.qos), holder.qos)
    return list(seen.values())


def _qos_section(qos: Qos, names: dict[tuple[float, int], str]) -> Section:
    # Ingress policing of what the VM sends: a one-class policy map, applied `input` on
    # the vEthernet (the VSM's input is the VM's transmit direction).
    rate = rate_text(qos.rate_mbps)
    return Section(None, (
        f"policy-map type qos {names[qos_key(qos)]}",
        "  class class-default",
        f"    police cir {rate} mbps bc {qos.burst_kb} kbytes conform transmit violate drop",
    ))


# ------------------------------------------------------------------------ bridge domains
def _bridge_domain(bd: BridgeDomain, segmentation: bool) -> list[str]:
    lines = [OPENSTACK_NOTE] if bd.owner is Owner.OPENSTACK else []
    body = [f"bridge-domain {bd.name}", f"  segment id {bd.segment_id}"]
    if bd.mode is FloodMode.UNICAST_ONLY:
        body.append("  segment mode unicast-only")
    elif bd.group is not None:
        body.append(f"  group {bd.group}")
    else:
        body.append("  ! multicast mode needs a group (224.0.0.0/4): none is set")
    if not segmentation:
        # `no feature segmentation` removes every bridge domain: keep the definition visible
        # but inert, so a planner sees what enabling the feature would create.
        lines.append(f"! bridge-domain {bd.name} needs feature segmentation (off):")
        lines += ["! " + line.strip() for line in body]
        return lines
    return lines + body


# ------------------------------------------------------------------------- port profiles
def _port_profile(profile: PortProfile, qos_names: dict[tuple[float, int], str],
                  segmentation: bool) -> list[str]:
    lines = [f"port-profile type vethernet {profile.name}"]
    if profile.description:
        # NX-OS takes the rest of the line as the description: nothing in it may end the
        # line, chain a command (`;`) or ask for help (`?`) when pasted
        descr, removed = cli_text(profile.description, 80)
        if removed:
            lines.append(f"  ! {removed_note(removed, 'description')}")
        if descr:
            lines.append(f"  description {descr}")
    if profile.max_ports is not None:
        lines.append(f"  max-ports {profile.max_ports}")
    lines += _switchport(profile, segmentation)
    lines += _policy_lines(profile.mac_forging, profile.qos, qos_names)
    lines += ["  no shutdown", "  state enabled", "  publish port-profile"]
    return lines


def _switchport(profile: PortProfile, segmentation: bool) -> list[str]:
    if profile.bridge_domain is not None:
        if not segmentation:
            return ["  switchport mode access",
                    f"  ! switchport access bridge-domain {profile.bridge_domain}: needs "
                    "feature segmentation (off)"]
        return ["  switchport mode access",
                f"  switchport access bridge-domain {profile.bridge_domain}"]
    vlans = sorted(set(profile.vlans))
    if len(vlans) <= 1:
        lines = ["  switchport mode access"]
        if vlans:
            lines.append(f"  switchport access vlan {vlans[0]}")
        return lines
    lines = ["  switchport mode trunk", f"  switchport trunk allowed vlan {vlan_ranges(vlans)}"]
    if profile.native_vlan is not None:
        lines.append(f"  switchport trunk native vlan {profile.native_vlan}")
    return lines


def _policy_lines(mac_forging: MacForging, qos: Qos | None,
                  qos_names: dict[tuple[float, int], str]) -> list[str]:
    lines: list[str] = []
    if mac_forging is MacForging.DENY:
        lines += [
            "  ! MAC forging deny, approximated: one secure MAC per vEth, other sources dropped",
            "  switchport port-security",
            "  switchport port-security violation protect",
        ]
    if qos is not None:
        lines.append(f"  service-policy type qos input {qos_names[qos_key(qos)]}")
    return lines


def _policy_profile(policy: PolicyProfile, qos_names: dict[tuple[float, int], str]) -> list[str]:
    lines = [OPENSTACK_NOTE] if policy.owner is Owner.OPENSTACK else []
    lines += [
        "! policy profile: OpenStack pairs it with a network into a dynamic port profile",
        f"port-profile type vethernet {policy.name}",
    ]
    lines += _policy_lines(policy.mac_forging, policy.qos, qos_names)
    lines += ["  no shutdown", "  state enabled", "  publish port-profile"]
    return lines


# ------------------------------------------------------------------------- VEMs, VTEPs
def _uplink_name(mtu: int) -> str:
    return f"fc-uplink-mtu{mtu}"


def _uplink_sections(topo: Topology) -> list[Section]:
    mtus = sorted({h.uplink_mtu for h in topo.hosts
                   if h.switching is Switching.VEM and h.uplink_mtu is not None})
    return [Section(None, (
        f"port-profile type ethernet {_uplink_name(mtu)}",
        "  ! VEM uplinks: carry the VXLAN transport, 50 bytes above the VM MTU",
        "  switchport mode trunk",
        f"  mtu {mtu}",
        "  no shutdown",
        "  state enabled",
        "  publish port-profile",
    )) for mtu in mtus]


def _vtep_profile_section() -> Section:
    return Section(None, (
        f"port-profile type vethernet {VTEP_PROFILE}",
        "  ! VTEPs are created on each host (RHEL OpenStack Platform) with this profile; the",
        "  ! VSM shows each as a vEthernet interface, where its gateway is set (see VEMs)",
        "  capability vxlan",
        "  switchport mode access",
        "  no shutdown",
        "  state enabled",
        "  publish port-profile",
    ))


def _vem(host: Host, topo: Topology, derived: Derived) -> list[str]:
    count = len(host.vteps)
    head = f"! VEM {host.name}: {count} VTEP{'' if count == 1 else 's'}"
    if host.uplink_mtu is not None:
        head += f"; uplinks use port profile {_uplink_name(host.uplink_mtu)}"
    lines = [head]
    if not host.vteps:
        lines.append("! no VTEP: this VEM cannot carry VXLAN segments")
        return lines
    bds = [derived.index.bridge_domains[name] for name in derived.segments_on(host.name)
           if name in derived.index.bridge_domains]
    for vtep in host.vteps:
        designated = [bd.name for bd in bds if derived.designated_vtep(host, bd) is vtep]
        note = f", designated VTEP of {', '.join(designated)}" if designated else ""
        lines.append(f"! VTEP {vtep.name} {vtep.ip.with_prefixlen}{note}")
        if vtep.gateway is not None:
            lines.append("!   in its vEthernet interface: transport ip address external "
                         f"netmask {vtep.ip.netmask} gateway {vtep.gateway}")
        elif topo.underlay.proxy_arp:
            lines.append("!   no gateway: VTEPs in other subnets answer through upstream "
                         "proxy ARP")
        else:
            lines.append("!   no gateway and no proxy ARP: reaches VTEPs of its own subnet "
                         "only")
    return lines
