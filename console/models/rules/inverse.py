"""The change that undoes a change, computed from the topology before it.

An undo in the editors reverts the model; when the change had gone to a live fabric, the
fabric must be reverted too, with a change every backend already understands.
"""

from __future__ import annotations

from typing import assert_never

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
from ..topology import Topology


def inverse_of(before: Topology, change: Change) -> Change | None:
    """The change that puts the fabric back as `before` had it, or None where no single
    change can (turning the segmentation feature off removes every bridge domain)."""
    idx = before.index()
    match change:
        case PortProfileEdit(profile=new, old_name=old):
            prior = idx.port_profiles.get(old or new.name)
            if prior is None:
                return PortProfileRemove(new.name)
            renamed = new.name if prior.name != new.name else None
            return PortProfileEdit(prior, old_name=renamed)
        case PortProfileRemove(name=name):
            prior = idx.port_profiles.get(name)
            return PortProfileEdit(prior) if prior is not None else None
        case NicAttach(vm=vm, nic=nic):
            return NicDetach(vm, nic.name)
        case NicDetach(vm=vm, nic=name):
            ref = idx.vifs.get(f"{vm}/{name}")
            return NicAttach(vm, ref.nic) if ref is not None else None
        case NicUpdate(vm=vm, nic=nic):
            ref = idx.vifs.get(f"{vm}/{nic.name}")
            return NicUpdate(vm, ref.nic) if ref is not None else None
        case VmDefine(vm=vm):
            prior_vm = idx.vms.get(vm.name)
            return VmDefine(prior_vm) if prior_vm is not None else VmRemove(vm.name)
        case VmRemove(name=name):
            prior_vm = idx.vms.get(name)
            return VmDefine(prior_vm) if prior_vm is not None else None
        case VtepEdit(host=host):
            prior_host = idx.hosts.get(host)
            if prior_host is None:
                return None
            return VtepEdit(host, tuple(prior_host.vteps), dict(prior_host.designated_vteps))
        case BridgeDomainEdit(bridge_domain=new, old_name=old):
            prior_bd = idx.bridge_domains.get(old or new.name)
            if prior_bd is None:
                return BridgeDomainRemove(new.name)
            renamed = new.name if prior_bd.name != new.name else None
            return BridgeDomainEdit(prior_bd, old_name=renamed)
        case BridgeDomainRemove(name=name):
            prior_bd = idx.bridge_domains.get(name)
            return BridgeDomainEdit(prior_bd) if prior_bd is not None else None
        case Migrate(vm=vm):
            prior_vm = idx.vms.get(vm)
            return Migrate(vm, prior_vm.host) if prior_vm is not None else None
        case VsmEdit():
            return None  # `no feature segmentation` removed every bridge domain
        case _:
            assert_never(change)
