"""Apply a live change to a Topology model in place, the same way for every backend.

Lists are replaced, not mutated, so each collection's event fires once per change; a
moved VM changes `vm.host` in place, so views following that VM see the move. Call
`guard()` first: this function assumes the change was allowed and raises ValueError only
when the change names an object the topology does not have.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from ..changes import (
    BridgeDomainEdit,
    BridgeDomainRemove,
    Change,
    Migrate,
    NicAttach,
    NicDetach,
    NicUpdate,
    PortProfileEdit,
    PortProfileRemove,
    VmDefine,
    VmRemove,
    VsmEdit,
    VtepEdit,
)
from ..inventory import Host, Vm
from ..topology import Topology

# The Topology fields apply_to_model may replace, per kind of change: an undo history
# snapshots just these (keep in step with apply_to_model; a test checks it).
TOUCHES: dict[type, tuple[str, ...]] = {
    PortProfileEdit: ("port_profiles", "vms"),
    PortProfileRemove: ("port_profiles",),
    NicAttach: ("vms",),
    NicUpdate: ("vms",),
    NicDetach: ("vms", "traffic"),
    VmDefine: ("vms",),
    VmRemove: ("vms", "traffic"),
    VtepEdit: ("hosts",),
    BridgeDomainEdit: ("bridge_domains", "port_profiles", "networks", "hosts"),
    BridgeDomainRemove: ("bridge_domains",),
    VsmEdit: ("vsm", "bridge_domains", "port_profiles", "hosts"),
    Migrate: ("vms",),
}


def find_vm(topo: Topology, name: str) -> Vm:
    for vm in topo.vms:
        if vm.name == name:
            return vm
    raise ValueError(f"no VM named {name}")


def find_host(topo: Topology, name: str) -> Host:
    for host in topo.hosts:
        if host.name == name:
            return host
    raise ValueError(f"no host named {name}")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def _replace_or_add(items: list[_N], name: str, new: _N) -> list[_N]:
    out = list(items)
    for i, item in enumerate(out):
        if item.name == name:
            out[i] = new
            return out
    out.append(new)
    return out


def _drop_flows(topo: Topology, vifs: set[str]) -> None:
    """Traffic flows of vNICs that no longer exist cannot run: drop them with the vNIC."""
    kept = [f for f in topo.traffic if f.source not in vifs and f.to not in vifs]
    if len(kept) != len(topo.traffic):
        topo.traffic = kept


def apply_to_model(topo: Topology, change: Change) -> None:
    """Apply `change` to `topo` in place."""
    match change:
        case PortProfileEdit(profile=profile, old_name=old):
            key = old or profile.name
            topo.port_profiles = _replace_or_add(topo.port_profiles, key, profile)
            if old and old != profile.name:
                for vm in topo.vms:
                    for nic in vm.nics:
                        if nic.port_profile == old:
                            nic.port_profile = profile.name
        case PortProfileRemove(name=name):
            topo.port_profiles = [p for p in topo.port_profiles if p.name != name]
        case NicAttach(vm=vm_name, nic=nic) | NicUpdate(vm=vm_name, nic=nic):
            vm = find_vm(topo, vm_name)
            vm.nics = _replace_or_add(vm.nics, nic.name, nic)
        case NicDetach(vm=vm_name, nic=nic_name):
            vm = find_vm(topo, vm_name)
            vm.nics = [n for n in vm.nics if n.name != nic_name]
            _drop_flows(topo, {f"{vm_name}/{nic_name}"})
        case VmDefine(vm=vm):
            topo.vms = _replace_or_add(topo.vms, vm.name, vm)
        case VmRemove(name=name):
            gone = [vm for vm in topo.vms if vm.name == name]
            topo.vms = [vm for vm in topo.vms if vm.name != name]
            _drop_flows(topo, {f"{vm.name}/{n.name}" for vm in gone for n in vm.nics})
        case VtepEdit(host=host_name, vteps=vteps, designated_vteps=designated):
            host = find_host(topo, host_name)
            host.vteps = list(vteps)
            host.designated_vteps = dict(designated)
        case BridgeDomainEdit(bridge_domain=bd, old_name=old):
            topo.bridge_domains = _replace_or_add(topo.bridge_domains, old or bd.name, bd)
            if old and old != bd.name:
                _rename_bridge_domain(topo, old, bd.name)
        case BridgeDomainRemove(name=name):
            topo.bridge_domains = [bd for bd in topo.bridge_domains if bd.name != name]
        case VsmEdit(vsm=vsm):
            topo.vsm = vsm
            if not vsm.segmentation:
                _remove_segmentation(topo)
        case Migrate(vm=vm_name, dest_host=dest):
            find_host(topo, dest)
            find_vm(topo, vm_name).host = dest
        case _:
            raise ValueError(f"not a change: {type(change).__name__}")


def _rename_bridge_domain(topo: Topology, old: str, new: str) -> None:
    for profile in topo.port_profiles:
        if profile.bridge_domain == old:
            profile.bridge_domain = new
    for network in topo.networks:
        if network.bridge_domain == old:
            network.bridge_domain = new
    for host in topo.hosts:
        if old in host.designated_vteps:
            host.designated_vteps = {(new if k == old else k): v
                                     for k, v in host.designated_vteps.items()}


def _remove_segmentation(topo: Topology) -> None:
    """`no feature segmentation`: every bridge domain configuration goes, and with it the
    bridge-domain lines of (unused) port profiles and the designated-VTEP choices."""
    topo.bridge_domains = []
    for profile in topo.port_profiles:
        if profile.bridge_domain is not None:
            profile.bridge_domain = None
    for host in topo.hosts:
        if host.designated_vteps:
            host.designated_vteps = {}
