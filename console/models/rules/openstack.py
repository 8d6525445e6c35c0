"""OpenStack-style objects: ownership, dynamic port profiles, addresses.

Source: the Cisco Nexus 1000V for KVM VXLAN Configuration Guide ("You must consistently use
OpenStack for all VM network, subnet, and port configurations").
"""

from __future__ import annotations

from ..base import Owner
from ..derived import dynamic_profile_name
from ..openstack import Subnet
from .registry import ERROR, N1KV_DOC, WARNING, Context, Yield, live_rule, rule

READ_ONLY = live_rule(
    "openstack.read-only", ERROR,
    "Objects owned by OpenStack are read-only in the console",
    f"{N1KV_DOC}, section Cisco Nexus 1000V for KVM and OpenStack: "
    "'If you create VM networks, subnets, and ports directly on the VSM, the "
    "configuration is lost when the OpenStack synchronization occurs'")

READ_ONLY_MESSAGE = ("owned by OpenStack; edits made here are lost at the next OpenStack "
                     "synchronization")


@rule("openstack.sync-loss", WARNING,
      "Networks and subnets under OpenStack-owned objects are made in OpenStack too",
      READ_ONLY.source)
def sync_loss(ctx: Context) -> Yield:
    for i, network in enumerate(ctx.topo.networks):
        tenant = ctx.index.tenants.get(network.tenant or "")
        if network.owner is Owner.CONSOLE and tenant is not None \
                and tenant.owner is Owner.OPENSTACK:
            yield (f"networks[{i}].owner",
                   f"network {network.name} was made in the console for tenant {tenant.name}, "
                   "which OpenStack owns; it is lost at the next OpenStack synchronization: "
                   "create it in OpenStack")
    for i, subnet in enumerate(ctx.topo.subnets):
        subnet_network = ctx.index.networks.get(subnet.network)
        if subnet.owner is Owner.CONSOLE and subnet_network is not None \
                and subnet_network.owner is Owner.OPENSTACK:
            yield (f"subnets[{i}].owner",
                   f"subnet {subnet.name} was made in the console on network "
                   f"{subnet_network.name}, "
                   "which OpenStack owns; it is lost at the next OpenStack synchronization: "
                   "create it in OpenStack")


@rule("openstack.dynamic-name", ERROR,
      "A named port profile does not take the name of a dynamic port profile",
      f"{N1KV_DOC}, section Cisco Nexus 1000V for KVM and OpenStack: "
      "'a port profile is dynamically created ... for each unique combination of "
      "policy port profile and network segment'")
def dynamic_name(ctx: Context) -> Yield:
    named = {p.name: i for i, p in enumerate(ctx.topo.port_profiles)}
    for policy, network in ctx.derived.dynamic_profiles:
        name = dynamic_profile_name(policy, network)
        if name in named:
            yield (f"port_profiles[{named[name]}].name",
                   f"port profile {name} has the name of the dynamic port profile for policy "
                   f"profile {policy} on network {network}; rename it")


@rule("openstack.ip-outside-subnet", WARNING,
      "A vNIC's IP address lies in a subnet of its network",
      f"{N1KV_DOC}, section Cisco Nexus 1000V for KVM and OpenStack: 'IP address pools (subnets)'")
def ip_outside_subnet(ctx: Context) -> Yield:
    by_network: dict[str, list[Subnet]] = {}
    for subnet in ctx.topo.subnets:
        by_network.setdefault(subnet.network, []).append(subnet)
    for at in ctx.nics:
        if at.nic.ip is None or at.nic.network is None:
            continue
        subnets = by_network.get(at.nic.network)
        if subnets and not any(at.nic.ip in s.cidr for s in subnets):
            cidrs = ", ".join(str(s.cidr) for s in subnets)
            yield (f"{at.path}.ip",
                   f"{at.label} has address {at.nic.ip}, outside the subnets of network "
                   f"{at.nic.network} ({cidrs})")
