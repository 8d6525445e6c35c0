"""Guards for live changes: may this change be applied, and if not, why not.

`guard(topology, change)` returns the findings that refuse the change (empty: allowed).
The emulated, libvirt and lab backends and the GUI editors all call it, so a change is
judged one way everywhere:

- an object owned by OpenStack (or an OpenStack port: a vNIC on a network with a policy
  profile, or a dynamic port profile) is read-only;
- `no feature segmentation` is refused while any port uses a VXLAN port profile;
- a migration is refused when Derived.migration says so (hostdev, another cluster, ...);
- any other change is refused when applying it would add an error finding that the
  topology did not have (a fifth VTEP, a MAC in use, a profile past its max ports, ...).
"""

from __future__ import annotations

from ..base import Owner
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
    VmRemove,
    VsmEdit,
    VtepEdit,
)
from ..derived import Derived
from ..findings import Finding, Severity
from ..inventory import Vnic
from ..topology import Topology
from .apply import apply_to_model
from .openstack import READ_ONLY, READ_ONLY_MESSAGE
from .registry import ERROR, README_DOC, RULES, VMFEX_DOC, Context, live_rule

UNKNOWN = live_rule("change.unknown-object", ERROR, "A change names objects that exist",
                    f"{README_DOC}, section Using the console: 'Live: Apply, Undo and "
                    "Redo change the running fabric'")
MIGRATION = live_rule("vmfex.live-migration", ERROR,
                      "Live migration only inside the cluster, never with a hostdev vNIC",
                      f"{VMFEX_DOC}, section Cisco UCS Manager Components: "
                      "'the cluster ... is the boundary of the migration "
                      "domain'; 'Live migration is not supported' (hostdev)")


def guard(topo: Topology, change: Change) -> list[Finding]:
    """Why `change` is refused on `topo` (empty when it may be applied)."""
    refusals = _unknown(topo, change)
    if refusals:
        return refusals
    refusals = _read_only(topo, change)
    if refusals:
        return refusals
    if isinstance(change, VsmEdit):
        refusals = _segmentation(topo, change)
        if refusals:
            return refusals
    if isinstance(change, Migrate):
        verdict = Derived(topo).migration(change.vm, change.dest_host)
        if not verdict.allowed:
            path = _vm_path(topo, change.vm)
            return [MIGRATION.finding(f"{path}.host", f"VM {change.vm} cannot live-migrate to "
                                      f"{change.dest_host}: {reason}")
                    for reason in verdict.reasons]
    return _new_errors(topo, change)


def _vm_path(topo: Topology, name: str) -> str:
    for i, vm in enumerate(topo.vms):
        if vm.name == name:
            return f"vms[{i}]"
    return "vms"


def _unknown(topo: Topology, change: Change) -> list[Finding]:
    vms = {vm.name: vm for vm in topo.vms}
    hosts = {h.name for h in topo.hosts}
    missing: list[tuple[str, str]] = []
    match change:
        case NicAttach(vm=vm) | NicUpdate(vm=vm) | NicDetach(vm=vm) | Migrate(vm=vm) \
                if vm not in vms:
            missing.append(("vms", f"there is no VM named {vm}"))
        case NicUpdate(vm=vm, nic=nic) if all(n.name != nic.name for n in vms[vm].nics):
            missing.append((_vm_path(topo, vm), f"VM {vm} has no vNIC named {nic.name}"))
        case NicDetach(vm=vm, nic=nic) if all(n.name != nic for n in vms[vm].nics):
            missing.append((_vm_path(topo, vm), f"VM {vm} has no vNIC named {nic}"))
        case VmRemove(name=name) if name not in vms:
            missing.append(("vms", f"there is no VM named {name}"))
        case VtepEdit(host=host) if host not in hosts:
            missing.append(("hosts", f"there is no host named {host}"))
        case Migrate(dest_host=host) if host not in hosts:
            missing.append(("hosts", f"there is no host named {host}"))
        case PortProfileRemove(name=name) if all(p.name != name for p in topo.port_profiles):
            missing.append(("port_profiles", f"there is no port profile named {name}"))
        case BridgeDomainRemove(name=name) if all(b.name != name for b in topo.bridge_domains):
            missing.append(("bridge_domains", f"there is no bridge domain named {name}"))
        case PortProfileEdit(old_name=old) if old and all(
                p.name != old for p in topo.port_profiles):
            missing.append(("port_profiles", f"there is no port profile named {old}"))
        case BridgeDomainEdit(old_name=old) if old and all(
                b.name != old for b in topo.bridge_domains):
            missing.append(("bridge_domains", f"there is no bridge domain named {old}"))
    return [UNKNOWN.finding(path, message) for path, message in missing]


def _is_port(nic: Vnic) -> bool:
    """An OpenStack port: a vNIC on a network with a policy profile."""
    return nic.network is not None


def _read_only(topo: Topology, change: Change) -> list[Finding]:
    found: list[tuple[str, str]] = []
    if isinstance(change, (PortProfileEdit, PortProfileRemove)):
        if isinstance(change, PortProfileEdit):
            name = change.old_name or change.profile.name
        else:
            name = change.name
        for i, p in enumerate(topo.port_profiles):
            if p.name == name and p.owner is Owner.OPENSTACK:
                found.append((f"port_profiles[{i}]", f"port profile {name} is "))
        if any(p.name == name for p in Derived(topo).dynamic_profiles.values()):
            found.append(("port_profiles", f"port profile {name} is a dynamic port profile "
                                           "(a policy profile on a network), "))
    elif isinstance(change, (BridgeDomainEdit, BridgeDomainRemove)):
        if isinstance(change, BridgeDomainEdit):
            name = change.old_name or change.bridge_domain.name
        else:
            name = change.name
        for i, bd in enumerate(topo.bridge_domains):
            if bd.name == name and bd.owner is Owner.OPENSTACK:
                found.append((f"bridge_domains[{i}]", f"bridge domain {name} is "))
    elif isinstance(change, NicAttach) and _is_port(change.nic):
        found.append((_vm_path(topo, change.vm), f"vNIC {change.nic.name} of VM {change.vm} "
                      f"is an OpenStack port on network {change.nic.network}, "))
    elif isinstance(change, (NicUpdate, NicDetach)):
        new, name = ((change.nic, change.nic.name) if isinstance(change, NicUpdate)
                     else (None, change.nic))
        for i, vm in enumerate(topo.vms):
            if vm.name != change.vm:
                continue
            for j, nic in enumerate(vm.nics):
                if nic.name == name and (_is_port(nic) or (new is not None and _is_port(new))):
                    network = nic.network or (new.network if new else None)
                    found.append((f"vms[{i}].nics[{j}]", f"vNIC {name} of VM {vm.name} is an "
                                  f"OpenStack port on network {network}, "))
    return [READ_ONLY.finding(path, subject + READ_ONLY_MESSAGE) for path, subject in found]


def _segmentation(topo: Topology, change: VsmEdit) -> list[Finding]:
    if change.vsm.segmentation or not topo.vsm.segmentation:
        return []
    ctx = Context(topo)
    ports = [at.vif for at in ctx.nics if ctx.is_vxlan(at.nic)]
    if not ports:
        return []
    shown = ", ".join(ports[:10]) + (" ..." if len(ports) > 10 else "")
    return [RULES["vxlan.segmentation-in-use"].finding(
        "vsm.segmentation",
        f"the segmentation feature cannot be disabled: {len(ports)} ports use a VXLAN port "
        f"profile ({shown}); remove those associations first")]


# -------------------------------------------------------------- would it add errors?

def _scratch(topo: Topology, change: Change) -> Topology:
    """A copy to try the change on: new lists holding the same objects, with deep copies of
    the objects apply_to_model edits in place (so the original never changes and its
    listeners hear nothing)."""
    fields = {name: getattr(topo, name) for name in type(topo).model_fields}
    scratch = type(topo)(**fields)
    touched_vms: set[str] = set()
    match change:
        case NicAttach(vm=vm) | NicUpdate(vm=vm) | NicDetach(vm=vm) | Migrate(vm=vm):
            touched_vms.add(vm)
        case PortProfileEdit(profile=p, old_name=old) if old and old != p.name:
            touched_vms.update(vm.name for vm in topo.vms
                               if any(n.port_profile == old for n in vm.nics))
        case VtepEdit(host=host):
            scratch.hosts = [h.model_copy(deep=True) if h.name == host else h
                             for h in topo.hosts]
        case BridgeDomainEdit() | VsmEdit():
            scratch.port_profiles = [p.model_copy(deep=True) for p in topo.port_profiles]
            scratch.networks = [n.model_copy(deep=True) for n in topo.networks]
            scratch.hosts = [h.model_copy(deep=True) for h in topo.hosts]
    if touched_vms:
        scratch.vms = [vm.model_copy(deep=True) if vm.name in touched_vms else vm
                       for vm in topo.vms]
    return scratch


def _error_keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.message) for f in findings if f.severity is Severity.ERROR}


def _new_errors(topo: Topology, change: Change) -> list[Finding]:
    from . import check  # the package imports this module

    scratch = _scratch(topo, change)
    apply_to_model(scratch, change)
    after = [f for f in check(scratch) if f.severity is Severity.ERROR]
    if not after:  # the usual case: one validation run, not two
        return []
    before = _error_keys(check(topo, rules={f.rule for f in after}))
    return [f for f in after if (f.rule, f.message) not in before]


__all__ = ["guard"]
