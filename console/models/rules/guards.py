"""Guards for live changes: may this change be applied, and if not, why not.

`guard(topology, change)` returns the findings that refuse the change (empty: allowed);
it is the change pipeline's verdict (console.models.pipeline.plan_change), which the
emulated, libvirt and lab backends and the GUI editors all go through, so a change is
judged one way everywhere:

- an object owned by OpenStack (or an OpenStack port: a vNIC on a network with a policy
  profile, or a dynamic port profile) is read-only;
- `no feature segmentation` is refused while any port uses a VXLAN port profile;
- a migration is refused when Derived.migration says so (hostdev, another cluster, ...);
- any other change is refused when applying it would add an error finding that the
  topology did not have (a fifth VTEP, a MAC in use, a profile past its max ports, ...).

`prechecks` holds the first three (and unknown names), which need no trial application;
`new_errors` the last, on the copy the pipeline applied the change to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

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
    VmDefine,
    VmRemove,
    VsmEdit,
    VtepEdit,
)
from ..derived import Derived
from ..findings import Finding, Severity
from ..inventory import Vnic
from ..overlay import BridgeDomain
from ..pipeline import PlannedChange, plan_change
from ..topology import Topology
from ..vmfex import PortProfile
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
    return plan_change(topo, change).refusals


def prechecks(topo: Topology, change: Change) -> list[Finding]:
    """The refusals that need no trial application: unknown names, OpenStack ownership,
    segmentation in use, migration limits."""
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
    return []


def _vm_path(topo: Topology, name: str) -> str:
    for i, vm in enumerate(topo.vms):
        if vm.name == name:
            return f"vms[{i}]"
    return "vms"


def _unknown(topo: Topology, change: Change) -> list[Finding]:
    missing = _missing(topo, change)
    return [UNKNOWN.finding(*missing)] if missing is not None else []


def _missing(topo: Topology, change: Change) -> tuple[str, str] | None:
    """(path, message) of the first object the change names that `topo` does not have."""
    vms = {vm.name: vm for vm in topo.vms}
    hosts = {h.name for h in topo.hosts}
    profiles = {p.name for p in topo.port_profiles}
    bds = {b.name for b in topo.bridge_domains}
    match change:
        case NicAttach(vm=vm) | VmRemove(name=vm):
            if vm not in vms:
                return "vms", f"there is no VM named {vm}"
        case NicUpdate(vm=vm, nic=Vnic(name=nic)) | NicDetach(vm=vm, nic=nic):
            if vm not in vms:
                return "vms", f"there is no VM named {vm}"
            if all(n.name != nic for n in vms[vm].nics):
                return _vm_path(topo, vm), f"VM {vm} has no vNIC named {nic}"
        case Migrate(vm=vm, dest_host=host):
            if vm not in vms:
                return "vms", f"there is no VM named {vm}"
            if host not in hosts:
                return "hosts", f"there is no host named {host}"
        case VtepEdit(host=host):
            if host not in hosts:
                return "hosts", f"there is no host named {host}"
        case PortProfileRemove(name=name) | PortProfileEdit(old_name=name):
            if name is not None and name not in profiles:  # old_name None: no rename
                return "port_profiles", f"there is no port profile named {name}"
        case BridgeDomainRemove(name=name) | BridgeDomainEdit(old_name=name):
            if name is not None and name not in bds:
                return "bridge_domains", f"there is no bridge domain named {name}"
        case VmDefine() | VsmEdit():
            pass  # a new (or redefined) VM, the VSM's settings: nothing named to look up
        case _:
            assert_never(change)
    return None


def _is_port(nic: Vnic) -> bool:
    """An OpenStack port: a vNIC on a network with a policy profile."""
    return nic.network is not None


def _read_only(topo: Topology, change: Change) -> list[Finding]:
    found: list[tuple[str, str]] = []
    match change:
        case PortProfileEdit(old_name=str(name)) | PortProfileEdit(profile=PortProfile(
                name=name)) | PortProfileRemove(name=name):
            found = _owned(topo.port_profiles, "port_profiles", "port profile", name)
            if any(p.name == name for p in Derived(topo).dynamic_profiles.values()):
                found.append(("port_profiles", f"port profile {name} is a dynamic port "
                                               "profile (a policy profile on a network), "))
        case BridgeDomainEdit(old_name=str(name)) | BridgeDomainEdit(
                bridge_domain=BridgeDomain(name=name)) | BridgeDomainRemove(name=name):
            found = _owned(topo.bridge_domains, "bridge_domains", "bridge domain", name)
        case NicAttach(vm=vm, nic=nic):
            if _is_port(nic):
                found.append((_vm_path(topo, vm), f"vNIC {nic.name} of VM {vm} is an "
                              f"OpenStack port on network {nic.network}, "))
        case NicUpdate(vm=vm, nic=nic):
            found = _ports(topo, vm, nic.name, nic)
        case NicDetach(vm=vm, nic=name):
            found = _ports(topo, vm, name, None)
        case VmDefine() | VmRemove() | VtepEdit() | VsmEdit() | Migrate():
            pass  # nothing OpenStack owns
        case _:
            assert_never(change)
    return [READ_ONLY.finding(path, subject + READ_ONLY_MESSAGE) for path, subject in found]


def _owned(items: Sequence[PortProfile | BridgeDomain], field: str, what: str,
           name: str) -> list[tuple[str, str]]:
    """(path, subject) of the objects named `name` that OpenStack owns."""
    return [(f"{field}[{i}]", f"{what} {name} is ") for i, obj in enumerate(items)
            if obj.name == name and obj.owner is Owner.OPENSTACK]


def _ports(topo: Topology, vm_name: str, nic_name: str,
           new: Vnic | None) -> list[tuple[str, str]]:
    """(path, subject) of the vNIC a change edits (to `new`) or removes (None) when it is,
    or would become, an OpenStack port."""
    found = []
    for i, vm in enumerate(topo.vms):
        if vm.name != vm_name:
            continue
        for j, nic in enumerate(vm.nics):
            if nic.name == nic_name and (_is_port(nic) or (new is not None and _is_port(new))):
                network = nic.network or (new.network if new else None)
                found.append((f"vms[{i}].nics[{j}]", f"vNIC {nic_name} of VM {vm.name} is "
                              f"an OpenStack port on network {network}, "))
    return found


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

def _error_keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.message) for f in findings if f.severity is Severity.ERROR}


def new_errors(before: Topology, after: Topology) -> list[Finding]:
    """The error findings `after` has that `before` did not."""
    from . import check  # the package imports this module

    found = [f for f in check(after) if f.severity is Severity.ERROR]
    if not found:  # the usual case: one validation run, not two
        return []
    had = _error_keys(check(before, rules={f.rule for f in found}))
    return [f for f in found if (f.rule, f.message) not in had]


# PlannedChange and plan_change are named here too for the callers that took them from
# this module before the pipeline had one of its own.
__all__ = ["PlannedChange", "guard", "new_errors", "plan_change", "prechecks"]
