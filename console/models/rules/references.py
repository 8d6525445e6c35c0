"""Dangling references: every name a file uses must name an object it defines.

All rule ids here start with `ref.`: `simulate` refuses files with any of them (see
`dangling()` in the package), since nothing can be wired to an object that is not there.
"""

from __future__ import annotations

from ..inventory import DEFAULT_CLUSTER
from .registry import ERROR, README_DOC, Context, Yield, rule

REF_PREFIX = "ref."
_SOURCE = (f"{README_DOC}, section Topology files: 'Unknown keys, duplicate keys, wrong types "
           "and out-of-range values are refused with the path and the rule'")


def _cluster_exists(ctx: Context, name: str) -> bool:
    # The default cluster always exists in UCS Manager, listed or not.
    return name == DEFAULT_CLUSTER or name in ctx.index.clusters


@rule("ref.cluster", ERROR, "A host's cluster and a profile's clients name defined clusters",
      _SOURCE)
def ref_cluster(ctx: Context) -> Yield:
    for i, host in enumerate(ctx.topo.hosts):
        if not _cluster_exists(ctx, host.cluster):
            yield (f"hosts[{i}].cluster",
                   f"host {host.name} is in cluster {host.cluster}, which is not defined "
                   "(clusters)")
    for i, profile in enumerate(ctx.topo.port_profiles):
        for k, client in enumerate(profile.clients):
            if not _cluster_exists(ctx, client):
                yield (f"port_profiles[{i}].clients[{k}]",
                       f"port profile {profile.name} is applied to cluster {client}, which is "
                       "not defined (clusters)")


@rule("ref.fabric-interconnect", ERROR, "A host's fabric_interconnect names a defined FI",
      _SOURCE)
def ref_fabric_interconnect(ctx: Context) -> Yield:
    for i, host in enumerate(ctx.topo.hosts):
        fi = host.fabric_interconnect
        if fi is not None and fi not in ctx.index.fabric_interconnects:
            yield (f"hosts[{i}].fabric_interconnect",
                   f"host {host.name} is attached to fabric interconnect {fi}, which is not "
                   "defined (fabric_interconnects)")


@rule("ref.host", ERROR, "A VM's host names a defined host", _SOURCE)
def ref_host(ctx: Context) -> Yield:
    for i, vm in enumerate(ctx.topo.vms):
        if vm.host not in ctx.index.hosts:
            yield f"vms[{i}].host", f"VM {vm.name} is on host {vm.host}, which is not defined"


@rule("ref.port-profile", ERROR, "A vNIC's port_profile names a defined port profile", _SOURCE)
def ref_port_profile(ctx: Context) -> Yield:
    for at in ctx.nics:
        name = at.nic.port_profile
        if name is not None and name not in ctx.index.port_profiles:
            yield (f"{at.path}.port_profile",
                   f"{at.label} uses port profile {name}, which is not defined")


@rule("ref.network", ERROR, "A vNIC's network names a defined network", _SOURCE)
def ref_network(ctx: Context) -> Yield:
    for at in ctx.nics:
        name = at.nic.network
        if name is not None and name not in ctx.index.networks:
            yield f"{at.path}.network", f"{at.label} is on network {name}, which is not defined"


@rule("ref.policy-profile", ERROR, "A vNIC's policy_profile names a defined policy profile",
      _SOURCE)
def ref_policy_profile(ctx: Context) -> Yield:
    for at in ctx.nics:
        name = at.nic.policy_profile
        if name is not None and name not in ctx.index.policy_profiles:
            yield (f"{at.path}.policy_profile",
                   f"{at.label} uses policy profile {name}, which is not defined")


@rule("ref.pf", ERROR, "A vNIC's pf names a PF of its host's VIC", _SOURCE)
def ref_pf(ctx: Context) -> Yield:
    for at in ctx.nics:
        pf = at.nic.pf
        if pf is None or at.host is None:
            continue
        pfs = [p.name for p in at.host.vic.pfs] if at.host.vic else []
        if pf not in pfs:
            have = ", ".join(pfs) or "none"
            yield (f"{at.path}.pf",
                   f"{at.label} uses PF {pf}, which host {at.host.name} does not have "
                   f"(its PFs: {have})")


@rule("ref.bridge-domain", ERROR,
      "Port profiles, networks and designated VTEPs name defined bridge domains", _SOURCE)
def ref_bridge_domain(ctx: Context) -> Yield:
    bds = ctx.index.bridge_domains
    for i, profile in enumerate(ctx.topo.port_profiles):
        if profile.bridge_domain is not None and profile.bridge_domain not in bds:
            yield (f"port_profiles[{i}].bridge_domain",
                   f"port profile {profile.name} puts its ports in bridge domain "
                   f"{profile.bridge_domain}, which is not defined")
    for i, network in enumerate(ctx.topo.networks):
        if network.bridge_domain is not None and network.bridge_domain not in bds:
            yield (f"networks[{i}].bridge_domain",
                   f"network {network.name} is carried by bridge domain "
                   f"{network.bridge_domain}, which is not defined")
    for i, host in enumerate(ctx.topo.hosts):
        for bd in host.designated_vteps:
            if bd not in bds:
                yield (f"hosts[{i}].designated_vteps.{bd}",
                       f"host {host.name} designates a VTEP for bridge domain {bd}, which is "
                       "not defined")


@rule("ref.designated-vtep", ERROR, "A designated VTEP names one of the host's VTEPs", _SOURCE)
def ref_designated_vtep(ctx: Context) -> Yield:
    for i, host in enumerate(ctx.topo.hosts):
        names = {v.name for v in host.vteps}
        for bd, vtep in host.designated_vteps.items():
            if vtep not in names:
                yield (f"hosts[{i}].designated_vteps.{bd}",
                       f"host {host.name} designates VTEP {vtep} for bridge domain {bd}, but "
                       "it has no VTEP of that name")


@rule("ref.tenant", ERROR, "A network's tenant names a defined tenant", _SOURCE)
def ref_tenant(ctx: Context) -> Yield:
    for i, network in enumerate(ctx.topo.networks):
        if network.tenant is not None and network.tenant not in ctx.index.tenants:
            yield (f"networks[{i}].tenant",
                   f"network {network.name} belongs to tenant {network.tenant}, which is not "
                   "defined")


@rule("ref.subnet-network", ERROR, "A subnet's network names a defined network", _SOURCE)
def ref_subnet_network(ctx: Context) -> Yield:
    for i, subnet in enumerate(ctx.topo.subnets):
        if subnet.network not in ctx.index.networks:
            yield (f"subnets[{i}].network",
                   f"subnet {subnet.name} is a pool of network {subnet.network}, which is not "
                   "defined")


@rule("ref.traffic", ERROR, "A traffic flow's from and to name defined vNICs", _SOURCE)
def ref_traffic(ctx: Context) -> Yield:
    vifs = ctx.index.vifs
    for i, flow in enumerate(ctx.topo.traffic):
        if flow.source not in vifs:
            yield (f"traffic[{i}].from",
                   f"traffic flow {i + 1} comes from vNIC {flow.source}, which is not defined")
        if flow.to_vif and flow.to not in vifs:
            yield (f"traffic[{i}].to",
                   f"traffic flow {i + 1} goes to vNIC {flow.to}, which is not defined")
