"""Duplicates: names per kind, MACs, IPs, VTEP IPs, segment ids and shared multicast groups.

References resolve to the first definition of a name; a second one is an error, because a
reader of the file cannot tell which one a reference means.
"""

from __future__ import annotations

from collections.abc import Iterable

from .registry import ERROR, N1KV_DOC, README_DOC, WARNING, Context, Yield, rule

_KINDS = {
    "clusters": "cluster",
    "fabric_interconnects": "fabric interconnect",
    "bridge_domains": "bridge domain",
    "port_profiles": "port profile",
    "tenants": "tenant",
    "networks": "network",
    "subnets": "subnet",
    "policy_profiles": "policy profile",
    "hosts": "host",
    "vms": "VM",
}


def _dups(items: Iterable[tuple[str, object]]) -> Iterable[tuple[str, str, str]]:
    """(path, key) pairs -> (path, key, first path) for every repeat of a key."""
    first: dict[object, str] = {}
    for path, key in items:
        if key in first:
            yield path, str(key), first[key]
        else:
            first[key] = path


@rule("dup.name", ERROR, "Names are unique per kind (and vNIC, VTEP, PF names per owner)",
      f"{README_DOC}, section Topology files: objects are named, and references name them "
      "('vm/nic', 'port_profile: web')")
def dup_name(ctx: Context) -> Yield:
    topo = ctx.topo
    for field, kind in _KINDS.items():
        items = ((f"{field}[{i}].name", x.name) for i, x in enumerate(getattr(topo, field)))
        for path, name, first in _dups(items):
            yield path, f"{kind} {name} is defined twice (first at {first})"
    for i, vm in enumerate(topo.vms):
        items = ((f"vms[{i}].nics[{j}].name", n.name) for j, n in enumerate(vm.nics))
        for path, name, first in _dups(items):
            yield path, f"VM {vm.name} has two vNICs named {name} (first at {first})"
    for i, host in enumerate(topo.hosts):
        items = ((f"hosts[{i}].vteps[{k}].name", v.name) for k, v in enumerate(host.vteps))
        for path, name, first in _dups(items):
            yield path, f"VEM {host.name} has two VTEPs named {name} (first at {first})"
        if host.vic is not None:
            items = ((f"hosts[{i}].vic.pfs[{k}].name", p.name)
                     for k, p in enumerate(host.vic.pfs))
            for path, name, first in _dups(items):
                yield path, f"host {host.name} has two PFs named {name} (first at {first})"


@rule("dup.mac", ERROR, "Every vNIC has its own MAC address",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'The source MAC address of the inner frame and VXLAN ID are added to the "
      "Layer 2 table as the lookup key'")
def dup_mac(ctx: Context) -> Yield:
    items = ((f"{at.path}.mac", at.nic.mac) for at in ctx.nics)
    for path, mac, first in _dups(items):
        yield path, f"MAC {mac} is used twice (first at {first}); each vNIC needs its own"


@rule("dup.ip", ERROR, "Every vNIC has its own IP address",
      f"{N1KV_DOC}, section Cisco Nexus 1000V for KVM and OpenStack: "
      "'IP address pools (subnets)'")
def dup_ip(ctx: Context) -> Yield:
    items = ((f"{at.path}.ip", at.nic.ip) for at in ctx.nics if at.nic.ip is not None)
    for path, ip, first in _dups(items):
        yield path, f"IP address {ip} is used twice (first at {first})"


@rule("dup.vtep-ip", ERROR, "Every VTEP has its own IP address",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'packets ... sent directly to the destination server VTEP IP addresses'")
def dup_vtep_ip(ctx: Context) -> Yield:
    items = ((f"hosts[{i}].vteps[{k}].ip", v.ip.ip)
             for i, h in enumerate(ctx.topo.hosts) for k, v in enumerate(h.vteps))
    for path, ip, first in _dups(items):
        yield path, f"VTEP address {ip} is used twice (first at {first})"


@rule("dup.segment-id", ERROR, "Every bridge domain has its own segment id",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'The encapsulation carries the VXLAN ID to scope the MAC address'")
def dup_segment_id(ctx: Context) -> Yield:
    items = ((f"bridge_domains[{i}].segment_id", bd.segment_id)
             for i, bd in enumerate(ctx.topo.bridge_domains))
    for path, sid, first in _dups(items):
        yield path, f"segment id {sid} is used by two bridge domains (first at {first})"


@rule("dup.multicast-group", WARNING,
      "Bridge domains sharing a multicast group receive each other's floods",
      f"{N1KV_DOC}, section Information About VXLANs: "
      "'Each multicast mode VXLAN has an assigned multicast group IP address'")
def dup_multicast_group(ctx: Context) -> Yield:
    bds = ctx.topo.bridge_domains
    items = ((f"bridge_domains[{i}].group", bd.group)
             for i, bd in enumerate(bds) if bd.group is not None)
    for path, group, first in _dups(items):
        yield (path, f"multicast group {group} is shared with another bridge domain (first at "
                     f"{first}); every VEM in either segment receives both segments' floods")
