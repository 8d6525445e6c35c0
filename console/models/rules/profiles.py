"""Port profile rules: max ports, native VLAN, VLAN-or-VXLAN.

Source: the Cisco UCS Manager VM-FEX for KVM CLI Configuration Guide, section Port Profiles
(a port profile's settings: VLANs and native VLAN, QoS, max ports, ...), and the Cisco Nexus
1000V for KVM VXLAN Configuration Guide, section Information About VXLANs.
"""

from __future__ import annotations

from .registry import ERROR, N1KV_DOC, VMFEX_DOC, WARNING, Context, Yield, rule

_PROFILE_SOURCE = (f"{VMFEX_DOC}, section Port Profiles: 'Port profiles contain the properties "
                   "and settings that are used to configure virtual interfaces'")


@rule("profile.max-ports", ERROR, "A port profile carries at most max_ports VIFs",
      _PROFILE_SOURCE)
def max_ports(ctx: Context) -> Yield:
    for i, profile in enumerate(ctx.topo.port_profiles):
        if profile.max_ports is None or ctx.index.port_profiles.get(profile.name) is not profile:
            continue
        users = ctx.derived.vifs_using(profile.name)
        if len(users) > profile.max_ports:
            extra = ", ".join(v.id for v in users[profile.max_ports:][:5])
            more = " ..." if len(users) - profile.max_ports > 5 else ""
            yield (f"port_profiles[{i}].max_ports",
                   f"port profile {profile.name} allows {profile.max_ports} ports but "
                   f"{len(users)} vNICs use it; over the limit: {extra}{more}")


@rule("profile.native-vlan", ERROR, "A port profile's native VLAN is one of its VLANs",
      _PROFILE_SOURCE)
def native_vlan(ctx: Context) -> Yield:
    for i, profile in enumerate(ctx.topo.port_profiles):
        nv = profile.native_vlan
        if nv is not None and profile.vlans and nv not in profile.vlans:
            yield (f"port_profiles[{i}].native_vlan",
                   f"port profile {profile.name} has native VLAN {nv}, which is not one of "
                   f"its VLANs {profile.vlans}")


@rule("profile.native-vlan-missing", WARNING,
      "A port profile with several VLANs names the native VLAN for untagged frames",
      _PROFILE_SOURCE)
def native_vlan_missing(ctx: Context) -> Yield:
    for i, profile in enumerate(ctx.topo.port_profiles):
        if len(profile.vlans) > 1 and profile.native_vlan is None \
                and profile.bridge_domain is None:
            yield (f"port_profiles[{i}].native_vlan",
                   f"port profile {profile.name} carries VLANs {profile.vlans} with no native "
                   f"VLAN; untagged frames from its VMs go to VLAN {profile.vlans[0]}")


@rule("profile.vlan-and-vxlan", ERROR, "A port profile is either VLAN or VXLAN, not both",
      f"{N1KV_DOC}, section Information About VXLANs: 'The VM's VXLAN ID is indicated within "
      "the port profile configuration of the vNIC'")
def vlan_and_vxlan(ctx: Context) -> Yield:
    for i, profile in enumerate(ctx.topo.port_profiles):
        if profile.bridge_domain is not None and (profile.vlans or profile.native_vlan):
            yield (f"port_profiles[{i}].bridge_domain",
                   f"port profile {profile.name} names bridge domain {profile.bridge_domain} "
                   f"and VLANs {profile.vlans or [profile.native_vlan]}; a port is in one "
                   "VXLAN segment or in VLANs, not both")
