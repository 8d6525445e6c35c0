"""A change as libvirt steps: define networks, define domains, attach/detach/update
interfaces. Planned against the topology AFTER the change (so VF allocation and profile
ids are the new ones), executed one step at a time on the connection's thread.

Device changes go out with virDomainUpdateDeviceFlags / AttachDeviceFlags /
DetachDeviceFlags: AFFECT_LIVE|AFFECT_CONFIG on a running persistent domain, AFFECT_CONFIG
on an inactive one. A driver without those calls (libvirt's test driver) gets the domain's
persistent definition redefined instead, and the step says the running domain keeps its
old device until it restarts.

What real QEMU refuses live (libvirt 9.0, qemuDomainChangeNet; found on a running TCG
guest): any change of an interface's virtualport (so every port profile change of a
`direct` interface or of a `network` one on a passthrough pool), of its source device or
mode, or of its MTU, all with VIR_ERR_OPERATION_UNSUPPORTED; by libvirt's source (no VF
here to run one) any change to a `hostdev` interface too. A passthrough pool with no free
VF answers a `network` interface's update with an internal error of the network driver
instead (libvirt allocates the new definition a VF before comparing). libvirt checks the
live part before it saves the config, so nothing is half-applied: the step then writes
the persistent definition alone and says the running guest keeps its old interface until
the domain restarts. QEMU's driver also refuses `<mtu>` on a `direct` interface at
define/attach time ("not supported yet": a macvtap takes its lower device's MTU), so the
element is left out for that driver. A live detach only asks the guest OS to release the
device; when it has not (yet), the step says so.

What reaches a host is logged (INFO, logger `console.backends.libvirt`), as virt-manager
logs an XML diff before every redefine (virtManager/object/libvirtobject.py,
log_redefine_xml_diff): each define, undefine, attach, update and detach, just before
it is sent, with the URI and a unified diff of the persistent definition it replaces.
Both sides are re-indented the same way, so the diff shows what changed, not layout.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libvirt
from defusedxml import ElementTree as SafeET

from console.export import libvirt as lx
from console.models import Topology, Vm, Vnic
from console.models.changes import (
    Change,
    NicAttach,
    NicDetach,
    NicUpdate,
    PortProfileEdit,
    PortProfileRemove,
    VmDefine,
    VmRemove,
)
from console.models.derived import Derived

from . import parse
from .connection import current_uri

Action = Callable[[libvirt.virConnect], str]

# One logger for everything sent to a host (not this module's name): the one to turn on.
log = logging.getLogger("console.backends.libvirt")


@dataclass
class Step:
    description: str
    action: Action


class NotForLibvirt(Exception):
    """The change is not something libvirt configures (VTEPs, bridge domains, the VSM)."""


# ----------------------------------------------------------------------------- helpers
def _flags(dom: libvirt.virDomain) -> int:
    if not dom.isActive():
        return int(libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    if dom.isPersistent():
        return int(libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    return int(libvirt.VIR_DOMAIN_AFFECT_LIVE)


def find_interface(devices: ET.Element, nic: str, mac: str | None = None) -> ET.Element | None:
    """The <interface> of vNIC `nic`: by user alias, target device, then MAC."""
    ifaces = devices.findall("interface")
    for iface in ifaces:
        alias = iface.find("alias")
        if alias is not None and lx.nic_of_alias(alias.get("name")) == nic:
            return iface
    for iface in ifaces:
        target = iface.find("target")
        if target is not None and target.get("dev") == nic:
            return iface
    if mac is not None:
        for iface in ifaces:
            m = iface.find("mac")
            if m is not None and m.get("address", "").lower() == mac.lower():
                return iface
    return None


def _text(el: ET.Element) -> str:
    return ET.tostring(el, encoding="unicode")


def _pretty(xml: str) -> list[str]:
    """XML as lines indented one way (libvirt's and ours differ only in layout)."""
    if not xml:
        return []
    try:
        root = SafeET.fromstring(xml)
    except ET.ParseError:
        return xml.splitlines(keepends=True)
    for el in root.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    ET.indent(root, space="  ")
    return (_text(root) + "\n").splitlines(keepends=True)


def log_change(what: str, name: str, before: str, after: str) -> None:
    """Log a change about to be sent to the host: what, and the diff of `name`'s XML
    from `before` (what the host holds; "" for nothing) to `after` ("" for removal)."""
    where = current_uri() or "libvirt"
    old, new = _pretty(before), _pretty(after)
    if old == new:
        log.info("%s: %s: the XML of %s is unchanged", where, what, name)
        return
    diff = "".join(difflib.unified_diff(
        old, new, fromfile=f"{name} (on the host)" if before else "/dev/null",
        tofile=f"{name} (sent)" if after else "/dev/null"))
    log.info("%s: %s\n%s", where, what, diff.rstrip("\n"))


def _persistent(dom: libvirt.virDomain) -> str:
    return str(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


def _redefine(conn: libvirt.virConnect, dom: libvirt.virDomain,
              edit: Callable[[ET.Element], None]) -> str:
    """Apply `edit` to the persistent definition and define it again."""
    before = _persistent(dom)
    root = SafeET.fromstring(before)
    devices = root.find("devices")
    if devices is None:
        devices = ET.SubElement(root, "devices")
    edit(devices)
    after = _text(root)
    name = dom.name()
    log_change(f"redefine domain {name} (the driver changes no device in place)", name,
               before, after)
    conn.defineXML(after)
    if dom.isActive():
        return ("this driver cannot change a running domain's devices: the definition is "
                "updated and takes effect when the domain restarts")
    return "definition updated"


LIVE_AND_CONFIG = "live and config"
CONFIG_ONLY = "config only"

# A live unplug is a request to the guest OS (ACPI): QEMU's device_del returns at once,
# libvirt waits a few seconds for the guest's answer and then returns success anyway.
PENDING_UNPLUG = ("config; the running guest was asked to release the interface and has "
                  "not yet: it goes when the guest OS acknowledges the unplug, or when the "
                  "domain stops")

_NOT_LIVE = {
    "attach": "the hypervisor cannot add this interface to the running domain",
    "detach": "the hypervisor cannot remove this interface from the running domain",
    "update": "the hypervisor cannot change this interface on the running domain",
}
_UNTIL_RESTART = {
    "attach": "the interface appears when the domain restarts",
    "detach": "the interface stays until the domain restarts",
    "update": "the guest keeps its current interface until the domain restarts",
}


def _device_op(conn: libvirt.virConnect, vm: str, op: str, el: ET.Element,
               edit: Callable[[ET.Element], None],
               present: Callable[[ET.Element], bool] | None = None) -> str:
    """attach/detach/update `el` on domain `vm`; `present` (detach) tells whether the
    device is still in a devices element."""
    dom = conn.lookupByName(vm)
    method = {"attach": dom.attachDeviceFlags, "detach": dom.detachDeviceFlags,
              "update": dom.updateDeviceFlags}[op]
    flags = _flags(dom)
    xml = _text(el)
    _log_device_op(dom, vm, op, flags, edit)
    try:
        method(xml, flags)
    except libvirt.libvirtError as exc:
        code = exc.get_error_code()
        if code == libvirt.VIR_ERR_NO_SUPPORT:
            return _redefine(conn, dom, edit)
        both = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG
        if flags != both or not _refused_live(exc, op):
            raise
        # The hypervisor refused the live half; libvirt saved nothing. The persistent
        # definition alone can still take it (an error there is the step's failure).
        log.info("%s: %s interface on domain %s: refused live (%s); config only",
                 current_uri() or "libvirt", op, vm, exc.get_error_message() or exc)
        method(xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        reason = exc.get_error_message() or str(exc)
        return f"{CONFIG_ONLY}: {_NOT_LIVE[op]} ({reason}); {_UNTIL_RESTART[op]}"
    if not flags & libvirt.VIR_DOMAIN_AFFECT_LIVE:
        return "config"
    if present is not None and _still_present(dom, present):
        return PENDING_UNPLUG
    return LIVE_AND_CONFIG


def _log_device_op(dom: libvirt.virDomain, vm: str, op: str, flags: int,
                   edit: Callable[[ET.Element], None]) -> None:
    """The domain's persistent definition before and after the device change."""
    before = _persistent(dom)
    root = SafeET.fromstring(before)
    devices = root.find("devices")
    if devices is None:
        devices = ET.SubElement(root, "devices")
    edit(devices)
    where = "live and config" if flags & libvirt.VIR_DOMAIN_AFFECT_LIVE else "config"
    log_change(f"{op} interface on domain {vm} ({where})", vm, before, _text(root))


def _refused_live(exc: libvirt.libvirtError, op: str) -> bool:
    """Did the hypervisor refuse only the live half of the change?"""
    if exc.get_error_code() == libvirt.VIR_ERR_OPERATION_UNSUPPORTED:
        return True
    # Updating a `network` interface, libvirt first gives the new definition a device of
    # the pool; a passthrough pool whose every VF is in use (this guest's own included)
    # answers with an internal error of the network driver, not with "unsupported"
    return (op == "update" and exc.get_error_domain() == libvirt.VIR_FROM_NETWORK
            and exc.get_error_code() == libvirt.VIR_ERR_INTERNAL_ERROR)


def _still_present(dom: libvirt.virDomain, present: Callable[[ET.Element], bool]) -> bool:
    devices = SafeET.fromstring(dom.XMLDesc(0)).find("devices")
    return devices is not None and present(devices)


def interface_for(after: Topology, vm: Vm, nic: Vnic) -> ET.Element:
    """The product's `<interface>` of a vNIC, without a made-up profile: a vNIC discovery
    found with no port profile (`lv-...`) gets no virtualport and no portgroup, which would
    send an association for a profile UCS Manager does not have (and fail the next start)."""
    el = lx.interface_element(after, vm, nic)
    if parse.is_pseudo_profile(nic.port_profile):
        for vport in el.findall("virtualport"):
            el.remove(vport)
        source = el.find("source")
        if source is not None:
            source.attrib.pop("portgroup", None)
    return el


def _current_interface(conn: libvirt.virConnect, vm: str, nic: str,
                       mac: str | None) -> ET.Element | None:
    root = SafeET.fromstring(conn.lookupByName(vm).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    devices = root.find("devices")
    return find_interface(devices, nic, mac) if devices is not None else None


# ----------------------------------------------------------------------------- steps
def network_steps(conn: libvirt.virConnect, after: Topology, host: str,
                  needed: set[str] | None = None) -> list[Step]:
    """Define (or redefine) the pool networks of `host` whose XML is missing or differs.
    `needed`: only these pool names (None: every pool of the host)."""
    derived = Derived(after)
    steps: list[Step] = []
    for pool in lx.pools(after, derived):
        if pool.host != host or (needed is not None and pool.name not in needed):
            continue
        xml = lx.to_text(lx.network_element(after, pool, derived))
        if _same_network(conn, pool.name, xml):
            continue
        steps.append(Step(f"define network {pool.name} ({pool.mode} pool on {pool.pf})",
                          _define_network(xml, pool.name)))
    return steps


def _same_network(conn: libvirt.virConnect, name: str, xml: str) -> bool:
    try:
        net = conn.networkLookupByName(name)
    except libvirt.libvirtError:
        return False
    try:  # the persistent definition: what a redefinition changed
        have = SafeET.fromstring(net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE))
    except libvirt.libvirtError:  # a driver without the flag (the test driver)
        have = SafeET.fromstring(net.XMLDesc(0))
    want = SafeET.fromstring(xml)

    def shape(root: ET.Element) -> tuple[Any, ...]:
        fwd = root.find("forward")
        groups = sorted((g.get("name"), _profile(g)) for g in root.findall("portgroup"))
        pf = fwd.find("pf") if fwd is not None else None
        return (fwd.get("mode") if fwd is not None else None,
                pf.get("dev") if pf is not None else None, groups)

    return shape(have) == shape(want)


def _profile(el: ET.Element) -> str | None:
    params = el.find("virtualport/parameters")
    return params.get("profileid") if params is not None else None


def _define_network(xml: str, name: str) -> Action:
    def run(conn: libvirt.virConnect) -> str:
        root = SafeET.fromstring(xml)
        before = ""
        try:  # redefining: keep the network's uuid (same name, same network)
            existing = conn.networkLookupByName(name)
            _set_uuid(root, existing.UUIDString())
            was_active = bool(existing.isActive())
            before = _network_xml(existing)
        except libvirt.libvirtError:
            was_active = False
        sent = _text(root)
        log_change(f"{'redefine' if before else 'define'} network {name}", name, before,
                   sent)
        net = conn.networkDefineXML(sent)
        if was_active:
            return "redefined (a running network takes the new portgroups when restarted)"
        net.create()
        with contextlib.suppress(libvirt.libvirtError):
            net.setAutostart(1)
        return "defined and started"
    return run


def _set_uuid(root: ET.Element, uuid: str) -> None:
    """A <uuid> after <name>, where libvirt writes it (so the logged diff is only what
    changed)."""
    el = ET.Element("uuid")
    el.text = uuid
    name = root.find("name")
    root.insert(list(root).index(name) + 1 if name is not None else 0, el)


def _network_xml(net: libvirt.virNetwork) -> str:
    try:
        return str(net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE))
    except libvirt.libvirtError:  # a driver without the flag (the test driver)
        return str(net.XMLDesc(0))


def _pools_of(after: Topology, vm: Vm, nics: list[Vnic]) -> set[str]:
    derived = Derived(after)
    out = set()
    for nic in nics:
        el = lx.interface_element(after, vm, nic, derived)
        source = el.find("source")
        if el.get("type") == "network" and source is not None:
            out.add(source.get("network", ""))
    return out


def vm_define_steps(conn: libvirt.virConnect, after: Topology, vm: Vm) -> list[Step]:
    steps = network_steps(conn, after, vm.host, _pools_of(after, vm, vm.nics))
    root = lx.domain_element(after, vm)
    devices = root.find("devices")
    if devices is not None:  # the same interfaces as an update would write
        for old, nic in zip(devices.findall("interface"), vm.nics, strict=True):
            devices.insert(list(devices).index(old), interface_for(after, vm, nic))
            devices.remove(old)

    def define(c: libvirt.virConnect) -> str:
        before = ""
        try:  # keep the uuid of an existing domain: same name, same domain
            existing = c.lookupByName(vm.name)
            _set_uuid(root, existing.UUIDString())
            before = _persistent(existing)
        except libvirt.libvirtError:
            pass
        sent = _text(root)
        log_change(f"{'redefine' if before else 'define'} domain {vm.name}", vm.name, before,
                   sent)
        dom = c.defineXML(sent)
        if vm.state.value == "running" and not dom.isActive():
            dom.create()
            return "defined and started"
        return "defined"

    steps.append(Step(f"define domain {vm.name} ({len(vm.nics)} interfaces)", define))
    return steps


def _nic_steps(conn: libvirt.virConnect, after: Topology, vm_name: str, nic: Vnic,
               op: str) -> list[Step]:
    vm = Derived(after).index.vms[vm_name]
    new_el = interface_for(after, vm, nic)
    steps = network_steps(conn, after, vm.host, _pools_of(after, vm, [nic]))
    old = _current_interface(conn, vm_name, nic.name, nic.mac)
    what = f"{vm_name}/{nic.name}"
    profile = lx.profile_id(Derived(after), nic)
    if op == "attach" or old is None:
        steps.append(Step(f"attach interface {what} ({nic.attach.value}, port profile "
                          f"{profile})", _attach(vm_name, new_el)))
    elif old.get("type") == new_el.get("type") and _mac(old) == nic.mac:
        steps.append(Step(f"update interface {what} (port profile {profile})",
                          update_interface(vm_name, nic.name, nic.mac, new_el)))
    else:  # a new interface type cannot be an update: replace the device
        steps.append(Step(f"detach interface {what} ({old.get('type')})",
                          _detach(vm_name, nic.name, _mac(old), old)))
        steps.append(Step(f"attach interface {what} ({nic.attach.value}, port profile "
                          f"{profile})", _attach(vm_name, new_el)))
    return steps


def _mac(el: ET.Element) -> str | None:
    m = el.find("mac")
    return m.get("address") if m is not None else None


def _attach(vm: str, el: ET.Element) -> Action:
    return lambda conn: _device_op(conn, vm, "attach", el, lambda devs: devs.append(el))


def update_interface(vm: str, nic: str, mac: str | None, el: ET.Element) -> Action:
    """Replace vNIC `nic` (found by alias, target or `mac`) of domain `vm` with `el`: live
    and config where the hypervisor can, else config only (the note says which)."""
    def edit(devs: ET.Element) -> None:
        old = find_interface(devs, nic, mac)
        if old is None:
            devs.append(el)
            return
        pos = list(devs).index(old)
        devs.remove(old)
        devs.insert(pos, el)

    return lambda conn: _device_op(conn, vm, "update", el, edit)


def _detach(vm: str, nic: str, mac: str | None, el: ET.Element) -> Action:
    def edit(devs: ET.Element) -> None:
        old = find_interface(devs, nic, mac)
        if old is not None:
            devs.remove(old)

    def present(devs: ET.Element) -> bool:
        return find_interface(devs, nic, mac) is not None

    return lambda conn: _device_op(conn, vm, "detach", el, edit, present)


def _remove_vm(name: str) -> Action:
    def run(conn: libvirt.virConnect) -> str:
        dom = conn.lookupByName(name)
        log_change(f"stop and undefine domain {name}", name, _persistent(dom), "")
        if dom.isActive():
            dom.destroy()
        dom.undefine()
        return "stopped and undefined"
    return run


def plan(conn: libvirt.virConnect, before: Topology, after: Topology, host: str,
         change: Change) -> list[Step]:
    """The steps that make `host` match `after` for this change (blocking reads)."""
    if isinstance(change, VmDefine):
        return vm_define_steps(conn, after, change.vm)
    if isinstance(change, VmRemove):
        return [Step(f"remove domain {change.name}", _remove_vm(change.name))]
    if isinstance(change, NicAttach):
        return _nic_steps(conn, after, change.vm, change.nic, "attach")
    if isinstance(change, NicUpdate):
        return _nic_steps(conn, after, change.vm, change.nic, "update")
    if isinstance(change, NicDetach):
        old = _current_interface(conn, change.vm, change.nic, None)
        if old is None:
            return []
        return [Step(f"detach interface {change.vm}/{change.nic}",
                     _detach(change.vm, change.nic, _mac(old), old))]
    if isinstance(change, PortProfileEdit | PortProfileRemove):
        return _profile_steps(conn, before, after, host, change)
    raise NotForLibvirt(f"{type(change).__name__} is not configured through libvirt "
                        "(VTEPs, bridge domains and the VSM belong to the Nexus 1000V)")


def _profile_steps(conn: libvirt.virConnect, before: Topology, after: Topology, host: str,
                   change: PortProfileEdit | PortProfileRemove) -> list[Step]:
    """Every interface whose profile id changes follows (a rename), and the pool networks'
    portgroups are redefined to match."""
    steps = network_steps(conn, after, host)
    old_vms = {vm.name: vm for vm in before.vms}
    for vm in after.vms:
        if vm.host != host or vm.name not in old_vms:
            continue
        old_nics = {n.name: n for n in old_vms[vm.name].nics}
        for nic in vm.nics:
            old = old_nics.get(nic.name)
            if old is not None and old.port_profile != nic.port_profile:
                steps.extend(_nic_steps(conn, after, vm.name, nic, "update"))
    return steps
