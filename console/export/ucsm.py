"""UCS Manager CLI for VM-FEX for KVM: port profiles, their VLANs, QoS and network control
policies, and their clients (the clusters they are applied to).

Command paths follow the UCS Manager CLI: named VLANs under `scope eth-uplink`, policies
under `scope org /`, port profiles under `scope system` / `scope vm-mgmt` / `scope
profile-set`, each block closed by `commit-buffer`. Keywords the reference text does not
show verbatim are kept to the documented command names and flagged in a comment.
OpenStack-owned objects and VXLAN port profiles belong to the Nexus 1000V, not to UCS
Manager: they are listed in comments, never exported.
"""

from __future__ import annotations

from console.models import HostIo, MacForging, Owner, PortProfile, Qos, Switching, Topology
from console.models.derived import Derived

from .common import (
    Section,
    check_path,
    cli_text,
    join_sections,
    one_line,
    qos_key,
    qos_policy_names,
    rate_text,
    removed_note,
    section_for,
)

FILE_NAME = "ucsm-vmfex.cli"
OBJECTS = ("port_profiles", "bridge_domains", "policy_profiles", "hosts")
NW_CTRL_POLICY = {MacForging.ALLOW: "fc-forge-allow", MacForging.DENY: "fc-forge-deny"}
HOST_NWIO = {HostIo.NONE: "none", HostIo.HIGH_PERFORMANCE: "high-perf"}
_DESCR_FORBIDDEN = "`\\^\"=<>'"  # refused in UCS Manager descriptions


def render(topology: Topology) -> dict[str, str]:
    """The UCS Manager configuration of the topology's VM-FEX port profiles, as one file."""
    return {FILE_NAME: join_sections(_header(topology), _sections(topology))}


def render_object(topology: Topology, path: str, derived: Derived | None = None) -> str:
    """The configuration of one object (`port_profiles[0]`); for objects UCS Manager has
    no configuration for (bridge domains, VEM hosts...), a comment that says why.
    `derived` is accepted like the other formats' (a port profile's UCSM text needs none)."""
    collection, i = check_path(topology, path, OBJECTS)
    if collection == "port_profiles":
        return section_for(_sections(topology), path)
    name = getattr(topology, collection)[i].name
    if collection == "bridge_domains":
        why = "a VXLAN bridge domain is Nexus 1000V configuration"
    elif collection == "policy_profiles":
        why = "a policy profile is Nexus 1000V (OpenStack) configuration"
    elif topology.hosts[i].switching is Switching.VEM:
        why = "a VEM host is switched by its Nexus 1000V VEM"
    elif topology.hosts[i].switching is Switching.PLAIN:
        why = "a plain host switches on its own bridge or libvirt networks, off the fabric"
    else:
        host = topology.hosts[i]
        why = (f"a VM-FEX host takes the port profiles applied to its cluster "
               f"({host.cluster})")
    return f"! {name}: nothing to configure in UCS Manager: {why}\n"


# ----------------------------------------------------------------------------- sections
def _exported(profile: PortProfile) -> bool:
    return profile.owner is Owner.CONSOLE and profile.bridge_domain is None


def _header(topo: Topology) -> list[str]:
    lines = [
        f"! Fabric Console export of topology {one_line(topo.name, 128)!r}",
        f"! UCS Manager {topo.ucs.release} CLI: VM-FEX for KVM port profiles and their "
        "clients",
    ]
    lines.append("! check against your release's CLI guide: the keywords of `set host-nwio-perf` "
                 "and `set forged-transmit` are not confirmed by the reference text")
    skipped = [p.name for p in topo.port_profiles if p.owner is Owner.OPENSTACK]
    dynamic = [p.name for p in Derived(topo).dynamic_profiles.values()]
    if skipped or dynamic:
        lines.append("! OpenStack-owned objects are not exported to UCS Manager (OpenStack "
                     "owns them):")
        lines.append(f"!   {', '.join(skipped + dynamic)}")
    return lines


def _sections(topo: Topology) -> list[Section]:
    profiles = [p for p in topo.port_profiles if _exported(p)]
    qos_names = qos_policy_names([p.qos for p in profiles], "fc-qos-")
    out: list[Section] = []
    vlans = sorted({v for p in profiles for v in p.vlans})
    if vlans:
        out.append(_vlan_section(vlans))
    if profiles:
        out.append(_policy_section(profiles, qos_names))
    for i, profile in enumerate(topo.port_profiles):
        out.append(Section(f"port_profiles[{i}]", tuple(_port_profile(profile, qos_names))))
    return out


def vlan_name(vlan: int) -> str:
    """The named VLAN a port profile refers to (UCS Manager names VLANs)."""
    return f"vlan{vlan}"


def _vlan_section(vlans: list[int]) -> Section:
    lines = ["! named VLANs of the LAN cloud (skip any that exist already under another "
             "name, and use that name below)",
             "scope eth-uplink"]
    for vlan in vlans:
        lines += [f"  create vlan {vlan_name(vlan)} {vlan}", "  exit"]
    lines += ["  commit-buffer", "top"]
    return Section(None, tuple(lines))


def _policy_section(profiles: list[PortProfile],
                    qos_names: dict[tuple[float, int], str]) -> Section:
    lines = ["scope org /"]
    done: set[tuple[float, int]] = set()
    for profile in profiles:
        if profile.qos is not None and qos_key(profile.qos) not in done:
            done.add(qos_key(profile.qos))
            lines += _qos_policy(profile.qos, qos_names[qos_key(profile.qos)])
    for forging in (MacForging.ALLOW, MacForging.DENY):
        if any(p.mac_forging is forging for p in profiles):
            lines += [
                f"  create nw-ctrl-policy {NW_CTRL_POLICY[forging]}",
                "    create mac-security",
                f"      set forged-transmit {forging.value}",
                "      exit",
                "    exit",
            ]
    lines += ["  commit-buffer", "top"]
    return Section(None, tuple(lines))


def _qos_policy(qos: Qos, name: str) -> list[str]:
    # The adapter's egress is what the VM sends: the direction the console polices.
    kbps = round(qos.rate_mbps * 1000)
    return [
        f"  create qos-policy {name}",
        f"    ! rate limit {rate_text(qos.rate_mbps)} Mbps, burst {qos.burst_kb} KB "
        "(set rate takes kbps, burst bytes)",
        "    create egress-policy",
        f"      set rate {kbps} burst {qos.burst_kb * 1024}",
        "      exit",
        "    exit",
    ]


def _port_profile(profile: PortProfile, qos_names: dict[tuple[float, int], str]) -> list[str]:
    if profile.owner is Owner.OPENSTACK:
        return [f"! port profile {profile.name}: owned by OpenStack, not exported to UCS "
                "Manager"]
    if profile.bridge_domain is not None:
        return [f"! port profile {profile.name}: VXLAN (bridge domain "
                f"{profile.bridge_domain}), Nexus 1000V only, not exported to UCS Manager"]
    lines = ["scope system", "  scope vm-mgmt", "    scope profile-set",
             f"      create port-profile {profile.name}"]
    body: list[str] = []
    if profile.description:
        # quoted, so only what ends the quote or the command, or is refused, must go
        descr, removed = cli_text(profile.description, 256, refused=_DESCR_FORBIDDEN)
        if removed:
            body.append(f"! {removed_note(removed, 'descr')}")
        if descr:
            body.append(f'set descr "{descr}"')
    # `high-perf` as the brief for this export names it; the guide's table was not at hand
    # to confirm the keyword (the alternative spelling is `high-performance`).
    body.append(f"set host-nwio-perf {HOST_NWIO[profile.host_io]}")
    if profile.max_ports is not None:
        body.append(f"set max-ports {profile.max_ports}")
    if profile.qos is not None:
        body.append(f"set qos-policy {qos_names[qos_key(profile.qos)]}")
    body.append(f"set nw-ctrl-policy {NW_CTRL_POLICY[profile.mac_forging]}")
    for vlan in sorted(set(profile.vlans)):
        body.append(f"create vlan {vlan_name(vlan)}")
        if vlan == profile.native_vlan:
            body.append("  set default-net yes")
        body.append("  exit")
    if not profile.clients:
        body.append("! no client: applied to no cluster, so no VM can use it yet")
    for cluster in profile.clients:
        body += [f"create client {cluster}", f"  set cluster {cluster}", "  exit"]
    lines += ["        " + line for line in body]
    lines += ["        exit", "      commit-buffer", "top"]
    return lines
