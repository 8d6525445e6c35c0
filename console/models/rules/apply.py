"""Apply a live change to a Topology model, the same way for every backend.

`apply_to_model(topo, change)` replaces the topology's fields the change touches (TOUCHES)
and never edits an object in place: an object the change edits (a VM gaining a vNIC, a
host's VTEPs, a profile following a renamed bridge domain) is replaced by a new one. So
each collection's event fires once per change, and a copy that shares the original's
objects (`applied_copy`, what `console.models.pipeline.plan_change` uses) can take the
change while the original, and whoever listens to its objects, sees nothing.

Both assume the change was allowed (`plan_change` judges it first) and raise ValueError
only when the change names an object the topology does not have.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, assert_never

from ..base import Model
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
from ..merge import shallow_copy
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
_M = TypeVar("_M", bound=Model)


def _replace_or_add(items: list[_N], name: str, new: _N) -> list[_N]:
    out = list(items)
    for i, item in enumerate(out):
        if item.name == name:
            out[i] = new
            return out
    out.append(new)
    return out


def _with(obj: _M, **fields: Any) -> _M:
    """A new object: `obj` with `fields` set (validated as an assignment would be). Not
    model_copy: a shallow model copy shares the original's event group, so the original's
    listeners would hear the copy's later edits."""
    values = {name: getattr(obj, name) for name in type(obj).model_fields}
    return type(obj)(**{**values, **fields})


def _replaced(items: list[_M], new: dict[int, _M]) -> list[_M]:
    """`items` with the objects at the given positions replaced (the same list when none
    is, so an unchanged field is not assigned and fires no event)."""
    return [new.get(i, item) for i, item in enumerate(items)] if new else items


def _set(topo: Topology, field: str, value: list[Any]) -> None:
    if value is not getattr(topo, field):
        setattr(topo, field, value)


def _drop_flows(topo: Topology, vifs: set[str]) -> None:
    """Traffic flows of vNICs that no longer exist cannot run: drop them with the vNIC."""
    kept = [f for f in topo.traffic if f.source not in vifs and f.to not in vifs]
    if len(kept) != len(topo.traffic):
        topo.traffic = kept


def _swap(items: list[_M], old: _M, new: _M) -> list[_M]:
    return [new if item is old else item for item in items]


def apply_to_model(topo: Topology, change: Change) -> None:
    """Apply `change` to `topo`: the fields it touches are replaced, no object is edited."""
    match change:
        case PortProfileEdit(profile=profile, old_name=old):
            topo.port_profiles = _replace_or_add(topo.port_profiles, old or profile.name,
                                                 profile)
            if old and old != profile.name:
                _rename_port_profile(topo, old, profile.name)
        case PortProfileRemove(name=name):
            topo.port_profiles = [p for p in topo.port_profiles if p.name != name]
        case NicAttach(vm=vm_name, nic=nic) | NicUpdate(vm=vm_name, nic=nic):
            vm = find_vm(topo, vm_name)
            topo.vms = _swap(topo.vms, vm, _with(vm, nics=_replace_or_add(vm.nics, nic.name,
                                                                          nic)))
        case NicDetach(vm=vm_name, nic=nic_name):
            vm = find_vm(topo, vm_name)
            topo.vms = _swap(topo.vms, vm, _with(vm, nics=[n for n in vm.nics
                                                           if n.name != nic_name]))
            _drop_flows(topo, {f"{vm_name}/{nic_name}"})
        case VmDefine(vm=vm):
            topo.vms = _replace_or_add(topo.vms, vm.name, vm)
        case VmRemove(name=name):
            gone = [vm for vm in topo.vms if vm.name == name]
            topo.vms = [vm for vm in topo.vms if vm.name != name]
            _drop_flows(topo, {f"{vm.name}/{n.name}" for vm in gone for n in vm.nics})
        case VtepEdit(host=host_name, vteps=vteps, designated_vteps=designated):
            host = find_host(topo, host_name)
            topo.hosts = _swap(topo.hosts, host, _with(host, vteps=list(vteps),
                                                       designated_vteps=dict(designated)))
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
            vm = find_vm(topo, vm_name)
            topo.vms = _swap(topo.vms, vm, _with(vm, host=dest))
        case _:
            assert_never(change)


def applied_copy(topo: Topology, change: Change) -> Topology:
    """A new topology: `topo` with `change` applied; `topo` and its objects never change.
    The copy shares every object the change does not edit (a vNIC edited in a
    100,000-VM fabric makes one new VM, not a new fabric), so a running flow keeps its
    identity, which the engine carries its progress over by."""
    after = shallow_copy(topo)
    apply_to_model(after, change)
    return after


def _rename_port_profile(topo: Topology, old: str, new: str) -> None:
    vms = {}
    for i, vm in enumerate(topo.vms):
        if any(n.port_profile == old for n in vm.nics):
            vms[i] = _with(vm, nics=[_with(n, port_profile=new) if n.port_profile == old
                                     else n for n in vm.nics])
    _set(topo, "vms", _replaced(topo.vms, vms))


def _rename_bridge_domain(topo: Topology, old: str, new: str) -> None:
    _set(topo, "port_profiles", _replaced(topo.port_profiles, {
        i: _with(p, bridge_domain=new) for i, p in enumerate(topo.port_profiles)
        if p.bridge_domain == old}))
    _set(topo, "networks", _replaced(topo.networks, {
        i: _with(n, bridge_domain=new) for i, n in enumerate(topo.networks)
        if n.bridge_domain == old}))
    _set(topo, "hosts", _replaced(topo.hosts, {
        i: _with(h, designated_vteps={(new if k == old else k): v
                                      for k, v in h.designated_vteps.items()})
        for i, h in enumerate(topo.hosts) if old in h.designated_vteps}))


def _remove_segmentation(topo: Topology) -> None:
    """`no feature segmentation`: every bridge domain configuration goes, and with it the
    bridge-domain lines of (unused) port profiles and the designated-VTEP choices."""
    topo.bridge_domains = []
    _set(topo, "port_profiles", _replaced(topo.port_profiles, {
        i: _with(p, bridge_domain=None) for i, p in enumerate(topo.port_profiles)
        if p.bridge_domain is not None}))
    _set(topo, "hosts", _replaced(topo.hosts, {
        i: _with(h, designated_vteps={}) for i, h in enumerate(topo.hosts)
        if h.designated_vteps}))
